"""Procgen adapters: gymnasium ids, ProcgenVecEnv, level splits and bad input, on real procgen games."""

import csv
import subprocess
import sys
import threading
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from stable_baselines3 import PPO
from stable_baselines3.common.env_checker import check_env
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.logger import configure
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import VecFrameStack, VecMonitor, VecNormalize, VecTransposeImage

import sb3_maxent  # noqa: F401  (registers the ids)
from sb3_maxent.envs import (
    PROCGEN_GAMES,
    LevelSplit,
    ProcgenEnv,
    ProcgenVecEnv,
    make_procgen_vec_env,
    procgen_level_split,
    register_envs,
)

procgen = pytest.importorskip("procgen")


def random_actions(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 15, size=shape)


def rollout_single(env: gym.Env, seed: int, actions: np.ndarray) -> tuple[np.ndarray, list, list, list]:
    """Frames, rewards, terminations and level seeds of a seeded reset followed by ``actions`` (resetting at ends)."""
    obs, info = env.reset(seed=seed)
    frames, rewards, dones, levels = [obs], [], [], [info["level_seed"]]
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        frames.append(obs)
        rewards.append(reward)
        dones.append(terminated)
        assert not truncated
        if terminated:
            obs, info = env.reset()
            frames.append(obs)
            levels.append(info["level_seed"])
    return np.array(frames), rewards, dones, levels


# ---------------------------------------------------------------------------------------------------- registration


def test_games_and_ids_registered():
    assert tuple(procgen.env.ENV_NAMES) == PROCGEN_GAMES
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        register_envs()  # idempotent: no "overriding environment" warning
        register_envs()
    for game in PROCGEN_GAMES:
        spec = gym.spec(f"procgen/{game}-v0")
        assert spec.entry_point == "sb3_maxent.envs.procgen:ProcgenEnv"
        assert spec.kwargs == {"game": game}
        assert spec.max_episode_steps is None
        env = gym.make(f"procgen/{game}-v0", distribution_mode="easy")
        obs, _ = env.reset(seed=0)
        assert obs.shape == (64, 64, 3) and obs.dtype == np.uint8
        assert env.observation_space == gym.spaces.Box(0, 255, (64, 64, 3), np.uint8)
        assert env.action_space == gym.spaces.Discrete(15)
        env.step(env.action_space.sample())
        assert env.unwrapped.game == game
        env.close()


def test_import_does_not_import_procgen():
    # Registration must stay cheap: procgen (and gym3) load when a game is created, not with `import sb3_maxent`
    code = (
        "import sys, gymnasium, sb3_maxent; "
        "assert 'procgen' not in sys.modules and 'gym3' not in sys.modules; "
        "assert 'procgen/fruitbot-v0' in gymnasium.registry"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_missing_procgen_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "procgen", None)  # what an absent package looks like to `import`
    with pytest.raises(ImportError, match=r'pip install "sb3-maxent\[procgen\]"'):
        gym.make("procgen/fruitbot-v0")
    with pytest.raises(ImportError, match=r'pip install "sb3-maxent\[procgen\]"'):
        ProcgenVecEnv("fruitbot", n_envs=2)


# ------------------------------------------------------------------------------------------------ gymnasium env


def test_check_env_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make("procgen/fruitbot-v0", distribution_mode="easy", render_mode="rgb_array")
        check_env(env)  # SB3's checker
        check_env(env.unwrapped)
        # Gymnasium's checker also checks seeded determinism of reset() and step()
        gymnasium_check_env(env.unwrapped, skip_render_check=False)
        env.close()


def test_seeded_reset_reproducible():
    actions = random_actions(0, (300,))
    env_a = gym.make("procgen/fruitbot-v0", distribution_mode="easy")
    env_b = gym.make("procgen/fruitbot-v0", distribution_mode="easy")
    frames_a, rewards_a, dones_a, levels_a = rollout_single(env_a, 42, actions)
    frames_b, rewards_b, dones_b, levels_b = rollout_single(env_b, 42, actions)
    assert any(dones_a), "the trajectory should cross an episode end"
    np.testing.assert_array_equal(frames_a, frames_b)
    assert rewards_a == rewards_b and dones_a == dones_b and levels_a == levels_b
    # The same env reseeded replays it too; another seed gives other levels
    frames_c, *_ = rollout_single(env_a, 42, actions)
    np.testing.assert_array_equal(frames_a, frames_c)
    _, _, _, levels_d = rollout_single(env_b, 43, actions)
    assert levels_d[0] != levels_a[0]
    # Unseeded resets after a seeded one are reproducible as well (mid-episode resets re-create the game)
    firsts = []
    for env in (env_a, env_b):
        levels = [env.reset(seed=7)[1]["level_seed"]]
        for _ in range(3):
            env.step(0)
            levels.append(env.reset()[1]["level_seed"])
        firsts.append(levels)
    assert firsts[0] == firsts[1] and len(set(firsts[0])) == 4


