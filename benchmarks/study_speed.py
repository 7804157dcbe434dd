"""Speed of studies (issue 16, item 3): a study's cases against the same number of separate runs.

    python benchmarks/study_speed.py [--cases 1000] [--separate 2] [--grid 50] [--workers 2] [--part a|b|c|all]

(a) ``--cases`` fixed-design Monte Carlo cases on the default scenario (models/yeongwol.toml, full
    year, its 30-year weather ensemble): prices, capex and the exchange rate sampled, the sizing of
    the base case kept (finance only per case). Against ``pvcluster.run(overrides=...)`` for one case
    at a time (each a whole chain), timed ``--separate`` times and scaled to the same number of cases:

        speed-up = (mean separate run x cases) / study wall time            (target >= 100x)

    The study's wall time includes its base case (one full run) and starting its Dask LocalCluster.

(b) a ``--grid``-case sizing grid on typical days (design "resize": every case sized again): its
    time per case against one whole run of the same scenario on typical days. Then the same grid in
    this process three ways, to show what reusing built site models saves (sizing.ModelCache): every
    model built anew, built models reused with HiGHS started from scratch (the default; the same
    answers), and reused with warm-started HiGHS (``warm_start = true``).

(c) finance-only cases priced side by side: 200 typical-day cases (SMP and utility capex varied,
    outputs every project's NPV, IRR, equity IRR and minimum DSCR and the portfolio NPV) in one
    process, each alone (``evaluate_case``) against in batches of 20 and 50 (``evaluate_batch``:
    their finance stages in lockstep, each step's projects computed as arrays). Best of 3.

Times are wall-clock on this machine; the load average is printed (other processes slow everything).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import textwrap
import time
from pathlib import Path

MC = '''
method = "monte_carlo"
samples = {cases}
seed = 1
outputs = ["finance.*.npv_krw", "finance.*.equity_irr_fraction", "finance.*.min_dscr", "finance.portfolio.total_npv_krw"]
[[parameters]]
key = "overrides.market.smp_krw_per_kwh"
distribution = "triangular"
low = 85.0
mode = 117.26
high = 160.0
[[parameters]]
key = "overrides.market.rec_price_krw_per_rec"
distribution = "triangular"
low = 45000.0
mode = 72000.0
high = 90000.0
[[parameters]]
key = "overrides.costs.building_pv_capex_krw_per_kwp"
distribution = "normal"
mean = 1670000.0
sd = 150000.0
[[parameters]]
key = "overrides.polysilicon.price_mid_usd_per_kg"
distribution = "lognormal"
mean = 18.0
sd = 5.0
[[parameters]]
key = "overrides.polysilicon.krw_per_usd"
distribution = "uniform"
low = 1250.0
high = 1550.0
'''

GRID = '''
method = "grid"
outputs = ["finance.*.npv_krw", "finance.portfolio.total_npv_krw", "sizing.sites.*.pv_new_capacity_kwp"]
[overrides]
"sizing.periods" = "typical_days"
"weather.ensemble_years" = 0
[[parameters]]
key = "sizing.capital_budget_krw"
values = {budgets}
[[parameters]]
key = "villages.1.self_sufficiency_target_fraction"
values = [0.0, 0.2, 0.4, 0.5, 0.6]
'''


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} (1 / 5 min, {os.cpu_count()} cores)"


def part_a(cases: int, separate: int, workers: int, tmp: Path) -> None:
    import pvcluster
    from pvcluster.study import load_study, run_study

    print(f"\n(a) {cases:,} fixed-design Monte Carlo cases on the default scenario (full year) vs separate runs")
    print(f"    {load()}")
    path = tmp / "mc.toml"
    path.write_text(textwrap.dedent(MC.format(cases=cases)), encoding="utf-8")
    spec = load_study(path)
    t0 = time.perf_counter()
    run = run_study(spec, tmp / "mc", workers=workers)
    study = time.perf_counter() - t0
    ok = int((run.cases["status"] == "ok").sum())
    per_case = float(run.cases["seconds"].mean())
    print(f"  study: {study:,.1f} s wall ({ok:,} ok of {cases:,}; base case {run.base.seconds:,.1f} s; "
          f"{per_case:.3f} s per case in a worker; {workers} workers)")
    walls = []
    for i in range(separate):
        t0 = time.perf_counter()
        pvcluster.run(overrides={"overrides.market.smp_krw_per_kwh": 100.0 + 10 * i}, sensitivity=False)
        walls.append(time.perf_counter() - t0)
    mean = sum(walls) / len(walls)
    print(f"  separate pvcluster.run: {', '.join(f'{w:.1f}' for w in walls)} s (mean {mean:.1f} s); "
          f"{cases:,} of them: {mean * cases:,.0f} s")
    print(f"  speed-up = {mean * cases:,.0f} s / {study:,.1f} s = {mean * cases / study:,.0f}x (target >= 100x); "
          f"{load()}")


def part_b(n: int, workers: int, tmp: Path) -> None:
    import pvcluster
    from pvcluster.study import load_study, run_study

    levels = max(1, n // 5)
    budgets = [0.0] + [2.0e9 + i * 8.0e9 / max(1, levels - 1) for i in range(levels - 1)]
    print(f"\n(b) a {levels * 5}-case sizing grid on typical days (design resize) vs one whole run on typical days")
    print(f"    {load()}")
    path = tmp / "grid.toml"
    path.write_text(textwrap.dedent(GRID.format(budgets=budgets)), encoding="utf-8")
    t0 = time.perf_counter()
    run = run_study(load_study(path), tmp / "grid", workers=workers)
    wall = time.perf_counter() - t0
    ok = int((run.cases["status"] == "ok").sum())
    t0 = time.perf_counter()
    pvcluster.run(overrides={"sizing.periods": "typical_days", "weather.ensemble_years": 0}, sensitivity=False)
    single = time.perf_counter() - t0
    per_case = wall / len(run.cases)
    print(f"  grid: {wall:,.1f} s wall for {len(run.cases)} cases ({ok} ok): {per_case:.2f} s per case "
          f"(in a worker: {float(run.cases['seconds'].mean()):.2f} s)")
    print(f"  one whole run on typical days: {single:.2f} s; a grid case costs {per_case / single:.2f} of it; {load()}")

    from pvcluster.study import engine

    print(f"  model reuse, the same grid in this process (mean seconds per case; {load()}):")
    runs = {}
    for label, reuse, warm in (("built anew", False, False), ("reused, HiGHS from scratch", True, False),
                               ("reused, warm-started HiGHS", True, True)):
        engine.REUSE_MODELS = reuse
        text = GRID.format(budgets=budgets).replace('method = "grid"', f'method = "grid"\nwarm_start = {str(warm).lower()}')
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        t0 = time.perf_counter()
        r = run_study(load_study(path), tmp / f"grid_{len(runs)}", workers=1)
        wall = time.perf_counter() - t0
        runs[label] = r.cases.set_index("case")
        cache = r.base.model_cache
        counts = f"{cache.built} built, {cache.reused} reused" if cache is not None else "no cache"
        sizing_s = r.cases["seconds"].mean()
        print(f"    {label:28s} {sizing_s:.3f} s per case ({wall:.1f} s wall; models {counts})")
    engine.REUSE_MODELS = True
    ref = runs["built anew"]
    base = [c for c in ref.columns if c.startswith("out:")]
    for label, cases in runs.items():
        if label == "built anew":
            continue
        worst = max(float(((cases[c] - ref[c]).abs() / ref[c].abs().clip(lower=1.0)).max()) for c in base)
        print(f"    {label}: largest relative difference from built anew over every output: {worst:.2e}")


def part_c(cases: int = 200) -> None:
    import numpy as np

    from pvcluster.study.engine import build_base, evaluate_batch, evaluate_case, make_bundle

    print("\n(c) finance-only cases alone and side by side (typical days, one process)")
    bundle = make_bundle(None, ('sizing.periods="typical_days"', "weather.ensemble_years=0", "sizing.processes=1"))
    base = build_base(bundle, ("finance.*.npv_krw", "finance.*.irr_fraction", "finance.*.equity_irr_fraction",
                               "finance.*.min_dscr", "finance.portfolio.total_npv_krw"))
    rng = np.random.default_rng(0)
    rows = [(i, {"overrides.market.smp_krw_per_kwh": float(rng.uniform(100, 140)),
                 "overrides.costs.utility_pv_capex_krw_per_kwp": float(rng.uniform(1.0e6, 1.5e6))}, None)
            for i in range(cases)]

    def alone():
        return [{"case": c, **evaluate_case(bundle, base, "fixed", v, y)} for c, v, y in rows]

    def batched(size):
        return [r for i in range(0, len(rows), size) for r in evaluate_batch(bundle, base, "fixed", rows[i:i + size])]

    def best(fn) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times) / len(rows)

    one = best(alone)
    print(f"    {load()}")
    print(f"  each case alone: {one * 1e3:.2f} ms a case")
    same = all(a["outputs"] == b["outputs"] for a, b in zip(alone(), batched(20)))
    for size in (20, 50):
        t = best(lambda: batched(size))
        print(f"  batches of {size}: {t * 1e3:.2f} ms a case, {one / t:.2f}x" + (
            f" (outputs identical to each alone: {same})" if size == 20 else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--separate", type=int, default=2)
    parser.add_argument("--grid", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--part", choices=("a", "b", "c", "all"), default="all")
    args = parser.parse_args()
    print(__doc__.split("\n\n")[0])
    with tempfile.TemporaryDirectory() as tmp:
        if args.part in ("a", "all"):
            part_a(args.cases, args.separate, args.workers, Path(tmp))
        if args.part in ("b", "all"):
            part_b(args.grid, args.workers, Path(tmp))
        if args.part in ("c", "all"):
            part_c()


if __name__ == "__main__":
    main()
