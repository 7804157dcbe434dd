"""Scaling (issue 17, items 3 and 4): costs that grow linearly with roofs, households and villages.

    python benchmarks/scaling.py [--part fleet|households|failfast|villages|all]
                                 [--roofs 10000] [--villages 1,10,100] [--periods typical_days,full]

(fleet)      A fleet of ``--roofs`` generated roofs on the default weather and its 30-year ensemble:
             one year of every roof, against the ensemble's P-values computed on the roofs'
             orientation classes (generation.orientation_classes; target: at most 2x one year), and
             against the ensemble run roof by roof (timed on 3 years, scaled to 30), with the largest
             difference of the two in any village's energy of those years.
(households) ``pvcluster run`` of the default scenario against the same with a 10,000-household
             village (Nam-myeon, roofs generated, 10 kW contracts, a 20 MW grid limit), each in its
             own process, whole chain with the report (target: at most 3x).
(failfast)   The same village behind a 1 MW grid limit: ``pvcluster run`` must fail with exit 3 and a
             message naming the limit, in under 10 s.
(villages)   1, 10 and 100 villages (benchmarks/sizing_speed.py's test villages; county and industrial
             complex not sized) through the chain in memory (pipeline.compute, no sensitivity), on
             typical days and on the full year, each in its own process: wall time, time per village
             and peak memory (the process, and its largest sizing worker).

Times are wall-clock on this machine; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BIG = ["--set", "villages.0.households=10000", "--set", 'villages.0.buildings_file=""',
       "--set", "villages.0.household_contract_kw=10"]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} (1 / 5 min, {os.cpu_count()} cores)"


def part_fleet(n_roofs: int) -> None:
    from dataclasses import replace

    from pvcluster.generation import _fleet, _fleet_ensemble_mwh, orientation_classes, rooftop_system
    from pvcluster.generation.inventory import generate_inventory
    from pvcluster.pvmodules import cec_module, module_kwp_per_m2
    from pvcluster.scenario import load_scenario
    from pvcluster.weather import build_weather

    scenario = load_scenario()
    weather = build_weather(scenario)
    villages = ["a", "b"]
    roofs = __import__("pandas").concat(
        [generate_inventory(v, {"house": n_roofs // 2 - 20, "public": 10, "commercial": 10}, scenario.facts.rooftops,
                            seed=1) for v in villages], ignore_index=True)
    roofs["capacity_kwp"] = roofs["usable_area_m2"] * module_kwp_per_m2(cec_module(scenario.rooftops.module))
    system = rooftop_system(scenario)
    years = len(weather.ensemble)
    print(f"\n(fleet) {len(roofs):,} roofs, {len(orientation_classes(roofs)[1])} orientation classes, "
          f"{years}-year ensemble; {load()}")
    t0 = time.perf_counter()
    roofs["annual_kwh"] = _fleet(weather, roofs, system, villages).annual_kwh
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    classes = _fleet_ensemble_mwh(weather, roofs, system, villages)
    ens = time.perf_counter() - t0
    sample = replace(weather, ensemble=weather.ensemble[:3])
    t0 = time.perf_counter()
    exact = np.array([[g[i * 3:(i + 1) * 3].sum() / 1000.0 for i in range(len(villages))]
                      for g in (_fleet(y, roofs, system, villages).group_ac_kw.sum(axis=1) for y in sample.ensemble)])
    per_year = (time.perf_counter() - t0) / 3
    diff = float(np.max(np.abs(classes[:3] - exact) / exact))
    print(f"  one year, every roof:              {one:7.2f} s")
    print(f"  ensemble on orientation classes:   {ens:7.2f} s = {ens / one:.2f} x one year (target <= 2)")
    print(f"  ensemble roof by roof (3 of {years} years timed, scaled): {per_year * years:7.1f} s = "
          f"{per_year * years / one:.1f} x one year")
    print(f"  largest relative difference, classes vs roof by roof, a village's energy in a year: {diff:.1e}")


def _run(args: list[str], tmp: Path, name: str) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "pvcluster", "run", "--out", str(tmp / name), "-q", *args],
                       capture_output=True, text=True)
    return time.perf_counter() - t0, p.returncode, (p.stderr or p.stdout).strip()


def part_households(tmp: Path) -> None:
    print(f"\n(households) pvcluster run, default scenario vs a 10,000-household village; {load()}")
    base, code0, _ = _run([], tmp, "default")
    big, code1, msg = _run([*BIG, "--set", "villages.0.grid_import_limit_kw=20000"], tmp, "big")
    print(f"  default (50 households in Nam-myeon): {base:6.1f} s (exit {code0})")
    print(f"  10,000 households in Nam-myeon:      {big:6.1f} s (exit {code1}) = {big / base:.2f} x (target <= 3)")
    if code1:
        print("  " + msg[:300])


def part_failfast(tmp: Path) -> None:
    print(f"\n(failfast) the 10,000-household village behind a 1 MW grid limit; {load()}")
    wall, code, msg = _run([*BIG, "--set", "villages.0.grid_import_limit_kw=1000"], tmp, "fail")
    print(f"  pvcluster run exits {code} after {wall:.1f} s (target: exit 2 or 3 in under 10 s)")
    print("  " + msg[:400])


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {here!r})
from pathlib import Path
from sizing_speed import test_cluster_toml
from pvcluster.pipeline import compute
from pvcluster.scenario import load_scenario
path = Path({tmp!r}) / "villages_{n}.toml"
path.write_text(test_cluster_toml({n}), encoding="utf-8")
first = "v" + "1".rjust(2 if {n} < 100 else 3, "0")  # the fund holds the first village's PV
scenario = load_scenario(path, ["county.size=false", "industrial_complex.size=false",
                                'sizing.periods="{periods}"', f'fund.projects=["{{first}}_pv"]'])
t0 = time.perf_counter()
r = compute(scenario, sensitivity=False)
wall = time.perf_counter() - t0
print(json.dumps({{"wall_s": wall, "timings_s": r.timings_s, "objective_krw": r.sizing.objective_krw,
                  "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
"""


