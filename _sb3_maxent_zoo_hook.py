"""
The interpreter start-up hook that registers sb3-maxent with RL Zoo (``rl_zoo3``) when, and only when, the zoo is
imported.

RL Zoo has no plugin mechanism: its algorithms are the module-level dict ``rl_zoo3.utils.ALGOS``, read when its
command-line parsers are built. So that ``python -m rl_zoo3.train --algo maxent_ppo`` works with the zoo unmodified,
the wheel installs ``sb3_maxent_zoo_hook.pth`` in site-packages; Python's ``site`` module runs its one line at
start-up, which calls :func:`install` unless ``SB3_MAXENT_NO_ZOO_HOOK`` is set to a value other than ``0``.

This module knows one thing of the package, its entry point ``sb3_maxent.zoo.register``, called once ``rl_zoo3`` has
been imported (through ``_sb3_maxent_post_import``): a program that never imports the zoo never imports sb3-maxent.
Like that module, it imports nothing else at start-up.
"""

from _sb3_maxent_post_import import _pending, when_imported

#: Environment variable that turns the hook off (any value other than ``""`` and ``"0"``)
DISABLE_ENV_VAR = "SB3_MAXENT_NO_ZOO_HOOK"


def _register_with_rl_zoo(_module: "object") -> None:
    from sb3_maxent.zoo import register

    register()


_register_with_rl_zoo.failure_hint = (  # type: ignore[attr-defined]
    f"The zoo works without sb3-maxent's algorithms; set {DISABLE_ENV_VAR}=1 to turn this hook off."
)


def install() -> None:
    """Register sb3-maxent's algorithms with RL Zoo when ``rl_zoo3`` is imported (idempotent)."""
    if _register_with_rl_zoo not in _pending.get("rl_zoo3", []):
        when_imported("rl_zoo3", _register_with_rl_zoo)
