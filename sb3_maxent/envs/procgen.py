"""
Procgen (Cobbe et al., 2020) for Gymnasium: the 16 games as ``procgen/<game>-v0``, their options, and level splits.

Procgen speaks gym3: one ``ProcgenGym3Env(num=n, ...)`` steps ``n`` copies of a game, every copy resets
itself when its episode ends, and ``observe()`` flags the first frame of the new episode. This module adapts
``num=1`` to the ``gymnasium.Env`` API (for ``gymnasium.make``, SB3's ``check_env``, evaluation and RL Zoo);
:class:`sb3_maxent.envs.ProcgenVecEnv` wraps ``num=n_envs`` as a native SB3 ``VecEnv`` for training speed.

``procgen`` itself is imported only when an environment is created, so registering the ids is free.
"""

import functools
import inspect
import operator
import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from sb3_maxent.common.validation import check_int
from sb3_maxent.envs.registration import PROCGEN_GAMES

PROCGEN_DISTRIBUTION_MODES: tuple[str, ...] = ("easy", "hard", "extreme", "memory", "exploration")

# Modes that only some games implement. Procgen checks this in C++ and terminates the whole Python process
# (``fassert``) when it fails, so it has to be checked here, before the game is created.
_GAMES_SUPPORTING_MODE: dict[str, tuple[str, ...]] = {
    "extreme": ("chaser", "dodgeball", "leaper", "starpilot"),
    "memory": ("caveflyer", "dodgeball", "heist", "jumper", "maze", "miner"),
    "exploration": ("caveflyer", "climber", "coinrun", "heist", "jumper", "leaper", "maze", "ninja"),
}

# Procgen's observation (64x64 RGB) and action (15 button combinations) spaces, the same for every game
PROCGEN_OBS_SHAPE: tuple[int, int, int] = (64, 64, 3)
PROCGEN_N_ACTIONS = 15

# Procgen passes level numbers to C++ as 32-bit signed integers
_MAX_LEVEL = 2**31 - 1

PROCGEN_INSTALL_HINT = (
    'Procgen is not installed: run `pip install "sb3-maxent[procgen]"` (in a clone of the repository: '
    '`pip install ".[procgen]"`); it installs procgen-mirror.'
)


def import_procgen_gym3_env() -> type:
    """
    Import procgen, with an ``ImportError`` that says how to install it when it is missing.

    :return: The ``procgen.ProcgenGym3Env`` class
    """
    try:
        with warnings.catch_warnings():
            # procgen/__init__.py leaves its version file open (a ResourceWarning when it is collected)
            warnings.simplefilter("ignore", ResourceWarning)
            from procgen import ProcgenGym3Env
    except ImportError as error:
        raise ImportError(PROCGEN_INSTALL_HINT) from error
    return ProcgenGym3Env


def make_gym3_env(num: int, **gym3_kwargs: Any) -> Any:
    """
    Create ``procgen.ProcgenGym3Env(num=num, **gym3_kwargs)``.

    :param num: Number of copies of the game stepped together
    :param gym3_kwargs: Keyword arguments for ``ProcgenGym3Env``, as returned by :func:`procgen_gym3_kwargs`
    :return: The gym3 environment
    """
    gym3_env = import_procgen_gym3_env()(num=num, **gym3_kwargs)
    # gym3 closes an env that was never closed from its finalizer, which looks up `libenv_close` on cffi's library
    # object. cffi resolves a name on first use under its FFI lock, which is not reentrant and is shared by every
    # procgen env; when the garbage collector runs that finalizer while another env is being created (and holds the
    # lock), the process deadlocks (seen in our test suite). Resolving the name now makes the finalizer lock-free.
    _ = gym3_env._c_lib.libenv_close
    return gym3_env


