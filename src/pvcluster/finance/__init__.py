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

Finance reads the records of the stages before it (generation, demand, the sizing stage's site
solutions with their dispatch, baseline and meters) and imports none of those stages: a bill
comes from :mod:`pvcluster.market`, an asset's costs from :mod:`pvcluster.costs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Generator

import numpy as np

from pvcluster.finance.cashflow import corporate_tax, irr, lcoe, npv, payback_year
from pvcluster.finance.portfolio import DEFAULT_PLACE, PortfolioEntry
from pvcluster.finance.project import (Debt, FinanceInputError, Project, ProjectResult, Tax, evaluate_project,
                                       evaluate_projects)
from pvcluster.finance.pv_project import common_terms, farm_project, plant_basis, plant_project, site_project

__all__ = ["Finance", "build_finance", "Project", "ProjectResult", "Debt", "Tax", "evaluate_project",
           "FinanceInputError", "npv", "irr", "lcoe", "payback_year", "corporate_tax", "plant_project"]


@dataclass(frozen=True)
class Finance:
    """The finance stage's record: every project's inputs and result (nominal cash-flow tables, real NPVs),
    the portfolio entries with their jobs, the polysilicon plant, the fund, and the Energy Station's basis."""

    projects: dict[str, ProjectResult]
    inputs: dict[str, Project]
    portfolio: list[PortfolioEntry] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    polysilicon: object | None = None
    fund: object | None = None
    plant_basis: dict = field(default_factory=dict)  # how the Energy Station is valued (pv_project.plant_basis)
    plant_history: dict = field(default_factory=dict)  # as built: sunk capex, build-year jobs, whole-life IRR
    #: projects whose debt is sized on a lender's case other than P50: its energy level, the fraction of
    #: P50 energy, the system whose exceedance gave it, and the debt, DSCR and equity returns sized on P50
    debt_basis: dict = field(default_factory=dict)

    def entry(self, name: str) -> PortfolioEntry:
        return next(e for e in self.portfolio if e.name == name)


def _priced(project: Project, notes: dict[str, str]):
    """A step of :func:`finance_steps`: yields the project to evaluate and is sent its result (or its
    FinanceInputError); a loan the project's cash flow cannot carry is dropped, with a note."""
    result = yield project
    if isinstance(result, FinanceInputError):
        if project.debt is None or not all(k.startswith("debt.") for k, _, _ in result.problems):
            raise result
        notes[project.name] = "no debt: " + "; ".join(f for _, _, f in result.problems)
        result = yield Project(**{**project.__dict__, "debt": None})
        if isinstance(result, FinanceInputError):
            raise result
    return result


def _lockstep(steps: list) -> list:
    """Run :func:`finance_steps` generators side by side: the projects they wait on at each step are
    evaluated together (:func:`evaluate_projects`), so the same project of many study cases is computed
    as arrays. Each generator's Finance, or the exception it raised, in order."""
    out: list = [None] * len(steps)
    waiting: dict[int, Project] = {}

    def advance(i: int, sent) -> None:
        try:
            if isinstance(sent, _Raised):  # the evaluation of its project raised: in the generator, as alone
                waiting[i] = steps[i].throw(sent.error)
            else:
                waiting[i] = next(steps[i]) if sent is None else steps[i].send(sent)
        except StopIteration as stop:
            out[i] = stop.value
        except Exception as err:  # noqa: BLE001 - one case's error is its own; the caller raises it there
            out[i] = err

    for i in range(len(steps)):
        advance(i, None)
    while waiting:
        ids = list(waiting)
        projects = [waiting.pop(i) for i in ids]
        try:
            results = evaluate_projects(projects)
        except Exception:  # noqa: BLE001 - a project the engine cannot evaluate: each alone, its error its own
            results = []
            for project in projects:
                try:
                    results.append(evaluate_projects([project])[0])
                except Exception as err:  # noqa: BLE001
                    results.append(_Raised(err))
        for i, result in zip(ids, results):
            advance(i, result)
    return out


@dataclass(frozen=True)
class _Raised:
    """What evaluating a project raised (other than its FinanceInputError), for its generator."""

    error: Exception


def _places(scenario) -> dict[str, tuple[str, str]]:
    return {p.name: (p.level, p.function) for p in scenario.projects or ()}


def _jobs_for(scenario, name: str, project: Project, result: ProjectResult, *, pv_kwp: float = 0.0,
              pv_kind: str = "utility", manufacturing=None, staff_fte: float = 0.0, built_kwp: float | None = None):
    from pvcluster.finance import jobs as jobslib

    t = result.table
    real = (1.0 + project.inflation_fraction_per_year) ** t["year_index"].to_numpy(dtype=float)
    operating = (t["operating_year"] > 0).to_numpy(dtype=float)
    sells_power = any(k in project.revenue_krw for k in ("electricity", "export"))
    kwargs = dict(name=name, calendar_years=t["calendar_year"].to_numpy(), capex_krw_by_year=t["capex_krw"] / real,
                  operating_fraction_by_year=operating, facts=scenario.facts.jobs, pv_kwp=pv_kwp, pv_kind=pv_kind,
                  om_spend_krw_by_year=t["opex_krw"] / real, built_kwp=built_kwp)
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


