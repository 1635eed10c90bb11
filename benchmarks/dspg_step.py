"""
Time one DSPG gradient step at the paper's size, against a plain-PyTorch DSPG step and SB3's SAC step.

Paper size: 2x512 ReLU actor and critic, batch 100, M = 64 sampled actions per state, Hopper shapes
(observation 11, action 3). All three run in this one process, interleaved, and the median over repeats is
reported as milliseconds per gradient step and as a ratio to the plain-PyTorch DSPG step.

- ``sb3_maxent DSPG``: ``DSPG.train(gradient_steps=4)`` (what ``learn()`` calls each environment step with
  the paper's settings), replay-buffer sampling and logging included, divided by 4.
- ``plain PyTorch DSPG``: the same math (eq. 15-18, tanh-squashed or clipped Gaussian to match) written
  directly: two ``nn.Sequential`` nets and their targets, a tensor replay buffer, the M samples expanded to
  (batch * M, obs_dim + action_dim) and concatenated for the critic.
- ``SB3 SAC``: ``SAC.train(gradient_steps=4)`` with the same nets and batch (twin critics, one sample per state).

Usage::

    python -m benchmarks.dspg_step                 # default: 20 repeats, 1 thread
    python -m benchmarks.dspg_step --threads 2 --repeats 30 --samples 64 --compile
"""

import argparse

import gymnasium as gym
import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3 import SAC
from torch import nn
from torch.nn import functional as F

from benchmarks.timing import interleaved, median, silent
from sb3_maxent import DSPG

OBS_DIM, ACTION_DIM, HIDDEN, BATCH_SIZE = 11, 3, 512, 100
GRADIENT_STEPS = 4
BUFFER_FILL = 20_000