def test_reset_after_episode_end_continues_procgen_episode():
    env = ProcgenEnv("fruitbot", distribution_mode="easy")
    obs, info = env.reset(seed=1)
    gym3_env = env._gym3_env
    for action in random_actions(1, (2000,)):
        last_obs = obs
        obs, _, terminated, _, step_info = env.step(action)
        if terminated:
            break
    assert terminated
    # No final frame in procgen: the episode's last frame is repeated
    np.testing.assert_array_equal(obs, last_obs)
    assert step_info["is_success"] == bool(step_info["prev_level_complete"])
    first_obs, reset_info = env.reset()
    assert env._gym3_env is gym3_env, "reset() at an episode start must not re-create the game"
    assert reset_info["level_seed"] == step_info["level_seed"] != info["level_seed"]
    assert reset_info["prev_level_seed"] == info["level_seed"]
    assert not np.array_equal(first_obs, obs)
    # A second reset() with no step in between stays on that first frame
    np.testing.assert_array_equal(env.reset()[0], first_obs)
    assert env._gym3_env is gym3_env
    # A reset in the middle of an episode starts a new game
    env.step(0)
    env.reset()
    assert env._gym3_env is not gym3_env
    env.close()


def test_render_sizes():
    env = gym.make("procgen/coinrun-v0")
    env.reset(seed=0)
    assert env.render() is None  # no render_mode
    env = gym.make("procgen/coinrun-v0", render_mode="rgb_array")
    obs, _ = env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (64, 64, 3)
    np.testing.assert_array_equal(frame, obs)
    obs, *_ = env.step(1)
    np.testing.assert_array_equal(env.render(), obs)
    env = gym.make("procgen/coinrun-v0", render_mode="rgb_array", render_hires=True)
    env.reset(seed=0)
    assert env.render().shape == (512, 512, 3)
    env.step(1)
    assert env.render().shape == (512, 512, 3)


def test_make_vec_env_does_not_render_hires():
    # SB3's make_vec_env passes render_mode="rgb_array": the 64x64 observation must be what gets rendered
    venv = make_vec_env("procgen/fruitbot-v0", n_envs=2, seed=0)
    venv.reset()
    venv.step(np.zeros(2, dtype=np.int64))
    assert venv.render_mode == "rgb_array"
    assert all(image.shape == (64, 64, 3) for image in venv.get_images())
    gym3_env = venv.envs[0].unwrapped._gym3_env
    assert gym3_env.options["render_human"] is False
    assert "rgb" not in gym3_env.get_info()[0]


# ------------------------------------------------------------------------------------------------------- VecEnv


def test_vec_env_steps_and_episode_statistics():
    n_envs = 8
    venv = make_procgen_vec_env("fruitbot", n_envs=n_envs, distribution_mode="easy", seed=0)
    assert isinstance(venv, VecMonitor) and isinstance(venv.venv, ProcgenVecEnv)
    assert venv.game == "fruitbot" and venv.distribution_mode == "easy"  # (VecMonitor forwards attributes)
    obs = venv.reset()
    assert obs.shape == (n_envs, 64, 64, 3) and obs.dtype == np.uint8
    assert venv.observation_space.shape == (64, 64, 3) and venv.action_space.n == 15
    assert set(venv.unwrapped.reset_infos[0]) == {"level_seed", "prev_level_seed", "prev_level_complete"}
    returns, lengths, n_episodes = np.zeros(n_envs), np.zeros(n_envs, dtype=int), 0
    for actions in random_actions(2, (300, n_envs)):
        new_obs, rewards, dones, infos = venv.step(actions)
        assert rewards.shape == (n_envs,) and dones.dtype == bool and len(infos) == n_envs
        returns += rewards
        lengths += 1
        for env_idx in range(n_envs):
            info = infos[env_idx]
            assert "level_seed" in info
            if dones[env_idx]:
                n_episodes += 1
                assert info["episode"]["r"] == pytest.approx(returns[env_idx])
                assert info["episode"]["l"] == lengths[env_idx]
                assert info["episode"]["t"] >= 0
                np.testing.assert_array_equal(info["terminal_observation"], obs[env_idx])
                assert info["is_success"] == bool(info["prev_level_complete"])
                returns[env_idx], lengths[env_idx] = 0, 0
            else:
                assert "episode" not in info and "terminal_observation" not in info
        obs = new_obs
    assert n_episodes >= n_envs
    venv.close()


