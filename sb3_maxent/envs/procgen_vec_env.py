"""A native SB3 ``VecEnv`` over one vectorized ``procgen.ProcgenGym3Env``, and the train/test env helper."""

from collections.abc import Sequence
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecMonitor
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvObs, VecEnvStepReturn

from sb3_maxent.common.validation import check_int
from sb3_maxent.envs.procgen import (
    PROCGEN_N_ACTIONS,
    PROCGEN_OBS_SHAPE,
    _level_split,
    check_render_mode,
    gym3_info_buffers,
    make_gym3_env,
    procgen_gym3_kwargs,
)


class ProcgenVecEnv(VecEnv):
    """
    ``n_envs`` copies of a Procgen game stepped by one ``procgen.ProcgenGym3Env(num=n_envs)`` (procgen's own
    worker threads), as a native SB3 ``VecEnv``: no Python loop over the copies, no subprocesses.

    Like ``DummyVecEnv([ProcgenEnv] * n_envs)``, it keeps no episode statistics: wrap it in SB3's ``VecMonitor``
    for ``info["episode"]`` (SB3's logger then shows ``rollout/ep_rew_mean``, and ``evaluate_policy`` reads the
    true returns even under ``VecNormalize``). :func:`make_procgen_vec_env` returns it so wrapped. On the step
    that ends an episode: ``info["terminal_observation"]`` (procgen has no frame after the last action, so it is
    the episode's last frame, the one the last action was taken from) and ``info["is_success"]`` (procgen's
    ``prev_level_complete``: the finished level was completed). Every info carries ``level_seed``,
    ``prev_level_seed`` and ``prev_level_complete``. Procgen cannot tell time-outs from terminations: every end of
    episode is a termination (no ``TimeLimit.truncated``).

    Seeding follows SB3's ``VecEnv`` conventions: ``seed(seed)`` takes effect at the next ``reset()``, which then
    creates the game anew from that seed (same seed, same levels and trajectories for the same actions).
    ``reset()`` otherwise also creates it anew, from a seed drawn from the generator seeded at construction,
    unless no step was taken since it was created. ``set_options()`` is accepted and ignored (Procgen has no
    reset options).

    :param game: One of :data:`~sb3_maxent.envs.PROCGEN_GAMES`
    :param n_envs: Number of copies of the game
    :param distribution_mode: ``"easy"``, ``"hard"`` (Procgen's default), ``"extreme"``, ``"memory"`` or ``"exploration"``
    :param num_levels: Number of distinct levels; 0 means unbounded
    :param start_level: First level seed
    :param seed: Seed of the generator the games' seeds are drawn from (``None``: fresh entropy)
    :param render_mode: ``None`` or ``"rgb_array"`` (``render()`` / ``get_images()`` then give the 64x64 frames)
    :param render_hires: With ``render_mode="rgb_array"``, render procgen's 512x512 frames instead. Procgen then
        draws them on every step, about 40 times slower: for videos only.
    :param num_threads: Procgen worker threads stepping the copies (Procgen's default: 4)
    :param procgen_options: Other Procgen options (``use_sequential_levels``, ``center_agent``,
        ``use_backgrounds``, ``restrict_themes``, ``use_monochrome_assets``, ``use_generated_assets``,
        ``paint_vel_info``, ``debug_mode``), see :class:`~sb3_maxent.envs.ProcgenEnv`
    """

    def __init__(
        self,
        game: str = "fruitbot",
        n_envs: int = 64,
        distribution_mode: str = "hard",
        num_levels: int = 0,
        start_level: int = 0,
        seed: int | None = None,
        render_mode: str | None = None,
        render_hires: bool = False,
        num_threads: int = 4,
        **procgen_options: Any,
    ) -> None:
        if isinstance(n_envs, (bool, np.bool_)) or not isinstance(n_envs, (int, np.integer)) or n_envs < 1:
            raise ValueError(f"n_envs must be a positive integer, got {n_envs!r}")
        check_render_mode(render_mode, render_hires)
        try:
            self._gym3_kwargs = procgen_gym3_kwargs(
                game,
                distribution_mode=distribution_mode,
                num_levels=num_levels,
                start_level=start_level,
                num_threads=num_threads,
                render_hires=render_hires,
                **procgen_options,
            )
        except TypeError as error:
            if "unexpected keyword argument" not in str(error):
                raise
            raise TypeError(f"{error}: ProcgenVecEnv takes Procgen's options, see the ProcgenEnv docstring") from error
        self.game = game
        self.distribution_mode = distribution_mode
        self.num_levels = num_levels
        self.start_level = start_level
        self.render_mode = render_mode
        self.render_hires = render_hires
        self._np_random = np.random.default_rng(check_int("seed", seed, 0, allow_none=True))
        super().__init__(
            num_envs=int(n_envs),
            observation_space=spaces.Box(low=0, high=255, shape=PROCGEN_OBS_SHAPE, dtype=np.uint8),
            action_space=spaces.Discrete(PROCGEN_N_ACTIONS),
        )
        self._gym3_env: Any = None
        self._obs: np.ndarray | None = None
        self._create_gym3_env()

    def _create_gym3_env(self) -> None:
        if self._gym3_env is not None:
            self._gym3_env.close()
        rand_seed = int(self._np_random.integers(0, 2**31 - 1))
        self._gym3_env = make_gym3_env(self.num_envs, rand_seed=rand_seed, **self._gym3_kwargs)
        _, obs, _ = self._gym3_env.observe()
        self._obs = obs["rgb"]
        self._fresh = True  # no step taken since creation

    def _infos(self) -> list[dict[str, Any]]:
        buffers = gym3_info_buffers(self._gym3_env)
        return [
            {"level_seed": level_seed, "prev_level_seed": prev_level_seed, "prev_level_complete": prev_level_complete}
            for level_seed, prev_level_seed, prev_level_complete in zip(
                buffers["level_seed"].tolist(),
                buffers["prev_level_seed"].tolist(),
                buffers["prev_level_complete"].tolist(),
                strict=True,
            )
        ]

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """
        Seed the games for the next ``reset()`` (SB3's convention: env ``i`` gets ``seed + i``;
        the one gym3 env is created from all of them).

        :param seed: The seed (``None``: a random one)
        :return: The seeds of the sub-environments
        """
        return super().seed(check_int("seed", seed, 0, allow_none=True))

    def reset(self) -> VecEnvObs:
        """
        Start new episodes in every copy of the game.

        :return: The first frames, shape ``(n_envs, 64, 64, 3)``
        """
        if self._seeds[0] is not None:
            self._np_random = np.random.default_rng([int(seed) for seed in self._seeds if seed is not None])
            self._create_gym3_env()
        elif not self._fresh:
            self._create_gym3_env()
        self._reset_seeds()
        self._reset_options()
        self.reset_infos = self._infos()
        assert self._obs is not None
        return self._obs.copy()

    def step_async(self, actions: np.ndarray) -> None:
        if self._gym3_env is None:
            raise RuntimeError("This ProcgenVecEnv was closed: make a new one to step it")
        actions = np.asarray(actions).reshape(-1)
        if actions.shape != (self.num_envs,):
            raise ValueError(f"Expected {self.num_envs} actions (one per env), got an array of shape {np.shape(actions)}")
        if not np.issubdtype(actions.dtype, np.integer):
            # (procgen would truncate 1.7 to 1 silently)
            if not (np.issubdtype(actions.dtype, np.number) and np.all(actions == np.round(actions))):
                raise ValueError(f"Procgen actions are integers in [0, {PROCGEN_N_ACTIONS}), got {actions}")
            actions = actions.astype(np.int64)
        if actions.min() < 0 or actions.max() >= PROCGEN_N_ACTIONS:
            raise ValueError(f"Invalid Procgen actions {actions}: actions are integers in [0, {PROCGEN_N_ACTIONS})")
        self._fresh = False
        # procgen's worker threads start stepping now; step_wait() waits for them
        self._gym3_env.act(actions)

    def step_wait(self) -> VecEnvStepReturn:
        rewards, obs, firsts = self._gym3_env.observe()
        new_obs = obs["rgb"]
        infos = self._infos()
        for env_idx in np.flatnonzero(firsts).tolist():
            info = infos[env_idx]
            info["terminal_observation"] = self._obs[env_idx].copy()  # type: ignore[index]
            info["is_success"] = bool(info["prev_level_complete"])
        # gym3's observe() returned fresh arrays: hand them out as they are (the frames are kept, unmodified
        # by SB3's wrappers, for the next step's terminal observations and for get_images())
        self._obs = new_obs
        return new_obs, rewards, firsts, infos

    def close(self) -> None:
        """Free procgen's games."""
        if self._gym3_env is not None:
            self._gym3_env.close()
            self._gym3_env = None

    def __getstate__(self) -> dict[str, Any]:
        """
        Pickling (``pickle``, ``copy.deepcopy``, checkpoints): the games' full state, through procgen's own
        ``get_state()``. An unpickled copy continues exactly where this one was: same frames, rewards and levels
        for the same actions.
        """
        state = self.__dict__.copy()
        if self._gym3_env is None:
            raise ValueError("Cannot pickle a closed ProcgenVecEnv")
        state["_gym3_env"] = self._gym3_env.get_state()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        games = state.pop("_gym3_env")
        self.__dict__.update(state)
        # a new gym3 env of the same kind (its seed does not matter), then the saved games
        self._gym3_env = make_gym3_env(self.num_envs, rand_seed=0, **self._gym3_kwargs)
        self._gym3_env.set_state(games)

    def get_images(self) -> Sequence[np.ndarray | None]:
        """
        :return: One frame per env: the 64x64 observations, or procgen's 512x512 frames with ``render_hires=True``
            (``None`` each unless ``render_mode="rgb_array"``)
        """
        if self.render_mode != "rgb_array":
            return [None for _ in range(self.num_envs)]
        if self.render_hires:
            return list(gym3_info_buffers(self._gym3_env)["rgb"].copy())
        assert self._obs is not None
        return list(self._obs.copy())

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """
        The sub-environments share this object's attributes (``game``, ``render_mode``, ``num_levels``, ...).

        :param attr_name: Attribute name
        :param indices: Indices of the envs
        :return: The attribute's value, once per env
        """
        value = getattr(self, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """
        Set an attribute of this object, shared by all sub-environments.
        Procgen's options cannot be changed once the game exists: make a new env instead.

        :param attr_name: Attribute name
        :param value: New value
        :param indices: Must designate every env
        """
        if sorted(self._get_indices(indices)) != list(range(self.num_envs)):
            raise ValueError(
                f"ProcgenVecEnv's sub-environments share their attributes: cannot set `{attr_name}` for some of them only"
            )
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices: VecEnvIndices = None, **method_kwargs) -> list[Any]:
        """
        Call a method of the sub-environments. They are no Python objects here: ``render`` (the frame of each env)
        and ``get_wrapper_attr`` (like ``get_attr``) are supported.

        :param method_name: ``"render"`` or ``"get_wrapper_attr"``
        :param indices: Indices of the envs
        :return: One result per env
        """
        indices = list(self._get_indices(indices))
        if method_name == "render":
            images = self.get_images()
            return [images[env_idx] for env_idx in indices]
        if method_name == "get_wrapper_attr":
            return self.get_attr(method_args[0], indices=indices)  # get_wrapper_attr(name)
        raise AttributeError(
            f"ProcgenVecEnv has no per-env method {method_name!r}: its games run inside one gym3 env "
            "(supported: 'render', 'get_wrapper_attr')"
        )

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        """
        The games are no gymnasium envs, so no gymnasium wrapper (``Monitor`` included) wraps them: always False.

        :param wrapper_class: Wrapper class
        :param indices: Indices of the envs
        :return: One bool per env
        """
        return [False for _ in self._get_indices(indices)]