class HopperShapedEnv(gym.Env):
    """Spaces of Hopper-v5 (no physics needed to time a gradient step)."""

    observation_space = spaces.Box(-np.inf, np.inf, (OBS_DIM,), np.float64)
    action_space = spaces.Box(-1.0, 1.0, (ACTION_DIM,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(OBS_DIM), {}

    def step(self, action):
        return np.zeros(OBS_DIM), 0.0, False, False, {}


def fill_buffer(model, rng: np.random.Generator) -> None:
    """Random transitions, written directly into the SB3 replay buffer."""
    buffer = model.replay_buffer
    n = BUFFER_FILL
    buffer.observations[:n, 0] = rng.normal(size=(n, OBS_DIM))
    buffer.next_observations[:n, 0] = rng.normal(size=(n, OBS_DIM))
    buffer.actions[:n, 0] = rng.uniform(-1, 1, size=(n, ACTION_DIM))
    buffer.rewards[:n, 0] = rng.normal(size=n)
    buffer.dones[:n, 0] = rng.uniform(size=n) < 0.01
    buffer.pos = n


class PlainDSPG:
    """A minimal DSPG step in plain PyTorch (same math as sb3_maxent.DSPG, no SB3 machinery)."""

    def __init__(
        self,
        n_samples: int,
        squash: bool,
        alpha: float = 0.2,
        gamma: float = 0.99,
        tau: float = 0.01,
        hidden: int = HIDDEN,
        obs_dim: int = OBS_DIM,
        action_dim: int = ACTION_DIM,
        batch_size: int = BATCH_SIZE,
        buffer_fill: int = BUFFER_FILL,
    ):
        def mlp(n_in: int, n_out: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, n_out)
            )

        self.obs_dim, self.action_dim, self.batch_size = obs_dim, action_dim, batch_size
        self.actor, self.actor_target = mlp(obs_dim, 2 * action_dim), mlp(obs_dim, 2 * action_dim)
        self.critic, self.critic_target = mlp(obs_dim + action_dim, 1), mlp(obs_dim + action_dim, 1)
        self.actor_target.load_state_dict(self.actor.state_dict())
        self.critic_target.load_state_dict(self.critic.state_dict())
        self.actor_opt = th.optim.Adam(self.actor.parameters(), lr=5e-5)
        self.critic_opt = th.optim.Adam(self.critic.parameters(), lr=5e-4)
        self.online = list(self.critic.parameters()) + list(self.actor.parameters())
        self.targets = list(self.critic_target.parameters()) + list(self.actor_target.parameters())
        self.n_samples, self.squash, self.alpha, self.gamma, self.tau = n_samples, squash, alpha, gamma, tau
        rng = np.random.default_rng(0)
        n = buffer_fill
        self.obs = th.as_tensor(rng.normal(size=(n, obs_dim)), dtype=th.float32)
        self.next_obs = th.as_tensor(rng.normal(size=(n, obs_dim)), dtype=th.float32)
        self.actions = th.as_tensor(rng.uniform(-1, 1, size=(n, action_dim)), dtype=th.float32)
        self.rewards = th.as_tensor(rng.normal(size=(n, 1)), dtype=th.float32)
        self.dones = th.as_tensor(rng.uniform(size=(n, 1)) < 0.01, dtype=th.float32)

    def dist(self, net: nn.Module, obs: th.Tensor) -> tuple[th.Tensor, th.Tensor]:
        mean, pre_std = net(obs).chunk(2, dim=-1)
        return mean, th.sigmoid(pre_std) + 1e-4

    def sample_log_prob(self, mean, std):
        # (B, M, A) samples, no reparameterization; log-prob differentiable in mean and std
        u = (
            mean.detach().unsqueeze(1) + std.detach().unsqueeze(1) * th.randn(mean.shape[0], self.n_samples, self.action_dim)
        ).detach()
        log_prob = th.distributions.Normal(mean.unsqueeze(1), std.unsqueeze(1)).log_prob(u).sum(-1)
        if self.squash:
            return th.tanh(u), log_prob - th.log(1 - th.tanh(u) ** 2 + 1e-6).sum(-1)
        return th.clamp(u, -1, 1), log_prob

    def q_samples(self, net: nn.Module, obs: th.Tensor, actions: th.Tensor) -> th.Tensor:
        expanded = obs.unsqueeze(1).expand(-1, self.n_samples, -1)
        return net(th.cat([expanded, actions], dim=-1).reshape(-1, self.obs_dim + self.action_dim)).view(-1, self.n_samples)

    def step(self) -> None:
        idx = th.randint(0, len(self.obs), (self.batch_size,))
        obs, actions, rewards, next_obs, dones = (
            self.obs[idx],
            self.actions[idx],
            self.rewards[idx],
            self.next_obs[idx],
            self.dones[idx],
        )
        with th.no_grad():
            next_mean, next_std = self.dist(self.actor_target, next_obs)
            next_actions, next_log_prob = self.sample_log_prob(next_mean, next_std)
            next_v = (self.q_samples(self.critic_target, next_obs, next_actions) - self.alpha * next_log_prob).mean(
                1, keepdim=True
            )
            target = rewards + (1 - dones) * self.gamma * next_v
        critic_loss = 0.5 * F.mse_loss(self.critic(th.cat([obs, actions], dim=1)), target)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()

        mean, std = self.dist(self.actor, obs)
        sampled_actions, log_prob = self.sample_log_prob(mean, std)
        with th.no_grad():
            weights = self.q_samples(self.critic, obs, sampled_actions) - self.alpha * (log_prob + 1)
        actor_loss = -(weights * log_prob).mean()
        self.actor_opt.zero_grad()
        actor_loss.backward()
        nn.utils.clip_grad_norm_(self.actor.parameters(), 1.0)
        self.actor_opt.step()
        with th.no_grad():
            th._foreach_lerp_(self.targets, self.online, self.tau)

    def train(self, gradient_steps: int) -> None:
        for _ in range(gradient_steps):
            self.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per variant (median reported)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--samples", type=int, default=64, help="n_action_samples M")
    parser.add_argument("--squash", type=int, default=1, help="1: tanh-squashed Gaussian (default of DSPG), 0: clipped")
    parser.add_argument(
        "--compile", action="store_true", help="also time sb3_maxent DSPG with torch.compile'd critic sampling"
    )
    args = parser.parse_args()
    th.set_num_threads(args.threads)
    th.manual_seed(0)
    rng = np.random.default_rng(0)
    net = dict(net_arch=[HIDDEN, HIDDEN])

    dspg = DSPG(
        "MlpPolicy",
        HopperShapedEnv(),
        buffer_size=BUFFER_FILL,
        batch_size=BATCH_SIZE,
        n_action_samples=args.samples,
        policy_kwargs=dict(**net, squash_output=bool(args.squash)),
        seed=0,
    )
    sac = SAC("MlpPolicy", HopperShapedEnv(), buffer_size=BUFFER_FILL, batch_size=BATCH_SIZE, policy_kwargs=dict(net), seed=0)
    variants = {
        "sb3_maxent DSPG": lambda: dspg.train(GRADIENT_STEPS, BATCH_SIZE),
        "plain PyTorch DSPG": PlainDSPG(args.samples, bool(args.squash)).train,
        "SB3 SAC": lambda: sac.train(GRADIENT_STEPS, BATCH_SIZE),
    }
    for model in (dspg, sac):
        fill_buffer(model, rng)
        silent(model)
    plain = variants["plain PyTorch DSPG"]
    variants["plain PyTorch DSPG"] = lambda: plain(GRADIENT_STEPS)

    if args.compile:
        compiled = DSPG(
            "MlpPolicy",
            HopperShapedEnv(),
            buffer_size=BUFFER_FILL,
            batch_size=BATCH_SIZE,
            n_action_samples=args.samples,
            policy_kwargs=dict(**net, squash_output=bool(args.squash)),
            seed=0,
        )
        fill_buffer(compiled, rng)
        silent(compiled)
        for critic in (compiled.critic, compiled.critic_target):
            critic.sampled_q_values = th.compile(critic.sampled_q_values, dynamic=False)
        variants["sb3_maxent DSPG (compiled)"] = lambda: compiled.train(GRADIENT_STEPS, BATCH_SIZE)

    samples = interleaved(variants, args.repeats, warmup_rounds=3)
    times = {name: [wall / GRADIENT_STEPS for wall, _ in values] for name, values in samples.items()}
    reference = median(times["plain PyTorch DSPG"])
    print(
        f"One gradient step: 2x{HIDDEN} ReLU, batch {BATCH_SIZE}, M={args.samples}, obs {OBS_DIM} / action {ACTION_DIM}, "
        f"squash={bool(args.squash)}, {args.threads} thread(s), median of {args.repeats} x {GRADIENT_STEPS} steps"
    )
    print(f"| {'variant':<28} | {'ms / gradient step':>18} | {'ratio to plain PyTorch DSPG':>27} |")
    print(f"|{'-' * 30}|{'-' * 20}|{'-' * 29}|")
    for name, values in times.items():
        seconds = median(values)
        print(f"| {name:<28} | {1e3 * seconds:>18.2f} | {seconds / reference:>27.2f} |")


if __name__ == "__main__":
    main()