def test_bare_vec_env_keeps_no_episode_statistics(tmp_path):
    """ProcgenVecEnv is a DummyVecEnv without Monitor: VecMonitor adds the statistics, without a warning."""
    venv = ProcgenVecEnv("fruitbot", n_envs=4, distribution_mode="easy", seed=0)
    assert venv.env_is_wrapped(Monitor) == [False] * 4
    venv.reset()
    done_infos = []
    for actions in random_actions(2, (250, 4)):
        _, _, dones, infos = venv.step(actions)
        done_infos += [infos[env_idx] for env_idx in np.flatnonzero(dones)]
    assert done_infos and all("episode" not in info and "terminal_observation" in info for info in done_infos)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # VecMonitor warns over an env that has Monitor statistics already
        monitored = make_procgen_vec_env("fruitbot", n_envs=2, seed=0, monitor_kwargs={"filename": str(tmp_path / "log")})
    monitored.reset()
    for actions in random_actions(3, (250, 2)):
        monitored.step(actions)
    monitored.close()
    with open(tmp_path / "log.monitor.csv") as file:
        rows = list(csv.DictReader(line for line in file if not line.startswith("#")))
    assert rows and all(float(row["r"]).is_integer() and int(row["l"]) > 0 for row in rows)


def test_vec_env_seeding():
    def trajectory(venv):
        frames, rewards = [venv.reset()], []
        for actions in random_actions(3, (120, 4)):
            obs, reward, _, _ = venv.step(actions)
            frames.append(obs)
            rewards.append(reward)
        return np.array(frames), np.array(rewards)

    venv_a = ProcgenVecEnv("starpilot", n_envs=4, distribution_mode="easy")
    venv_b = ProcgenVecEnv("starpilot", n_envs=4, distribution_mode="easy")
    assert venv_a.seed(5) == [5, 6, 7, 8]  # SB3's convention
    venv_b.seed(5)
    frames_a, rewards_a = trajectory(venv_a)
    frames_b, rewards_b = trajectory(venv_b)
    np.testing.assert_array_equal(frames_a, frames_b)
    np.testing.assert_array_equal(rewards_a, rewards_b)
    # Seeds apply to the next reset only; later unseeded resets are reproducible too
    np.testing.assert_array_equal(venv_a.reset(), venv_b.reset())
    venv_b.seed(6)
    assert not np.array_equal(venv_a.reset(), venv_b.reset())
    # Seed at construction
    frames_c, _ = trajectory(ProcgenVecEnv("starpilot", n_envs=4, distribution_mode="easy", seed=11))
    frames_d, _ = trajectory(ProcgenVecEnv("starpilot", n_envs=4, distribution_mode="easy", seed=11))
    np.testing.assert_array_equal(frames_c, frames_d)
    # reset() right after creation keeps the game; after steps it starts a new one
    venv = ProcgenVecEnv("starpilot", n_envs=2, seed=0)
    gym3_env = venv._gym3_env
    venv.reset()
    assert venv._gym3_env is gym3_env
    venv.step(np.zeros(2, dtype=np.int64))
    venv.reset()
    assert venv._gym3_env is not gym3_env


