"""
Tables and figures of ``benchmarks/learning.py``: learning curves over seeds (mean and a band), per-seed mode
shares of the multi-modal tasks, and the summary tables (CSV and Markdown).
"""

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

# Two-sided 95% Student t quantiles by degrees of freedom (no SciPy needed)
T_95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}

AGENT_COLORS = {
    "PPO": "#7f7f7f",
    "PPO+ent": "#17becf",
    "MaxEntPPO": "#d62728",
    "MaxEntPPO+ent": "#9467bd",
    "MaxEntPPO-soft": "#ff7f0e",
    "MaxEntPPO-beta0.03": "#e377c2",
    "DQN": "#8c564b",
    "SAC": "#2ca02c",
    "DSPG": "#d62728",
    "SoftQL": "#1f77b4",
    "exact max-ent": "#000000",
}
AGENT_LABELS = {
    "PPO": "PPO (no entropy)",
    "PPO+ent": "PPO + entropy reg.",
    "MaxEntPPO": "MaxEntPPO (one_step)",
    "MaxEntPPO+ent": "MaxEntPPO + entropy reg.",
    "MaxEntPPO-soft": "MaxEntPPO (soft_returns)",
}


def agent_label(comparison: Any, agent: str) -> str:
    """The legend label of an agent: its own label in the comparison, else the common one."""
    own = getattr(comparison.agents.get(agent), "label", "")
    return own or AGENT_LABELS.get(agent, agent)


def steps_formatter(value: float, _: Any) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:g}M"
    if abs(value) >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


def band_width(values: np.ndarray, band: str) -> float:
    """Half-width of the band: the standard deviation over seeds, or the 95% confidence half-interval of the mean."""
    values = values[~np.isnan(values)]
    if len(values) < 2:
        return 0.0
    std = float(np.std(values, ddof=1))
    if band == "std":
        return std
    return T_95.get(len(values) - 1, 1.96) * std / math.sqrt(len(values))


def seed_std(values: np.ndarray) -> float:
    """Standard deviation over seeds (``ddof=1``, NaNs left out), 0 for a single seed."""
    return float(np.nanstd(values, ddof=1)) if len(values) > 1 else 0.0


def load_runs(out_dir: Path) -> pd.DataFrame:
    """All finished per-seed learning curves of a suite directory."""
    paths = sorted(
        path
        for path in (out_dir / "per_seed").glob("*__seed*.csv")
        if not path.name.endswith((".partial.csv", ".actions.csv"))
    )
    if not paths:
        return pd.DataFrame()
    return pd.concat([pd.read_csv(path) for path in paths], ignore_index=True)


def aggregate(frame: pd.DataFrame, metric: str, band: str) -> pd.DataFrame:
    """Mean, band and number of seeds of ``metric`` per agent and evaluation step."""
    rows = []
    for (agent, timesteps), group in frame.groupby(["agent", "timesteps"], sort=True):
        values = group[metric].to_numpy(dtype=float)
        rows.append(
            dict(
                agent=agent,
                timesteps=timesteps,
                mean=np.nanmean(values) if np.any(~np.isnan(values)) else np.nan,
                band=band_width(values, band),
                n_seeds=int(np.sum(~np.isnan(values))),
            )
        )
    return pd.DataFrame(rows)


