"""
Build step that setup.cfg cannot express: ship ``sb3_maxent_zoo_hook.pth`` at the top level of the wheel.

Everything else (metadata, packages, package data, extras) is in setup.cfg. The ``.pth`` file lands in
site-packages, where Python's ``site`` module runs its one line at start-up: it installs the post-import hook of
``_sb3_maxent_zoo_hook.py`` that registers sb3-maxent with RL Zoo when ``rl_zoo3`` is imported (RL Zoo has no plugin
mechanism). See docs/zoo.md.

``package_data`` can only put files inside packages and ``data_files`` go under ``sys.prefix``, so a small build
sub-command copies the file: into ``build_lib`` (the root of a regular wheel, ``pip install .``) or, for an editable
install (``pip install -e .``, PEP 660), into the unpacked editable wheel, whose top-level files pip also installs
into site-packages.
"""

import os
import shutil

from setuptools import Command, setup
from setuptools.command.build import build

PTH_FILE = "sb3_maxent_zoo_hook.pth"


class build_zoo_hook_pth(Command):
    """Copy ``sb3_maxent_zoo_hook.pth`` to the top level of the (regular or editable) wheel."""

    description = "ship the RL Zoo post-import hook (.pth) at the top level of the wheel"
    user_options: list = []

    def initialize_options(self) -> None:
        self.build_lib = None
        self.editable_mode = False

    def finalize_options(self) -> None:
        self.set_undefined_options("build_py", ("build_lib", "build_lib"))

    def _target_dir(self) -> str:
        if self.editable_mode:
            # setuptools' editable_wheel points `install_lib` at the unpacked editable wheel
            return self.get_finalized_command("install").install_lib
        return self.build_lib

    def run(self) -> None:
        source = os.path.join(os.path.dirname(os.path.abspath(__file__)), PTH_FILE)
        target_dir = self._target_dir()
        os.makedirs(target_dir, exist_ok=True)
        shutil.copyfile(source, os.path.join(target_dir, PTH_FILE))

    def get_outputs(self) -> list[str]:
        return [os.path.join(self._target_dir(), PTH_FILE)]

    def get_source_files(self) -> list[str]:
        return [PTH_FILE]


class build_with_zoo_hook(build):
    sub_commands = [*build.sub_commands, ("build_zoo_hook_pth", None)]


setup(cmdclass={"build": build_with_zoo_hook, "build_zoo_hook_pth": build_zoo_hook_pth})