def test_vec_env_attributes_render_and_wrappers():
    venv = ProcgenVecEnv("fruitbot", n_envs=3, render_mode="rgb_array")
    venv.reset()
    assert venv.get_attr("game") == ["fruitbot"] * 3
    assert venv.get_attr("render_mode", indices=[1]) == ["rgb_array"]
    assert venv.env_method("get_wrapper_attr", "game", indices=0) == ["fruitbot"]
    venv.set_attr("my_tag", "x")
    assert venv.get_attr("my_tag") == ["x"] * 3
    with pytest.raises(ValueError, match="share their attributes"):
        venv.set_attr("my_tag", "y", indices=[0])
    with pytest.raises(AttributeError):
        venv.get_attr("no_such_attribute")
    with pytest.raises(AttributeError, match="no per-env method"):
        venv.env_method("no_such_method")
    assert venv.env_is_wrapped(Monitor) == [False] * 3
    assert venv.env_is_wrapped(gym.wrappers.TimeLimit) == [False] * 3
    images = venv.get_images()
    assert len(images) == 3 and all(image.shape == (64, 64, 3) for image in images)
    assert venv.env_method("render", indices=[2])[0].shape == (64, 64, 3)
    assert venv.render().shape == (2 * 64, 2 * 64, 3)  # SB3 tiles the frames
    hires = ProcgenVecEnv("fruitbot", n_envs=2, render_mode="rgb_array", render_hires=True)
    hires.reset()
    assert [image.shape for image in hires.get_images()] == [(512, 512, 3)] * 2
    assert ProcgenVecEnv("fruitbot", n_envs=2).get_images() == [None, None]


def test_vec_env_with_sb3_wrappers():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. VecFrameStack's "without terminal_observation" warning
        venv = VecNormalize(make_procgen_vec_env("fruitbot", n_envs=4, seed=0), norm_obs=False, norm_reward=True)
        stacked = VecTransposeImage(VecFrameStack(venv, n_stack=2))
        obs = stacked.reset()
        assert obs.shape == (4, 6, 64, 64) and obs.dtype == np.uint8
        saw_done = False
        for actions in random_actions(4, (200, 4)):
            obs, rewards, dones, infos = stacked.step(actions)
            assert rewards.dtype == np.float32
            for env_idx in np.flatnonzero(dones):
                saw_done = True
                assert infos[env_idx]["terminal_observation"].shape == (6, 64, 64)
                # VecMonitor's statistics are the raw returns, not the normalized ones
                assert float(infos[env_idx]["episode"]["r"]).is_integer()
        assert saw_done
        assert venv.ret_rms.count > 1
        # evaluate_policy sees VecMonitor's statistics (no warning) and reports raw returns
        model = PPO(
            "CnnPolicy", stacked, n_steps=16, batch_size=32, policy_kwargs={"features_extractor_kwargs": {"features_dim": 32}}
        )
        episode_returns, _ = evaluate_policy(model, stacked, n_eval_episodes=4, return_episode_rewards=True)
        assert len(episode_returns) == 4 and all(float(ret).is_integer() for ret in episode_returns)


def test_ppo_logs_episode_statistics(tmp_path):
    env = make_procgen_vec_env("fruitbot", n_envs=4, num_levels=50, seed=0)
    model = PPO(
        "CnnPolicy",
        env,
        n_steps=64,
        batch_size=128,
        n_epochs=1,
        seed=0,
        policy_kwargs={"features_extractor_kwargs": {"features_dim": 64}, "net_arch": []},
    )
    assert isinstance(model.get_env(), VecTransposeImage)
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(total_timesteps=512)
    assert len(model.ep_info_buffer) >= 2
    assert all(set(info) == {"r", "l", "t"} and info["l"] > 0 for info in model.ep_info_buffer)
    assert len(model.ep_success_buffer) == len(model.ep_info_buffer)
    with open(tmp_path / "progress.csv") as file:
        last_row = list(csv.DictReader(file))[-1]
    assert float(last_row["rollout/ep_rew_mean"]) == pytest.approx(np.mean([info["r"] for info in model.ep_info_buffer]))
    assert float(last_row["rollout/ep_len_mean"]) == pytest.approx(np.mean([info["l"] for info in model.ep_info_buffer]))
    assert "rollout/success_rate" in last_row


# ----------------------------------------------------------------------------------------------------- level splits


def test_level_split():
    train, test = procgen_level_split()
    assert (train, test) == (LevelSplit(0, 500), LevelSplit(500, 500))
    assert test.stop_level == 1000
    assert procgen_level_split(50) == (LevelSplit(0, 50), LevelSplit(500, 500))
    assert procgen_level_split(200, train_start_level=1000) == (LevelSplit(1000, 200), LevelSplit(500, 500))
    assert test._asdict() == {"start_level": 500, "num_levels": 500}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_train_levels": 0}, "num_train_levels=0.*every level"),
        ({"num_test_levels": 0}, "num_test_levels=0.*every level"),
        ({"num_train_levels": -5}, "num_train_levels"),
        ({"train_start_level": -1}, "train_start_level"),
        ({"test_start_level": -1}, "test_start_level"),
        ({"num_train_levels": 501}, r"train levels \[0, 501\) overlap the test levels \[500, 1000\)"),
        ({"train_start_level": 999, "num_train_levels": 10}, "overlap"),
        ({"test_start_level": 2**31 - 100}, "beyond"),
    ],
)
def test_level_split_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        procgen_level_split(**kwargs)


