"""Speed of the sizing stage (issue 5, item 6): Pyomo overhead, decomposition, typical days.

    python benchmarks/sizing_speed.py [--part a|b|c|d|e|f|g|h|i|j|k|all] [--site v09] [--land-m2 50000]
                                      [--budget-fraction 0.6] [--days 16,12,24] [--repeat N]
                                      [--cluster-solver simplex|ipm|choose] [--time-limit 1800]

(a) Pyomo overhead against the floor. The floor is the same LP, taken from the HiGHS object
    Pyomo filled (``getLp``), passed to a fresh ``highspy.Highs`` with the same options and run:
    what the model costs with no modelling layer at all. For one village and for the ten
    villages of a test cluster coupled by one shared budget row (one LP):

        overhead   = pvcluster's time (Pyomo build + solve call) - pvcluster's HiGHS run time
        overhead % = overhead / pvcluster's HiGHS run time

(b) The whole test cluster (plant extension + ten villages, hourly year, a binding budget):
    one monolithic LP against the price decomposition over 2 worker processes.

        speed-up   = monolithic wall time / decomposed wall time          (target >= 4x)
        rel. diff  = |objective decomposed - objective monolithic| / |monolithic| (<= 1e-6)

(c) Representative periods on the default scenario (models/yeongwol.toml, ensemble_years = 0):
    the sizing stage (``build_sizing``) on every hour against typical days (clustered on every
    site's load, PV and prices; energy series rescaled to the year's sums; solved in-process).

        rel. error = (objective on typical days - full-year objective) / |full-year|  (<= 1 %)
        speed-up   = full-year sizing wall time / typical-day sizing wall time  (target >= 20x)

    Each case is sized ``--repeat`` times (3 by default in (c)) and its shortest wall time is
    kept, so the one-off costs of a process's first Pyomo model do not land on whichever case
    runs first in this process. The full year's wall time includes starting its 2 workers.

(d) Storage pricing on the default scenario's full year: each site's LP solved in this process
    (``solve_site``, the sizing's defaults) with ``storage_pricing`` (first without storage, kept
    when a pricing LP proves no storage can pay; else the whole LP from scratch) against without it.

        speed-up   = wall without pricing / wall with pricing, per site and over all sites
        rel. diff  = |objective with - objective without| / |without|              (<= 1e-6)

(e) Crossover (a lever of issue 17): each full-year site of the default scenario solved with IPX
    and crossover (the default: a vertex, clean sizes) against IPX without crossover (an interior
    point), with the relative difference of the objectives.

(f) PDLP taken to a vertex (issue 17's lever, the default on the hourly year since this part was
    added: ``solver = "pdlp"``, :func:`pvcluster.sizing.highs.pdlp_vertex`) against IPX with
    crossover (``solver = "ipm"``, the default before), each full-year site of the default scenario
    built and solved in this process with the sizing's defaults otherwise (storage pricing, the
    tax-rate re-solves).

        speed-up  = wall with IPX / wall with PDLP, per site and over all sites
        rel. diff = |objective PDLP - objective IPX| / |IPX|                    (<= 1e-6)

(g) A decomposition by month (a lever of issue 17), probed before it is built. Benders with the
    capacities, the storage's state at each month's boundary and the annual rows in the master solves,
    at each iteration, the year's dispatch with those fixed (twelve independent months). Per full-year
    site: the whole LP (the sizing's defaults) against that dispatch alone, from scratch by the dual
    simplex, with the capacities and the month-boundary states fixed at the whole LP's optimum (the
    cheapest a Benders iteration can be: its subproblems at the answer), and the number of master
    variables (a cutting-plane master needs more cuts than it has variables to pin its optimum).

        iterations to break even = whole LP wall / one dispatch wall

(h) highspy's interrupt callbacks (a lever of issue 17): each full-year site of the default scenario
    sized in this process (``solve_site``, the sizing's defaults) with the callbacks Pyomo turns on
    for every run (``HandleKeyboardInterrupt``: HiGHS calls into Python at each simplex, IPM and
    crossover iteration) against with them held off (pvcluster's default), the two alternated
    ``--repeat`` times (3 by default) and the shortest wall of each kept.

        speed-up  = wall with the callbacks / wall without, per site and over all sites
        rel. diff = |objective without - objective with| / |with|                (= 0: the same runs)

(i) The algorithm of the LP with the storage held at zero (storage pricing's first LP): each full-year
    site of the default scenario sized in this process (``solve_site``, the sizing's defaults) with that
    LP on the dual simplex (``solve.WITHOUT_STORAGE_ALGORITHM``, the default since this part was added)
    against the site's first algorithm (PDLP taken to a vertex), alternated ``--repeat`` times (3 by
    default), the shortest wall of each kept.

        speed-up  = wall with PDLP / wall with the dual simplex, per site and over all sites
        rel. diff = |objective simplex - objective PDLP| / |PDLP|                          (<= 1e-6)

(j) HiGHS's newer interior-point solver, HiPO with crossover (a lever of issue 17), as each full-year
    site's first algorithm against PDLP taken to a vertex (the default), alternated ``--repeat`` times
    (1 by default). HiPO needs the ``highspy-extras`` wheel, which exists for highspy 1.15.1 only
    (``pip install highspy==1.15.1 highspy-extras==1.15.1``); without it the part says so and stops.

        speed-up  = wall with HiPO / wall with PDLP, per site and over all sites
        rel. diff = |objective PDLP - objective HiPO| / |HiPO|                    (<= 1e-6)

(k) A tighter formulation (a lever of issue 17): each full-year site's whole LP (taken from HiGHS after the
    sizing's defaults solved it) as built, against the same LP without the curtailment columns, whose
    balance rows become ``>=`` rows (curtailment is a free slack: the two LPs have the same optimum; a
    site whose storage may charge from PV only, hourly pilot matching, uses it in a row and is skipped).
    Each is solved from scratch by the steps of PDLP taken to a vertex, timed one by one: PDLP to
    1e-6, IPX's crossover from its point, then from that basis the dual simplex (Devex, the default)
    and, separately, the primal simplex.

        PDLP s (iterations), crossover s, dual s (iterations), primal s (iterations), per site
        rel. diff = |objective without curtailment - objective as built| / |as built|   (<= 1e-9)

The single multi-site LPs of (a) and (b) (``build_cluster_model``, ``solve_monolithic``) use
``--cluster-solver``, HiGHS's dual simplex by default: with IPX (pvcluster's ``ipm``, which solves
one village in ~9 s) the ten-village LP (439,099 rows, 526,745 columns) did not reach an optimum
within pvcluster's 600 s time limit (``--cluster-solver ipm --time-limit 600`` shows it), so it
could not be compared with its floor. The one-site case and the decomposition's sites use
pvcluster's defaults (IPX with crossover first, then simplex from the last basis).

The test cluster is models/yeongwol.toml with its [[villages]] replaced by ten generated
villages (v01..v10, 30 to 75 households, roofs drawn by the seeded generator), the county and
industrial complex not sized and no weather ensemble. Times are wall-clock on this machine and
the load average is printed with every table: another process on the 2 cores slows everything.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = REPO / "models" / "yeongwol.toml"
N_VILLAGES = 10
#: villages (by 1-based number) with a self-sufficiency target; the rest have none
TARGETS = {3: 0.3, 6: 0.4, 9: 0.5}


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min, {os.cpu_count()} cores)"


def seconds(x: float) -> str:
    return "-" if np.isnan(x) else f"{x:.2f}s"


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1.0)


# ---------------------------------------------------------------------------------------------
# scenarios and inputs

def village_toml(i: int, n: int = N_VILLAGES) -> str:
    households = int(round(30 + (75 - 30) * ((i - 1) % N_VILLAGES) / (N_VILLAGES - 1)))
    width = 2 if n < 100 else 3
    return "\n".join([
        "[[villages]]",
        f'name = "v{i:0{width}d}"',
        f"households = {households}",
        # given explicitly: "" means "drawn by the seeded generator", but an omitted key reaches
        # roof_inventory as "" (not None) and is read as the directory "."
        'buildings_file = ""',
        f"public_buildings = {i % 2}",
        f"commercial_buildings = {1 + i % 3}",
        "village_hall = true",
        f"street_lights = {26 + (i * 7) % 9}",
        f"self_sufficiency_target_fraction = {TARGETS.get(i, 0.0)}",
        'export_price = "smp"',
        "household_contract_kw = 7.0",  # KEPCO's meter check: the contract covers the largest household peak
        ""])


def test_cluster_toml(n: int = N_VILLAGES) -> str:
    """models/yeongwol.toml with its [[villages]] entries replaced by ``n`` test villages (the ten
    test villages, repeated with new names and roofs beyond ten)."""
    kept, skipping = [], False
    for line in DEFAULT_SCENARIO.read_text(encoding="utf-8").splitlines():
        header = re.match(r"^\s*\[", line)
        if line.strip() == "[[villages]]":
            skipping = True
            continue
        if skipping and header:
            skipping = False
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n\n" + "\n".join(village_toml(i, n) for i in range(1, n + 1))


def test_cluster_scenario(tmp: Path, land_m2: float):
    from pvcluster.scenario import load_scenario

    path = tmp / "sizing_speed_cluster.toml"
    path.write_text(test_cluster_toml(), encoding="utf-8")
    return load_scenario(path, overrides=[
        "county.size=false", "industrial_complex.size=false", "weather.ensemble_years=0",
        f"plant_extension.land_m2={land_m2}", "plant_extension.grid_export_limit_kw=20000.0"])


def profiles(scenario):
    from pvcluster.demand import build_demand
    from pvcluster.generation import build_generation
    from pvcluster.weather import build_weather

    t0 = time.perf_counter()
    weather = build_weather(scenario)
    generation = build_generation(scenario, weather)
    demand = build_demand(scenario, weather)
    return generation, demand, time.perf_counter() - t0


def test_cluster_sites(land_m2: float):
    from pvcluster.sizing import site_inputs

    with tempfile.TemporaryDirectory() as tmp:
        scenario = test_cluster_scenario(Path(tmp), land_m2)
        generation, demand, seconds = profiles(scenario)
    sites = site_inputs(scenario, generation, demand)
    print(f"test cluster: {len(sites)} sites ({', '.join(sites)}), {len(demand.hourly_kw)} hours; "
          f"weather + generation + demand built in {seconds:.1f} s")
    print(f"  {'site':<17}{'households':>10}{'load MWh/yr':>13}{'roof kWp':>10}{'target':>8}")
    villages = {v.name: v for v in scenario.villages}
    for name, s in sites.items():
        v = villages.get(name)
        roof = sum(g.max_kwp for g in s.segments)
        print(f"  {name:<17}{v.households if v else '-':>10}{s.annual(s.load_kw) / 1e3:>13,.1f}{roof:>10,.0f}"
              f"{s.self_sufficiency_target_fraction:>8.2f}")
    return sites


_FREE: dict = {}


def unconstrained_capex(sites: list) -> float:
    """Sum of the sites' capex with no budget (each site at its own optimum; cached by site)."""
    from pvcluster.sizing.cluster import solve_decomposed
    from pvcluster.sizing.solve import SolverSettings

    missing = [s for s in sites if s.name not in _FREE]
    if missing:
        t0 = time.perf_counter()
        free = solve_decomposed(missing, 0.0, SolverSettings(), processes=2)
        _FREE.update({n: sol.capex_krw for n, sol in free.sites.items()})
        print(f"  unconstrained solve (budget 0, decomposed, 2 processes) of {len(missing)} sites: "
              f"capex {free.capex_krw / 1e9:,.3f} bn KRW, objective {free.objective_krw / 1e6:,.3f} M KRW/yr, "
              f"{time.perf_counter() - t0:.1f} s; {load()}")
    return sum(_FREE[s.name] for s in sites)


