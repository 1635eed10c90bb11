"""
Checkpoints of one run of ``benchmarks/learning.py``, so that an interrupted run continues where it stopped.

A checkpoint is taken between two rollouts (after an update, before the next rollout starts), where everything that
decides the rest of the run is:

- the model, saved with SB3's ``save()`` (weights, optimizer states, step count, the last observations, the episode
  statistics) and, for off-policy algorithms, its replay buffer;
- the environments: training and evaluation envs, with their wrappers (``VecNormalize`` statistics included) and the
  games' own state (the gym envs pickled; Procgen through its ``get_state()``);
- the random generators (Python, NumPy, torch, the action space's) and the learning curve's rows so far;
- the memory layout of the last observation (SB3's ``VecTransposeImage`` hands out transposed views; pickling makes
  them contiguous, and torch's kernels round differently for other strides).

It is written to a temporary folder that then replaces the last checkpoint, so that a run killed while writing
still has the previous one. Restarting with the same arguments loads it and continues; with gSDE (whose noise
matrix SB3 does not save) the continuation is not bit-exact, everything else is.
"""

import os
import pickle
import random
import shutil
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import torch as th
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

MODEL_FILE = "model.zip"
REPLAY_BUFFER_FILE = "replay_buffer.pkl"
STATE_FILE = "state.pkl"
FINAL_MODEL_FILE = "final_model.zip"
VEC_NORMALIZE_FILE = "vecnormalize.pkl"
# A test hook: kill the process (SIGKILL, as a crash would) right after this many checkpoints were written
KILL_AFTER_ENV_VAR = "SB3_MAXENT_BENCHMARK_KILL_AFTER_CHECKPOINTS"


def _layers(venv: VecEnv) -> tuple[list[VecEnvWrapper], VecEnv]:
    wrappers = []
    while isinstance(venv, VecEnvWrapper):
        wrappers.append(venv)
        venv = venv.venv
    return wrappers, venv


def vec_env_state(venv: VecEnv) -> bytes:
    """The full state of a vectorized env and its wrappers (e.g. ``VecNormalize``'s statistics), as bytes."""
    wrappers, base = _layers(venv)
    # (a wrapper's class_attributes are its class's, not state)
    wrapper_states = [
        {key: value for key, value in vars(wrapper).items() if key not in ("venv", "class_attributes")} for wrapper in wrappers
    ]
    return cloudpickle.dumps((wrapper_states, base))


def restore_vec_env_state(venv: VecEnv, state: bytes) -> None:
    """Put a vectorized env (same wrappers) back into a state of :func:`vec_env_state`, in place."""
    wrapper_states, saved_base = pickle.loads(state)
    wrappers, base = _layers(venv)
    if len(wrappers) != len(wrapper_states):
        raise ValueError(f"The checkpoint has {len(wrapper_states)} env wrappers, this env {len(wrappers)}")
    for wrapper, wrapper_state in zip(wrappers, wrapper_states, strict=True):
        vars(wrapper).update(wrapper_state)
    base.close()  # the fresh games are replaced by the saved ones (same object, so every reference sees them)
    vars(base).clear()
    vars(base).update(vars(saved_base))


def _axes_order(array: np.ndarray) -> list[int]:
    """The axes of an array from the largest stride to the smallest (its memory layout, e.g. a transposed view's)."""
    return sorted(range(array.ndim), key=lambda axis: -array.strides[axis])


def _with_layout(array: np.ndarray, axes_order: list[int]) -> np.ndarray:
    """The same values laid out in memory as an array of that axes order (pickling makes arrays contiguous)."""
    return np.ascontiguousarray(array.transpose(axes_order)).transpose(np.argsort(axes_order))


def _last_obs_layout(model: BaseAlgorithm) -> Any:
    # The first forward pass after a resume must see the last observation with the same memory layout (SB3's
    # VecTransposeImage hands out transposed views): torch's kernels round differently for other strides.
    last_obs = model._last_obs  # type: ignore[attr-defined]
    if isinstance(last_obs, dict):
        return {key: _axes_order(value) for key, value in last_obs.items()}
    return None if last_obs is None else _axes_order(last_obs)


def _set_last_obs_layout(model: BaseAlgorithm, layout: Any) -> None:
    last_obs = model._last_obs  # type: ignore[attr-defined]
    if isinstance(last_obs, dict):
        model._last_obs = {key: _with_layout(value, layout[key]) for key, value in last_obs.items()}  # type: ignore[attr-defined]
    elif last_obs is not None:
        model._last_obs = _with_layout(last_obs, layout)  # type: ignore[attr-defined]


