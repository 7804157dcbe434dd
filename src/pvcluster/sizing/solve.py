"""Solve a site's LP with HiGHS through Pyomo's persistent interface (no files on disk).

The status, objective and solve time are reported. An infeasible or unbounded case raises
:class:`~pvcluster.errors.InfeasibleError` with a diagnosis from an elastic re-solve: the
requirement that cannot be met and by how much it would have to be relaxed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import TerminationCondition

from pvcluster.errors import InfeasibleError
from pvcluster.sizing.data import SiteData
from pvcluster.sizing.model import TECHNOLOGIES, build_site_model

_OPTIMAL = {TerminationCondition.convergenceCriteriaSatisfied}
_INFEASIBLE = {TerminationCondition.provenInfeasible, TerminationCondition.locallyInfeasible,
               TerminationCondition.infeasibleOrUnbounded, TerminationCondition.unbounded}


@dataclass(frozen=True)
class SolverSettings:
    solver: str = "ipm"
    time_limit_s: float = 600.0


@dataclass
class SiteSolution:
    name: str
    status: str
    objective_krw_per_year: float
    build_s: float
    solve_s: float
    sizes: dict
    hourly: dict
    costs_krw_per_year: dict
    extra: dict


def _highs(settings: SolverSettings):
    solver = SolverFactory("highs")
    # HiGHS fixes its thread pool at the first solve in a process, so "threads" is left alone;
    # IPX and the serial dual simplex are deterministic, which keeps summary.json reproducible.
    options = {"solver": settings.solver, "random_seed": 0, "run_crossover": "on"}
    return solver, options


def _solve(m: pyo.ConcreteModel, settings: SolverSettings):
    solver, options = _highs(settings)
    return solver.solve(m, solver_options=options, time_limit=settings.time_limit_s,
                        load_solutions=False, raise_exception_on_nonoptimal_result=False)


def diagnose(s: SiteData, settings: SolverSettings) -> str:
    """Re-solve with penalized slack on each requirement and say which ones cannot be met."""
    m = build_site_model(s, elastic=True)
    res = _solve(m, settings)
    if res.termination_condition not in _OPTIMAL:
        return f"the elastic re-solve also failed ({res.termination_condition.name})"
    res.solution_loader.load_vars()
    lines = []
    unserved = np.array([pyo.value(m.unserved_kw[t]) for t in m.T])
    if unserved.sum() > 1e-3:
        hour = int(np.argmax(unserved))
        lines.append(
            f"load cannot be served in {int((unserved > 1e-6).sum())} hours ({unserved.sum():,.0f} kWh a year, "
            f"at most {unserved.max():,.1f} kW at hour {hour}): raise grid_import_limit_kw by at least "
            f"{unserved.max():,.1f} kW or allow more PV and storage")
    shortfall = pyo.value(m.shortfall_kwh)
    if shortfall > 1e-3:
        target = s.self_sufficiency_target_fraction
        load = float(s.load_kw.sum())
        achievable = target - shortfall / load
        lines.append(
            f"self_sufficiency_target_fraction = {target:g} cannot be met: at most {achievable:.3f} is "
            f"achievable with {s.pv_max_kwp:,.1f} kWp of rooftop PV (the roof inventory's potential, or max_rooftop_kwp); relax the target by "
            f"{shortfall / load:.3f} (to {achievable:.3f}) or allow more rooftop PV")
    return "; ".join(lines) or "no requirement needed relaxing in the elastic model (numerical trouble?)"


def solve_site(s: SiteData, settings: SolverSettings) -> SiteSolution:
    t0 = time.perf_counter()
    m = build_site_model(s)
    t1 = time.perf_counter()
    res = _solve(m, settings)
    t2 = time.perf_counter()
    tc = res.termination_condition
    if tc in _INFEASIBLE:
        raise InfeasibleError(f"sizing of site {s.name!r} is {tc.name}: {diagnose(s, settings)}")
    if tc not in _OPTIMAL:
        raise InfeasibleError(f"sizing of site {s.name!r} did not reach an optimum: HiGHS stopped with "
                              f"{tc.name} (time limit {settings.time_limit_s:g} s)")
    res.solution_loader.load_vars()
    sizes, hourly, costs, extra = {}, {}, {}, {}
    for tech in TECHNOLOGIES:
        r = tech.results(getattr(m, tech.NAME), s)
        sizes.update(r["sizes"])
        hourly.update(r["hourly"])
        costs[tech.NAME] = r["cost_krw_per_year"]
        extra.update({k: v for k, v in r.items() if k not in ("sizes", "hourly", "cost_krw_per_year")})
    hourly["pv_curtailed_kw"] = np.clip(
        hourly["pv_generation_kw"] + hourly["storage_discharge_kw"] + hourly["grid_import_kw"]
        - hourly["storage_charge_kw"] - hourly["grid_export_kw"] - s.load_kw, 0.0, None)
    return SiteSolution(name=s.name, status=tc.name, objective_krw_per_year=float(res.incumbent_objective),
                        build_s=t1 - t0, solve_s=t2 - t1, sizes=sizes, hourly=hourly,
                        costs_krw_per_year=costs, extra=extra)
