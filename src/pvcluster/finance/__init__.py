"""Finance stage: every cluster project's cash flow, the polysilicon plant, the fund and the jobs.

``build_finance(scenario, generation, demand, sizing)`` prices:

- the Energy Station (SMP + REC x weight, or the fixed-price contract), see :mod:`.pv_project`;
- the PV, storage and pilot retrofits sizing built at each site, from the bills they save,
  the energy they export and the pilot tariff enrolled facilities pay;
- the polysilicon plant (:mod:`.polysilicon`), when the scenario has one;
- the scenario's other cluster projects (``[[projects]]`` with capex, opex and revenue: the
  graduate school, free land for institutes ...);

then the jobs of each project (:mod:`.jobs`), the fund that holds the equity of the projects
the scenario names (:mod:`.fund`), and the roll-up by level and function (:mod:`.portfolio`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pvcluster.finance.cashflow import corporate_tax, irr, lcoe, npv, payback_year
from pvcluster.finance.portfolio import DEFAULT_PLACE, PortfolioEntry
from pvcluster.finance.project import (Debt, FinanceInputError, Project, ProjectResult, Tax, evaluate_project)
from pvcluster.finance.pv_project import common_terms, plant_project, site_project

__all__ = ["Finance", "build_finance", "Project", "ProjectResult", "Debt", "Tax", "evaluate_project",
           "FinanceInputError", "npv", "irr", "lcoe", "payback_year", "corporate_tax", "plant_project"]


@dataclass
class Finance:
    projects: dict[str, ProjectResult]
    inputs: dict[str, Project]
    portfolio: list[PortfolioEntry] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    polysilicon: object | None = None
    fund: object | None = None

    def entry(self, name: str) -> PortfolioEntry:
        return next(e for e in self.portfolio if e.name == name)


def _evaluate(project: Project, notes: dict[str, str]) -> ProjectResult:
    """Evaluate; a loan the project's cash flow cannot carry is dropped, with a note."""
    try:
        return evaluate_project(project)
    except FinanceInputError as err:
        if project.debt is None or not all(k.startswith("debt.") for k, _, _ in err.problems):
            raise
        notes[project.name] = "no debt: " + "; ".join(f for _, _, f in err.problems)
        return evaluate_project(Project(**{**project.__dict__, "debt": None}))


def _places(scenario) -> dict[str, tuple[str, str]]:
    return {p.name: (p.level, p.function) for p in scenario.projects or ()}


def _jobs_for(scenario, name: str, project: Project, result: ProjectResult, *, pv_kwp: float = 0.0,
              pv_kind: str = "utility", manufacturing=None, staff_fte: float = 0.0):
    from pvcluster.finance import jobs as jobslib

    t = result.table
    real = (1.0 + project.inflation_fraction_per_year) ** t["year_index"].to_numpy(dtype=float)
    operating = (t["operating_year"] > 0).to_numpy(dtype=float)
    sells_power = any(k in project.revenue_krw for k in ("electricity", "export"))
    kwargs = dict(name=name, calendar_years=t["calendar_year"].to_numpy(), capex_krw_by_year=t["capex_krw"] / real,
                  operating_fraction_by_year=operating, facts=scenario.facts.jobs, pv_kwp=pv_kwp, pv_kind=pv_kind,
                  om_spend_krw_by_year=t["opex_krw"] / real)
    if sells_power:
        sales = sum((t[f"revenue_{k}_krw"] for k in ("electricity", "export") if f"revenue_{k}_krw" in t), 0.0)
        kwargs["electricity_sales_krw_by_year"] = np.clip(sales / real, 0.0, None)
    if manufacturing is not None:
        kwargs.update(manufacturing)
    result_jobs = jobslib.project_jobs(**kwargs)
    if staff_fte:
        add = staff_fte * operating
        result_jobs.by_year["direct_om_fte"] += add
        result_jobs.by_year["total_jobs"] += add
        result_jobs.totals["direct_om_job_years"] += float(add.sum())
        result_jobs.totals["total_job_years"] += float(add.sum())
        result_jobs.totals["peak_total_jobs"] = float(result_jobs.by_year["total_jobs"].max())
    return result_jobs