# ---------------------------------------------------------------------------------------------
# (a) Pyomo overhead against the floor

def floor_run(h, options: dict, run: bool = True) -> dict:
    """The LP held by Highs object ``h``, passed to a fresh Highs with the same options and run."""
    import highspy
    from pyomo.common.tee import capture_output

    lp = h.getLp()
    with capture_output(capture_fd=True):  # the banner a new Highs prints
        f = highspy.Highs()
    f.setOptionValue("output_flag", False)
    for key, value in options.items():
        f.setOptionValue(key, value)
    t0 = time.perf_counter()
    f.passModel(lp)
    t1 = time.perf_counter()
    out = {"pass_s": t1 - t0, "run_wall_s": float("nan"), "run_s": float("nan"), "status": "not run",
           "objective": float("nan"), "cols": lp.num_col_, "rows": lp.num_row_, "nnz": len(lp.a_matrix_.value_)}
    if run:
        f.run()
        out.update(run_wall_s=time.perf_counter() - t1, run_s=f.getRunTime(),
                   status=f.modelStatusToString(f.getModelStatus()),
                   objective=f.getInfo().objective_function_value)
    return out


def pyomo_split(res) -> dict:
    timer = res.timing_info.timer

    def get(name):
        try:
            return timer.get_total_time(name)
        except Exception:  # not timed on this path
            return 0.0

    return {"set_instance_s": get("set_instance"), "optimize_s": get("optimize")}


