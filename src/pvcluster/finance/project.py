"""The cash-flow engine: one project's annual cash flow, debt, tax and returns.

A :class:`Project` holds numbers only (no scenario, no files). :func:`evaluate_project` turns
it into a year-by-year table and the metrics analysts quote; :func:`evaluate_projects` does the
same for many projects, those of one structure computed together as arrays (a project a row: a
study's cases), and ``evaluate_project`` is such a group of one. Builders for PV projects, the
polysilicon plant and non-energy cluster projects make :class:`Project` objects.

Time and money
--------------
Year index ``t = 0 .. c + N - 1``: ``c`` construction years, then ``N`` operating years
(operating year ``k = t - c + 1``). Every flow sits at the end of its year, and
numpy-financial's convention applies: ``flows[0]`` is at t = 0 and not discounted,
``flows[t]`` is discounted by ``(1 + rate)^t``. Calendar year = ``base_year + t``.

Inputs are in real base-year KRW. A stream given for operating year k is escalated in real
terms by ``(1 + e)^(k-1)`` (year 1 at its input value) and made nominal by ``(1 + i)^t``
(inflation i). Taxes, debt and the cash flows in the table are nominal. The nominal
discount rate is ``(1 + r)(1 + i) - 1`` for the real rate r, so NPVs are in base-year KRW.

====== ============================================== ================================ =========
symbol meaning                                        name in code                     unit
====== ============================================== ================================ =========
E_t    energy delivered                               ``energy_kwh``                   kWh
R_t    revenue, sum of the streams                    ``revenue_krw``                  KRW
O_t    operating cost, sum of the streams             ``opex_krw``                     KRW
W_t    working capital, w x R_t                       ``working_capital_krw``          KRW
Dep_t  tax depreciation                               ``depreciation_krw``             KRW
I_t    interest (during construction: capitalised)    ``interest_krw``                 KRW
T_t    corporate + local income tax                   ``tax_krw``                      KRW
CFADS  R - O - T - dW                                 ``cfads_krw``                    KRW
DS_t   debt service                                   ``debt_service_krw``             KRW
X_t    capex; G_t capital grant                       ``capex_krw``, ``grant_krw``     KRW
====== ============================================== ================================ =========

- taxable income = R - O - Dep - I; tax from Korea's brackets plus local income tax, with
  losses carried forward (:func:`pvcluster.finance.cashflow.corporate_tax`).
- project (unlevered) cash flow = -X + G + R - O - dW - T_unlevered, where T_unlevered is the
  tax without the interest deduction;
- equity cash flow = -(X - G - debt drawn) + CFADS - DS - d(DSRA) (levered, after tax).
- Debt is sized either as a share of the net capex (``gearing``) or as the largest loan whose
  sculpted service keeps ``CFADS / DS = dscr_target`` in every repayment year (``dscr``,
  capped by the gearing). Tax depends on interest, which depends on the loan: the sizing
  iterates to a fixed point (a few rounds). ``Debt.dscr_basis`` picks the cash flow the cover
  (sculpting, DSCR, LLCR) is measured on: ``"after_tax"`` CFADS (the default, project-finance
  practice) or ``"pre_tax"`` R - O - dW, as SAM's single owner sizes its debt
  (``benchmarks/sam_crosscheck.py``).
- LCOE (SAM's definition for a single owner): the costs the owner bears are
  ``C_t = R_t - equity cash flow_t`` (capex not paid by grants or debt, operating cost, debt
  service, tax, reserves). ``LCOE_nominal = NPV(C, nominal rate) / NPV(E, nominal rate)`` and
  ``LCOE_real = NPV(C, nominal rate) / NPV(E, real rate)``. The denominator is the energy
  delivered at the meter, discounted like money (NREL ATB and SAM do the same).
- IRR is the nominal after-tax rate; ``None`` when the flows have no IRR (no sign change,
  or no real root) - never a made-up number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping

import numpy as np
import pandas as pd

from pvcluster.errors import PvclusterError
from pvcluster.finance import debt as debtlib
from pvcluster.finance.cashflow import (corporate_tax, declining_balance_depreciation, irr_rows, npv, payback_rows,
                                        straight_line_depreciation)

REPAYMENT_STYLES = ("annuity", "equal_principal", "sculpted")
DEBT_SIZING = ("gearing", "dscr")
DEPRECIATION_METHODS = ("straight_line", "declining_balance")
DSCR_BASES = ("after_tax", "pre_tax")


@dataclass(frozen=True)
class Debt:
    """Senior debt terms. ``sizing = "dscr"`` sculpts the repayment to ``dscr_target``."""

    sizing: str = "gearing"
    gearing_fraction: float = 0.0  # debt / (capex - grant); the cap when sizing by DSCR
    dscr_target: float = 1.3  # sizing "dscr": the cover every repayment year keeps; "gearing": a covenant
    rate_fraction: float = 0.05  # nominal
    tenor_years: int = 15  # from the first operating year, grace included
    grace_years: int = 0  # interest-only years at the start of operation
    repayment: str = "annuity"  # annuity | equal_principal | sculpted (always sculpted when sizing by DSCR)
    dsra_months: float = 0.0  # debt-service reserve: months of the next year's service
    upfront_fee_fraction: float = 0.0  # of the loan, paid at financial close, added to the tax basis
    # cash flow the cover is measured on (sculpting, DSCR, LLCR): "after_tax" = CFADS (R - O - T - dW,
    # project-finance practice); "pre_tax" = R - O - dW, SAM's "cash available for debt service"
    dscr_basis: str = "after_tax"
    # the lender's case the loan is sized on: revenue streams (real base-year KRW per operating year,
    # as Project.revenue_krw) that replace the project's own in the sculpting, e.g. a P90 year's
    # energy revenue; streams not named keep the project's. None: sized on the project's revenue (P50).
    sizing_revenue_krw: Mapping[str, np.ndarray] | None = None
    # a loan already closed (a lender's test of it): the amount drawn (before capitalised interest,
    # nominal) and the scheduled service of each tenor year (nominal); no sizing, the cash flow is
    # only tested against it. None: the loan is sized here.
    given_amount_krw: float | None = None
    given_service_krw: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Tax:
    thresholds_krw: tuple[float, ...] = ()
    rates_fraction: tuple[float, ...] = (0.0,)
    local_fraction_of_cit: float = 0.0
    depreciation_years: int = 20
    depreciation_method: str = "straight_line"
    depreciable_fraction: float = 1.0  # share of (capex - grant) written off (land is not)
    loss_carryforward_years: int | None = 15


@dataclass(frozen=True)
class Project:
    """One project's numbers. Streams are real base-year KRW per operating year (length N)."""

    name: str
    capex_krw: float
    operating_years: int
    construction_years: int = 1
    capex_schedule_fractions: tuple[float, ...] = ()  # per construction year; empty = even
    energy_kwh: np.ndarray | tuple = ()  # delivered per operating year; empty = none
    revenue_krw: Mapping[str, np.ndarray] = field(default_factory=dict)
    opex_krw: Mapping[str, np.ndarray] = field(default_factory=dict)
    escalation_fraction_per_year: Mapping[str, float] = field(default_factory=dict)  # real, by stream
    inflation_fraction_per_year: float = 0.0
    discount_rate_fraction: float = 0.045  # real
    equity_discount_rate_fraction: float | None = None  # real; None = discount_rate_fraction
    working_capital_fraction_of_revenue: float = 0.0
    capital_grant_krw: float = 0.0
    debt: Debt | None = None
    tax: Tax = Tax()
    base_year: int = 2025
    # an existing asset valued forward (construction_years = 0, capex 0): the tax depreciation of its
    # sunk capex still to come (nominal KRW per operating year), and its outstanding loan
    existing_depreciation_krw: np.ndarray | tuple = ()
    existing_debt_krw: float = 0.0  # balance at t = 0, repaid as an annuity at debt.rate_fraction
    existing_debt_years: int = 0
    existing_working_capital: bool = False  # its receivables are already held: no build-up in the first year