def gym3_info_buffers(gym3_env: Any) -> dict[str, np.ndarray]:
    """
    Procgen's infos after the last ``observe()``, one array per key (``level_seed``, ``prev_level_seed``,
    ``prev_level_complete``, and ``rgb``, the 512x512 frames, when rendering in high resolution).

    gym3's ``get_info()`` observes again and builds one dict per copy of the game; the arrays it reads from are
    filled by ``observe()`` already, so they are read directly (they are overwritten by the next step: copy
    what must be kept).

    :param gym3_env: A ``ProcgenGym3Env``
    :return: Arrays of shape ``(num, ...)`` by info key
    """
    buffers = getattr(gym3_env, "_info", None)
    if isinstance(buffers, dict) and "level_seed" in buffers:
        return buffers
    infos = gym3_env.get_info()  # pragma: no cover (other gym3 versions)
    return {key: np.stack([info[key] for info in infos]) for key in infos[0]}  # pragma: no cover


def check_procgen_game(game: str) -> str:
    """
    Check that ``game`` names one of the 16 Procgen games.

    :param game: Game name, e.g. ``"fruitbot"``
    :return: The game name
    """
    if not isinstance(game, str) or game not in PROCGEN_GAMES:
        raise ValueError(f"Unknown Procgen game {game!r}: valid games are {', '.join(PROCGEN_GAMES)}")
    return game


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Procgen option `{name}` must be a bool, got {value!r} ({type(value).__name__})")
    return bool(value)


@functools.cache
def procgen_options() -> Mapping[str, Any]:
    """
    Procgen's game options and their defaults (Procgen's), read from :class:`ProcgenEnv`'s signature: the one place
    where they are listed and documented (:class:`~sb3_maxent.envs.ProcgenVecEnv` and the RL Zoo wrapper take the
    same names). Read once (read-only).
    """
    parameters = inspect.signature(ProcgenEnv.__init__).parameters
    return MappingProxyType({name: p.default for name, p in parameters.items() if name not in _NOT_GAME_OPTIONS})


# ProcgenEnv's arguments that are not options of the game (how it is run and rendered)
_NOT_GAME_OPTIONS = frozenset({"self", "game", "num_threads", "render_mode", "render_hires"})


def procgen_gym3_kwargs(game: str, num_threads: int = 4, render_hires: bool = False, **options: Any) -> dict[str, Any]:
    """
    Check Procgen's options and turn them into keyword arguments for ``procgen.ProcgenGym3Env``.
    Every problem raises a ``ValueError`` or ``TypeError`` naming the option (procgen itself would fail an
    ``assert`` or terminate the process).

    :param game: One of :data:`PROCGEN_GAMES`
    :param num_threads: Worker threads that step the copies of the game (0: step in the calling thread)
    :param render_hires: Also render a 512x512 frame every step (procgen's ``render_mode="rgb_array"``),
        which is about 40 times slower. Only for videos and human viewing.
    :param options: The game's options, as :class:`ProcgenEnv` takes them (:func:`procgen_options`: names and
        Procgen's defaults)
    :return: Keyword arguments for ``ProcgenGym3Env`` (all but ``num`` and ``rand_seed``)
    """
    defaults = procgen_options()
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise TypeError(
            f"procgen_gym3_kwargs() got an unexpected keyword argument {unknown[0]!r} (Procgen's options: "
            f"{', '.join(defaults)})"
        )
    values = {**defaults, **options}
    distribution_mode, num_levels, start_level = values["distribution_mode"], values["num_levels"], values["start_level"]
    check_procgen_game(game)
    if distribution_mode not in PROCGEN_DISTRIBUTION_MODES:
        raise ValueError(
            f"Unknown Procgen distribution_mode {distribution_mode!r}: valid modes are {', '.join(PROCGEN_DISTRIBUTION_MODES)}"
        )
    supported = _GAMES_SUPPORTING_MODE.get(distribution_mode)
    if supported is not None and game not in supported:
        raise ValueError(
            f"Procgen game {game!r} has no {distribution_mode!r} distribution_mode: "
            f"only {', '.join(supported)} have it (every game has 'easy' and 'hard')"
        )
    num_levels = check_int("num_levels", num_levels, 0, _MAX_LEVEL)
    start_level = check_int("start_level", start_level, 0, _MAX_LEVEL)
    if start_level + num_levels > _MAX_LEVEL + 1:
        raise ValueError(
            f"Procgen levels must be below 2**31: start_level ({start_level}) + num_levels ({num_levels}) is too large"
        )
    kwargs: dict[str, Any] = {"env_name": game, "distribution_mode": distribution_mode}
    for name, default in defaults.items():  # the on/off options
        if isinstance(default, bool):
            kwargs[name] = _check_bool(name, values[name])
    kwargs["debug_mode"] = check_int("debug_mode", values["debug_mode"], -(2**31) + 1, _MAX_LEVEL)
    kwargs["num_threads"] = check_int("num_threads", num_threads, 0, 1024)
    kwargs["render_mode"] = "rgb_array" if _check_bool("render_hires", render_hires) else None
    if distribution_mode == "exploration":
        # Procgen's exploration mode is one fixed hard level per game and refuses num_levels/start_level
        if num_levels != 0 or start_level != 0:
            raise ValueError(
                "Procgen's 'exploration' distribution_mode plays one fixed level: leave num_levels and start_level at 0"
            )
    else:
        kwargs["num_levels"] = num_levels
        kwargs["start_level"] = start_level
    return kwargs


