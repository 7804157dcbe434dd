"""Print the stage timings of the default run, with the sizing LP's build/solve split per site.

    python benchmarks/stage_timings.py [--repeat N]

Times are wall-clock on this machine; read them as shares of one run (sizing dominates),
not as absolute numbers to compare across machines.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from pvcluster.pipeline import run
from pvcluster.scenario import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    for i in range(args.repeat):
        t0 = time.perf_counter()
        scenario = load_scenario()
        load_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            result = run(scenario, Path(tmp) / "yeongwol")
            manifest = json.loads((result.out_dir / "manifest.json").read_text())
        total = time.perf_counter() - t0
        print(f"run {i + 1}: default scenario, total {total:.2f} s")
        print(f"  {'stage':<26}{'seconds':>9}{'share':>8}")
        for name, seconds in {"scenario": load_s, **result.timings_s}.items():
            print(f"  {name:<26}{seconds:>9.3f}{seconds / total:>8.1%}")
        for site, t in manifest["solver_times_s"].items():
            print(f"  sizing {site:<19}build {t['build_s']:.3f} s, transfer + HiGHS {t['solve_s']:.3f} s")


if __name__ == "__main__":
    main()
