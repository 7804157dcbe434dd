"""One project from a TOML file, for ``pvcluster finance PROJECT.toml``.

The file describes a project in real base-year KRW; every key and its unit is declared in
:data:`PROJECT_SCHEMA` below (``pvcluster finance --help`` points here, README shows an
example). Validation collects every problem at once: the schema's, then the engine's
(:func:`pvcluster.finance.project.check_project`, e.g. a tenor longer than the life), then
the debt sizing's (a DSCR target the cash flow cannot meet), each naming the file and key.
Without a ``[tax]`` table the Korean corporate tax brackets of the packaged
``inputs/costs_korea.toml`` apply.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np

from pvcluster.errors import InputError, Problem
from pvcluster.finance.project import (DEBT_SIZING, DEPRECIATION_METHODS, REPAYMENT_STYLES, Debt,
                                       FinanceInputError, Project, ProjectResult, Tax, check_project,
                                       covenant_problems, evaluate_project)
from pvcluster.schema import Context, Field, Table, TableArray, toml_error, validate

_N, _I, _S, _B = "number", "integer", "string", "bool"

STREAM = {
    "name": Field(_S, doc="names the column revenue_<name>_krw / opex_<name>_krw"),
    "amount_krw_per_year": Field(_N, default=0.0, unit="KRW/yr", ge=0, doc="a fixed amount each operating year"),
    "price_krw_per_kwh": Field(_N, default=0.0, unit="KRW/kWh", ge=0, doc="times the energy of each year"),
    "escalation_fraction_per_year": Field(_N, default=0.0, unit="fraction/yr", ge=-0.5, le=1,
                                          doc="real escalation from operating year 1"),
}

PROJECT_SCHEMA = Table({
    "project": Table({
        "name": Field(_S, default="project"),
        "base_year": Field(_I, default=2025, ge=1900, le=2200),
        "construction_years": Field(_I, default=1, ge=1, le=10),
        "operating_years": Field(_I, ge=1, le=60),
        "capex_krw": Field(_N, unit="KRW", ge=0),
        "capital_grant_krw": Field(_N, default=0.0, unit="KRW", ge=0),
        "discount_rate_fraction": Field(_N, unit="fraction", ge=0, lt=1, doc="real"),
        "equity_discount_rate_fraction": Field(_N, default=-1.0, unit="fraction", ge=-1, lt=1,
                                               doc="real; -1 = the discount rate"),
        "inflation_fraction_per_year": Field(_N, default=0.0, unit="fraction/yr", ge=-0.05, le=0.5),
        "working_capital_fraction_of_revenue": Field(_N, default=0.0, unit="fraction", ge=0, lt=1),
    }),
    "energy": Table({
        "first_year_kwh": Field(_N, default=0.0, unit="kWh", ge=0),
        "degradation_fraction_per_year": Field(_N, default=0.0, unit="fraction/yr", ge=0, lt=1),
    }, optional=True),
    "revenue": TableArray(Table(dict(STREAM)), unique_key="name"),
    "opex": TableArray(Table({
        **STREAM,
        "fraction_of_capex": Field(_N, default=0.0, unit="fraction/yr", ge=0, lt=1),
        "in_year": Field(_I, default=0, ge=0, le=60, doc="one-off in this operating year; 0 = every year"),
    }), unique_key="name"),
    "debt": Table({
        "sizing": Field(_S, default="gearing", choices=DEBT_SIZING),
        "gearing_fraction": Field(_N, default=0.8, unit="fraction", ge=0, le=1),
        "dscr_target": Field(_N, default=1.3, unit="-", gt=0, le=10),
        "rate_fraction": Field(_N, default=0.055, unit="fraction", ge=0, lt=1, doc="nominal"),
        "tenor_years": Field(_I, default=15, ge=1, le=60),
        "grace_years": Field(_I, default=0, ge=0, le=59),
        "repayment": Field(_S, default="annuity", choices=REPAYMENT_STYLES),
        "dsra_months": Field(_N, default=0.0, unit="months", ge=0, le=24),
        "upfront_fee_fraction": Field(_N, default=0.0, unit="fraction", ge=0, lt=0.2),
    }, optional=True),
    "tax": Table({
        "thresholds_krw": Field("number_list", default=(), unit="KRW", gt=0),
        "rates_fraction": Field("number_list", default=(), unit="fraction", ge=0, lt=1),
        "local_fraction_of_cit": Field(_N, default=-1.0, unit="fraction", ge=-1, lt=1, doc="-1 = Korea's"),
        "depreciation_years": Field(_I, default=20, ge=1, le=60),
        "depreciation_method": Field(_S, default="straight_line", choices=DEPRECIATION_METHODS),
        "depreciable_fraction": Field(_N, default=1.0, unit="fraction", ge=0, le=1),
        "loss_carryforward_years": Field(_I, default=15, ge=0, le=100),
    }, optional=True),
})


def _korean_tax_defaults() -> tuple[tuple, tuple, float]:
    from pvcluster.facts import load_fact_file
    from pvcluster.resources import data_root

    problems: list[Problem] = []
    costs = load_fact_file("costs", data_root() / "inputs" / "costs_korea.toml", problems)
    if problems:
        raise InputError(problems)
    return (tuple(costs["corporate_tax_bracket_thresholds_krw"].value),
            tuple(costs["corporate_tax_rates_fraction"].value), costs["local_income_tax_fraction_of_cit"].value)


def project_from_settings(s, where: str) -> Project:
    """A validated project file's settings -> Project (raises InputError naming the file)."""
    p = s.project
    n = p.operating_years
    energy = np.zeros(n)
    if s.energy is not None and s.energy.first_year_kwh:
        energy = s.energy.first_year_kwh * (1.0 - s.energy.degradation_fraction_per_year) ** np.arange(n)
    revenue, opex, escalation = {}, {}, {}
    for r in s.revenue:
        revenue[r.name] = r.amount_krw_per_year + r.price_krw_per_kwh * energy
        escalation[r.name] = r.escalation_fraction_per_year
    for o in s.opex:
        every = o.amount_krw_per_year + o.price_krw_per_kwh * energy + o.fraction_of_capex * p.capex_krw
        if o.in_year:
            one = np.zeros(n)
            if o.in_year <= n:
                one[o.in_year - 1] = every[o.in_year - 1]
            every = one
        opex[o.name] = every * np.ones(n)
        escalation[o.name] = o.escalation_fraction_per_year
    t = s.tax
    if t is None or not t.rates_fraction:
        thresholds, rates, local = _korean_tax_defaults()
        if t is not None and t.local_fraction_of_cit >= 0:
            local = t.local_fraction_of_cit
    else:
        thresholds, rates = tuple(t.thresholds_krw), tuple(t.rates_fraction)
        local = max(t.local_fraction_of_cit, 0.0)
    tax = Tax(thresholds, rates, local,
              depreciation_years=t.depreciation_years if t else 20,
              depreciation_method=t.depreciation_method if t else "straight_line",
              depreciable_fraction=t.depreciable_fraction if t else 1.0,
              loss_carryforward_years=t.loss_carryforward_years if t else 15)
    d = s.debt
    debt = None if d is None else Debt(
        sizing=d.sizing, gearing_fraction=d.gearing_fraction, dscr_target=d.dscr_target, rate_fraction=d.rate_fraction,
        tenor_years=d.tenor_years, grace_years=d.grace_years,
        repayment="sculpted" if d.sizing == "dscr" else d.repayment, dsra_months=d.dsra_months,
        upfront_fee_fraction=d.upfront_fee_fraction)
    return Project(
        name=p.name, capex_krw=p.capex_krw, operating_years=n, construction_years=p.construction_years,
        energy_kwh=energy if energy.any() else (), revenue_krw=revenue, opex_krw=opex,
        escalation_fraction_per_year=escalation, inflation_fraction_per_year=p.inflation_fraction_per_year,
        discount_rate_fraction=p.discount_rate_fraction,
        equity_discount_rate_fraction=None if p.equity_discount_rate_fraction < 0 else p.equity_discount_rate_fraction,
        working_capital_fraction_of_revenue=p.working_capital_fraction_of_revenue,
        capital_grant_krw=p.capital_grant_krw, debt=debt, tax=tax, base_year=p.base_year)