def check_render_mode(render_mode: str | None, render_hires: bool) -> None:
    """
    Check the render options shared by :class:`ProcgenEnv` and :class:`~sb3_maxent.envs.ProcgenVecEnv`.

    :param render_mode: ``None`` or ``"rgb_array"``
    :param render_hires: Whether ``render()`` should return procgen's 512x512 frame
    """
    if render_mode not in (None, "rgb_array"):
        raise ValueError(f"Unsupported render_mode {render_mode!r} for Procgen: use None or 'rgb_array'")
    if render_hires and render_mode != "rgb_array":
        raise ValueError("render_hires=True is only useful with render_mode='rgb_array'")


class LevelSplit(NamedTuple):
    """
    A contiguous range of Procgen levels, ``start_level, ..., start_level + num_levels - 1``.
    ``**split._asdict()`` gives the env kwargs, e.g. ``gym.make("procgen/fruitbot-v0", **test._asdict())``.
    """

    start_level: int
    num_levels: int

    @property
    def stop_level(self) -> int:
        """One past the last level of the range."""
        return self.start_level + self.num_levels


def procgen_level_split(
    num_train_levels: int = 500,
    train_start_level: int = 0,
    num_test_levels: int = 500,
    test_start_level: int = 500,
) -> tuple[LevelSplit, LevelSplit]:
    """
    Train and test level ranges as in the Procgen benchmark (Cobbe et al., 2020) and the on-policy max-ent paper:
    train on levels ``[0, num_train_levels)`` and evaluate on the unseen levels ``[500, 1000)``.

    :param num_train_levels: Number of training levels (the paper uses 50, 100, 250 or 500)
    :param train_start_level: First training level
    :param num_test_levels: Number of test levels
    :param test_start_level: First test level
    :return: ``(train, test)`` level ranges; they never overlap
    """
    return _level_split(num_train_levels, train_start_level, num_test_levels, test_start_level)


def _level_split(
    num_train_levels: int,
    train_start_level: int,
    num_test_levels: int,
    test_start_level: int,
    names: tuple[str, str, str, str] = ("num_train_levels", "train_start_level", "num_test_levels", "test_start_level"),
) -> tuple[LevelSplit, LevelSplit]:
    """:func:`procgen_level_split`, with the caller's names of the four arguments in the error messages."""
    for name, value, minimum in (
        (names[0], num_train_levels, 1),
        (names[2], num_test_levels, 1),
        (names[1], train_start_level, 0),
        (names[3], test_start_level, 0),
    ):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"`{name}` must be an integer, got {value!r}")
        if value < minimum:
            if minimum == 1 and value == 0:
                raise ValueError(
                    f"`{name}=0` would mean every level (Procgen's 'unbounded'), which includes the levels of the other "
                    "split: a train/test split needs a finite number of levels on both sides"
                )
            raise ValueError(f"`{name}` must be >= {minimum}, got {value}")
    train = LevelSplit(int(train_start_level), int(num_train_levels))
    test = LevelSplit(int(test_start_level), int(num_test_levels))
    for name, split in (("train", train), ("test", test)):
        if split.stop_level > _MAX_LEVEL + 1:
            raise ValueError(
                f"The {name} levels [{split.start_level}, {split.stop_level}) go beyond Procgen's last level 2**31 - 1"
            )
    if train.start_level < test.stop_level and test.start_level < train.stop_level:
        raise ValueError(
            f"The train levels [{train.start_level}, {train.stop_level}) overlap the test levels "
            f"[{test.start_level}, {test.stop_level}): the test levels must be unseen in training"
        )
    return train, test