def part_villages(counts: list[int], periods: list[str], tmp: Path) -> None:
    print(f"\n(villages) the chain in memory (no sensitivity, no report) against the number of villages; {load()}")
    print(f"  {'periods':<13}{'villages':>9}{'wall s':>9}{'s/village':>10}{'sizing s':>10}{'gen s':>7}"
          f"{'peak MB':>9}{'worker MB':>10}")
    for per in periods:
        for n in counts:
            code = CHILD.format(here=str(HERE), tmp=str(tmp), n=n, periods=per)
            p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            if p.returncode:
                print(f"  {per:<13}{n:>9}  failed: {p.stderr.strip()[-300:]}")
                continue
            r = json.loads(p.stdout.strip().splitlines()[-1])
            t = r["timings_s"]
            print(f"  {per:<13}{n:>9}{r['wall_s']:>9.1f}{r['wall_s'] / n:>10.2f}{t['sizing']:>10.1f}"
                  f"{t['generation']:>7.1f}{r['self_mb']:>9.0f}{r['worker_mb']:>10.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("fleet", "households", "failfast", "villages", "all"), default="all")
    parser.add_argument("--roofs", type=int, default=10000)
    parser.add_argument("--villages", default="1,10,100")
    parser.add_argument("--periods", default="typical_days,full")
    args = parser.parse_args()
    print(__doc__.split("\n\n")[0])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.part in ("fleet", "all"):
            part_fleet(args.roofs)
        if args.part in ("failfast", "all"):
            part_failfast(tmp)
        if args.part in ("households", "all"):
            part_households(tmp)
        if args.part in ("villages", "all"):
            part_villages([int(x) for x in args.villages.split(",")], args.periods.split(","), tmp)


if __name__ == "__main__":
    main()
