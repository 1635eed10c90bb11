"""
Our PPO on FruitBot against OpenAI's logged PPO2 runs of the Procgen paper, at the same settings.

The reference: openai/train-procgen, ``train_procgen/results/easy-200-run{0,1,2}/progress-fruitbot-train.csv``
(Cobbe et al. 2020, "Leveraging Procedural Generation to Benchmark Reinforcement Learning": PPO2, IMPALA CNN, 64 envs
x 256 steps, entropy 0.01, easy mode, 200 training levels), whose ``eprewmean`` (mean return of the last 100 training
episodes) over the first 2.2M steps is committed as
``docs/results/fruitbot-full/train_procgen_ppo2_fruitbot_easy200_train.csv``. Ours: the per-seed curves of
``python -m benchmarks.learning fruitbot --budget full --tasks fruitbot_train_procgen`` (``train_return``, the same
statistic), one agent per variant (the CNN trunk's precision; PPO2's value loss; PPO2's value loss and initialization),
and the values of runs stopped before the end whose curves are not kept (``stopped_runs.csv``).

Both curves are interpolated linearly to the table's steps (ours is recorded every 33k steps, theirs every 16k).
Writes, next to the reference file: ``ppo_vs_train_procgen.csv`` (columns ``steps, ours_train_return, ours_seeds,
train_procgen_mean, train_procgen_min, train_procgen_max, precision``: the agent's variant, the trunk's precision
first), ``ppo_vs_train_procgen.md`` (the same with
earlier steps and whether ours is inside their range) and ``ppo_vs_train_procgen.png`` (both curves).

    python -m benchmarks.train_procgen_check             # finished runs only
    python -m benchmarks.train_procgen_check --partial   # runs still going too (their .partial.csv so far)
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.plotting import plt, steps_formatter  # (plotting selects the Agg backend)

BENCHMARKS_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCHMARKS_DIR.parent / "docs" / "results" / "fruitbot-full"
REFERENCE = "train_procgen_ppo2_fruitbot_easy200_train.csv"
TASK = "fruitbot_train_procgen"
CSV_STEPS = (250_000, 500_000, 1_000_000, 1_500_000, 2_000_000)
TABLE_STEPS = (100_000, 200_000, 250_000, 300_000, 400_000, 500_000, 750_000, *CSV_STEPS[2:])
STOPPED = "stopped_runs.csv"
VARIANT_COLORS = {"float32": "#1f77b4", "bfloat16": "#d62728", "float32-ppo2-value-loss": "#ff7f0e", "float32-ppo2": "#2ca02c"}


def reference_runs(results_dir: Path) -> pd.DataFrame:
    """The logged runs: index steps, one column per run."""
    return pd.read_csv(results_dir / REFERENCE, comment="#", index_col="steps")


def stopped_runs(results_dir: Path) -> pd.DataFrame:
    """
    Runs stopped before the end whose curves are not kept: their values at the table's steps (``steps``,
    ``variant``, ``ours_train_return``, ``ours_seeds``), from ``stopped_runs.csv`` (empty without one).
    """
    path = results_dir / STOPPED
    if not path.exists():
        return pd.DataFrame(columns=["steps", "variant", "ours_train_return", "ours_seeds"])
    return pd.read_csv(path, comment="#")


def our_runs(results_dir: Path, partial: bool) -> pd.DataFrame:
    """Our per-seed curves of the check (``agent``, ``seed``, ``timesteps``, ``train_return``, ``finished``)."""
    frames = []
    for path in sorted((results_dir / "per_seed").glob(f"{TASK}__*__seed*.csv")):
        finished = not path.name.endswith(".partial.csv")
        if not finished and not partial:
            continue
        if path.name.endswith(".partial.csv") and path.with_name(path.name.replace(".partial", "")).exists():
            continue
        agent, seed = path.name.split("__")[1], int(path.name.split("__seed")[1].split(".")[0])
        frame = pd.read_csv(path)
        frames.append(
            frame.assign(agent=agent, seed=seed, finished=finished)[["agent", "seed", "timesteps", "train_return", "finished"]]
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def at_steps(steps: np.ndarray, values: np.ndarray, targets: tuple[int, ...]) -> np.ndarray:
    """Linear interpolation at the targets; NaN where a curve does not reach them (or has no value yet)."""
    valid = ~np.isnan(values)
    steps, values, points = steps[valid], values[valid], np.asarray(targets, dtype=float)
    if len(steps) == 0:
        return np.full(len(points), np.nan)
    inside = (points >= steps.min()) & (points <= steps.max())
    return np.where(inside, np.interp(points, steps, values), np.nan)


def comparison_table(
    reference: pd.DataFrame, ours: pd.DataFrame, stopped: pd.DataFrame, targets: tuple[int, ...]
) -> pd.DataFrame:
    """
    One row per variant and step: our mean over seeds (from the curves, or from the stopped runs' values for the
    variants in ``stopped``), theirs (mean, min, max over the three runs).
    """
    theirs = np.stack(
        [at_steps(reference.index.to_numpy(float), reference[run].to_numpy(float), targets) for run in reference]
    )
    ours_at = {}  # variant -> (mean over seeds, number of seeds) per target
    for agent, group in ours.groupby("agent", sort=False):
        per_seed = np.stack(
            [
                at_steps(seed.timesteps.to_numpy(float), seed.train_return.to_numpy(float), targets)
                for _, seed in group.groupby("seed")
            ]
        )
        ours_at[agent.removeprefix("PPO+ent-")] = [
            (float(np.mean(values)) if len(values) else np.nan, len(values))
            for values in (column[~np.isnan(column)] for column in per_seed.T)
        ]
    for variant, group in stopped.groupby("variant", sort=False):
        points = group.set_index("steps")
        ours_at[variant] = [
            (float(points.ours_train_return[step]), int(points.ours_seeds[step])) if step in points.index else (np.nan, 0)
            for step in targets
        ]
    rows = [
        dict(
            steps=step,
            ours_train_return=mean,
            ours_seeds=seeds,
            train_procgen_mean=float(np.mean(theirs[:, index])),
            train_procgen_min=float(np.min(theirs[:, index])),
            train_procgen_max=float(np.max(theirs[:, index])),
            precision=variant,
        )
        for variant, values in ours_at.items()
        for index, (step, (mean, seeds)) in enumerate(zip(targets, values, strict=True))
    ]
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    lines = [
        "| steps | variant | ours (seeds) | train-procgen mean (min ... max) | ours inside their range? |",
        "|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        if row.ours_seeds == 0:
            continue
        inside = (
            "yes"
            if row.train_procgen_min <= row.ours_train_return <= row.train_procgen_max
            else ("below" if row.ours_train_return < row.train_procgen_min else "above")
        )
        lines.append(
            f"| {steps_formatter(row.steps, None)} | {row.precision} | {row.ours_train_return:.2f} ({row.ours_seeds}) | "
            f"{row.train_procgen_mean:.2f} ({row.train_procgen_min:.2f} ... {row.train_procgen_max:.2f}) | {inside} |"
        )
    return "\n".join(lines)


def plot(reference: pd.DataFrame, ours: pd.DataFrame, stopped: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(8.0, 4.2))
    steps = reference.index.to_numpy(float)
    ax.fill_between(steps, reference.min(axis=1), reference.max(axis=1), color="black", alpha=0.15, linewidth=0)
    ax.plot(steps, reference.mean(axis=1), color="black", linewidth=1.6, label="train-procgen PPO2, 3 runs (mean, min-max)")
    limit = steps.max()
    for agent, group in ours.groupby("agent", sort=False):
        precision = agent.removeprefix("PPO+ent-")
        for seed, run in group.groupby("seed"):
            state = "" if run.finished.all() else ", running"
            ax.plot(
                run.timesteps,
                run.train_return,
                color=VARIANT_COLORS.get(precision),
                linewidth=1.4,
                label=f"ours, {precision}, seed {seed}{state}",
            )
        limit = max(limit, float(group.timesteps.max()))
    for variant, group in stopped.groupby("variant", sort=False):
        ax.plot(
            group.steps,
            group.ours_train_return,
            color=VARIANT_COLORS.get(variant),
            linestyle=":",
            marker="o",
            markersize=3,
            label=f"ours, {variant}, {int(group.ours_seeds.max())} seed(s), stopped (values at the table's steps)",
        )
    ax.set_xlim(0, min(limit, 2.2e6))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(steps_formatter))
    ax.set_xlabel("environment steps")
    ax.set_ylabel("train reward (last 100 episodes)")
    ax.set_title("FruitBot easy, 200 levels, IMPALA CNN, 64 x 256, entropy 0.01", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.train_procgen_check",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--partial", action="store_true", help="include the runs still going (their curves so far)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="the fruitbot-full results directory")
    args = parser.parse_args(argv)
    reference, ours = reference_runs(args.results_dir), our_runs(args.results_dir, args.partial)
    if ours.empty:
        parser.error(f"no runs of {TASK} in {args.results_dir / 'per_seed'}" + ("" if args.partial else " (try --partial)"))
    stopped = stopped_runs(args.results_dir)  # only the variants whose curves are not here: a curve supersedes them
    stopped = stopped[~("PPO+ent-" + stopped.variant).isin(set(ours.agent))]
    table = comparison_table(reference, ours, stopped, CSV_STEPS)
    table.to_csv(args.results_dir / "ppo_vs_train_procgen.csv", index=False, float_format="%.4g")
    text = markdown(comparison_table(reference, ours, stopped, TABLE_STEPS))
    state = "" if ours.finished.all() else " (unfinished runs: their curves up to the steps shown)"
    command = "python -m benchmarks.train_procgen_check" + (" --partial" if args.partial else "")
    (args.results_dir / "ppo_vs_train_procgen.md").write_text(f"`{command}`{state}\n\n{text}\n")
    plot(reference, ours, stopped, args.results_dir / "ppo_vs_train_procgen.png")
    print(text)
    print(f"wrote {args.results_dir}/ppo_vs_train_procgen.{{csv,md,png}}")


if __name__ == "__main__":
    main()