def _key(k: str) -> str:
    """Engine keys (``opex.om``, ``debt.tenor_years``) -> file keys."""
    head = k.split(".")[0]
    if head in ("debt", "tax", "opex", "revenue", "energy"):
        return k
    return f"project.{k}"


def load_project(path: str | Path) -> Project:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(Problem(str(path), "", "a project TOML file", "no such file")) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(toml_error(path, exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(str(path), "", "a readable UTF-8 text file", str(exc))) from None
    ctx = Context(where=str(path))
    settings = validate(raw, PROJECT_SCHEMA, ctx)
    if ctx.problems or settings is None:
        raise InputError(ctx.problems)
    if settings.debt is not None and settings.debt.sizing == "gearing" and settings.debt.repayment == "sculpted":
        raise InputError(Problem(str(path), "debt.repayment", "annuity or equal_principal with sizing = 'gearing' "
                                 "(sculpting needs sizing = 'dscr')", "'sculpted'"))
    project = project_from_settings(settings, str(path))
    if "debt" not in raw:  # no [debt] table: an all-equity project
        project = Project(**{**project.__dict__, "debt": None})
    problems = check_project(project)
    if problems:
        raise InputError([Problem(str(path), _key(k), e, f) for k, e, f in problems])
    return project


def evaluate_file(path: str | Path) -> tuple[Project, ProjectResult]:
    """Load, check and evaluate a project file; every user mistake becomes an InputError."""
    project = load_project(path)
    try:
        result = evaluate_project(project)
    except FinanceInputError as err:
        raise InputError([Problem(str(path), _key(k), e, f) for k, e, f in err.problems]) from None
    problems = covenant_problems(result, project.debt)
    if problems:
        raise InputError([Problem(str(path), _key(k), e, f) for k, e, f in problems])
    return project, result