def measure_one(site_data, settings) -> dict:
    import pyomo.environ as pyo

    from pvcluster.sizing.solve import _OPTIMAL, SiteModel, solver_options

    t0 = time.perf_counter()
    site = SiteModel(site_data, settings)
    t1 = time.perf_counter()
    tc, cost, capex = site.solve()
    t2 = time.perf_counter()
    h = site.solver._solver_model
    optimal = tc in _OPTIMAL
    # getRunTime() adds up every run() of a Highs object; this one is fresh, so it is this run
    out = {"build_s": t1 - t0, "solve_s": t2 - t1, "highs_s": h.getRunTime(), "status": tc.name,
           "objective": h.getInfo().objective_function_value if optimal else float("nan"),
           "pyomo_objective": pyo.value(site.model.objective) if optimal else float("nan"),
           "capex": capex, "algorithm": settings.solver, **pyomo_split(site.result)}
    options = {**solver_options(settings, False), "time_limit": settings.time_limit_s}
    out["floor"] = floor_run(h, options, run=optimal)
    return out


def measure_cluster(sites: list, budget: float, settings) -> dict:
    import pyomo.environ as pyo

    from pvcluster.sizing.highs import PersistentHighs
    from pvcluster.sizing.model import build_cluster_model
    from pvcluster.sizing.solve import _OPTIMAL, solver_options

    options = solver_options(settings, False)
    t0 = time.perf_counter()
    m = build_cluster_model(sites, budget, objective=settings.objective)
    t1 = time.perf_counter()
    solver = PersistentHighs()  # what solve_monolithic uses
    res = solver.solve(m, solver_options=options, time_limit=settings.time_limit_s, load_solutions=False,
                       raise_exception_on_nonoptimal_result=False)
    optimal = res.termination_condition in _OPTIMAL
    if optimal:
        res.solution_loader.load_vars()
    t2 = time.perf_counter()
    h = solver._solver_model
    price = -float(res.solution_loader.get_duals([m.budget])[m.budget]) if budget > 0 and optimal else float("nan")
    out = {"build_s": t1 - t0, "solve_s": t2 - t1, "highs_s": h.getRunTime(), "status": res.termination_condition.name,
           "objective": h.getInfo().objective_function_value if optimal else float("nan"),
           "pyomo_objective": pyo.value(m.objective) if optimal else float("nan"),
           "capex": sum(pyo.value(m.site[s.name].capex_krw) for s in sites) if optimal else float("nan"),
           "budget_price": price, "algorithm": settings.solver, **pyomo_split(res)}
    out["floor"] = floor_run(h, {**options, "time_limit": settings.time_limit_s}, run=optimal)
    return out


def best_of(fn, repeat: int) -> dict:
    runs = [fn() for _ in range(repeat)]
    return min(runs, key=lambda r: r["build_s"] + r["solve_s"])


def part_a(sites: dict, site_name: str, budget_fraction: float, repeat: int, cluster_solver: str,
           time_limit: float) -> None:
    from pvcluster.sizing.solve import SolverSettings

    one = SolverSettings(solver="ipm")
    many = SolverSettings(solver=cluster_solver, time_limit_s=time_limit)
    villages = [s for n, s in sites.items() if n != "plant_extension"]
    print("\n(a) Pyomo overhead against the floor (same LP, fresh highspy.Highs, same options)")
    print("    overhead = pvcluster (Pyomo build + solve call) - pvcluster's HiGHS run; "
          "overhead % = overhead / that HiGHS run")
    print(f"    1 site: HiGHS {one.solver}; {len(villages)} sites in one LP: HiGHS {many.solver}, "
          f"time limit {many.time_limit_s:g} s")
    print(f"    {load()}")
    budget = budget_fraction * unconstrained_capex(villages)
    print(f"  budget of the {len(villages)}-village LP: {budget / 1e9:,.3f} bn KRW "
          f"({budget_fraction:.0%} of the villages' unconstrained capex)")
    rows = [(f"1 site ({site_name})", best_of(lambda: measure_one(sites[site_name], one), repeat))]
    print(f"    1 site done; {load()}")
    rows.append((f"{len(villages)} sites + budget",
                 best_of(lambda: measure_cluster(villages, budget, many), repeat)))
    print(f"    {len(villages)} sites done; {load()}")
    print(f"  {'model':<20}{'HiGHS':>8}{'cols':>9}{'rows':>9}{'nnz':>11} | {'Pyomo build':>11}{'solve call':>11}"
          f"{'total':>9}{'HiGHS run':>10} | {'floor pass':>10}{'floor run':>10} | {'overhead':>9}{'% of HiGHS':>11}")
    for label, r in rows:
        f = r["floor"]
        total = r["build_s"] + r["solve_s"]
        overhead = total - r["highs_s"]
        print(f"  {label:<20}{r['algorithm']:>8}{f['cols']:>9,}{f['rows']:>9,}{f['nnz']:>11,} | "
              f"{r['build_s']:>10.2f}s{r['solve_s']:>10.2f}s{total:>8.2f}s{r['highs_s']:>9.2f}s | "
              f"{f['pass_s']:>9.3f}s{seconds(f['run_wall_s']):>10} | {overhead:>8.2f}s{overhead / r['highs_s']:>10.1%}")
    print("  where the solve call's time goes (Pyomo's own timer): set_instance = Pyomo -> highspy transfer")
    print(f"  {'model':<20}{'set_instance':>13}{'run() wall':>11}{'rest':>8}   (rest: results, load_vars)")
    for label, r in rows:
        rest = r["solve_s"] - r["set_instance_s"] - r["optimize_s"]
        print(f"  {label:<20}{r['set_instance_s']:>12.2f}s{r['optimize_s']:>10.2f}s{rest:>7.2f}s")
    print("  objectives (KRW/yr): pvcluster's HiGHS vs the floor")
    for label, r in rows:
        f = r["floor"]
        d = rel(f["objective"], r["objective"])
        verdict = "ok" if d <= 1e-6 else ("not compared" if np.isnan(d) else "MISMATCH")
        extra = f", budget price {r['budget_price']:.5f} KRW/KRW" if "budget_price" in r else ""
        print(f"  {label:<20}{r['objective']:>22,.3f}{f['objective']:>22,.3f}  rel. diff {d:.1e} {verdict} "
              f"({r['status']}, floor {f['status']}){extra}")
        if r["status"] != "convergenceCriteriaSatisfied":
            print(f"  {'':<20}pvcluster's solve ended with {r['status']} (not an optimum), so the floor was not "
                  "run; with maxTimeLimit its HiGHS run time is the limit")
    print(f"    {load()}")