def build_finance(scenario, generation, demand=None, sizing=None) -> Finance:
    from pvcluster.sizing import dispatch_without_sizing

    notes: dict[str, str] = {}
    places = _places(scenario)
    inputs: dict[str, Project] = {}
    results: dict[str, ProjectResult] = {}
    portfolio: list[PortfolioEntry] = []

    def add(project: Project, kind: str, default_place: tuple[str, str], **jobs_kw) -> None:
        result = _evaluate(project, notes)
        inputs[project.name], results[project.name] = project, result
        level, function = places.get(project.name, default_place)
        jobs = _jobs_for(scenario, project.name, project, result, **jobs_kw)
        portfolio.append(PortfolioEntry(project.name, level, function, kind, result, jobs, project.capex_krw,
                                        notes.get(project.name, "")))

    plant = plant_project(scenario, generation.plant_annual_mwh() * 1000.0)
    add(plant, "pv_plant", DEFAULT_PLACE["plant"], pv_kwp=scenario.plant.capacity_kwp, pv_kind="utility")

    villages = {v.name for v in scenario.villages}
    if sizing is not None:
        for name, solution in sizing.sites.items():
            site = sizing.site_inputs[name]
            baseline = dispatch_without_sizing(site)
            project = site_project(scenario, name, solution, site, baseline)
            if project is None:
                continue
            new_kwp = max(solution.sizes.get("pv_new_capacity_kwp", 0.0), 0.0)
            place = (DEFAULT_PLACE["village"] if name in villages
                     else DEFAULT_PLACE.get(name, DEFAULT_PLACE["county"]))
            kind = "utility" if name == "plant_extension" else "rooftop"
            add(project, "site_pv", place, pv_kwp=new_kwp, pv_kind=kind)

    poly = None
    if demand is not None and scenario.polysilicon is not None:
        from pvcluster.finance import polysilicon_link

        poly = polysilicon_link.build(scenario, demand, results, sizing)
        if poly is not None:
            project, result, manufacturing = poly.project, poly.result, poly.manufacturing
            inputs[project.name], results[project.name] = project, result
            level, function = places.get(project.name, DEFAULT_PLACE["polysilicon"])
            jobs = _jobs_for(scenario, project.name, project, result, manufacturing=manufacturing)
            portfolio.append(PortfolioEntry(project.name, level, function, "polysilicon", result, jobs,
                                            project.capex_krw))

    for spec in scenario.projects or ():
        if spec.name in results:
            continue  # a modelled project: the entry only gives its level and function
        project = cluster_project(scenario, spec)
        add(project, "cluster", (spec.level, spec.function), staff_fte=spec.direct_jobs_fte)

    finance = Finance(results, inputs, portfolio, notes, polysilicon=poly)
    if scenario.fund is not None and scenario.fund.tranches:
        from pvcluster.finance import fund_link

        finance.fund = fund_link.build(scenario, finance)
    return finance


def cluster_project(scenario, spec) -> Project:
    """A project of the cluster given by its capex, opex and revenue (real base-year KRW)."""
    terms = common_terms(scenario)
    base = scenario.scenario.base_year
    start = spec.start_year or base
    delay = start - base  # years before construction starts, as zero construction years in front
    c = delay + spec.construction_years
    n = terms["operating_years"] + terms["construction_years"] - c
    shares = tuple([0.0] * delay + [1.0 / spec.construction_years] * spec.construction_years)
    terms.update(construction_years=c, operating_years=n)
    return Project(name=spec.name, capex_krw=spec.capex_krw, capex_schedule_fractions=shares,
                   revenue_krw={"revenue": np.full(n, spec.revenue_krw_per_year)} if spec.revenue_krw_per_year else {},
                   opex_krw={"opex": np.full(n, spec.opex_krw_per_year)} if spec.opex_krw_per_year else {},
                   **terms)

