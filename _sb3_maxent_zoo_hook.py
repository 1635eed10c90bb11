"""
Post-import hooks that register sb3-maxent with RL Zoo (``rl_zoo3``) when, and only when, the zoo is imported.

RL Zoo has no plugin mechanism: its algorithms are the module-level dict ``rl_zoo3.utils.ALGOS``, read when its
command-line parsers are built. So that ``python -m rl_zoo3.train --algo maxent_ppo`` works with the zoo unmodified,
the wheel installs ``sb3_maxent_zoo_hook.pth`` in site-packages; Python's ``site`` module runs its one line at
start-up, which calls :func:`install` unless ``SB3_MAXENT_NO_ZOO_HOOK`` is set to a value other than ``0``.

:func:`install` only puts a small finder at the front of ``sys.meta_path``; the finder answers for the modules
it watches and returns ``None`` for every other import at the cost of one dict lookup. When ``rl_zoo3`` has been
imported, ``sb3_maxent.zoo.register`` runs: a program that never imports the zoo never imports sb3-maxent either.

This module is top-level on purpose (not in the ``sb3_maxent`` package): importing it must not import the package,
torch or anything else, not even ``typing`` (a few milliseconds): annotations are strings, ``warnings`` is imported
when needed. See benchmarks/zoo_hook_startup.py.
"""

import sys

#: Environment variable that turns the hook off (any value other than ``""`` and ``"0"``)
DISABLE_ENV_VAR = "SB3_MAXENT_NO_ZOO_HOOK"

# Module name -> callbacks to run (with the module) right after the module is executed
_pending: "dict[str, list]" = {}


class _LoaderProxy:
    """Loader that runs the real loader, then the callbacks registered for the module (then steps aside)."""

    def __init__(self, loader: "object", fullname: str) -> None:
        self._loader = loader
        self._fullname = fullname

    def __getattr__(self, name: str) -> "object":
        return getattr(self._loader, name)

    def create_module(self, spec: "object") -> "object":
        return self._loader.create_module(spec)

    def exec_module(self, module: "object") -> None:
        # The module is seen with its real loader, during and after execution
        module.__loader__ = self._loader
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        _run_callbacks(self._fullname, module)


class _PostImportFinder:
    """``sys.meta_path`` finder that watches the modules of ``_pending`` and finds nothing itself."""

    def find_spec(self, fullname: str, path: "object" = None, target: "object" = None) -> "object":
        if fullname not in _pending:
            return None
        # Let the other finders find the module, then wrap its loader
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _LoaderProxy(spec.loader, fullname)
                return spec
        return None

    def invalidate_caches(self) -> None:
        pass


_finder = _PostImportFinder()


def _run_callbacks(fullname: str, module: "object") -> None:
    for callback in _pending.pop(fullname, []):
        try:
            callback(module)
        except Exception as error:
            import warnings

            warnings.warn(
                f"sb3-maxent could not complete its RL Zoo integration after importing {fullname!r} "
                f"({type(error).__name__}: {error}). The zoo works without sb3-maxent's algorithms; "
                f"set {DISABLE_ENV_VAR}=1 to turn this hook off.",
                RuntimeWarning,
                stacklevel=2,
            )
    if not _pending and _finder in sys.meta_path:
        sys.meta_path.remove(_finder)


def when_imported(fullname: str, callback: "object") -> None:
    """
    Run ``callback(module)`` once the module ``fullname`` is imported: now if it already is, else right after
    its code has run (whichever import triggers it).

    :param fullname: Full name of the module, e.g. ``"rl_zoo3.exp_manager"``
    :param callback: Function of the module object
    """
    module = sys.modules.get(fullname)
    spec = getattr(module, "__spec__", None)
    if module is not None and not getattr(spec, "_initializing", False):
        _pending.setdefault(fullname, []).append(callback)
        _run_callbacks(fullname, module)
        return
    _pending.setdefault(fullname, []).append(callback)
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def _register_with_rl_zoo(_module: "object") -> None:
    from sb3_maxent.zoo import register

    register()


def install() -> None:
    """Register sb3-maxent's algorithms with RL Zoo when ``rl_zoo3`` is imported (idempotent)."""
    if _register_with_rl_zoo not in _pending.get("rl_zoo3", []):
        when_imported("rl_zoo3", _register_with_rl_zoo)