@dataclass(frozen=True)
class ProjectResult:
    name: str
    #: the yearly cash-flow table's columns (nominal KRW); :attr:`table` builds the DataFrame when first
    #: read (root finding and studies evaluate many projects whose tables nobody reads: ~1 ms each)
    columns: dict = field(repr=False)
    npv_krw: float  # project (unlevered) after-tax NPV at the discount rate
    irr_fraction: float | None  # project after-tax, nominal
    equity_npv_krw: float
    equity_irr_fraction: float | None
    lcoe_real_krw_per_kwh: float | None
    lcoe_nominal_krw_per_kwh: float | None
    payback_years: int | None  # from t = 0, on the project cash flow
    debt_krw: float
    min_dscr: float | None
    average_dscr: float | None
    llcr: float | None

    @cached_property
    def table(self) -> pd.DataFrame:
        """The yearly cash-flow table, nominal KRW."""
        return pd.DataFrame(self.columns)  # built at once: a column insert at a time cost ~4 ms a project

    @property
    def lcoe_krw_per_kwh(self) -> float | None:
        return self.lcoe_real_krw_per_kwh

    def metrics(self) -> dict:
        """JSON-ready headline numbers (units in the keys)."""
        return {
            "npv_krw": self.npv_krw, "irr_fraction": self.irr_fraction,
            "equity_npv_krw": self.equity_npv_krw, "equity_irr_fraction": self.equity_irr_fraction,
            "lcoe_krw_per_kwh": self.lcoe_real_krw_per_kwh,
            "lcoe_real_krw_per_kwh": self.lcoe_real_krw_per_kwh,
            "lcoe_nominal_krw_per_kwh": self.lcoe_nominal_krw_per_kwh,
            "payback_years": self.payback_years, "debt_krw": self.debt_krw,
            "min_dscr": self.min_dscr, "average_dscr": self.average_dscr, "llcr": self.llcr,
            "capex_krw": float(np.sum(self.columns["capex_krw"])),
        }