def plot_curves(frame: pd.DataFrame, comparison: Any, metric: str, label: str, band: str, path: Path) -> None:
    """One figure: the metric over environment steps, mean over seeds with a band, one line per agent."""
    stats = aggregate(frame, metric, band)
    fig, ax = plt.subplots(figsize=(8.0, 4.2))
    n_seeds = []
    for agent in comparison.agents:
        agent_stats = stats[stats.agent == agent]
        if agent_stats.empty or agent_stats["mean"].isna().all():
            continue
        color = AGENT_COLORS.get(agent)
        x, mean, width = agent_stats.timesteps, agent_stats["mean"], agent_stats["band"]
        ax.plot(x, mean, color=color, label=agent_label(comparison, agent), linewidth=1.8)
        low, high = comparison.limits.get(metric, (-np.inf, np.inf))
        ax.fill_between(
            x, np.clip(mean - width, low, high), np.clip(mean + width, low, high), color=color, alpha=0.18, linewidth=0
        )
        n_seeds.append(int(agent_stats.n_seeds.max()))
    if metric in comparison.reference:
        reference_value, reference_label = comparison.reference[metric]
        ax.axhline(reference_value, color="black", linestyle="--", linewidth=1, label=reference_label)
    ax.xaxis.set_major_formatter(FuncFormatter(steps_formatter))
    ax.set_xlabel("environment steps")
    ax.set_ylabel(label)
    seeds = (
        f"{min(n_seeds)}" if n_seeds and min(n_seeds) == max(n_seeds) else f"{min(n_seeds)}-{max(n_seeds)}" if n_seeds else "0"
    )
    band_name = "± std" if band == "std" else "95% CI"
    over = f"mean {band_name} over {seeds} seeds" if seeds != "1" else "one seed"
    ax.set_title(f"{comparison.env_id} ({comparison.task}): {over}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def mode_share_column(frame: pd.DataFrame, task: str) -> pd.Series:
    """Share of the first mode among the mode-using samples (bandit: goal (0.5, 0.5); maze: upper passage)."""
    if task == "bandit":
        used = frame.mode_1_share + frame.mode_2_share
        return (frame.mode_1_share / used).where(used > 0)
    return frame.upper_share


def plot_final_modes(frame: pd.DataFrame, comparison: Any, path: Path) -> None:
    """Per-seed share of the first mode at the end of training: 0 or 1 = one mode only, 0.5 = both equally."""
    final = frame[frame.timesteps == frame.timesteps.max()].copy()
    final["first_mode"] = mode_share_column(final, comparison.task)
    agents = [agent for agent in comparison.agents if agent in set(final.agent)]
    fig, ax = plt.subplots(figsize=(8.0, 3.8))
    rng = np.random.default_rng(0)
    for i, agent in enumerate(agents):
        values = final[final.agent == agent].first_mode.to_numpy(dtype=float)
        jitter = rng.uniform(-0.12, 0.12, size=len(values))
        ax.scatter(np.full(len(values), i) + jitter, values, color=AGENT_COLORS.get(agent), s=36, zorder=3)
    ax.axhline(0.5, color="black", linestyle="--", linewidth=1, label="exact max-ent optimum (0.5)")
    ax.set_xticks(
        range(len(agents)), [agent_label(comparison, agent) for agent in agents], rotation=20, ha="right", fontsize=8
    )
    mode = "goal (0.5, 0.5)" if comparison.task == "bandit" else "upper passage"
    ax.set_ylabel(f"share of {mode}")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"{comparison.env_id}: one dot per seed, after {int(frame.timesteps.max()):,} steps", fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_bandit_actions(out_dir: Path, comparison: Any, path: Path) -> bool:
    """Final actions of seed 0 of each agent beside samples of the exact max-ent optimum."""
    from benchmarks import learning_envs

    panels = []
    for agent in comparison.agents:
        actions_path = out_dir / "per_seed" / f"{comparison.task}__{agent}__seed0.actions.csv"
        if actions_path.exists():
            panels.append((agent, pd.read_csv(actions_path).to_numpy()))
    if not panels:
        return False
    ent_coef = comparison.agents[panels[0][0]].kwargs["ent_coef"]
    panels.append((f"exact max-ent (alpha {ent_coef})", learning_envs.bandit_optimum_samples(ent_coef, 500)))
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 3.2), sharex=True, sharey=True)
    for ax, (name, actions) in zip(np.atleast_1d(axes), panels, strict=True):
        ax.scatter(actions[:, 0], actions[:, 1], s=4, alpha=0.4, color=AGENT_COLORS.get(name, "black"))
        ax.scatter(*learning_envs.BANDIT_GOALS.T, marker="x", color="black", s=40)
        ax.set_title(name, fontsize=9)
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_aspect("equal")
        ax.set_xlabel("action a1")
    np.atleast_1d(axes)[0].set_ylabel("action a2")
    fig.suptitle("Two-goal bandit: 500 actions of the final stochastic policy (seed 0); x = goals", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def summarize(frame: pd.DataFrame, comparison: Any) -> pd.DataFrame:
    """
    Per agent: final value of each metric (mean and std over seeds) and, for returns, the best mean over evaluations
    and the mean over the evaluations of the last quarter of the budget (less noisy than one evaluation: the FruitBot
    tuning ranks by it).
    """
    rows = []
    for agent in comparison.agents:
        runs = frame[frame.agent == agent]
        if runs.empty:
            continue
        final = runs[runs.timesteps == runs.timesteps.max()]
        row: dict[str, Any] = {
            "task": comparison.task,
            "env_id": comparison.env_id,
            "agent": agent,
            "seeds": int(final.seed.nunique()),
            "steps": int(runs.timesteps.max()),
            "train_minutes": round(float(final.train_seconds.mean()) / 60, 1),
        }
        if "peak_rss_mb" in runs and runs.peak_rss_mb.notna().any():
            row["peak_rss_mb"] = float(runs.peak_rss_mb.max())  # the largest run's
        for metric in comparison.metrics:
            values = final[metric].to_numpy(dtype=float)
            row[f"{metric}_final_mean"] = float(np.nanmean(values))
            row[f"{metric}_final_std"] = seed_std(values)
            if "return" in metric:
                row[f"{metric}_best_mean"] = float(runs.groupby("timesteps")[metric].mean().max())
                last_quarter = runs[runs.timesteps >= 0.75 * runs.timesteps.max()]
                row[f"{metric}_last_quarter_mean"] = float(last_quarter[metric].mean())
        if comparison.task in ("bandit", "maze"):
            shares = mode_share_column(final, comparison.task).to_numpy(dtype=float)
            row["first_mode_share_per_seed"] = " ".join(f"{share:.2f}" for share in shares)
        rows.append(row)
    return pd.DataFrame(rows)


def markdown_table(summary: pd.DataFrame, comparison: Any) -> str:
    header = ["agent", "seeds", "steps", "train min/run"]
    with_memory = "peak_rss_mb" in summary and summary.peak_rss_mb.notna().any()
    if with_memory:
        header.append("peak memory (MB)")
    for metric in comparison.metrics:
        header.append(f"{metric} (final)")
        if "return" in metric:
            header += [f"{metric} (best mean)", f"{metric} (mean, last quarter)"]
    if "first_mode_share_per_seed" in summary:
        header.append("first-mode share per seed")
    lines = [
        f"**{comparison.env_id}** ({comparison.task}): {comparison.description}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for _, row in summary.iterrows():
        cells = [agent_label(comparison, row.agent), str(row.seeds), f"{row.steps:,}", f"{row.train_minutes:g}"]
        if with_memory:
            cells.append(f"{row.peak_rss_mb:.0f}" if np.isfinite(row.peak_rss_mb) else "")
        for metric in comparison.metrics:
            digits = 2 if abs(row[f"{metric}_final_mean"]) < 10 else 1
            cells.append(f"{row[f'{metric}_final_mean']:.{digits}f} ± {row[f'{metric}_final_std']:.{digits}f}")
            if "return" in metric:
                cells += [f"{row[f'{metric}_best_mean']:.{digits}f}", f"{row[f'{metric}_last_quarter_mean']:.{digits}f}"]
        if "first_mode_share_per_seed" in summary:
            cells.append(row.first_mode_share_per_seed)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def steps_table(runs: pd.DataFrame, comparison: Any) -> str:
    """The metrics (mean ± std over seeds) at the comparison's ``table_steps``, one row per agent and step."""
    metrics = [metric for metric in comparison.metrics if metric in runs]
    lines = [
        f"{comparison.task}: at {', '.join(f'{steps:,}' for steps in comparison.table_steps)} steps (mean ± std over seeds)",
        "",
        "| agent | steps | seeds | " + " | ".join(metrics) + " |",
        "|" + "---|" * (3 + len(metrics)),
    ]
    for agent in comparison.agents:
        for steps in comparison.table_steps:
            at = runs[(runs.agent == agent) & (runs.timesteps == steps)]
            if at.empty:
                continue
            cells = [agent_label(comparison, agent), f"{steps:,}", str(at.seed.nunique())]
            for metric in metrics:
                values = at[metric].to_numpy(dtype=float)
                cells.append(f"{np.nanmean(values):.2f} ± {seed_std(values):.2f}")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def thresholds_table(runs: pd.DataFrame, comparison: Any) -> str:
    """Steps to the first evaluation at or above each threshold: mean over the seeds that reach it, and how many do."""
    columns = [(metric, value) for metric, values in comparison.thresholds.items() if metric in runs for value in values]
    lines = [
        f"{comparison.task}: steps to the first evaluation at or above each value (mean over the seeds that reach it; "
        "seeds that reach it / seeds)",
        "",
        "| agent | " + " | ".join(f"{metric} ≥ {value:g}" for metric, value in columns) + " |",
        "|" + "---|" * (1 + len(columns)),
    ]
    for agent in comparison.agents:
        agent_runs = runs[runs.agent == agent]
        if agent_runs.empty:
            continue
        cells = [agent_label(comparison, agent)]
        for metric, value in columns:
            reached = [seed_runs.timesteps[seed_runs[metric] >= value].min() for _, seed_runs in agent_runs.groupby("seed")]
            steps = [int(first) for first in reached if pd.notna(first)]
            mean = f"{np.mean(steps) / 1000:.0f}k " if steps else "not reached "
            cells.append(f"{mean}({len(steps)}/{len(reached)})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def stability_table(runs: pd.DataFrame, comparison: Any) -> str:
    """
    How steady each seed's curve is (a claim of the DSPG paper: "more stable" than SAC), per metric of
    ``comparison.stability``, mean ± std over seeds of: the largest drop, from the best evaluation so far to a later
    one, over the whole run; the mean absolute change between consecutive evaluations in the second half of the run.
    """
    metrics = [metric for metric in comparison.stability if metric in runs]
    header = [f"{metric}: {what}" for metric in metrics for what in ("largest drop", "mean change, 2nd half")]
    lines = [
        f"{comparison.task}: stability of each seed's curve (mean ± std over seeds; largest drop: best evaluation so far "
        "minus a later one; mean change: mean |difference| between consecutive evaluations in the second half)",
        "",
        "| agent | seeds | " + " | ".join(header) + " |",
        "|" + "---|" * (2 + len(header)),
    ]

    def mean_std(values: list[float]) -> str:
        return f"{np.mean(values):.0f} ± {seed_std(np.asarray(values)):.0f}"

    for agent in comparison.agents:
        agent_runs = runs[runs.agent == agent]
        if agent_runs.empty:
            continue
        cells = [agent_label(comparison, agent), str(agent_runs.seed.nunique())]
        for metric in metrics:
            drops, changes = [], []
            for _, seed_runs in agent_runs.groupby("seed"):
                curve = seed_runs.sort_values("timesteps")
                values = curve[metric].to_numpy(dtype=float)
                drops.append(float(np.max(np.maximum.accumulate(values) - values)))
                second_half = values[curve.timesteps.to_numpy() >= 0.5 * curve.timesteps.max()]
                changes.append(float(np.mean(np.abs(np.diff(second_half)))) if len(second_half) > 1 else 0.0)
            cells += [mean_std(drops), mean_std(changes)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_suite_outputs(out_dir: Path, comparisons: list[Any], band: str = "std") -> list[Path]:
    """curves.csv, summary.csv, summary.md and the figures of every comparison that has finished runs."""
    frame = load_runs(out_dir)
    if frame.empty:
        return []
    written = []
    frame.to_csv(out_dir / "curves.csv", index=False)
    written.append(out_dir / "curves.csv")
    summaries, tables = [], []
    for comparison in comparisons:
        runs = frame[frame.task == comparison.task]
        if runs.empty:
            continue
        for metric, label in comparison.metrics.items():
            if metric in runs and runs[metric].notna().any():
                path = out_dir / f"{comparison.task}_{metric}.png"
                plot_curves(runs, comparison, metric, label, band, path)
                written.append(path)
        if comparison.task in ("bandit", "maze"):
            path = out_dir / f"{comparison.task}_final_modes.png"
            plot_final_modes(runs, comparison, path)
            written.append(path)
        if comparison.task == "bandit" and plot_bandit_actions(out_dir, comparison, out_dir / "bandit_actions.png"):
            written.append(out_dir / "bandit_actions.png")
        summary = summarize(runs, comparison)
        summaries.append(summary)
        tables.append(markdown_table(summary, comparison))
        if getattr(comparison, "table_steps", ()):
            tables.append(steps_table(runs, comparison))
        if getattr(comparison, "thresholds", {}):
            tables.append(thresholds_table(runs, comparison))
        if getattr(comparison, "stability", ()):
            tables.append(stability_table(runs, comparison))
    pd.concat(summaries, ignore_index=True).to_csv(out_dir / "summary.csv", index=False)
    (out_dir / "summary.md").write_text("\n\n".join(tables) + "\n")
    written += [out_dir / "summary.csv", out_dir / "summary.md"]
    return written
