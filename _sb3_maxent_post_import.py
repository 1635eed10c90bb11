"""
Post-import callbacks: run a function right after a module is imported, whichever import triggers it.

Used by the interpreter start-up hook of sb3-maxent (``_sb3_maxent_zoo_hook``, which registers sb3-maxent with RL Zoo
when ``rl_zoo3`` is imported) and by ``sb3_maxent.zoo`` (which completes its integration when the zoo modules
concerned are imported). It knows nothing of either.

:func:`when_imported` puts a small finder at the front of ``sys.meta_path``; the finder answers for the modules it
watches and returns ``None`` for every other import at the cost of one dict lookup, and leaves ``sys.meta_path`` when
nothing is pending.

This module is top-level on purpose (not in the ``sb3_maxent`` package) and runs at every interpreter start-up when
the hook is on: importing it must not import the package, torch or anything else, not even ``typing`` (a few
milliseconds): annotations are strings, ``warnings`` is imported when needed. See benchmarks/zoo_hook_startup.py.
"""

import sys

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
                f"sb3-maxent could not complete its integration after importing {fullname!r} "
                f"({type(error).__name__}: {error}). {getattr(callback, 'failure_hint', '')}".rstrip(),
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
