"""
Replay memory of the MuJoCo tasks at full buffer sizes: SB3's ``ReplayBuffer`` (float64 observations, as the envs
give them) against ``Float32ReplayBuffer`` (``replay_buffer_class=Float32ReplayBuffer``,
for DSPG, SoftQL and SB3's SAC alike), measured.

SB3 allocates the buffer with ``np.zeros``, which the OS maps lazily: a short run touches only the part it fills, so
the peak memory of the 100k-step runs (``learning.py mujoco``) says little about a 1M-step run. Here each case runs in
a fresh process that builds the buffer on the task's own spaces and writes every entry (as a full buffer has), and
the resident memory it adds is read from the OS (``VmRSS``; Linux). The buffers' own ``nbytes`` are given beside it.

    python -m benchmarks.replay_memory                    # -> docs/results/replay-memory.md
    python -m benchmarks.replay_memory --sizes 1000000    # one buffer size
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from benchmarks.timing import proc_status_mb

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "docs" / "results" / "replay-memory.md"
TASKS = ("Hopper-v5", "HalfCheetah-v5", "Walker2d-v5", "Ant-v5")
STORAGE = ("float64", "float32")


def measure(env_id: str, buffer_size: int, storage: str) -> dict:
    """Build the full buffer for the task in this process, write every entry, and return what it added."""
    import gymnasium as gym
    from stable_baselines3.common.buffers import ReplayBuffer

    from sb3_maxent.common.buffers import Float32ReplayBuffer

    env = gym.make(env_id)
    observation_space, action_space = env.observation_space, env.action_space
    env.close()
    before = proc_status_mb("VmRSS")
    buffer_class = Float32ReplayBuffer if storage == "float32" else ReplayBuffer
    buffer = buffer_class(buffer_size, observation_space, action_space, device="cpu")
    arrays = [buffer.observations, buffer.next_observations, buffer.actions, buffer.rewards, buffer.dones, buffer.timeouts]
    for array in arrays:
        array.fill(1)  # a full buffer: every page written
    return dict(
        env_id=env_id,
        obs_dim=int(observation_space.shape[0]),
        buffer_size=buffer_size,
        storage=storage,
        resident_mb=round(proc_status_mb("VmRSS") - before, 1),
        nbytes_mb=round(sum(array.nbytes for array in arrays) / 2**20, 1),
        observations_dtype=str(buffer.observations.dtype),
    )


def markdown(rows: list[dict]) -> str:
    lines = [
        "Replay memory at full buffer sizes, measured (`python -m benchmarks.replay_memory`): resident memory a full",
        "buffer adds to a fresh process (MiB), SB3's `ReplayBuffer` (float64 observations) against `Float32ReplayBuffer`",
        "(`replay_buffer_class=Float32ReplayBuffer`). Observations are stored twice (`observations`, `next_observations`).",
        "",
        "| task | obs dim | buffer size | float64 (SB3) | float32 | saved | the arrays' nbytes (float64 / float32) |",
        "|---|---|---|---|---|---|---|",
    ]
    cases = {(row["env_id"], row["buffer_size"], row["storage"]): row for row in rows}
    for env_id, size in dict.fromkeys((row["env_id"], row["buffer_size"]) for row in rows):
        wide, narrow = cases[(env_id, size, "float64")], cases[(env_id, size, "float32")]
        saved = 1 - narrow["resident_mb"] / wide["resident_mb"]
        lines.append(
            f"| {env_id} | {wide['obs_dim']} | {size:,} | {wide['resident_mb']:,.0f} | {narrow['resident_mb']:,.0f} | "
            f"{saved:.0%} | {wide['nbytes_mb']:,.0f} / {narrow['nbytes_mb']:,.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), help="MuJoCo env ids")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 3_000_000], help="buffer sizes")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="Markdown table ('-' for stdout only)")
    parser.add_argument("--one", nargs=3, metavar=("ENV_ID", "SIZE", "STORAGE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        env_id, size, storage = args.one
        print(json.dumps(measure(env_id, int(size), storage)))
        return
    if any(size < 1 for size in args.sizes):
        parser.error("--sizes must be >= 1")
    rows = []
    for env_id in args.tasks:
        for size in args.sizes:
            for storage in STORAGE:  # a fresh process each: nothing freed earlier is reused
                command = [sys.executable, "-m", "benchmarks.replay_memory", "--one", env_id, str(size), storage]
                output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO_ROOT).stdout
                rows.append(json.loads(output.strip().splitlines()[-1]))
                print(json.dumps(rows[-1]), flush=True)
    table = markdown(rows)
    print(table)
    if str(args.output) != "-":
        args.output.write_text(table)


if __name__ == "__main__":
    main()
