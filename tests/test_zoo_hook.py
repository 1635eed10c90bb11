"""
The ``.pth`` hook as installed by ``pip install .`` (regular wheel) and ``pip install -e .`` (PEP 660 editable
wheel), and the post-import hook mechanism itself.
"""

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from zoo_helpers import REPO_ROOT, run

import _sb3_maxent_post_import as post_import

PTH_FILE = "sb3_maxent_zoo_hook.pth"
ZOO_ALIASES = ("maxent_ppo", "maxentppo", "dspg", "softql")

# Python without site (-S): the site folder under test is added as a site dir, .pth files included, then this
# environment's site-packages go on sys.path *after* it and *without* their .pth files (so neither this environment's
# install of the project, regular or editable, nor its hook): only the install under test can register.
PROBE = """
import site, sys
site.addsitedir({site_dir!r})
sys.path.append({packages!r})
import rl_zoo3, sb3_maxent
print("PACKAGE", sb3_maxent.__file__)
print("ZOO", sorted(alias for alias in {aliases!r} if alias in rl_zoo3.ALGOS))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(folder), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = folder.glob("sb3_maxent-*.whl")
    return path


def test_wheel_ships_the_hook_the_yamls_and_the_agents(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    # top level of the wheel = site-packages
    assert {PTH_FILE, "_sb3_maxent_zoo_hook.py", "_sb3_maxent_post_import.py"} <= names
    assert zipfile.ZipFile(wheel).read(PTH_FILE) == (REPO_ROOT / PTH_FILE).read_bytes()
    for name in ("maxent_ppo", "ppo", "dspg", "softql", "sac"):
        assert f"sb3_maxent/hyperparams/{name}.yml" in names
    assert any(name.startswith("sb3_maxent/zoo/agents/maxent_ppo-CartPole-v1/") for name in names)
    assert "sb3_maxent/zoo/hub.py" in names


def test_regular_install_registers_with_the_zoo(wheel, tmp_path):
    """``pip install .``: the wheel's files, installed by pip into a site folder, and used from there."""
    target = tmp_path / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    assert (target / PTH_FILE).is_file()
    probe = PROBE.format(packages=sysconfig.get_paths()["purelib"], site_dir=str(target), aliases=ZOO_ALIASES)
    output = run(["-S", "-c", probe], tmp_path).stdout
    assert f"PACKAGE {target / 'sb3_maxent' / '__init__.py'}" in output, output[-3000:]
    assert f"ZOO {sorted(ZOO_ALIASES)}" in output
    off = run(["-S", "-c", probe], tmp_path, env={"SB3_MAXENT_NO_ZOO_HOOK": "1"}).stdout
    assert "ZOO []" in off


@pytest.mark.slow
def test_editable_install_registers_with_the_zoo(tmp_path):
    """``pip install -e .`` (PEP 660) in a fresh virtual environment on top of this one's packages."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    venv_python = venv / "bin" / "python"
    venv_site = Path(
        subprocess.run(
            [str(venv_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # the dependencies (and setuptools for the build) come from this environment, as a plain path entry
    (venv_site / "base.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv_python),
            "install",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-e",
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
    )
    assert (venv_site / PTH_FILE).is_file()
    probe = "import rl_zoo3, sb3_maxent; print('PACKAGE', sb3_maxent.__file__); print('ZOO', sorted(rl_zoo3.ALGOS))"
    output = subprocess.run([str(venv_python), "-c", probe], cwd=tmp_path, capture_output=True, text=True).stdout
    assert f"PACKAGE {REPO_ROOT / 'sb3_maxent' / '__init__.py'}" in output, output
    assert all(f"'{alias}'" in output for alias in ZOO_ALIASES), output


def test_when_imported_runs_callbacks_after_the_module(tmp_path, monkeypatch):
    package = tmp_path / "hooked_package_for_test"
    package.mkdir()
    (package / "__init__.py").write_text("VALUE = 1\n")
    (package / "sub.py").write_text("VALUE = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = []
    post_import.when_imported("hooked_package_for_test", lambda module: seen.append(("package", module.VALUE)))
    post_import.when_imported("hooked_package_for_test.sub", lambda module: seen.append(("sub", module.VALUE)))
    assert seen == []
    import hooked_package_for_test.sub

    assert seen == [("package", 1), ("sub", 2)]
    # the module keeps its own loader, and the finder leaves sys.meta_path once nothing is pending
    assert type(hooked_package_for_test.__loader__).__name__ == "SourceFileLoader"
    assert type(hooked_package_for_test.__spec__.loader).__name__ == "SourceFileLoader"
    assert not {"hooked_package_for_test", "hooked_package_for_test.sub"} & set(post_import._pending)
    assert (post_import._finder in sys.meta_path) == bool(post_import._pending)
    # an already imported module: the callback runs at once; a failing callback warns, never breaks the import
    post_import.when_imported("hooked_package_for_test", lambda module: seen.append(("again", module.VALUE)))
    assert seen[-1] == ("again", 1)
    with pytest.warns(RuntimeWarning, match="could not complete its integration after importing 'hooked_package_for_test'"):
        post_import.when_imported("hooked_package_for_test", lambda module: 1 / 0)
    for name in ("hooked_package_for_test", "hooked_package_for_test.sub"):
        sys.modules.pop(name, None)


def _imports(path: Path, package_modules: set[str]) -> set[str]:
    """The project's modules a file imports, at module level or inside functions (``from a import b``: ``a.b`` if a module)."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            if name in package_modules:
                found.add(name)
                break
    return found


def test_no_import_circles():
    """
    The import graph of the package and its two top-level start-up modules, imports inside functions included, has
    no circle (a package's ``__init__`` re-exporting its modules does not count as its modules importing it).
    """
    files = {path.stem: path for path in REPO_ROOT.glob("_sb3_maxent_*.py")}
    for path in (REPO_ROOT / "sb3_maxent").rglob("*.py"):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {module: _imports(path, set(files)) - {module} for module, path in files.items()}
    # importing a module runs its parents' __init__ first: an __init__ that imports its own submodules is not a circle
    graph = {
        module: {target for target in targets if not module.startswith(target + ".")} for module, targets in graph.items()
    }
    assert "sb3_maxent.zoo" in graph["_sb3_maxent_zoo_hook"]  # the hook's one entry point
    assert not graph["_sb3_maxent_post_import"]

    visiting, done, circles = [], set(), []

    def visit(module: str) -> None:
        if module in done:
            return
        if module in visiting:
            circles.append([*visiting[visiting.index(module) :], module])
            return
        visiting.append(module)
        for target in sorted(graph.get(module, ())):
            visit(target)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
    assert not circles, "\n".join(" -> ".join(circle) for circle in circles)