def make_procgen_vec_env(
    game: str = "fruitbot",
    n_envs: int = 64,
    distribution_mode: str = "hard",
    num_levels: int = 0,
    start_level: int = 0,
    split: Literal["train", "test"] | None = None,
    num_test_levels: int = 500,
    test_start_level: int = 500,
    seed: int | None = None,
    monitor_kwargs: dict[str, Any] | None = None,
    **kwargs: Any,
) -> VecMonitor:
    """
    A :class:`ProcgenVecEnv` in SB3's ``VecMonitor``, and its train/test level split: the same arguments with
    ``split="train"`` and ``split="test"`` give the training env on levels ``[start_level, start_level + num_levels)``
    and the evaluation env on the unseen levels ``[test_start_level, test_start_level + num_test_levels)`` (500-999
    by default). Both check that the two ranges are finite and disjoint; ``split=None`` uses exactly ``num_levels``
    and ``start_level`` (0 levels: unbounded) with no check.

    The game's settings default to Procgen's own, as for ``gym.make("procgen/<game>-v0")`` and
    :class:`ProcgenVecEnv`: hard mode, every level. The on-policy max-ent paper's FruitBot setting is
    ``distribution_mode="easy", num_levels=500`` with 64 envs (the shipped ``procgen/fruitbot-v0`` entries'
    ``env_kwargs``); a split needs a finite ``num_levels``.

    As SB3's ``make_vec_env`` wraps each env in ``Monitor``, the result is wrapped in SB3's ``VecMonitor``: episode
    returns and lengths in ``info["episode"]``, for SB3's logger and ``evaluate_policy``. Its attributes
    (``game``, ``num_levels``, ...) are the :class:`ProcgenVecEnv`'s, ``.venv`` is the env itself.

    :param game: One of :data:`~sb3_maxent.envs.PROCGEN_GAMES`
    :param n_envs: Number of copies of the game
    :param distribution_mode: Procgen's distribution mode (Procgen's default ``"hard"``; the paper's ``"easy"``)
    :param num_levels: Number of (training) levels; 0 (Procgen's default) means unbounded, which no split takes
    :param start_level: First training level
    :param split: ``"train"``, ``"test"`` or ``None``
    :param num_test_levels: Number of test levels
    :param test_start_level: First test level
    :param seed: Seed of the games (see :class:`ProcgenVecEnv`)
    :param monitor_kwargs: Keyword arguments of SB3's ``VecMonitor`` (``filename`` to log the episodes to a CSV
        file, ``info_keywords``, e.g. ``("is_success",)``)
    :param kwargs: Other arguments of :class:`ProcgenVecEnv` (``render_mode``, ``num_threads``, Procgen options)
    :return: The vectorized environment, in ``VecMonitor``
    """
    if split not in (None, "train", "test"):
        raise ValueError(f"Unknown split {split!r}: use 'train', 'test' or None")
    if split is not None:
        train, test = _level_split(
            num_levels,
            start_level,
            num_test_levels,
            test_start_level,
            names=("num_levels", "start_level", "num_test_levels", "test_start_level"),
        )
        start_level, num_levels = train if split == "train" else test
    env = ProcgenVecEnv(
        game,
        n_envs=n_envs,
        distribution_mode=distribution_mode,
        num_levels=num_levels,
        start_level=start_level,
        seed=seed,
        **kwargs,
    )
    return VecMonitor(env, **(monitor_kwargs or {}))