# ---------------------------------------------------------------------------------------------
# (b) the full cluster: monolithic against decomposed

def part_b(sites: dict, budget_fraction: float, mono_solver: str, time_limit: float) -> None:
    from pvcluster.errors import InfeasibleError
    from pvcluster.sizing.cluster import solve_decomposed, solve_monolithic
    from pvcluster.sizing.solve import SolverSettings

    settings = SolverSettings(solver="ipm")
    mono_settings = SolverSettings(solver=mono_solver, time_limit_s=time_limit)
    order = ["plant_extension"] + [n for n in sites if n != "plant_extension"]
    cluster = [sites[n] for n in order if n in sites]
    print(f"\n(b) the whole test cluster ({len(cluster)} sites, hourly year, shared budget): monolithic LP "
          "vs price decomposition over 2 processes")
    print("    speed-up = monolithic wall / decomposed wall (target >= 4x); "
          "rel. diff = |decomposed - monolithic| / |monolithic| (<= 1e-6)")
    print(f"    monolithic: HiGHS {mono_solver}, time limit {time_limit:g} s; decomposed: HiGHS ipm first, "
          "then simplex from the last basis (pvcluster's defaults)")
    print(f"    {load()}")
    if "plant_extension" in sites:
        print(f"  plant extension: up to {sites['plant_extension'].segments[0].max_kwp:,.0f} kWp of trackers")
    budget = budget_fraction * unconstrained_capex(cluster)
    print(f"  budget {budget / 1e9:,.3f} bn KRW ({budget_fraction:.0%} of the unconstrained capex)")
    print(f"    {load()}")
    t0 = time.perf_counter()
    try:
        mono = solve_monolithic(cluster, budget, mono_settings)
    except InfeasibleError as exc:
        mono = None
        mono_wall = time.perf_counter() - t0
        print(f"  monolithic: no solution after {mono_wall:.1f} s: {exc}")
    print(f"    monolithic done; {load()}")
    deco = solve_decomposed(cluster, budget, settings, processes=2)
    print(f"    decomposed done; {load()}")
    print(f"  {'method':<12}{'objective KRW/yr':>22}{'capex bn KRW':>14}{'budget price':>14}{'iterations':>11}"
          f"{'wall':>9}")
    for c in (mono, deco):
        if c is not None:
            print(f"  {c.method:<12}{c.objective_krw:>22,.3f}{c.capex_krw / 1e9:>14,.4f}{c.budget_price:>14.6f}"
                  f"{c.iterations:>11}{c.wall_s:>8.2f}s")
    if mono is not None:
        d = rel(deco.objective_krw, mono.objective_krw)
        print(f"  rel. diff of the objectives {d:.2e} ({'<= 1e-6, ok' if d <= 1e-6 else '> 1e-6: MISSED'})")
        speed = mono.wall_s / deco.wall_s
        print(f"  speed-up {speed:.2f}x ({'>= 4x, ok' if speed >= 4 else '< 4x: MISSED'})")
        t = mono.timings
        print(f"  monolithic: Pyomo build {t['build_s']:.2f} s, solve call (transfer + HiGHS) {t['solve_s']:.2f} s, "
              f"extraction {mono.wall_s - t['build_s'] - t['solve_s']:.2f} s")
    else:
        print(f"  speed-up > {mono_wall / deco.wall_s:.2f}x (the monolithic solve did not finish)")
    builds = {n: v[0] for n, v in deco.timings.items()}
    solves = {n: v[1] for n, v in deco.timings.items()}
    print(f"  decomposed: in the workers, model builds {sum(builds.values()):.2f} s and solve calls "
          f"{sum(solves.values()):.2f} s in all (over 2 processes); slowest site "
          f"{max(solves, key=solves.get)} {max(solves.values()):.2f} s of solve calls")


# ---------------------------------------------------------------------------------------------
# (c) typical days on the default scenario

def prepare_grid(scenario, generation, demand) -> float:
    """Seconds build_sizing spends before solving: site inputs, the time grid, the sites on it."""
    from pvcluster.sizing import grid_for, site_inputs, sites_on_grid

    t0 = time.perf_counter()
    full = site_inputs(scenario, generation, demand)
    fixed = {v.name for v in scenario.villages if not v.size}
    to_size = {n: s for n, s in full.items() if n not in fixed}
    grid, hours = grid_for(scenario, to_size, demand.hourly_kw.index.month.to_numpy())
    sites_on_grid(to_size, grid, hours)
    return time.perf_counter() - t0


