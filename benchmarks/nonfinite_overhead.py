"""
What the non-finite checks cost (``sb3_maxent/common/nonfinite.py``): each algorithm's update with the checks as
shipped against the same update with them replaced by no-ops, interleaved in one process on the same model and data
(median over repeats, process CPU time), and the operations the checks add timed by themselves on the model's own
tensors. The before/after figures of ``throughput.py --quick`` at two commits differ by more than the checks cost on a
shared machine; this isolates them.

Replaced by no-ops: MaxEntPPO's ``_check_update`` (two host reads of values SB3 computes anyway); DSPG's
loss/gradient checks and the snapshot that undoes a critic step; SoftQL's checks. Sizes: those of
``throughput.py --quick``.

    python -m benchmarks.nonfinite_overhead            # -> docs/results/nonfinite-overhead.md
    python -m benchmarks.nonfinite_overhead --repeats 30
"""

import argparse
import contextlib
import functools
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

warnings.filterwarnings("ignore", message=".*Gym has been unmaintained.*")

import numpy as np  # noqa: E402
import torch as th  # noqa: E402

from benchmarks.timing import interleaved, median, silent  # noqa: E402

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "results" / "nonfinite-overhead.md"


class _NoSnapshot:
    def __init__(self, *args: Any) -> None:
        pass

    def restore(self) -> None:
        pass


def _no_values(tensors: dict[str, th.Tensor]) -> dict[str, float]:
    return dict.fromkeys(tensors, 0.0)


@contextlib.contextmanager
def checks_off(algorithm: str) -> Iterator[None]:
    """The algorithm's non-finite checks replaced by no-ops."""
    from sb3_maxent import DSPG, MaxEntPPO
    from sb3_maxent.dspg import dspg
    from sb3_maxent.softql import softql

    patches = {
        "MaxEntPPO": [mock.patch.object(MaxEntPPO, "_check_update", lambda *args: None)],
        "DSPG": [
            mock.patch.object(dspg, "host_values", _no_values),
            mock.patch.object(dspg, "gradient_norm", lambda parameters: th.zeros(())),
            mock.patch.object(dspg, "UpdateSnapshot", _NoSnapshot),
            mock.patch.object(DSPG, "_check_update", lambda *args: None),
        ],
        "SoftQL": [
            mock.patch.object(softql, "check_finite", lambda *args: None),
            mock.patch.object(softql, "host_values", _no_values),
            mock.patch.object(softql, "gradient_norm", lambda parameters: th.zeros(())),
        ],
    }[algorithm]
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        yield


def cases() -> list[tuple[str, str, Callable[[], Any], Callable[[Any], None], int]]:
    """(name, algorithm, make the model with its data, one timed update, gradient steps per update)."""
    from sb3_maxent import DSPG, MaxEntPPO, SoftQL

    def maxent_ppo() -> Any:
        model = MaxEntPPO("MlpPolicy", "CartPole-v1", n_steps=2048, batch_size=64, n_epochs=10, seed=0, maxent_coef=0.01)
        model.learn(2048)  # one rollout in the buffer
        return silent(model)

    def off_policy(cls: type, env_id: str, **kwargs: Any) -> Callable[[], Any]:
        def make() -> Any:
            model = cls("MlpPolicy", env_id, learning_starts=1000, seed=0, **kwargs)
            model.learn(1200)
            return silent(model)

        return make

    steps = 20
    return [
        (
            "MaxEntPPO: CartPole-v1, MLP, 2048 steps, batch 64, 10 epochs",
            "MaxEntPPO",
            maxent_ppo,
            lambda model: model.train(),
            320,
        ),
        (
            "DSPG: Hopper-v5, 2x512, batch 100, M = 64",
            "DSPG",
            off_policy(DSPG, "Hopper-v5", gradient_steps=1),
            lambda model: model.train(gradient_steps=steps, batch_size=100),
            steps,
        ),
        (
            "SoftQL: Hopper-v5, 2x128, batch 128, 16 + 16 particles",
            "SoftQL",
            off_policy(SoftQL, "Hopper-v5", policy_kwargs=dict(net_arch=[128, 128]), ent_coef=0.1),
            lambda model: model.train(gradient_steps=steps, batch_size=128),
            steps,
        ),
        (
            "SoftQL: CartPole-v1, 2x64, batch 128 (discrete)",
            "SoftQL",
            off_policy(SoftQL, "CartPole-v1", policy_kwargs=dict(net_arch=[64, 64]), ent_coef=0.1),
            lambda model: model.train(gradient_steps=5 * steps, batch_size=128),
            5 * steps,
        ),
    ]