def test_make_procgen_vec_env_splits():
    train_env = make_procgen_vec_env("fruitbot", n_envs=4, distribution_mode="easy", num_levels=20, split="train", seed=0)
    test_env = make_procgen_vec_env("fruitbot", n_envs=4, distribution_mode="easy", num_levels=20, split="test", seed=0)
    assert (train_env.start_level, train_env.num_levels, train_env.distribution_mode) == (0, 20, "easy")
    assert (test_env.start_level, test_env.num_levels) == (500, 500)
    for venv, low, high in ((train_env, 0, 20), (test_env, 500, 1000)):
        venv.reset()
        levels = {info["level_seed"] for info in venv.unwrapped.reset_infos}
        for actions in random_actions(5, (150, 4)):
            levels |= {info["level_seed"] for info in venv.step(actions)[3]}
        assert all(low <= level < high for level in levels), levels
    # split=None: exactly the levels asked for, 0 = unbounded
    assert make_procgen_vec_env("fruitbot", n_envs=1, num_levels=0).num_levels == 0
    with pytest.raises(ValueError, match=r"num_levels=0.*every level"):
        make_procgen_vec_env("fruitbot", n_envs=1, num_levels=0, split="test")
    with pytest.raises(ValueError, match="overlap"):
        make_procgen_vec_env("fruitbot", n_envs=1, num_levels=1000, split="train")
    with pytest.raises(ValueError, match="Unknown split"):
        make_procgen_vec_env("fruitbot", n_envs=1, split="validation")


def test_the_entry_points_default_to_procgens_own_settings():
    """gym.make, ProcgenVecEnv and make_procgen_vec_env: one rule, Procgen's defaults (hard mode, every level)."""
    gym_env = gym.make("procgen/fruitbot-v0")
    vec_env = ProcgenVecEnv("fruitbot", n_envs=1)
    monitored = make_procgen_vec_env("fruitbot", n_envs=1)
    try:
        # the game's settings (procgen's worker threads differ: one env needs none, a vectorized env uses 4)
        kwargs = [
            {key: value for key, value in env._gym3_kwargs.items() if key != "num_threads"}
            for env in (gym_env.unwrapped, vec_env, monitored.venv)
        ]
        assert kwargs[0] == kwargs[1] == kwargs[2]
        assert (kwargs[0]["distribution_mode"], kwargs[0]["num_levels"], kwargs[0]["start_level"]) == ("hard", 0, 0)
    finally:
        for env in (gym_env, vec_env, monitored):
            env.close()


# ------------------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("make", [ProcgenEnv, lambda game: make_procgen_vec_env(game, n_envs=1)])
def test_unknown_game(make):
    valid_games = "valid games are bigfish, bossfight, caveflyer, .*, fruitbot, .*, starpilot"
    with pytest.raises(ValueError, match=rf"Unknown Procgen game 'fruitbots': {valid_games}"):
        make("fruitbots")


def test_unknown_game_id():
    with pytest.raises(ValueError, match="valid games are"):
        gym.make("procgen/fruitbot-v0", game="pacman")
    # An id that was never registered is refused by gymnasium itself, which suggests the closest one
    with pytest.raises(gym.error.NameNotFound, match="fruitbot"):
        gym.make("procgen/fruitbt-v0")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"distribution_mode": "medium"}, ValueError, "Unknown Procgen distribution_mode 'medium'.*easy, hard"),
        ({"distribution_mode": "extreme"}, ValueError, "'fruitbot' has no 'extreme'.*chaser, dodgeball"),
        ({"distribution_mode": "memory"}, ValueError, "'fruitbot' has no 'memory'"),
        ({"distribution_mode": "exploration"}, ValueError, "'fruitbot' has no 'exploration'"),
        ({"num_levels": -1}, ValueError, "num_levels"),
        ({"start_level": -3}, ValueError, "start_level"),
        ({"start_level": 2**31 - 10, "num_levels": 100}, ValueError, "below 2\\*\\*31"),
        ({"num_levels": 2.5}, ValueError, "num_levels` must be an integer"),
        ({"num_levels": True}, ValueError, "num_levels` must be an integer"),
        ({"use_backgrounds": "no"}, TypeError, "use_backgrounds` must be a bool"),
        ({"num_threads": -1}, ValueError, "num_threads"),
        ({"render_mode": "ansi"}, ValueError, "Unsupported render_mode 'ansi'"),
        ({"render_hires": True}, ValueError, "render_hires=True.*rgb_array"),
        ({"rand_seed": 3}, TypeError, "rand_seed"),
    ],
)
@pytest.mark.filterwarnings("ignore:.*render_mode='ansi' that is not in the possible render_modes")
def test_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        gym.make("procgen/fruitbot-v0", **kwargs)
    with pytest.raises(error, match=match):
        ProcgenVecEnv("fruitbot", n_envs=1, **kwargs)