def _rng_state(model: BaseAlgorithm) -> dict[str, Any]:
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": th.get_rng_state(),
        "action_space": model.action_space.np_random.bit_generator.state,
    }


def _set_rng_state(model: BaseAlgorithm, state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    th.set_rng_state(state["torch"])
    model.action_space.np_random.bit_generator.state = state["action_space"]


def save_checkpoint(
    directory: Path,
    model: BaseAlgorithm,
    env: VecEnv,
    eval_env: VecEnv | None,
    progress: dict[str, Any],
    run_spec: dict[str, Any],
) -> None:
    """
    Write a checkpoint of a run (replacing the previous one).

    :param directory: The run's checkpoint folder
    :param model: The model
    :param env: Its training env, as made for it (SB3 may have wrapped it further, statelessly, for the model)
    :param eval_env: The evaluation env, if it has a state that the next evaluations depend on
    :param progress: The learning curve's state (rows, next evaluation, times, ...)
    :param run_spec: What the run is (task, agent, settings, seed): a checkpoint only continues the same run
    """
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save(tmp / MODEL_FILE)
    if getattr(model, "replay_buffer", None) is not None:
        model.save_replay_buffer(tmp / REPLAY_BUFFER_FILE)  # type: ignore[attr-defined]
    state = {
        "run_spec": run_spec,
        "progress": progress,
        "rng": _rng_state(model),
        "last_obs_layout": _last_obs_layout(model),
        "env": vec_env_state(env),
        "eval_env": None if eval_env is None else vec_env_state(eval_env),
    }
    with open(tmp / STATE_FILE, "wb") as file:
        pickle.dump(state, file)
    old = directory.with_name(directory.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)


def find_checkpoint(directory: Path, run_spec: dict[str, Any]) -> dict[str, Any] | None:
    """
    The state of the run's last checkpoint, or ``None`` if there is none, or one of another run (other settings).

    (A run killed between the two renames of :func:`save_checkpoint` left its last checkpoint as ``<dir>.old``.)
    """
    old = directory.with_name(directory.name + ".old")
    if not (directory / STATE_FILE).exists() and (old / STATE_FILE).exists():
        old.rename(directory)
    if not (directory / STATE_FILE).exists():
        return None
    with open(directory / STATE_FILE, "rb") as file:
        state = pickle.load(file)
    if state["run_spec"] != run_spec:
        print(f"{directory}: checkpoint of other settings, starting over", flush=True)
        return None
    return state


def load_checkpoint(
    directory: Path, state: dict[str, Any], algo_class: type[BaseAlgorithm], env: VecEnv, eval_env: VecEnv | None, device: str
) -> BaseAlgorithm:
    """The model of a checkpoint, with its envs and random generators as they were when it was written."""
    restore_vec_env_state(env, state["env"])
    if eval_env is not None and state["eval_env"] is not None:
        restore_vec_env_state(eval_env, state["eval_env"])
    model = algo_class.load(directory / MODEL_FILE, env=env, device=device, force_reset=False)  # keep the last obs
    if (directory / REPLAY_BUFFER_FILE).exists():
        model.load_replay_buffer(directory / REPLAY_BUFFER_FILE)  # type: ignore[attr-defined]
    _set_rng_state(model, state["rng"])  # after load(), which seeds them again
    _set_last_obs_layout(model, state["last_obs_layout"])
    return model


def finish(directory: Path, model: BaseAlgorithm) -> None:
    """
    Replace a finished run's checkpoint by its trained agent: ``final_model.zip`` and, when the env is normalized,
    ``vecnormalize.pkl`` (what ``rl_zoo3.enjoy`` and the Hub files need).
    """
    directory.mkdir(parents=True, exist_ok=True)
    model.save(directory / FINAL_MODEL_FILE)
    vec_normalize = model.get_vec_normalize_env()
    if vec_normalize is not None:
        vec_normalize.save(str(directory / VEC_NORMALIZE_FILE))
    for name in (MODEL_FILE, REPLAY_BUFFER_FILE, STATE_FILE):
        (directory / name).unlink(missing_ok=True)


def kill_after_checkpoint(n_written: int) -> None:
    """The test hook of :data:`KILL_AFTER_ENV_VAR`."""
    kill_after = os.environ.get(KILL_AFTER_ENV_VAR)
    if kill_after is not None and n_written >= int(kill_after):
        os.kill(os.getpid(), 9)