def build_finance(scenario, generation, demand=None, sizing=None, projects: set[str] | None = None,
                  given_debt: dict[str, tuple[float, tuple[float, ...]]] | None = None,
                  polysilicon_details: bool = True, jobs: bool = True, fund: bool = True) -> Finance:
    """Every project of the scenario priced, the portfolio, jobs, polysilicon plant and fund.

    ``projects``: evaluate only these (a study's outputs may need a few; ``"fund"`` for the fund, whose
    projects must be among them); None evaluates everything. ``given_debt``: project -> (amount drawn,
    scheduled service by tenor year), loans already closed that these projects' cash flows are tested
    against instead of sizing their own (a fixed-design study). ``polysilicon_details=False``: the plant's
    chosen price scenario only, without its electricity-price curve and break-even prices (a study
    whose outputs do not name them). ``jobs=False``: no project's jobs (its portfolio entry has
    ``jobs = None``; a study whose outputs name no jobs). ``fund=False``: no fund (a study whose outputs
    do not name it)."""
    result = _lockstep([finance_steps(scenario, generation, demand, sizing, projects, given_debt,
                                      polysilicon_details, jobs, fund)])[0]
    if isinstance(result, BaseException):
        raise result
    return result


def build_finances(calls: list[tuple[tuple, dict]]) -> list:
    """:func:`build_finance` of many cases, ``(args, kwargs)`` each, with the projects they share computed
    together as arrays (:func:`evaluate_projects`): each case's Finance, or the exception it raised."""
    return _lockstep([finance_steps(*args, **kwargs) for args, kwargs in calls])