class FinanceInputError(ValueError, PvclusterError):
    """Project numbers that cannot be evaluated; ``problems`` lists (key, expected, found).

    An input error (exit 2 on the command line, not an internal bug); a ValueError too, for callers of
    the engine."""

    exit_code = 2

    def __init__(self, problems: list[tuple[str, str, str]], project: str = ""):
        self.problems = problems
        self.project = project
        super().__init__("; ".join(f"{k}: expected {e}; found {f}" for k, e, f in problems))

    def format(self) -> str:
        where = f" of project {self.project!r}" if self.project else ""
        return "\n".join([f"error: {len(self.problems)} problem{'s' if len(self.problems) != 1 else ''} in the "
                          f"finance inputs{where}:"] + [f"  - {k}: expected {e}; found {f}" for k, e, f in self.problems])


def _stream(values, n: int) -> np.ndarray:
    a = np.asarray(values, dtype=float).reshape(-1)
    if a.size == 1:
        return np.full(n, float(a[0]))
    return a


def check_project(p: Project) -> list[tuple[str, str, str]]:
    """Every problem with a project's numbers at once, as (key, expected, found)."""
    out: list[tuple[str, str, str]] = []
    n, c = p.operating_years, p.construction_years
    if not isinstance(n, (int, np.integer)) or n < 1:
        out.append(("operating_years", "an integer >= 1", repr(n)))
    if not isinstance(c, (int, np.integer)) or c < 0 or (c == 0 and p.capex_krw > 0):
        out.append(("construction_years", "an integer >= 1 (0 only for an existing asset without capex)", repr(c)))
    if p.existing_debt_krw < 0 or (p.existing_debt_krw > 0 and (p.debt is None or p.existing_debt_years < 1
                                                                or c != 0)):
        out.append(("existing_debt_krw", "a balance >= 0, with debt terms (its rate), existing_debt_years >= 1 "
                    "and no construction years", f"{p.existing_debt_krw!r} over {p.existing_debt_years} years"))
    if len(p.existing_depreciation_krw) and isinstance(n, (int, np.integer)) and \
            np.asarray(p.existing_depreciation_krw).size != n:
        out.append(("existing_depreciation_krw", f"{n} values (one per operating year)",
                    f"{np.asarray(p.existing_depreciation_krw).size}"))
    if not math.isfinite(p.capex_krw) or p.capex_krw < 0:
        out.append(("capex_krw", "a number >= 0", repr(p.capex_krw)))
    if not 0 <= p.capital_grant_krw <= max(p.capex_krw, 0):
        out.append(("capital_grant_krw", f"between 0 and the capex {p.capex_krw:,.0f}", repr(p.capital_grant_krw)))
    if p.capex_schedule_fractions:
        f = np.asarray(p.capex_schedule_fractions, dtype=float)
        if len(f) != c or np.any(f < 0) or abs(f.sum() - 1.0) > 1e-9:
            out.append(("capex_schedule_fractions", f"{c} fractions >= 0 that sum to 1",
                        f"{list(p.capex_schedule_fractions)}"))
    if not -0.5 < p.inflation_fraction_per_year < 1:
        out.append(("inflation_fraction_per_year", "a fraction between -0.5 and 1", repr(p.inflation_fraction_per_year)))
    if not -0.5 < p.discount_rate_fraction < 1:
        out.append(("discount_rate_fraction", "a fraction between -0.5 and 1", repr(p.discount_rate_fraction)))
    if not 0 <= p.working_capital_fraction_of_revenue < 1:
        out.append(("working_capital_fraction_of_revenue", "a fraction in [0, 1)",
                    repr(p.working_capital_fraction_of_revenue)))
    length_ok = isinstance(n, (int, np.integer)) and n >= 1
    for kind, streams in (("revenue", p.revenue_krw), ("opex", p.opex_krw)):
        for name, values in streams.items():
            a = np.asarray(values, dtype=float).reshape(-1)
            if length_ok and a.size not in (1, n):
                out.append((f"{kind}.{name}", f"one value or {n} (one per operating year)", f"{a.size} values"))
            if not np.all(np.isfinite(a)):
                out.append((f"{kind}.{name}", "finite numbers", "NaN or infinity"))
            if kind == "opex" and np.any(a < 0):
                out.append((f"{kind}.{name}", "costs >= 0 (a saving is a revenue)", f"{a.min():,.0f}"))
    if len(p.energy_kwh) and length_ok and np.asarray(p.energy_kwh).size not in (1, n):
        out.append(("energy_kwh", f"{n} values (one per operating year)", f"{np.asarray(p.energy_kwh).size}"))
    if len(p.energy_kwh) and np.any(np.asarray(p.energy_kwh, dtype=float) < 0):
        out.append(("energy_kwh", "energy >= 0", "a negative value"))
    t = p.tax
    if len(t.rates_fraction) != len(t.thresholds_krw) + 1:
        out.append(("tax.rates_fraction", f"{len(t.thresholds_krw) + 1} rates for {len(t.thresholds_krw)} thresholds",
                    f"{len(t.rates_fraction)} rates"))
    if any(not 0 <= r < 1 for r in t.rates_fraction):
        out.append(("tax.rates_fraction", "fractions in [0, 1)", f"{list(t.rates_fraction)}"))
    if list(t.thresholds_krw) != sorted(t.thresholds_krw) or any(x <= 0 for x in t.thresholds_krw):
        out.append(("tax.thresholds_krw", "increasing positive amounts", f"{list(t.thresholds_krw)}"))
    if t.depreciation_years < 1:
        out.append(("tax.depreciation_years", "an integer >= 1", repr(t.depreciation_years)))
    if t.depreciation_method not in DEPRECIATION_METHODS:
        out.append(("tax.depreciation_method", " or ".join(DEPRECIATION_METHODS), repr(t.depreciation_method)))
    if not 0 <= t.depreciable_fraction <= 1:
        out.append(("tax.depreciable_fraction", "a fraction in [0, 1]", repr(t.depreciable_fraction)))
    d = p.debt
    if d is not None:
        if d.sizing not in DEBT_SIZING:
            out.append(("debt.sizing", " or ".join(DEBT_SIZING), repr(d.sizing)))
        if d.dscr_basis not in DSCR_BASES:
            out.append(("debt.dscr_basis", " or ".join(DSCR_BASES), repr(d.dscr_basis)))
        if d.repayment not in REPAYMENT_STYLES:
            out.append(("debt.repayment", " or ".join(REPAYMENT_STYLES), repr(d.repayment)))
        if d.sizing == "gearing" and d.repayment == "sculpted":
            out.append(("debt.repayment", "annuity or equal_principal when the debt is sized by gearing "
                        "(sculpting follows from sizing = 'dscr')", "'sculpted'"))
        if not 0 <= d.gearing_fraction <= 1:
            out.append(("debt.gearing_fraction", "a fraction in [0, 1]", repr(d.gearing_fraction)))
        if d.tenor_years < 1:
            out.append(("debt.tenor_years", "an integer >= 1", repr(d.tenor_years)))
        elif length_ok and d.tenor_years > n:
            out.append(("debt.tenor_years", f"at most the operating life of {n} years", f"{d.tenor_years} years"))
        if not 0 <= d.grace_years < max(d.tenor_years, 1):
            out.append(("debt.grace_years", f"0 .. {d.tenor_years - 1} (shorter than the tenor)", repr(d.grace_years)))
        if not -0.5 < d.rate_fraction < 1:
            out.append(("debt.rate_fraction", "a fraction between -0.5 and 1", repr(d.rate_fraction)))
        if d.dscr_target <= 0:
            out.append(("debt.dscr_target", "a cover ratio > 0 (typically 1.2-1.5)", repr(d.dscr_target)))
        if d.dsra_months < 0 or d.dsra_months > 24:
            out.append(("debt.dsra_months", "0 to 24 months", repr(d.dsra_months)))
        if not 0 <= d.upfront_fee_fraction < 0.2:
            out.append(("debt.upfront_fee_fraction", "a fraction in [0, 0.2)", repr(d.upfront_fee_fraction)))
        unknown = sorted(set(d.sizing_revenue_krw or {}) - set(p.revenue_krw))
        if unknown:
            out.append(("debt.sizing_revenue_krw", "revenue streams of the project (" + ", ".join(sorted(p.revenue_krw))
                        + ")", repr(unknown)))
        for name, v in (d.sizing_revenue_krw or {}).items():
            a = np.asarray(v, dtype=float)
            if a.ndim > 1 or (a.ndim == 1 and len(a) != n) or not np.all(np.isfinite(a)):
                out.append((f"debt.sizing_revenue_krw.{name}", f"a finite number or {n} yearly values", f"{a.shape}"))
    return out