def representation(year: dict, small: dict) -> dict[str, tuple[float, float, float]]:
    """Relative error of the typical-day model's weighted annual sums against the year's, by site:
    (load, load x import price, PV per kWp of the first segment), loads with pilot candidates'.
    The typical-day inputs are the ones sized (medoid days, energy series rescaled to the year)."""
    out = {}
    for name, s in small.items():
        y = year[name]
        w = s.time.weights

        def err(a_small, a_year):
            total = float(np.sum(a_year))
            return float(w @ a_small) / total - 1.0 if total else float("nan")

        load_s = s.load_kw + sum((f.load_kw for f in s.pilot), np.zeros(s.steps))
        load_y = y.load_kw + sum((f.load_kw for f in y.pilot), np.zeros(y.steps))
        pv_s = s.segments[0].kw_per_kwp if s.segments else np.zeros(s.steps)
        pv_y = y.segments[0].kw_per_kwp if y.segments else np.zeros(y.steps)
        out[name] = (err(load_s, load_y), err(load_s * s.import_price_krw_per_kwh, load_y * y.import_price_krw_per_kwh),
                     err(pv_s, pv_y))
    return out


def _probe(conn) -> None:
    import importlib

    importlib.import_module("pvcluster.sizing.cluster")  # what a sizing worker imports: Pyomo, highspy

    conn.send("ok")


def spawn_probe() -> float:
    """Seconds to start 2 spawned processes that import the sizing package, as the workers do."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    t0 = time.perf_counter()
    pipes = [ctx.Pipe() for _ in range(2)]
    procs = [ctx.Process(target=_probe, args=(child,), daemon=True) for _, child in pipes]
    for p in procs:
        p.start()
    for parent, _ in pipes:
        parent.recv()
    for p in procs:
        p.join()
    return time.perf_counter() - t0


def part_c(days: list[int], repeat: int = 3) -> None:
    from pvcluster.scenario import load_scenario
    from pvcluster.sizing import build_sizing

    print("\n(c) representative periods on the default scenario (models/yeongwol.toml, ensemble_years = 0)")
    print("    rel. error = (typical-day objective - full-year objective) / |full-year| (target <= 1 %); "
          "speed-up = full-year sizing wall / typical-day sizing wall (target >= 20x)")
    print(f"    {load()}")
    base = ["weather.ensemble_years=0"]
    generation, demand, seconds = profiles(load_scenario(DEFAULT_SCENARIO, overrides=base))
    print(f"  weather + generation + demand built in {seconds:.1f} s")
    runs, prep = [], {}
    for label, extra in [("full year", ["sizing.periods=full"])] + [
            (f"{k} typical days", ["sizing.periods=typical_days", f"sizing.typical_days={k}"]) for k in days]:
        scenario = load_scenario(DEFAULT_SCENARIO, overrides=base + extra)
        prep[label] = prepare_grid(scenario, generation, demand)
        walls = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            sizing = build_sizing(scenario, generation, demand)
            walls.append(time.perf_counter() - t0)
        wall = min(walls)
        runs.append((label, sizing, wall))
        print(f"  {label}: {sizing.time.steps} steps, sizing {', '.join(f'{w:.2f}' for w in walls)} s "
              f"(best {wall:.2f} s); {load()}")
    start = spawn_probe()
    full_label, full, full_wall = runs[0]
    print(f"  {'periods':<18}{'steps':>7}{'objective KRW/yr':>22}{'rel. error':>11}{'sizing wall':>12}"
          f"{'speed-up':>10}")
    for label, s, wall in runs:
        err = (s.objective_krw - full.objective_krw) / abs(full.objective_krw)
        flag = "" if s is full else ("  error " + ("ok" if abs(err) <= 0.01 else "MISSED") + ", speed-up "
                                     + ("ok" if full_wall / wall >= 20 else "MISSED"))
        print(f"  {label:<18}{s.time.steps:>7}{s.objective_krw:>22,.0f}{err:>+10.3%}{wall:>11.2f}s"
              f"{full_wall / wall:>9.1f}x{flag}")
    print("  by site (objective KRW/yr, and its error against the full year):")
    names = list(full.sites)
    print(f"  {'periods':<18}" + "".join(f"{n:>28}" for n in names))
    for label, s, _ in runs:
        cells = []
        for n in names:
            o = s.sites[n].objective_krw
            e = (o - full.sites[n].objective_krw) / abs(full.sites[n].objective_krw)
            cells.append(f"{o:>17,.0f} ({e:>+7.2%})")
        print(f"  {label:<18}" + "".join(f"{c:>28}" for c in cells))
    print("  where the sizing time goes: site inputs + time grid (clustering) in this process, then per site "
          "model build + solve calls (full year: in the 2 worker processes; typical days: in this process)")
    print(f"  (starting 2 spawned workers that import pvcluster's sizing and Pyomo, and stopping them: {start:.2f} s)")
    for label, s, wall in runs:
        t = s.cluster.timings if s.cluster else {}
        parts = ", ".join(f"{n} {b:.2f}+{v:.2f}s" for n, (b, v) in t.items())
        print(f"  {label:<18}inputs + grid {prep[label]:.2f}s; {parts}")
    print("  representation: weighted sums on the typical days against the year's sums, by site "
          "(load incl. pilot candidates | load x import price | PV per kWp)")
    year_sites = full.site_inputs
    for label, s, _ in runs[1:]:
        rep = representation(year_sites, {n: d for n, d in s.site_inputs.items() if not d.time.is_full_year})
        cells = ", ".join(f"{n} {a:+.2%} | {b:+.2%} | {c:+.2%}" for n, (a, b, c) in rep.items())
        print(f"  {label:<18}{cells}")
    county = full.sites.get("county")
    if county is not None:
        screen = county.extra.get("pilot_screening")
        if screen:
            print(f"  full year: the county site's pilot enrollment was decided on {screen['typical_days']} "
                  f"typical days ({screen['branch_and_bound_nodes']} branch-and-bound nodes, "
                  f"{screen['seconds']:.2f} s) "
                  f"and then fixed: {', '.join(screen['enrolled']) or 'none'}")
        for label, s, _ in runs[1:]:
            print(f"  {label}: county enrolls {', '.join(s.sites['county'].extra.get('enrolled', [])) or 'none'}")


def default_full_year_sites():
    """The default scenario's sites on the full year (no weather ensemble) and its solver settings."""
    from pvcluster.scenario import load_scenario
    from pvcluster.sizing import site_inputs
    from pvcluster.sizing.solve import SolverSettings

    scenario = load_scenario(DEFAULT_SCENARIO, overrides=["weather.ensemble_years=0", "sizing.periods=full"])
    generation, demand, _ = profiles(scenario)
    z = scenario.sizing
    settings = SolverSettings(z.solver, z.time_limit_s, z.mip_gap_fraction, z.objective, z.pilot_screening_days)
    return site_inputs(scenario, generation, demand), settings