class ProcgenEnv(gym.Env[np.ndarray, np.int64]):
    """
    One Procgen game as a ``gymnasium.Env`` (``procgen.ProcgenGym3Env(num=1)`` underneath),
    registered as ``procgen/<game>-v0``.

    Observations are the 64x64 RGB frames (``Box(0, 255, (64, 64, 3), uint8)``), actions the 15 button
    combinations (``Discrete(15)``).

    Resets. Procgen resets a game itself when its episode ends and cannot restart an episode midway.
    ``reset()`` right after an episode ended returns the first frame of the next episode procgen already started;
    any other ``reset()`` (the first one, one in the middle of an episode, and every ``reset(seed=...)``)
    creates the game anew (about 2 ms) with a procgen seed drawn from ``self.np_random``. The same seed therefore
    gives the same levels, and the same actions the same trajectory.

    Episode ends. Procgen does not tell time-outs (the game's step limit) from terminations, so every end of
    episode is reported as ``terminated=True`` and ``truncated`` is always False. Procgen has no frame after
    the last action either (it shows the next level at once): the observation returned with ``terminated=True``
    is the episode's last frame (the one the last action was taken from) again.

    Infos carry procgen's ``level_seed`` (the level being played), and ``prev_level_seed`` and
    ``prev_level_complete`` (on the first frame of an episode: the previous level and whether it was completed).
    The step that ends an episode describes the next episode's first frame, so there ``prev_level_complete`` says
    whether the finished level was completed; it is also given as ``is_success`` (logged by SB3 as
    ``rollout/success_rate``).

    :param game: One of :data:`PROCGEN_GAMES` (set by the registered id)
    :param distribution_mode: ``"easy"``, ``"hard"`` (Procgen's default), ``"extreme"``, ``"memory"`` or ``"exploration"``
    :param num_levels: Number of distinct levels; 0 means unbounded
    :param start_level: First level seed
    :param use_sequential_levels: Go on to the next level instead of ending the episode when a level is completed
    :param center_agent: Center the view on the agent
    :param use_backgrounds: Draw the background images
    :param restrict_themes: Use a single theme (set of assets) per game
    :param use_monochrome_assets: Draw with monochrome rectangles instead of the sprites
    :param use_generated_assets: Use randomly generated assets instead of the sprites
    :param paint_vel_info: Paint the agent's velocity into the top-left corner of the frame
    :param debug_mode: Procgen's debug mode
    :param num_threads: Procgen worker threads; 0 (default here) steps in the calling thread, which is fastest
        for a single game
    :param render_mode: ``None`` or ``"rgb_array"``: ``render()`` then returns the 64x64 observation frame
    :param render_hires: With ``render_mode="rgb_array"``, make ``render()`` return procgen's 512x512 frame instead.
        Procgen then draws that frame on every step, which is about 40 times slower: use it for videos only.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 15}

    def __init__(
        self,
        game: str = "fruitbot",
        distribution_mode: str = "hard",
        num_levels: int = 0,
        start_level: int = 0,
        use_sequential_levels: bool = False,
        center_agent: bool = True,
        use_backgrounds: bool = True,
        restrict_themes: bool = False,
        use_monochrome_assets: bool = False,
        use_generated_assets: bool = False,
        paint_vel_info: bool = False,
        debug_mode: int = 0,
        num_threads: int = 0,
        render_mode: str | None = None,
        render_hires: bool = False,
    ) -> None:
        check_render_mode(render_mode, render_hires)
        options = dict(
            distribution_mode=distribution_mode,
            num_levels=num_levels,
            start_level=start_level,
            use_sequential_levels=use_sequential_levels,
            center_agent=center_agent,
            use_backgrounds=use_backgrounds,
            restrict_themes=restrict_themes,
            use_monochrome_assets=use_monochrome_assets,
            use_generated_assets=use_generated_assets,
            paint_vel_info=paint_vel_info,
            debug_mode=debug_mode,
        )
        self._gym3_kwargs = procgen_gym3_kwargs(game, num_threads=num_threads, render_hires=render_hires, **options)
        import_procgen_gym3_env()  # fail now, not at the first reset, when procgen is missing
        self.game = game
        self.render_mode = render_mode
        self.render_hires = render_hires
        self.observation_space = spaces.Box(low=0, high=255, shape=PROCGEN_OBS_SHAPE, dtype=np.uint8)
        self.action_space = spaces.Discrete(PROCGEN_N_ACTIONS)
        self._gym3_env: Any = None
        # Last frame returned, and (after an episode ended) the next episode's first frame
        self._frame: np.ndarray | None = None
        self._next_frame: np.ndarray | None = None
        self._info: dict[str, Any] = {}
        self._hires_frame: np.ndarray | None = None
        # True when no action was taken since procgen started the current episode
        self._at_episode_start = False
        self._action = np.zeros(1, dtype=np.int32)

    def _observe(self) -> tuple[float, np.ndarray, bool]:
        reward, obs, first = self._gym3_env.observe()
        buffers = gym3_info_buffers(self._gym3_env)
        self._info = {key: buffer[0].item() for key, buffer in buffers.items() if key != "rgb"}
        if self.render_hires:
            self._hires_frame = buffers["rgb"][0].copy()
        return float(reward[0]), obs["rgb"][0], bool(first[0])

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """
        Start an episode (see the class docstring for when the game is created anew).

        :param seed: Seed for ``self.np_random``, from which procgen's seed is drawn
        :param options: Unused (Procgen has no reset options)
        :return: The episode's first frame and its info
        """
        super().reset(seed=seed)
        if seed is not None or self._gym3_env is None or not self._at_episode_start:
            if self._gym3_env is not None:
                self._gym3_env.close()
            rand_seed = int(self.np_random.integers(0, 2**31 - 1))
            self._gym3_env = make_gym3_env(1, rand_seed=rand_seed, **self._gym3_kwargs)
            _, self._frame, _ = self._observe()
            self._next_frame = None
        elif self._next_frame is not None:
            self._frame, self._next_frame = self._next_frame, None
        self._at_episode_start = True
        assert self._frame is not None
        return self._frame.copy(), dict(self._info)

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """
        Take one action.

        :param action: An integer in ``[0, 15)``
        :return: observation, reward, terminated, truncated (always False), info
        """
        if self._gym3_env is None:
            raise RuntimeError("Cannot call ProcgenEnv.step() before ProcgenEnv.reset()")
        try:
            action_index = operator.index(action)
        except TypeError:
            action_index = np.asarray(action).item()
        if not 0 <= action_index < PROCGEN_N_ACTIONS:
            raise ValueError(f"Invalid Procgen action {action!r}: actions are integers in [0, {PROCGEN_N_ACTIONS})")
        if self._next_frame is not None:
            # Stepping on after an episode ended without reset(): continue with the episode procgen started
            self._frame, self._next_frame = self._next_frame, None
        self._action[0] = action_index
        self._gym3_env.act(self._action)
        reward, frame, terminated = self._observe()
        info = dict(self._info)
        if terminated:
            # No final frame in procgen: repeat the episode's last frame, keep the next episode's first for reset()
            assert self._frame is not None
            self._next_frame = frame
            self._at_episode_start = True
            info["is_success"] = bool(info.get("prev_level_complete", False))
            return self._frame.copy(), reward, True, False, info
        self._frame = frame
        self._at_episode_start = False
        return frame, reward, False, False, info

    def render(self) -> np.ndarray | None:  # type: ignore[override]
        """
        :return: With ``render_mode="rgb_array"``: the current 64x64 frame, or procgen's 512x512 frame
            with ``render_hires=True``; ``None`` otherwise
        """
        if self.render_mode != "rgb_array" or self._frame is None:
            return None
        if self.render_hires and self._hires_frame is not None:
            return self._hires_frame.copy()
        return self._frame.copy()

    def close(self) -> None:
        """Free procgen's game."""
        if self._gym3_env is not None:
            self._gym3_env.close()
            self._gym3_env = None