def _depreciation(p: Project, basis, horizon: int) -> np.ndarray:
    """The tax depreciation of ``basis`` (K values: K schedules, one a row)."""
    t = p.tax
    if t.depreciation_method == "declining_balance":
        return declining_balance_depreciation(basis, int(t.depreciation_years), p.construction_years, horizon)
    return straight_line_depreciation(basis, int(t.depreciation_years), p.construction_years, horizon)


def _tax(p: Project, taxable: np.ndarray) -> np.ndarray:
    t = p.tax
    return corporate_tax(taxable, np.asarray(t.thresholds_krw, dtype=float), np.asarray(t.rates_fraction),
                         t.local_fraction_of_cit, t.loss_carryforward_years)


def evaluate_project(p: Project) -> ProjectResult:
    """Cash flow, debt, tax and returns of one project (raises FinanceInputError on bad numbers)."""
    problems = check_project(p)
    if problems:
        raise FinanceInputError(problems, p.name)
    result = _evaluate_rows([p])[0]
    if isinstance(result, FinanceInputError):
        raise result
    return result


def evaluate_projects(projects) -> list[ProjectResult | FinanceInputError]:
    """:func:`evaluate_project` of each project, in order; a project whose numbers have problems gets its
    :class:`FinanceInputError` in its place instead of raising it.

    Projects of one structure (:func:`structure`: the same years, streams, tax and loan terms; the
    amounts, rates and escalations may differ) are computed together, one a row of each array: the
    cases of a study price the same projects with other numbers. The results are those of
    :func:`evaluate_project`, which computes a group of one."""
    out: list = [None] * len(projects)
    groups: dict[tuple, list[int]] = {}
    for i, p in enumerate(projects):
        problems = check_project(p)
        if problems:
            out[i] = FinanceInputError(problems, p.name)
        else:
            groups.setdefault(structure(p), []).append(i)
    for rows in groups.values():
        for i, r in zip(rows, _evaluate_rows([projects[i] for i in rows])):
            out[i] = r
    return out