def timed_site(data, settings):
    """A new SiteModel of ``data`` built and solved (checked): (wall seconds, the model)."""
    from pvcluster.sizing.solve import SiteModel

    t0 = time.perf_counter()
    model = SiteModel(data, settings)
    tc, _, _ = model.solve()
    model.check(tc)
    return time.perf_counter() - t0, model


def best_site(data, settings, repeat: int):
    """The shortest of ``repeat`` :func:`timed_site` walls, and the last model."""
    best = None
    for _ in range(repeat):
        wall, model = timed_site(data, settings)
        best = wall if best is None else min(best, wall)
    return best, model


def part_d(repeat: int = 1) -> None:
    from dataclasses import replace


    print("\n(d) storage pricing on the default scenario's full year (models/yeongwol.toml, ensemble_years = 0)")
    print("    speed-up = wall without storage pricing / wall with it; rel. diff = objective difference (<= 1e-6)")
    print(f"    {load()}")
    sites, on = default_full_year_sites()
    off = replace(on, storage_pricing=False)
    print(f"  {'site':<20}{'without s':>11}{'with s':>9}{'speed-up':>10}{'rel. diff':>11}  storage kept out by pricing")
    totals = [0.0, 0.0]
    for name, data in sites.items():
        walls, objectives, certified = [], [], 0
        for settings in (off, on):
            wall, model = best_site(data, settings, repeat)
            walls.append(wall)
            objectives.append(model.solution().objective_krw)
            certified = model.storage_certified if settings is on else certified
        totals[0] += walls[0]
        totals[1] += walls[1]
        print(f"  {name:<20}{walls[0]:>10.2f}s{walls[1]:>8.2f}s{walls[0] / walls[1]:>9.1f}x"
              f"{rel(objectives[1], objectives[0]):>11.1e}  {'yes' if certified else 'no (whole LP solved)'}")
    print(f"  {'all sites':<20}{totals[0]:>10.2f}s{totals[1]:>8.2f}s{totals[0] / totals[1]:>9.1f}x; {load()}")


def part_e() -> None:
    """Issue 17's crossover lever: IPX with crossover (the default, a vertex) against IPX without it
    (an interior point), on each full-year site of the default scenario."""
    import pvcluster.sizing.solve as solve_module

    print("\n(e) crossover: IPX with crossover (default) vs without, the default scenario's full year")
    real = solve_module.solver_options

    def no_crossover(*args, **kwargs):
        options = real(*args, **kwargs)
        if options.get("run_crossover") == "on":
            options["run_crossover"] = "off"
        return options

    def without():
        solve_module.solver_options = no_crossover
        return lambda: setattr(solve_module, "solver_options", real)

    alternated([("crossover", lambda: (lambda: None)), ("without", without)], 1, solver="ipm")


def part_f(repeat: int = 1) -> None:
    """Issue 17's PDLP lever: solver = "pdlp" against "ipm" on each full-year site of the default scenario."""
    from dataclasses import replace

    print("\n(f) PDLP + crossover + simplex (pdlp, the default) vs IPX + crossover (ipm), the default scenario's "
          "full year")
    print(f"    {load()}")
    sites, settings = default_full_year_sites()
    ipx, pdlp = replace(settings, solver="ipm"), replace(settings, solver="pdlp")
    print(f"  {'site':<20}{'ipm':>9}{'pdlp':>9}{'speed-up':>10}{'rel. diff':>11}  pdlp's steps")
    totals = [0.0, 0.0]
    for name, data in sites.items():
        walls, objectives, steps = [], [], ""
        for chosen in (ipx, pdlp):
            wall, model = best_site(data, chosen, repeat)
            walls.append(wall)
            objectives.append(model.solution().objective_krw)
            steps = "+".join(getattr(model.solver, "pdlp_steps", [])) if chosen is pdlp else steps
        totals[0] += walls[0]
        totals[1] += walls[1]
        print(f"  {name:<20}{walls[0]:>8.2f}s{walls[1]:>8.2f}s{walls[0] / walls[1]:>9.2f}x"
              f"{rel(objectives[1], objectives[0]):>11.1e}  {steps} (last solve)")
    print(f"  {'all sites':<20}{totals[0]:>8.2f}s{totals[1]:>8.2f}s{totals[0] / totals[1]:>9.2f}x; {load()}")


def part_g() -> None:
    """Issue 17's decomposition lever, probed: the whole LP against one Benders iteration's dispatch."""
    from dataclasses import replace

    import pyomo.environ as pyo

    print("\n(g) decomposition by month, probed: the whole LP vs the dispatch with capacities and month-boundary"
          " states fixed (dual simplex, from scratch), the default scenario's full year")
    print(f"    {load()}")
    sites, settings = default_full_year_sites()
    print(f"  {'site':<20}{'whole LP':>10}{'dispatch':>10}{'break even':>12}{'master vars':>13}{'rel. diff':>11}")
    for name, data in sites.items():
        whole, model = timed_site(data, settings)
        m = model.model
        fixed = [v for v in m.pv.capacity_kwp.values()] if hasattr(m, "pv") else []
        st = getattr(m, "storage", None)
        if st is not None:
            ends = np.cumsum([len(data.time.month_steps[k]) for k in range(12)]) - 1
            fixed += [st.energy_kwh, st.power_kw] + [st.soc_kwh[int(t)] for t in ends if int(t) in st.soc_kwh]
        master = len(fixed) + sum(1 for c in ("self_sufficiency", "re100") if hasattr(m, c)) * 12
        kept = [(v, v.lb, v.ub) for v in fixed]
        for v, lb, ub in kept:  # at the optimum, within the bounds (HiGHS leaves -1e-12 where 0 is a bound)
            value = min(max(v.value, -np.inf if lb is None else lb), np.inf if ub is None else ub)
            v.setlb(value)
            v.setub(value)
        try:
            model.solver._solver_model.clearSolver()
            model.settings = replace(model.settings, solver="simplex")
            model.solves, model.cold, model.price_storage = 0, True, False
            t0 = time.perf_counter()
            tc, cost, _ = model.solve(model.model.budget_price.value)
            dispatch = time.perf_counter() - t0
            model.check(tc)
        finally:
            for v, lb, ub in kept:
                v.setlb(lb)
                v.setub(ub)
        print(f"  {name:<20}{whole:>9.2f}s{dispatch:>9.2f}s{whole / dispatch:>11.1f}x{master:>13d}"
              f"{rel(cost, pyo.value(m.cost_krw)):>11.1e}")
    print(f"  {load()}")


