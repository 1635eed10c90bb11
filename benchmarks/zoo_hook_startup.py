"""
Start-up cost of the RL Zoo ``.pth`` hook (``sb3_maxent_zoo_hook.pth``) for programs that do not use RL Zoo, and the
cost of the registration for programs that do.

Each measurement runs fresh interpreters alternately with the hook on and off (``SB3_MAXENT_NO_ZOO_HOOK=1``), so that
the load of a shared machine affects both alike, and reports medians and their ratio:

- ``python -c pass``: what every Python program of the environment pays;
- ``python -X importtime -c pass``: the import time of ``_sb3_maxent_zoo_hook`` itself (the only module the hook
  imports), as Python measures it;
- ``python -c "import rl_zoo3"``: what a zoo user pays for the registration (importing sb3-maxent).

Usage::

    python -m benchmarks.zoo_hook_startup [--runs 40] [--zoo-runs 5]
    # a regular install in another environment, e.g. a fresh venv with only the wheel installed:
    python -m venv --without-pip /tmp/venv && pip --python /tmp/venv/bin/python install --no-deps sb3_maxent-*.whl
    python -m benchmarks.zoo_hook_startup --python /tmp/venv/bin/python --zoo-runs 0

Byte-code caching matters: with ``PYTHONDONTWRITEBYTECODE=1`` an editable install recompiles the hook module at every
start (about 1 ms more); pip byte-compiles it in regular installs.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

OFF = {"SB3_MAXENT_NO_ZOO_HOOK": "1"}


PYTHON = [sys.executable]  # the interpreter under test


def _time(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([*PYTHON, "-c", code], env={**os.environ, **env}, check=True, capture_output=True)
    return time.perf_counter() - start


def paired_medians(code: str, runs: int) -> tuple[float, float]:
    """Median wall time of ``python -c code`` with the hook on and off, run alternately."""
    on, off = [], []
    for _ in range(runs):
        on.append(_time(code, {}))
        off.append(_time(code, OFF))
    return statistics.median(on), statistics.median(off)


def hook_import_microseconds(runs: int) -> float:
    """Median ``-X importtime`` cumulative time of ``_sb3_maxent_zoo_hook`` (microseconds)."""
    times = []
    for _ in range(runs):
        stderr = subprocess.run([*PYTHON, "-X", "importtime", "-c", "pass"], check=True, capture_output=True, text=True).stderr
        match = re.search(r"import time:\s+\d+ \|\s+(\d+) \|\s+_sb3_maxent_zoo_hook$", stderr, re.MULTILINE)
        if match is None:
            raise RuntimeError("_sb3_maxent_zoo_hook is not imported at start-up: is the package installed?")
        times.append(int(match.group(1)))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40, help="interpreters per setting for `python -c pass`")
    parser.add_argument("--zoo-runs", type=int, default=5, help="interpreters per setting for `import rl_zoo3`")
    parser.add_argument("--python", default=sys.executable, help="the interpreter of the environment to measure")
    args = parser.parse_args()
    PYTHON[:] = [args.python]

    import_time = hook_import_microseconds(args.runs)
    print(f"_sb3_maxent_zoo_hook import time (-X importtime, median of {args.runs}): {import_time:.0f} us")
    on, off = paired_medians("pass", args.runs)
    print(f"python -c pass: hook on {on * 1e3:.1f} ms, off {off * 1e3:.1f} ms, ratio {on / off:.3f} (median of {args.runs})")
    if args.zoo_runs > 0:
        on, off = paired_medians("import rl_zoo3", args.zoo_runs)
        print(
            f"python -c 'import rl_zoo3': hook on {on:.2f} s (registers sb3-maxent), off {off:.2f} s, "
            f"ratio {on / off:.3f} (median of {args.zoo_runs})"
        )


if __name__ == "__main__":
    main()