def structure(p: Project) -> tuple:
    """What projects computed together must share: every term that shapes the arrays or picks a branch.
    Amounts (capex, grant, streams, energy, a given loan), rates, escalations and the gearing may differ."""
    d = p.debt
    if p.existing_debt_krw > 0:  # an as-built asset's outstanding loan
        loan: tuple = ("existing", d.rate_fraction, d.tenor_years, d.dscr_basis, int(p.existing_debt_years))
    elif d is not None and d.given_amount_krw is not None and p.construction_years > 0:
        loan = ("given", d.sizing, d.repayment, d.rate_fraction, d.tenor_years, d.grace_years, d.dsra_months,
                d.upfront_fee_fraction, d.dscr_basis,
                None if d.given_service_krw is None else len(d.given_service_krw))
    elif d is not None and d.gearing_fraction > 0 and p.construction_years > 0:
        loan = ("sized", d.sizing, d.repayment, d.rate_fraction, d.tenor_years, d.grace_years, d.dsra_months,
                d.upfront_fee_fraction, d.dscr_basis, d.dscr_target, tuple(d.sizing_revenue_krw or ()))
    else:
        loan = ("none", None if d is None else d.dscr_basis)
    tax = tuple(tuple(v) if isinstance(v, (list, tuple)) else v for v in p.tax.__dict__.values())
    return (int(p.construction_years), int(p.operating_years), tuple(p.capex_schedule_fractions),
            tuple(p.revenue_krw), tuple(p.opex_krw), bool(len(p.energy_kwh)), tax, p.base_year,
            bool(len(p.existing_depreciation_krw)), p.existing_working_capital, loan)