def finance_steps(scenario, generation, demand=None, sizing=None, projects: set[str] | None = None,
                  given_debt: dict[str, tuple[float, tuple[float, ...]]] | None = None,
                  polysilicon_details: bool = True, jobs: bool = True, fund: bool = True) -> Generator[Project, object, Finance]:
    """:func:`build_finance` (the same arguments) as a generator: it yields each project to evaluate, is
    sent its result (or its FinanceInputError) and returns the Finance; :func:`build_finances` runs many
    side by side."""
    with_jobs, with_fund = jobs, fund

    def want(name: str) -> bool:
        return projects is None or name in projects

    notes: dict[str, str] = {}
    places = _places(scenario)
    inputs: dict[str, Project] = {}
    results: dict[str, ProjectResult] = {}
    portfolio: list[PortfolioEntry] = []

    lender_level = scenario.finance.debt_sizing_energy
    debt_basis: dict[str, dict] = {}

    def lender(system: str) -> tuple[float, str]:
        return generation.energy_fraction_of_p50(system, lender_level) if lender_level != "p50" else (1.0, system)

    def add(project: Project, kind: str, default_place: tuple[str, str], lender_case=None, **jobs_kw):
        if given_debt and project.name in given_debt and project.debt is not None:
            amount, service = given_debt[project.name]
            project = replace(project, debt=replace(project.debt, sizing_revenue_krw=None, given_amount_krw=amount,
                                                    given_service_krw=service))
            lender_case = None
        result = yield from _priced(project, notes)
        inputs[project.name], results[project.name] = project, result
        if lender_case is not None and project.debt is not None and project.debt.sizing_revenue_krw:
            p50 = yield from _priced(replace(project, debt=replace(project.debt, sizing_revenue_krw=None)), {})
            debt_basis[project.name] = {
                "energy": lender_level, "energy_fraction": lender_case[0], "exceedance_of": lender_case[1],
                "p50_debt_nominal_krw": p50.debt_krw, "p50_min_dscr": p50.min_dscr,
                "p50_equity_irr_fraction": p50.equity_irr_fraction, "p50_equity_npv_krw": p50.equity_npv_krw}
        level, function = places.get(project.name, default_place)
        jobs = _jobs_for(scenario, project.name, project, result, **jobs_kw) if with_jobs else None
        portfolio.append(PortfolioEntry(project.name, level, function, kind, result, jobs, project.capex_krw,
                                        notes.get(project.name, "")))

    p = scenario.plant
    first_year_mwh = generation.plant_annual_mwh()
    plant_case = lender(p.name)
    plant = plant_project(scenario, first_year_mwh * 1000.0, generation.plant_ac_kw, plant_case[0])
    basis = plant_basis(scenario)
    if p.valuation == "as_built":
        notes[plant.name] = (f"valued as built: commercial operation {basis['commercial_operation_year']}, "
                             f"{basis['years_run']} years run, {basis['remaining_life_years']} left; capex "
                             f"{p.as_built_capex_krw / 1e9:,.1f} bn KRW sunk (out of the NPV)")
    if want(plant.name):
        yield from add(plant, "pv_plant", DEFAULT_PLACE["plant"], plant_case, pv_kwp=p.capacity_kwp, pv_kind="utility",
            built_kwp=0.0 if p.valuation == "as_built" else None)
    farm = farm_project(scenario)
    if farm is not None and want(farm.name):
        if p.valuation == "as_built":
            notes[farm.name] = (f"valued as built with the plant: its capital of {p.farm_capex_krw / 1e9:,.1f} bn KRW "
                                f"is sunk; {p.farm_area_ha:g} ha at the forest-crop income per hectare")
        yield from add(farm, "farm", DEFAULT_PLACE["farm"])

    villages = {v.name for v in scenario.villages}
    if sizing is not None:
        from pvcluster.market import TariffRules, tariff_calendar

        index = generation.plant_ac_kw.index
        calendar = tariff_calendar(index, TariffRules.from_facts(scenario.facts.market))
        for name, site in sizing.sites.items():
            if site.dispatch is None or site.baseline is None or not want(f"{name}_pv"):
                continue
            site_case = lender(p.name if name == "plant_extension" else name)
            project = site_project(scenario, name, site, sizing.site_inputs[name], index, calendar, site_case[0])
            if project is None:
                continue
            new_kwp = site.pv.new_capacity_kwp
            place = (DEFAULT_PLACE["village"] if name in villages
                     else DEFAULT_PLACE.get(name, DEFAULT_PLACE["county"]))
            kind = "utility" if name == "plant_extension" else "rooftop"
            yield from add(project, "site_pv", place, site_case, pv_kwp=new_kwp, pv_kind=kind)

    poly = None
    if demand is not None and scenario.polysilicon is not None and want(scenario.polysilicon.facility):
        from pvcluster.finance import polysilicon_link

        poly = polysilicon_link.build(scenario, demand, results, sizing, details=polysilicon_details)
        if poly is not None:
            project, result, manufacturing = poly.project, poly.result, poly.manufacturing
            inputs[project.name], results[project.name] = project, result
            level, function = places.get(project.name, DEFAULT_PLACE["polysilicon"])
            jobs = _jobs_for(scenario, project.name, project, result, manufacturing=manufacturing) if with_jobs else None
            portfolio.append(PortfolioEntry(project.name, level, function, "polysilicon", result, jobs,
                                            project.capex_krw))

    for spec in scenario.projects or ():
        if spec.name in results or not want(spec.name):
            continue  # a modelled project: the entry only gives its level and function
        project = cluster_project(scenario, spec)
        yield from add(project, "cluster", (spec.level, spec.function), staff_fte=spec.direct_jobs_fte)

    fund = None
    if with_fund and scenario.fund is not None and scenario.fund.tranches and want("fund"):
        from types import SimpleNamespace

        from pvcluster.finance import fund_link

        fund = fund_link.build(scenario, SimpleNamespace(projects=results, inputs=inputs))
    return Finance(results, inputs, portfolio, notes, polysilicon=poly, fund=fund, plant_basis=basis,
                   plant_history=plant_history(scenario), debt_basis=debt_basis)


def plant_history(scenario) -> dict:
    """What the forward valuation leaves out of an as-built plant: its sunk capex, the construction
    jobs of its build year, and whether a whole-life IRR can be computed (it needs every year's
    SMP and REC price since commercial operation, with sources; they are not among the inputs)."""
    p = scenario.plant
    if p.valuation != "as_built":
        return {}
    from pvcluster.finance import jobs as jobslib

    cod = p.commercial_operation_year or scenario.scenario.base_year
    built = jobslib.project_jobs(name=p.name, calendar_years=[cod - 1], capex_krw_by_year=[p.as_built_capex_krw],
                                 operating_fraction_by_year=[0.0], facts=scenario.facts.jobs, pv_kwp=p.capacity_kwp,
                                 pv_kind="utility")
    return {
        "as_built_capex_krw": p.as_built_capex_krw, "farm_capex_krw": p.farm_capex_krw,
        "construction_year": cod - 1,
        "construction_job_years": float(built.totals.get("total_job_years", 0.0)),
        "whole_life_irr_fraction": None,
        "whole_life_irr_note": ("not available: a whole-life IRR from commercial operation needs the SMP and REC "
                                f"prices of every year since {cod} with sources; annual means for 2015, 2017 and "
                                "2021-2024 (SMP) and 2014-2016, 2020 and 2023 (REC) were not found"),
    }


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

