"""Headline speed ratios, kept in benchmarks/ratios.json and checked in CI (issue 17, item 5).

    python benchmarks/ratios.py            # measure and print against the stored ratios
    python benchmarks/ratios.py --check    # the same; exit 1 when a ratio regressed beyond its band
    python benchmarks/ratios.py --write    # measure and store (after a change that moves a ratio on purpose)

Each ratio divides two times measured in the same process, one after the other, so the machine's
speed cancels; never an absolute time. Each time is the best of ``--repeat`` runs (default 3),
which removes most of the noise of a shared machine. A ratio regresses when it exceeds the stored
value by more than its noise band (``band_fraction``, stated with each ratio and chosen from the
spread seen over repeated measurements on a 2-core machine, with margin for another machine's
cache and memory).

The ratios (lower is better):

* ``fleet_ensemble_over_one_year``: the 30-year ensemble's P-values of a 4,000-roof fleet on its
  orientation classes, over one year of every roof (generation; target of issue 17: <= 2).
* ``sizing_over_raw_highs``: a village's typical-day LP built and solved through Pyomo
  (sizing.SiteModel), over the same LP passed to a fresh highspy.Highs and run: Pyomo's overhead.
* ``fixed_case_over_run``: one fixed-design study case that reruns finance only, over a whole
  typical-day run in memory (study engine).
* ``reused_over_new_model``: re-sizing the default scenario on typical days with every site model
  taken back from the study's ModelCache, over the same with new models (sizing), the two alternated.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

STORE = Path(__file__).with_name("ratios.json")
FAST = ('sizing.periods="typical_days"', "weather.ensemble_years=0", "sizing.processes=1")


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def fleet_ensemble_over_one_year(repeat: int) -> float:
    import pandas as pd

    from pvcluster.generation import _fleet, _fleet_ensemble_mwh, rooftop_system
    from pvcluster.generation.inventory import generate_inventory
    from pvcluster.pvmodules import cec_module, module_kwp_per_m2
    from pvcluster.scenario import load_scenario
    from pvcluster.weather import build_weather

    scenario = load_scenario()
    weather = build_weather(scenario)
    roofs = pd.concat([generate_inventory(v, {"house": 1980, "public": 10, "commercial": 10}, scenario.facts.rooftops,
                                          seed=1) for v in ("a", "b")], ignore_index=True)
    roofs["capacity_kwp"] = roofs["usable_area_m2"] * module_kwp_per_m2(cec_module(scenario.rooftops.module))
    system = rooftop_system(scenario)
    roofs["annual_kwh"] = _fleet(weather, roofs, system, ["a", "b"]).annual_kwh
    one = best(lambda: _fleet(weather, roofs, system, ["a", "b"]), repeat)
    ens = best(lambda: _fleet_ensemble_mwh(weather, roofs, system, ["a", "b"]), repeat)
    return ens / one


def _typical_inputs():
    from pvcluster.pipeline import compute
    from pvcluster.scenario import load_scenario

    scenario = load_scenario(None, list(FAST))
    return scenario, compute(scenario, sensitivity=False)


def sizing_over_raw_highs(repeat: int) -> float:
    import highspy
    from pyomo.common.tee import capture_output

    from pvcluster.sizing import grid_for, site_inputs, sites_on_grid
    from pvcluster.sizing.solve import SiteModel, SolverSettings, solver_options

    scenario, r = _typical_inputs()
    full = {"green_village": site_inputs(scenario, r.generation, r.demand)["green_village"]}
    grid, hours = grid_for(scenario, full, r.demand.hourly_kw.index.month.to_numpy())
    site = sites_on_grid(full, grid, hours)["green_village"]
    settings = SolverSettings(solver="simplex")
    held = {}

    def ours():
        m = SiteModel(site, settings)
        m.solve()
        held["h"] = m.solver._solver_model

    ours_s = best(ours, repeat)
    lp = held["h"].getLp()

    def raw():
        with capture_output(capture_fd=True):
            f = highspy.Highs()
        f.setOptionValue("output_flag", False)
        for key, value in solver_options(settings, False).items():
            f.setOptionValue(key, value)
        f.passModel(lp)
        f.run()

    return ours_s / best(raw, repeat)


def fixed_case_over_run(repeat: int) -> float:
    from pvcluster.pipeline import compute
    from pvcluster.scenario import load_scenario
    from pvcluster.study.engine import build_base, evaluate_case, make_bundle

    bundle = make_bundle(None, FAST)
    base = build_base(bundle, ("finance.*.npv_krw", "finance.portfolio.total_npv_krw"))
    values = iter(range(10 ** 6))  # a new value each time, so no stage record is taken back
    case = best(lambda: evaluate_case(bundle, base, "fixed",
                                      {"overrides.market.smp_krw_per_kwh": 100.0 + next(values) * 1e-3}), repeat)
    scenario = load_scenario(None, list(FAST))
    return case / best(lambda: compute(scenario, sensitivity=False), repeat)


def reused_over_new_model(repeat: int) -> float:
    from pvcluster.sizing import ModelCache, build_sizing

    scenario, r = _typical_inputs()
    cache = ModelCache()
    build_sizing(scenario, r.generation, r.demand, models=cache)
    reused, new = [], []
    for _ in range(repeat):  # alternated, so that a drift of the host's speed falls on both sides alike
        reused.append(best(lambda: build_sizing(scenario, r.generation, r.demand, models=cache), 1))
        new.append(best(lambda: build_sizing(scenario, r.generation, r.demand), 1))
    return min(reused) / min(new)


RATIOS = {
    "fleet_ensemble_over_one_year": fleet_ensemble_over_one_year,
    "sizing_over_raw_highs": sizing_over_raw_highs,
    "fixed_case_over_run": fixed_case_over_run,
    "reused_over_new_model": reused_over_new_model,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio regressed beyond its band")
    parser.add_argument("--write", action="store_true", help="store the measured ratios")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    stored = json.loads(STORE.read_text(encoding="utf-8")) if STORE.exists() else {"ratios": {}}
    failed = []
    print(f"{'ratio':<32}{'measured':>10}{'stored':>10}{'limit':>10}")
    for name, fn in RATIOS.items():
        value = fn(args.repeat)
        entry = stored["ratios"].get(name)
        if entry is None:
            print(f"{name:<32}{value:>10.3f}{'-':>10}{'-':>10}")
            if args.write:
                stored["ratios"][name] = {"value": round(value, 4), "band_fraction": 0.5}
            continue
        limit = entry["value"] * (1.0 + entry["band_fraction"])
        verdict = "" if value <= limit else "  REGRESSED"
        print(f"{name:<32}{value:>10.3f}{entry['value']:>10.3f}{limit:>10.3f}{verdict}", flush=True)
        if value > limit:
            failed.append(name)
        if args.write:
            entry["value"] = round(value, 4)
    if args.write:
        STORE.write_text(json.dumps(stored, indent=2) + "\n", encoding="utf-8")
    if args.check and failed:
        print(f"speed ratios regressed beyond their noise band: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