def check_operations(algorithm: str, model: Any) -> Callable[[], None]:
    """The operations the checks add to one gradient step, on the model's own tensors (for a direct timing)."""
    from sb3_maxent.common.nonfinite import gradient_norm, host_values

    scalar = th.tensor(1.0)
    if algorithm == "MaxEntPPO":
        parameters = list(model.policy.parameters())
        grad_norm = th.nn.utils.clip_grad_norm_(parameters, float("inf"))  # (SB3 computes the norm anyway)

        def operations() -> None:
            model._check_update(dict(loss=1.0, policy=1.0, value=1.0, entropy=1.0), grad_norm)

        return operations
    if algorithm == "DSPG":
        critic = list(model.critic.parameters())
        snapshot = model._critic_snapshot

        def operations() -> None:
            model._check_update(host_values({"critic loss": scalar, "critic gradient": gradient_norm(critic)}))
            snapshot.capture()
            model._check_update(host_values({"actor loss": scalar, "actor gradient norm": scalar, "ent_coef loss": scalar}))

        return operations
    networks = [list(model.q_net.parameters())] + ([list(model.sampler.parameters())] if model.sampler is not None else [])

    def operations() -> None:
        values = {"loss": scalar} | {f"gradient {i}": gradient_norm(params) for i, params in enumerate(networks)}
        host_values(values | ({"sampler loss": scalar} if len(networks) > 1 else {}))

    return operations


def measure(repeats: int) -> list[dict[str, Any]]:
    rows = []
    for name, algorithm, make, update, steps in cases():
        model = make()

        def without_checks(model: Any = model, update: Callable[[Any], None] = update, algorithm: str = algorithm) -> None:
            with checks_off(algorithm):
                update(model)

        samples = interleaved({True: functools.partial(update, model), False: without_checks}, repeats)
        on, off = (median(cpu / steps for _, cpu in samples[checks]) for checks in (True, False))
        operations, n_calls = check_operations(algorithm, model), 2000
        start = time.process_time()
        for _ in range(n_calls):
            operations()
        direct = (time.process_time() - start) / n_calls
        row = dict(case=name, ms_with=1e3 * on, ms_without=1e3 * off, overhead=on / off - 1, ms_checks=1e3 * direct)
        row["share"] = direct / off
        rows.append(row)
        print(
            f"{name}: {1e3 * on:.3f} ms with the checks, {1e3 * off:.3f} without ({100 * (on / off - 1):+.1f}%); "
            f"the checks' operations alone {1e3 * direct:.4f} ms ({100 * row['share']:.2f}% of the step)",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20, help="interleaved pairs of timed updates per case")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    th.set_num_threads(1)
    np.random.seed(0)
    rows = measure(args.repeats)
    lines = [
        f"`python -m benchmarks.nonfinite_overhead --repeats {args.repeats}`: torch {th.__version__}, 1 thread, CPU time per "
        "gradient step (median of interleaved repeats), with the non-finite checks and with them replaced by no-ops.",
        "",
        "`difference`: the two interleaved medians (the machine's noise included); `checks alone`: the added "
        "operations timed by themselves on the model's tensors, as a share of the step without them (the stable figure).",
        "",
        "| update | ms with the checks | ms without | difference | ms of the checks alone | share of the step |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['case']} | {r['ms_with']:.3f} | {r['ms_without']:.3f} | {100 * r['overhead']:+.1f}% | {r['ms_checks']:.4f} "
        f"| {100 * r['share']:.2f}% |"
        for r in rows
    ]
    args.output.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    sys.exit(main())
