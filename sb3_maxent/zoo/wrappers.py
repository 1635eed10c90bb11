"""
RL Zoo wrappers.

RL Zoo builds its environments with ``gymnasium.make`` once per env inside a ``DummyVecEnv`` (or
``SubprocVecEnv``). For Procgen that steps the games one by one in Python, about half as fast as the native
:class:`~sb3_maxent.envs.ProcgenVecEnv` at 64 envs. :func:`native_procgen_vec_env` is a zoo ``vec_env_wrapper``
that swaps the zoo's vectorized env for a native one with the same game, options, number of envs and seed.
"""

from typing import Any

from stable_baselines3.common.vec_env import VecEnv, VecMonitor


def _monitor_kwargs(venv: VecEnv) -> dict[str, Any]:
    """
    ``VecMonitor``'s arguments that keep what the zoo's ``Monitor`` of the first env does: its log file (path
    without ``.monitor.csv``) and its ``info_keywords``, when the zoo asked for a log.
    """
    envs = getattr(venv, "envs", None)  # DummyVecEnv only: the Monitor objects of a SubprocVecEnv live elsewhere
    if not envs:
        return {}
    writer = getattr(envs[0], "results_writer", None)
    file_handler = getattr(writer, "file_handler", None)
    name = getattr(file_handler, "name", None)
    if not isinstance(name, str) or not name.endswith(".monitor.csv"):
        return {}
    return {"filename": name[: -len(".monitor.csv")], "info_keywords": tuple(getattr(envs[0], "info_keywords", ()))}


def native_procgen_vec_env(venv: VecEnv, num_threads: int = 4) -> VecEnv:
    """
    RL Zoo ``vec_env_wrapper`` for the ``procgen/<game>-v0`` ids: close the zoo's vectorized env and return a
    :class:`~sb3_maxent.envs.ProcgenVecEnv` with the same game, env kwargs (``env_kwargs`` or ``eval_env_kwargs``),
    number of envs and seed, in SB3's ``VecMonitor`` (the zoo's ``Monitor`` wrappers go with the zoo's env):
    the same ``info["episode"]`` statistics; when the zoo logs episodes to ``<log folder>/<rank>.monitor.csv``,
    they are written to ``0.monitor.csv`` (the other ranks' files keep only their header). In a hyperparameter
    file::

        procgen/fruitbot-v0:
          vec_env_wrapper: sb3_maxent.zoo.wrappers.native_procgen_vec_env
          # or, with options:
          # vec_env_wrapper:
          #   - sb3_maxent.zoo.wrappers.native_procgen_vec_env:
          #       num_threads: 2

    :param venv: The zoo's vectorized env of ``procgen/<game>-v0`` envs
    :param num_threads: Procgen worker threads stepping the games (``ProcgenVecEnv``'s default: 4)
    :return: The native vectorized env, in ``VecMonitor``
    """
    from sb3_maxent.envs import ProcgenVecEnv
    from sb3_maxent.envs.procgen import procgen_options

    if isinstance(venv, VecMonitor) and isinstance(venv.venv, ProcgenVecEnv):
        return venv
    envs = getattr(venv, "envs", None)
    spec = envs[0].unwrapped.spec if envs else venv.get_attr("spec", [0])[0]
    entry_point = str(getattr(spec, "entry_point", ""))
    if not entry_point.startswith("sb3_maxent.envs.procgen"):
        raise ValueError(
            f"native_procgen_vec_env only replaces vectorized procgen/<game>-v0 envs, got {getattr(spec, 'id', spec)!r} "
            f"(entry point {entry_point!r}): remove vec_env_wrapper from the hyperparameters of this env"
        )
    # ProcgenEnv's arguments that ProcgenVecEnv takes under the same name: the game, its options, rendering
    vec_env_kwargs = {"game", "render_mode", "render_hires", *procgen_options()}
    env_kwargs = {key: value for key, value in spec.kwargs.items() if key in vec_env_kwargs}
    unknown = sorted(set(spec.kwargs) - vec_env_kwargs - {"num_threads"})
    if unknown:
        raise ValueError(f"native_procgen_vec_env cannot pass the env kwargs {unknown} to ProcgenVecEnv")
    seeds = getattr(venv, "_seeds", None) or [None]
    monitor_kwargs = _monitor_kwargs(venv)
    n_envs = venv.num_envs
    venv.close()
    native = ProcgenVecEnv(n_envs=n_envs, num_threads=num_threads, **env_kwargs)
    if seeds[0] is not None:
        native.seed(int(seeds[0]))
    return VecMonitor(native, **monitor_kwargs)