def test_exploration_mode():
    with pytest.raises(ValueError, match=r"exploration.*leave num_levels and start_level at 0"):
        ProcgenEnv("maze", distribution_mode="exploration", num_levels=10)
    env = ProcgenEnv("maze", distribution_mode="exploration")
    assert env.reset(seed=0)[1]["level_seed"] == env.reset(seed=1)[1]["level_seed"]  # one fixed level
    env = ProcgenEnv("dodgeball", distribution_mode="extreme")
    env.reset(seed=0)
    env.step(0)


def test_bad_actions_and_order():
    env = ProcgenEnv("fruitbot")
    with pytest.raises(RuntimeError, match=r"before ProcgenEnv.reset"):
        env.step(0)
    env.reset(seed=0)
    for bad_action in (15, -1):
        with pytest.raises(ValueError, match="Invalid Procgen action"):
            env.step(bad_action)
    env.step(np.int64(3))
    env.step(np.array([3]))
    with pytest.raises(ValueError, match="n_envs must be a positive integer"):
        ProcgenVecEnv("fruitbot", n_envs=0)
    venv = ProcgenVecEnv("fruitbot", n_envs=2)
    venv.reset()
    with pytest.raises(ValueError, match="Invalid Procgen actions"):
        venv.step(np.array([0, 15]))
    with pytest.raises(ValueError, match="Expected 2 actions"):
        venv.step(np.array([0, 1, 2]))


def test_closing_a_forgotten_env_does_not_need_the_cffi_lock():
    """gym3 closes forgotten envs from a finalizer; if that needs cffi's FFI lock while another env is being created
    (which holds it), the process deadlocks. ``make_gym3_env`` resolves ``libenv_close`` up front so that it does not."""
    from sb3_maxent.envs.procgen import make_gym3_env, procgen_gym3_kwargs

    gym3_env = make_gym3_env(1, **procgen_gym3_kwargs("coinrun", distribution_mode="easy"))
    closer = threading.Thread(target=gym3_env.close)
    with gym3_env._ffi._lock:  # as cffi holds it while resolving the names of a new env
        closer.start()
        closer.join(timeout=20)
        closed_without_the_lock = not closer.is_alive()
    closer.join()
    assert closed_without_the_lock


def test_procgen_options_are_listed_once_and_reach_every_adapter():
    """The game options are ProcgenEnv's signature; the gym3 kwargs, ProcgenVecEnv and the zoo wrapper follow it."""
    from sb3_maxent.envs.procgen import procgen_gym3_kwargs, procgen_options

    options = procgen_options()
    assert {"distribution_mode", "num_levels", "start_level", "use_backgrounds", "paint_vel_info", "debug_mode"} <= set(
        options
    )
    assert not {"game", "num_threads", "render_mode", "render_hires"} & set(options)
    changed = {name: (not default if isinstance(default, bool) else None) for name, default in options.items()}
    changed |= {"distribution_mode": "easy", "num_levels": 3, "start_level": 7, "debug_mode": 1}
    kwargs = procgen_gym3_kwargs("fruitbot", **changed)
    assert all(kwargs[name] == value for name, value in changed.items())
    venv = ProcgenVecEnv("fruitbot", n_envs=2, **changed)
    assert venv._gym3_kwargs == kwargs | {"num_threads": 4}
    venv.close()
    env = ProcgenEnv("fruitbot", **changed)  # (it names every option it passes on)
    assert env._gym3_kwargs == kwargs | {"num_threads": 0}
    env.close()
    with pytest.raises(TypeError, match="unexpected keyword argument 'no_such_option'"):
        procgen_gym3_kwargs("fruitbot", no_such_option=1)