def alternated(variants: list[tuple[str, Callable[[], Callable[[], None]]]], repeat: int,
               solver: str | None = None) -> None:
    """Each full-year site of the default scenario sized in this process (``solve_site``, the sizing's
    defaults, or its ``solver``) under each variant, alternated ``repeat`` times, the shortest wall of each
    kept; prints a row per site and the total: the first variant's wall, the second's, their ratio and
    the objectives' relative difference. A variant is (column title, a function that sets it up and
    returns its undo)."""
    from dataclasses import replace

    from pvcluster.sizing.solve import solve_site

    print(f"    {load()}")
    sites, settings = default_full_year_sites()
    settings = replace(settings, solver=solver) if solver else settings
    (first, _), (second, _) = variants
    print(f"  {'site':<20}{first:>13}{second:>13}{'speed-up':>10}{'rel. diff':>11}")
    totals = [0.0, 0.0]
    solve_site(sites[next(iter(sites))], settings)  # this process's first model (imports, caches) is not timed
    for name, data in sites.items():
        walls, objectives = [np.inf, np.inf], [0.0, 0.0]
        for _ in range(repeat):
            for k, (_, setup) in enumerate(variants):
                undo = setup()
                try:
                    t0 = time.perf_counter()
                    objectives[k] = solve_site(data, settings).objective_krw
                    walls[k] = min(walls[k], time.perf_counter() - t0)
                finally:
                    undo()
        totals[0] += walls[0]
        totals[1] += walls[1]
        print(f"  {name:<20}{walls[0]:>12.2f}s{walls[1]:>12.2f}s{walls[0] / walls[1]:>9.2f}x"
              f"{rel(objectives[1], objectives[0]):>11.1e}")
    print(f"  {'all sites':<20}{totals[0]:>12.2f}s{totals[1]:>12.2f}s{totals[0] / totals[1]:>9.2f}x; {load()}")


def part_h(repeat: int = 3) -> None:
    """Issue 17's interrupt-callback lever: every run with highspy's interrupt callbacks on (as Pyomo's
    ``Highs`` sets them before each run) against held off (pvcluster's default since this session's
    change, ``highs._run_without_interrupt_callbacks``), alternated per site."""
    import highspy

    import pvcluster.sizing.highs as highs_module

    print("\n(h) highspy's interrupt callbacks on (Pyomo's setting) vs held off (the default), the default "
          "scenario's full year, each site sized in this process")
    held_off = highs_module._run_without_interrupt_callbacks

    def as_pyomo_sets_them(h, pdlp_steps):  # the run as Pyomo starts it: the callbacks stay on
        return highs_module.pdlp_vertex(h, pdlp_steps) if pdlp_steps is not None else highspy.Highs.run(h)

    def callbacks_on():
        highs_module._run_without_interrupt_callbacks = as_pyomo_sets_them
        return lambda: setattr(highs_module, "_run_without_interrupt_callbacks", held_off)

    alternated([("callbacks on", callbacks_on), ("held off", lambda: (lambda: None))], repeat)


def part_i(repeat: int = 3) -> None:
    """The LP without storage on the dual simplex (the default) against the site's first algorithm (PDLP)."""
    import pvcluster.sizing.solve as solve_module

    print("\n(i) the LP with the storage held at zero: the site's first algorithm (PDLP) vs the dual simplex (the "
          "default), the default scenario's full year, each site sized in this process")
    kept = solve_module.WITHOUT_STORAGE_ALGORITHM

    def algorithm(name):
        def setup():
            solve_module.WITHOUT_STORAGE_ALGORITHM = name
            return lambda: setattr(solve_module, "WITHOUT_STORAGE_ALGORITHM", kept)
        return setup

    alternated([("pdlp", algorithm(None)), ("simplex", algorithm("simplex"))], repeat)


def hipo_available() -> tuple[bool, str]:
    """Whether the installed highspy accepts ``solver = "hipo"``, and its version."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    version = h.version() if hasattr(h, "version") else "?"
    return h.setOptionValue("solver", "hipo") == highspy.HighsStatus.kOk, version


def part_j(repeat: int = 1) -> None:
    """HiPO with crossover as each site's first algorithm against PDLP taken to a vertex."""
    import pvcluster.sizing.solve as solve_module

    print("\n(j) HiPO with crossover vs PDLP taken to a vertex (the default) as the first algorithm, the default "
          "scenario's full year, each site sized in this process")
    available, version = hipo_available()
    if not available:
        print(f"  highspy {version} refuses solver = 'hipo' (no highspy-extras for it): nothing to measure")
        return
    real_first, real_options = solve_module.first_algorithm, solve_module.solver_options

    def hipo():
        def options(*args, **kwargs):
            out = real_options(*args, **kwargs)
            if out.get("solver") == "hipo":
                out["run_crossover"] = "on"  # a vertex, as the default gives
            return out
        solve_module.first_algorithm = lambda s: "hipo" if s.time.is_full_year else real_first(s)
        solve_module.solver_options = options

        def undo():
            solve_module.first_algorithm, solve_module.solver_options = real_first, real_options
        return undo

    print(f"    highspy {version}")
    alternated([("hipo", hipo), ("pdlp", lambda: (lambda: None))], repeat)


# ---------------------------------------------------------------------------------------------