def _evaluate_rows(ps: list[Project]) -> list[ProjectResult | FinanceInputError]:
    """Projects of one :func:`structure`, computed together: row i of every array is project i."""
    p0 = ps[0]
    c, n = int(p0.construction_years), int(p0.operating_years)
    horizon = c + n
    t = np.arange(horizon)
    k = np.where(t >= c, t - c + 1, 0)  # operating year, 1-based

    def column(get) -> np.ndarray:  # one number per project, as a column
        return np.array([float(get(p)) for p in ps]).reshape(-1, 1)

    inflation_rate = column(lambda p: p.inflation_fraction_per_year)
    inflation = (1.0 + inflation_rate) ** t.astype(float)

    def place(streams: list, escalation: np.ndarray) -> np.ndarray:
        a = np.zeros((len(ps), horizon))
        a[:, c:] = np.array([_stream(v, n) for v in streams]) * (1.0 + escalation) ** np.arange(n)
        return a * inflation

    def escalation(name: str) -> np.ndarray:
        return column(lambda p: p.escalation_fraction_per_year.get(name, 0.0))

    revenues = {name: place([p.revenue_krw[name] for p in ps], escalation(name)) for name in p0.revenue_krw}
    opexes = {name: place([p.opex_krw[name] for p in ps], escalation(name)) for name in p0.opex_krw}
    revenue = sum(revenues.values(), np.zeros((len(ps), horizon)))
    opex = sum(opexes.values(), np.zeros((len(ps), horizon)))
    energy = np.zeros((len(ps), horizon))
    if len(p0.energy_kwh):
        energy[:, c:] = [_stream(p.energy_kwh, n) for p in ps]

    shares = (np.asarray(p0.capex_schedule_fractions, dtype=float) if p0.capex_schedule_fractions
              else np.full(c, 1.0 / c) if c else np.zeros(0))
    capex = np.zeros((len(ps), horizon))
    capex[:, :c] = column(lambda p: p.capex_krw) * shares * inflation[:, :c]
    grant = np.zeros((len(ps), horizon))
    grant[:, :c] = column(lambda p: p.capital_grant_krw) * shares * inflation[:, :c]

    wc_fraction = column(lambda p: p.working_capital_fraction_of_revenue)

    def wc_changes(revenue_rows: np.ndarray) -> np.ndarray:
        working_capital = wc_fraction * revenue_rows
        working_capital[:, -1] = 0.0  # released at the end of the life
        opening = working_capital[:, :1] if p0.existing_working_capital else np.zeros((len(ps), 1))
        return np.diff(np.concatenate([opening, working_capital], axis=1), axis=1)

    wc_change = wc_changes(revenue)
    net_capex = capex - grant
    basis0 = net_capex.sum(axis=1) * p0.tax.depreciable_fraction
    ebitda = revenue - opex
    existing_dep = np.zeros((len(ps), horizon))
    if len(p0.existing_depreciation_krw):
        existing_dep[:, c:] = [np.asarray(p.existing_depreciation_krw, dtype=float) for p in ps]
    tax_unlevered = _tax(p0, ebitda - _depreciation(p0, basis0, horizon) - existing_dep)
    project_flow = -net_capex + ebitda - wc_change - tax_unlevered

    kind = structure(p0)[-1][0]
    errors: list[FinanceInputError | None] = [None] * len(ps)
    d = p0.debt
    if kind == "existing":
        loan = _existing_loans(ps, horizon)
    elif kind == "given":
        service = (np.array([p.debt.given_service_krw for p in ps], dtype=float)
                   if d.given_service_krw is not None and (d.sizing == "dscr" or d.repayment == "sculpted") else None)
        loan = _build_loan(d, np.array([p.debt.given_amount_krw for p in ps], dtype=float), net_capex, c, horizon,
                           service)
    elif kind == "sized":
        if d.sizing_revenue_krw:  # sculpted on the lender's case, tested on the project's own
            case = {name: place([p.debt.sizing_revenue_krw.get(name, p.revenue_krw[name]) for p in ps],
                                escalation(name)) for name in p0.revenue_krw}
            revenue_case = sum(case.values(), np.zeros((len(ps), horizon)))
            loan, errors = _size_debt(ps, net_capex, revenue_case - opex, wc_changes(revenue_case), c, horizon)
        else:
            loan, errors = _size_debt(ps, net_capex, ebitda, wc_change, c, horizon)
    else:
        loan = _Loan.none(len(ps), horizon)

    depreciation = _depreciation(p0, basis0 + loan.fee_krw * p0.tax.depreciable_fraction + loan.idc_krw,
                                 horizon) + existing_dep
    taxable = ebitda - depreciation - loan.interest_operating
    tax = _tax(p0, taxable)
    cfads = ebitda - wc_change - tax
    cfads[:, :c] = 0.0
    equity_flow = (-net_capex + loan.draw - loan.fee + cfads - loan.service - loan.dsra_change)

    r_real = column(lambda p: p.discount_rate_fraction)
    r_nom = (1.0 + r_real) * (1.0 + inflation_rate) - 1.0
    re_real = column(lambda p: p.equity_discount_rate_fraction if p.equity_discount_rate_fraction is not None
                     else p.discount_rate_fraction)
    re_nom = (1.0 + re_real) * (1.0 + inflation_rate) - 1.0
    cover_flow = _cover_flow(d, cfads, ebitda - wc_change)
    cover_flow[:, :c] = 0.0
    cover = debtlib.dscr(cover_flow, loan.service)
    has_service = ~np.isnan(cover)

    owner_cost = revenue - equity_flow
    npv_project = npv(r_nom, project_flow)
    npv_equity = npv(re_nom, equity_flow)
    npv_owner_cost = npv(re_nom, owner_cost)
    npv_energy_nominal, npv_energy_real = npv(re_nom, energy), npv(re_real, energy)
    delivers = energy.sum(axis=1) > 0
    irr_project, irr_equity = irr_rows(project_flow), irr_rows(equity_flow)
    payback = payback_rows(project_flow)
    discounted = project_flow * (1.0 + r_nom) ** -t.astype(float)
    cumulative = np.cumsum(project_flow, axis=1)

    out: list[ProjectResult | FinanceInputError] = []
    for i, p in enumerate(ps):
        if errors[i] is not None:
            out.append(errors[i])
            continue
        columns = {"year_index": t, "calendar_year": p.base_year + t, "operating_year": k, "energy_kwh": energy[i]}
        columns.update({f"revenue_{name}_krw": a[i] for name, a in revenues.items()})
        columns["revenue_krw"] = revenue[i]
        columns.update({f"opex_{name}_krw": a[i] for name, a in opexes.items()})
        columns.update({
            "opex_krw": opex[i], "ebitda_krw": ebitda[i], "working_capital_change_krw": wc_change[i],
            "depreciation_krw": depreciation[i], "interest_krw": loan.interest_operating[i],
            "taxable_income_krw": taxable[i], "tax_krw": tax[i], "capex_krw": capex[i], "grant_krw": grant[i],
            "debt_draw_krw": loan.draw[i], "debt_fee_krw": loan.fee[i], "debt_principal_krw": loan.principal[i],
            "debt_service_krw": loan.service[i], "debt_balance_krw": loan.balance_end[i],
            "dsra_change_krw": loan.dsra_change[i], "cfads_krw": cfads[i], "dscr": cover[i],
            "project_cash_flow_krw": project_flow[i], "equity_cash_flow_krw": equity_flow[i],
            "cumulative_project_cash_flow_krw": cumulative[i], "discounted_project_cash_flow_krw": discounted[i]})
        principal = float(loan.principal_krw[i])
        served = has_service[i]
        out.append(ProjectResult(
            name=p.name, columns=columns,
            npv_krw=float(npv_project[i]), irr_fraction=irr_project[i],
            equity_npv_krw=float(npv_equity[i]), equity_irr_fraction=irr_equity[i],
            lcoe_real_krw_per_kwh=float(npv_owner_cost[i] / npv_energy_real[i]) if delivers[i] else None,
            lcoe_nominal_krw_per_kwh=float(npv_owner_cost[i] / npv_energy_nominal[i]) if delivers[i] else None,
            payback_years=payback[i],
            debt_krw=principal,
            min_dscr=float(np.min(cover[i][served])) if served.any() else None,
            average_dscr=float(np.mean(cover[i][served])) if served.any() else None,
            llcr=(debtlib.llcr(cover_flow[i, c:c + d.tenor_years], d.rate_fraction, principal)
                  if d is not None and principal > 0 else None),
        ))
    return out


@dataclass
class _Loan:
    """The loans of K projects on the same terms: every array has a row a project."""

    principal_krw: np.ndarray  # outstanding at the start of operation (incl. capitalised interest)
    idc_krw: np.ndarray  # interest during construction, capitalised
    fee_krw: np.ndarray
    draw: np.ndarray
    fee: np.ndarray
    interest_operating: np.ndarray
    principal: np.ndarray
    service: np.ndarray
    balance_end: np.ndarray
    dsra_change: np.ndarray

    @classmethod
    def none(cls, rows: int, horizon: int) -> "_Loan":
        z, zero = np.zeros((rows, horizon)), np.zeros(rows)
        return cls(zero, zero, zero, z, z, z, z, z, z, z)

    def where(self, rows: np.ndarray, other: "_Loan") -> "_Loan":
        """This loan in ``rows`` (a mask), ``other`` elsewhere."""
        return _Loan(**{name: np.where(rows if a.ndim == 1 else rows[:, None], a, getattr(other, name))
                        for name, a in self.__dict__.items()})


def _existing_loans(ps: list[Project], horizon: int) -> _Loan:
    """The outstanding loans of existing assets (the same rate and years), each repaid as an annuity from t = 0."""
    d = ps[0].debt
    years = min(int(ps[0].existing_debt_years), horizon)
    balance = np.array([p.existing_debt_krw for p in ps], dtype=float)
    sched = debtlib.repayment_schedule(balance, d.rate_fraction, years, 0, "annuity", None)
    z = np.zeros((len(ps), horizon))
    interest, principal, balance_end = z.copy(), z.copy(), z.copy()
    interest[:, :years] = sched.interest_krw
    principal[:, :years] = sched.principal_paid_krw
    balance_end[:, :years] = sched.balance_krw - sched.principal_paid_krw
    service = interest + principal
    # a reserve of an existing loan is already funded (outside this forward valuation)
    zero = np.zeros(len(ps))
    return _Loan(balance, zero, zero, z, z, interest, principal, service, balance_end, z)


def _draw_shares(net_capex: np.ndarray, c: int) -> np.ndarray:
    """Each construction year's share of the net capex, a row a project (even when there is none)."""
    total = net_capex[:, :c].sum(axis=1, keepdims=True)
    return np.where(total > 0, net_capex[:, :c] / np.where(total > 0, total, 1.0), 1.0 / c)


def _build_loan(d: Debt, amount: np.ndarray, net_capex: np.ndarray, c: int, horizon: int,
                service_krw: np.ndarray | None) -> _Loan:
    """Draw ``amount`` (base, before capitalised interest; one a project) pro rata with the net capex."""
    rows = len(amount)
    draw = np.zeros((rows, horizon))
    draw[:, :c] = amount[:, None] * _draw_shares(net_capex, c)
    balance = np.zeros(rows)
    idc = np.zeros(rows)
    for year in range(c):  # drawn at the end of each construction year; interest on the prior balance
        interest = d.rate_fraction * balance
        idc = idc + interest
        balance = balance + (interest + draw[:, year])  # the order of the sums of the scalar engine
    style = "sculpted" if d.sizing == "dscr" else d.repayment
    sched = debtlib.repayment_schedule(balance, d.rate_fraction, d.tenor_years, d.grace_years, style, service_krw)
    interest_op = np.zeros((rows, horizon))
    principal = np.zeros((rows, horizon))
    end = c + d.tenor_years
    interest_op[:, c:end] = sched.interest_krw
    principal[:, c:end] = sched.principal_paid_krw
    service = interest_op + principal
    balance_end = np.zeros((rows, horizon))
    balance_end[:, :c] = np.cumsum(draw[:, :c], axis=1)  # approximate during construction (IDC added at close)
    balance_end[:, c - 1] = balance
    balance_end[:, c:end] = sched.balance_krw - sched.principal_paid_krw
    fee = np.zeros((rows, horizon))
    fee[:, c - 1] = d.upfront_fee_fraction * amount
    target = np.zeros((rows, horizon))  # reserve held at the end of year t: months of year t+1's service
    target[:, :-1] = d.dsra_months / 12.0 * service[:, 1:]
    dsra_change = np.diff(np.concatenate([np.zeros((rows, 1)), target], axis=1), axis=1)
    return _Loan(balance, idc, fee.sum(axis=1), draw, fee, interest_op, principal, service, balance_end,
                 dsra_change)