def vertex_steps(lp) -> dict:
    """PDLP to 1e-6, crossover, then the dual and (from the same crossover basis) the primal simplex, each
    timed: {step: (seconds, iterations)} and the objective."""
    import highspy

    from pvcluster.sizing.highs import PDLP_TOLERANCE

    def fresh():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.passModel(lp)
        return h

    h = fresh()
    h.setOptionValue("solver", "hipdlp")
    h.setOptionValue("pdlp_optimality_tolerance", PDLP_TOLERANCE)
    t0 = time.perf_counter()
    h.run()
    out = {"pdlp": (time.perf_counter() - t0, h.getInfo().pdlp_iteration_count)}
    point = h.getSolution()
    for name, strategy in (("dual", 1), ("primal", 4)):
        h = fresh()
        t0 = time.perf_counter()
        h.crossover(point)
        out.setdefault("crossover", (time.perf_counter() - t0, 0))  # the same crossover twice: the first kept
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("simplex_strategy", strategy)
        h.setOptionValue("simplex_dual_edge_weight_strategy", 1)
        t0 = time.perf_counter()
        h.run()
        out[name] = (time.perf_counter() - t0, h.getInfo().simplex_iteration_count)
        out[f"{name} objective"] = h.getInfo().objective_function_value
    return out


def part_k() -> None:
    """Issue 17's tighter-formulation lever: the balance rows as ``>=`` rows without curtailment columns."""
    import highspy
    import scipy.sparse as sp

    print("\n(k) a tighter formulation: each full-year site's whole LP as built against the same LP without its"
          " curtailment columns (balance rows >=), PDLP, crossover, then the dual or the primal simplex")
    print(f"    {load()}")
    sites, settings = default_full_year_sites()
    print(f"  {'site':<20}{'LP':<18}{'PDLP (iter.)':>16}{'crossover':>11}{'dual (iter.)':>18}"
          f"{'primal (iter.)':>18}{'rel. diff':>11}")
    for name, data in sites.items():
        _, model = timed_site(data, settings)
        m, solver = model.model, model.solver
        if not hasattr(m, "curtailment") or hasattr(m, "charge_from_pv"):
            continue  # charge_from_pv (hourly pilot matching) uses the curtailment: not a free slack there
        lp = solver._solver_model.getLp()
        var_col, con_row = solver._pyomo_var_to_solver_var_map, solver._pyomo_con_to_solver_con_map
        slack = np.array(sorted(var_col[id(v)] for v in m.curtailment.curtailed_kw.values()))
        rows = np.array(sorted(con_row[c] for c in m.balance.values()))
        a = sp.csc_matrix((np.asarray(lp.a_matrix_.value_), np.asarray(lp.a_matrix_.index_),
                           np.asarray(lp.a_matrix_.start_)), shape=(lp.num_row_, lp.num_col_))
        keep = np.ones(lp.num_col_, dtype=bool)
        keep[slack] = False
        b = a[:, keep].tocsc()
        tight = highspy.HighsLp()
        tight.num_col_, tight.num_row_ = int(keep.sum()), lp.num_row_
        tight.col_cost_ = np.asarray(lp.col_cost_)[keep]
        tight.col_lower_, tight.col_upper_ = np.asarray(lp.col_lower_)[keep], np.asarray(lp.col_upper_)[keep]
        upper = np.asarray(lp.row_upper_).copy()
        upper[rows] = highspy.kHighsInf  # sum of the blocks' power - curtailed = load  ->  sum >= load
        tight.row_lower_, tight.row_upper_ = np.asarray(lp.row_lower_), upper
        tight.offset_ = lp.offset_
        tight.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        tight.a_matrix_.start_, tight.a_matrix_.index_, tight.a_matrix_.value_ = b.indptr, b.indices, b.data
        built = vertex_steps(lp)
        for label, r in (("as built", built), ("no curtailment", vertex_steps(tight))):
            diff = rel(r["dual objective"], built["dual objective"])
            print(f"  {name:<20}{label:<18}{r['pdlp'][0]:>8.2f}s ({r['pdlp'][1]:>5d}){r['crossover'][0]:>10.2f}s"
                  f"{r['dual'][0]:>9.2f}s ({r['dual'][1]:>6d}){r['primal'][0]:>9.2f}s ({r['primal'][1]:>6d})"
                  f"{diff:>11.1e}")
    print(f"  {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "all"), default="all")
    parser.add_argument("--site", default="v09", help="the village of the 1-site case of (a)")
    parser.add_argument("--land-m2", type=float, default=50000.0, help="plant extension land in (b)")
    parser.add_argument("--budget-fraction", type=float, default=0.6,
                        help="shared budget as a share of the unconstrained capex, in (a) and (b)")
    parser.add_argument("--days", default="16,12,24", help="numbers of typical days in (c)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="best of N builds and solves (default: 1 in (a), 3 in (c))")
    parser.add_argument("--cluster-solver", choices=("simplex", "ipm", "choose"), default="simplex",
                        help="HiGHS LP algorithm of the single multi-site LPs of (a) and (b)")
    parser.add_argument("--time-limit", type=float, default=1800.0,
                        help="HiGHS time limit (s) of the single multi-site LPs of (a) and (b)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    print(__doc__.split("\n\n")[0])
    print(f"start: {load()}")
    if args.part in ("a", "b", "all"):
        sites = test_cluster_sites(args.land_m2)
        if args.part in ("a", "all"):
            part_a(sites, args.site, args.budget_fraction, args.repeat or 1, args.cluster_solver, args.time_limit)
        if args.part in ("b", "all"):
            part_b(sites, args.budget_fraction, args.cluster_solver, args.time_limit)
    if args.part in ("c", "all"):
        part_c([int(k) for k in args.days.split(",") if k.strip()], args.repeat or 3)
    if args.part in ("d", "all"):
        part_d(args.repeat or 1)
    if args.part in ("e", "all"):
        part_e()
    if args.part in ("f", "all"):
        part_f(args.repeat or 1)
    if args.part in ("g", "all"):
        part_g()
    if args.part in ("h", "all"):
        part_h(args.repeat or 3)
    if args.part in ("i", "all"):
        part_i(args.repeat or 3)
    if args.part in ("j", "all"):
        part_j(args.repeat or 1)
    if args.part in ("k", "all"):
        part_k()
    print(f"\ndone in {time.perf_counter() - t0:.0f} s; {load()}")


if __name__ == "__main__":
    main()