def _size_debt(ps: list[Project], net_capex: np.ndarray, ebitda: np.ndarray, wc_change: np.ndarray,
               c: int, horizon: int) -> tuple[_Loan, list[FinanceInputError | None]]:
    """The loans of projects on the same terms (a row each), sized by gearing or sculpted to the DSCR
    target; a project whose cash flow cannot carry a loan gets its error in its place."""
    p0 = ps[0]
    d = p0.debt
    cap = np.array([p.debt.gearing_fraction for p in ps]) * net_capex.sum(axis=1)
    errors: list[FinanceInputError | None] = [None] * len(ps)
    if d.sizing == "gearing":
        return _build_loan(d, cap, net_capex, c, horizon, None), errors
    # DSCR sculpting: CFADS depends on tax, tax on interest, interest on the loan -> fixed point, project by
    # project: a project whose amount has settled keeps its loan while the others go on
    basis0 = net_capex.sum(axis=1) * p0.tax.depreciable_fraction
    loan = _Loan.none(len(ps), horizon)
    amount = cap
    active = np.ones(len(ps), dtype=bool)
    growth = _balance_per_unit_drawn(d, net_capex, c)
    for _ in range(100):
        depreciation = _depreciation(p0, basis0 + loan.fee_krw * p0.tax.depreciable_fraction + loan.idc_krw, horizon)
        cfads = ebitda - wc_change - _tax(p0, ebitda - depreciation - loan.interest_operating)
        window = _cover_flow(d, cfads, ebitda - wc_change)[:, c:c + d.tenor_years]
        # the largest balance at the start of operation that CFADS / DSCR repays
        limit_balance = debtlib.sculpted_principal(window, d.dscr_target, d.rate_fraction, d.tenor_years,
                                                   d.grace_years)
        # back out the amount drawn (capitalised interest grows the balance during construction)
        new_amount = np.minimum(cap, limit_balance / growth)
        service = np.zeros((len(ps), d.tenor_years))
        balance0 = new_amount * growth
        scale = np.where(limit_balance > 0, balance0 / np.where(limit_balance > 0, limit_balance, 1.0), 0.0)
        service[:, d.grace_years:] = np.maximum(window[:, d.grace_years:], 0.0) / d.dscr_target * scale[:, None]
        service[:, :d.grace_years] = d.rate_fraction * balance0[:, None]
        loan = _build_loan(d, new_amount, net_capex, c, horizon, service).where(active, loan)
        settled = np.abs(new_amount - amount) <= 1e-6 * np.maximum(1.0, cap)
        amount = np.where(active, new_amount, amount)
        active &= ~settled
        if not active.any():
            break
    for i, p in enumerate(ps):
        problems: list[tuple[str, str, str]] = []
        if loan.principal_krw[i] <= 0:
            problems.append(("debt.dscr_target", "a target the cash flow can meet with some debt",
                             f"{d.dscr_target}: the cash flow available for debt service is never positive "
                             "in the repayment years"))
        elif d.grace_years:
            window = (ebitda[i] - wc_change[i])[c:c + d.grace_years]
            short = window < d.dscr_target * d.rate_fraction * loan.principal_krw[i] - 1e-6
            if short.any():
                problems.append(("debt.dscr_target", f"cover {d.dscr_target} of the interest in the grace years",
                                 f"cash flow below {d.dscr_target} x interest in operating year "
                                 f"{int(np.argmax(short)) + 1}; shorten the grace or lower the target"))
        if problems:
            errors[i] = FinanceInputError(problems)
    return loan, errors


def _cover_flow(d: Debt | None, cfads: np.ndarray, pre_tax: np.ndarray) -> np.ndarray:
    """The cash flow debt service is measured against: CFADS, or pre-tax for ``dscr_basis = "pre_tax"``."""
    return np.array(pre_tax if d is not None and d.dscr_basis == "pre_tax" else cfads, dtype=float)


def _balance_per_unit_drawn(d: Debt, net_capex: np.ndarray, c: int) -> np.ndarray:
    """The balance at the start of operation per unit drawn, a project a row (interest capitalised)."""
    shares = _draw_shares(net_capex, c)
    balance = np.zeros(len(net_capex))
    for year in range(c):
        balance = balance * (1.0 + d.rate_fraction) + shares[:, year]
    return balance


def covenant_problems(result: ProjectResult, d: Debt | None) -> list[tuple[str, str, str]]:
    """A loan sized by gearing whose cover falls below the DSCR target (an unreachable target)."""
    if d is None or d.sizing != "gearing" or result.min_dscr is None or result.min_dscr >= d.dscr_target - 1e-9:
        return []
    tbl = result.table
    worst = tbl.loc[tbl["dscr"].idxmin()]
    return [("debt.dscr_target", f"a minimum DSCR of at least {d.dscr_target} at gearing {d.gearing_fraction}",
             f"{result.min_dscr:.3f} in {int(worst['calendar_year'])}; lower the gearing or size the debt "
             "with sizing = 'dscr'")]
