"""Polysilicon plant economics: capex, cash cost per kg, a cash flow per price scenario.

Pure helpers compute the plant's numbers from its facts (``inputs/polysilicon_korea.toml``,
declared in :data:`FACTS`); :func:`polysilicon_project` turns them into the cash-flow engine's
:class:`~pvcluster.finance.project.Project`, and :func:`evaluate_polysilicon` prices it under
the selling-price scenarios (low, mid, high), with the break-even selling price and the NPV
against the electricity price. Money is real base-year KRW; USD is converted at ``krw_per_usd``.

Equations
---------
Capex (two bases: ``"korea"``, Korean Siemens plants of 2008-11, or ``"global"``, modern
Chinese plants of 2021; below or above the reference size a power law):

    X = c_ref * Q_ref * (Q / Q_ref)^b * (1 - f_X)        f_X = FBR capex reduction (0 for Siemens)

Timing: the plant operates from calendar year y_s (the facility's ``start_year``, the year the
demand stage starts its load); it is built in the c years before, after y_s - c - y_0 idle years
from the base year y_0 (zero capex, no flows):

    t_op = y_s - y_0 = delay + c,   delay = y_s - c - y_0 >= 0     (first operating year index)

Output and electricity in operating year k (ramp-up u_k: the facility's ``ramp_up_fractions``,
the same list that scales its load in the demand stage; 1 after the listed years):

    M_k = 1000 * Q * U * u_k                              (kg)
    E_k = M_k * e,   e = e_S * (1 - f_E)                  (kWh; f_E = FBR electricity reduction)
    P_peak = 1000 * Q * e / 8760                          (kW, the nameplate load, billed every year)

Electricity price paid per kWh (share s from cluster PV under a PPA, the rest from the grid):

    p_E = s * p_PPA + (1 - s) * p_grid

Cash cost per kg at full output (k large, u_k = 1):

    C_E   = e * p_E                                       electricity (energy)
    C_D   = B / M                                         grid basic charge (the meter's bill, all 12 months)
    C_F   = x * (m_Si * p_Si + p_chem)                    feedstock and chemicals
    C_L   = L * w / M,  L = l * Q / 1000 * (1 - f_L)      labour (f_L = FBR labour reduction)
    C_M   = f_M * X / M                                   maintenance, insurance, overheads
    C     = C_E + C_D + C_F + C_L + C_M

Project streams per operating year (passed to the engine, which applies tax, working capital
w_R * R_k, depreciation and discounting): revenue R_k = M_k * p_S; opex = E_k * s * p_PPA
(PPA electricity) + E_k * (1 - s) * p_grid (grid energy) + 12 d P_peak + M_k C_F + L w + f_M X.

Break-even selling price p_S* solves NPV(p_S) = 0 (``scipy.optimize.brentq`` on
[0, 1000 USD/kg]; None when the NPV has the same sign at both ends). NPV against the
electricity price: every kWh priced at p (grid and PPA alike), the demand charge kept;
the break-even electricity price p* solves NPV(p) = 0 on [0, 5000 KRW/kWh] (None when even
free electricity leaves the NPV negative). Without tax, dNPV/dp = -sum_k E_k / (1 + r)^(c+k-1)
exactly; with Korea's progressive tax and loss carry-forward the line is piecewise linear.

========= ================================================= ======================================= ==============
symbol    meaning                                           name in code                            unit
========= ================================================= ======================================= ==============
Q         nameplate capacity                                ``capacity_t``                          t/yr
c_ref     capex per t/yr of the reference plant             ``siemens_capex_*``                     KRW per t/yr
Q_ref     reference capacity                                ``capex_*_reference_capacity_t``        t/yr
b         capex scaling exponent                            ``capex_scaling_exponent``              -
X         capex                                             ``capex_krw``                           KRW
U         utilisation at full operation                     ``utilisation_fraction``                fraction
u_k       ramp-up fraction, operating year k (facility)     ``ramp_up_fractions``                   fraction
y_s, y_0  first operating year (facility), base year        ``start_year``, ``base_year``           calendar year
c         construction years                                ``construction_years``                  years
M_k       output                                            ``output_kg`` (``output_t`` in t)       kg
e_S, e    electricity per kg: Siemens, this plant           ``electricity_kwh_per_kg``              kWh/kg
E_k       electricity use                                   ``electricity_kwh``                     kWh
P_peak    billed demand                                     ``demand_kw``                           kW
s         share of electricity from cluster PV (PPA)        ``pv_share_fraction``                   fraction
p_PPA     PPA price                                         ``ppa_price_krw_per_kwh``               KRW/kWh
p_grid    grid energy tariff, flat-load equivalent          ``grid_tariff_krw_per_kwh``             KRW/kWh
B         grid basic charge per year (its meter's bill)     ``grid_basic_krw_per_year``             KRW/yr
x         KRW per USD                                       ``krw_per_usd``                         KRW/USD
m_Si      metallurgical silicon per kg of polysilicon       ``mg_si_kg_per_kg``                     kg/kg
p_Si      metallurgical silicon price                       ``mg_si_usd_per_kg``                    USD/kg
p_chem    chemicals and consumables                         ``chemicals_usd_per_kg``                USD/kg
l, L      labour intensity; plant staff                     ``labour_fte_per_1000_t``, ``labour_fte`` FTE
w         employer cost per FTE                             ``labour_cost_krw_per_fte_year``        KRW/yr
f_M       maintenance as a share of capex                   ``maintenance_fraction_of_capex``       fraction/yr
p_S       selling price                                     ``price_krw_per_kg``                    KRW/kg
w_R       working capital                                   ``working_capital_fraction_of_revenue`` fraction
========= ================================================= ======================================= ==============
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from pvcluster.finance.project import Debt, Project, ProjectResult, Tax, evaluate_project
from pvcluster.facts_finance import POLYSILICON_FACTS


TECHNOLOGIES = ("siemens", "fbr")
CAPEX_BASES = ("korea", "global")
SCENARIOS = ("low", "mid", "high")
HOURS_PER_YEAR = 8760.0
PRICE_BRACKET_USD_PER_KG = (0.0, 1000.0)  # wide: ten times the 2008 spot peak (facts 5d)
ELECTRICITY_BRACKET_KRW_PER_KWH = (0.0, 5000.0)  # wide: about 40 x the industrial tariff
DEFAULT_ELECTRICITY_PRICES_KRW_PER_KWH = tuple(float(p) for p in range(50, 201, 10))

FACTS = POLYSILICON_FACTS


# ------------------------------------------------------------------------------------------------
# pure helpers
# ------------------------------------------------------------------------------------------------

def _check_technology(technology: str) -> None:
    if technology not in TECHNOLOGIES:
        raise ValueError(f"technology: expected one of {', '.join(TECHNOLOGIES)}; found {technology!r}")


def capex_per_t_reference_krw(facts: Any, capex_basis: str = "korea") -> tuple[float, float]:
    """(Siemens capex per t/yr of the reference plant in KRW, reference capacity in t/yr)."""
    if capex_basis == "korea":
        return float(facts.siemens_capex_korea_krw_per_t_per_year), float(facts.capex_korea_reference_capacity_t)
    if capex_basis == "global":
        return (float(facts.siemens_capex_global_usd_per_kg_per_year) * 1000.0 * float(facts.krw_per_usd),
                float(facts.capex_global_reference_capacity_t))
    raise ValueError(f"capex_basis: expected one of {', '.join(CAPEX_BASES)}; found {capex_basis!r}")


def capex_krw(capacity_t: float, technology: str, facts: Any, capex_basis: str = "korea") -> float:
    """X = c_ref Q_ref (Q / Q_ref)^b (1 - f_X)."""
    _check_technology(technology)
    if capacity_t <= 0:
        raise ValueError(f"capacity_t: expected > 0; found {capacity_t!r}")
    per_t, reference_t = capex_per_t_reference_krw(facts, capex_basis)
    x = per_t * reference_t * (capacity_t / reference_t) ** float(facts.capex_scaling_exponent)
    if technology == "fbr":
        x *= 1.0 - float(facts.fbr_capex_reduction_fraction)
    return float(x)


def electricity_kwh_per_kg(technology: str, facts: Any) -> float:
    """e = e_S (1 - f_E) for FBR, e_S for Siemens."""
    _check_technology(technology)
    e = float(facts.siemens_electricity_kwh_per_kg)
    return e * (1.0 - float(facts.fbr_electricity_reduction_fraction)) if technology == "fbr" else e


def labour_fte(capacity_t: float, technology: str, facts: Any) -> float:
    """L = l Q / 1000 (1 - f_L for FBR)."""
    _check_technology(technology)
    fte = float(facts.labour_fte_per_1000_t) * capacity_t / 1000.0
    return fte * (1.0 - float(facts.fbr_labour_reduction_fraction)) if technology == "fbr" else fte


def ramp_up(ramp_up_fractions: Sequence[float], operating_years: int) -> np.ndarray:
    """u_k for k = 1..N: the listed fractions (the facility's ``ramp_up_fractions``), then 1."""
    u = np.ones(int(operating_years))
    listed = np.asarray(ramp_up_fractions, dtype=float).reshape(-1)[: int(operating_years)]
    if np.any(~np.isfinite(listed)) or np.any(listed < 0) or np.any(listed > 1):
        raise ValueError(f"ramp_up_fractions: expected fractions in [0, 1]; found {list(ramp_up_fractions)!r}")
    u[: len(listed)] = listed
    return u


def output_t(capacity_t: float, facts: Any, operating_years: int | None = None,
             ramp_up_fractions: Sequence[float] = ()) -> np.ndarray:
    """Output per operating year, M_k / 1000 = Q U u_k (t); no ramp-up listed: full output from year 1."""
    n = int(round(facts.operating_years)) if operating_years is None else int(operating_years)
    return capacity_t * float(facts.utilisation_fraction) * ramp_up(ramp_up_fractions, n)


def construction_delay_years(facts: Any, base_year: int, start_year: int | None = None) -> int:
    """delay = y_s - c - y_0: idle years before construction so that operation starts in y_s.

    ``start_year`` None (or 0) starts construction in the base year (operation in y_0 + c).
    A plant that would have to be built before the base year is an error.
    """
    c = int(round(facts.construction_years))
    if not start_year:
        return 0
    delay = int(start_year) - c - int(base_year)
    if delay < 0:
        raise ValueError(f"start_year: expected a year >= {int(base_year) + c} (base year {int(base_year)} + "
                         f"{c} construction years); found {int(start_year)}")
    return delay


def demand_kw(capacity_t: float, kwh_per_kg: float) -> float:
    """P_peak = 1000 Q e / 8760: the nameplate load billed by the demand charge."""
    return capacity_t * 1000.0 * kwh_per_kg / HOURS_PER_YEAR


def blended_electricity_price_krw_per_kwh(grid_tariff_krw_per_kwh: float, pv_share_fraction: float = 0.0,
                                          ppa_price_krw_per_kwh: float | None = None) -> float:
    """p_E = s p_PPA + (1 - s) p_grid."""
    if not 0.0 <= pv_share_fraction <= 1.0:
        raise ValueError(f"pv_share_fraction: expected a fraction in [0, 1]; found {pv_share_fraction!r}")
    if pv_share_fraction > 0 and ppa_price_krw_per_kwh is None:
        raise ValueError("ppa_price_krw_per_kwh: expected a price when pv_share_fraction > 0; found None")
    ppa = 0.0 if ppa_price_krw_per_kwh is None else float(ppa_price_krw_per_kwh)
    return pv_share_fraction * ppa + (1.0 - pv_share_fraction) * float(grid_tariff_krw_per_kwh)


def feedstock_krw_per_kg(facts: Any) -> float:
    """C_F = x (m_Si p_Si + p_chem)."""
    return float(facts.krw_per_usd) * (float(facts.mg_si_kg_per_kg) * float(facts.mg_si_usd_per_kg)
                                       + float(facts.chemicals_usd_per_kg))


def _grid(grid_tariff_krw_per_kwh: float | None, grid_basic_krw_per_year: float | None) -> tuple[float, float]:
    if grid_tariff_krw_per_kwh is None or grid_basic_krw_per_year is None:
        raise ValueError("grid_tariff_krw_per_kwh and grid_basic_krw_per_year: expected the plant's KEPCO energy "
                         "price and yearly basic charge (pvcluster.finance.polysilicon_link bills its meter with "
                         "pvcluster.market); found None")
    return float(grid_tariff_krw_per_kwh), float(grid_basic_krw_per_year)


@dataclass(frozen=True)
class CashCost:
    """Cash cost per kg at full output (ramp-up over), by component, KRW/kg."""

    electricity_krw_per_kg: float
    demand_charge_krw_per_kg: float
    feedstock_krw_per_kg: float
    labour_krw_per_kg: float
    maintenance_krw_per_kg: float
    krw_per_usd: float

    @property
    def total_krw_per_kg(self) -> float:
        return (self.electricity_krw_per_kg + self.demand_charge_krw_per_kg + self.feedstock_krw_per_kg
                + self.labour_krw_per_kg + self.maintenance_krw_per_kg)

    @property
    def total_usd_per_kg(self) -> float:
        return self.total_krw_per_kg / self.krw_per_usd

    def to_dict(self) -> dict[str, float]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "krw_per_usd"}
        d["total_krw_per_kg"] = self.total_krw_per_kg
        d["total_usd_per_kg"] = self.total_usd_per_kg
        return d


def cash_cost_per_kg(capacity_t: float, technology: str, facts: Any, *,
                     grid_tariff_krw_per_kwh: float | None = None, grid_basic_krw_per_year: float | None = None,
                     pv_share_fraction: float = 0.0, ppa_price_krw_per_kwh: float | None = None,
                     capex_basis: str = "korea") -> CashCost:
    """C = C_E + C_D + C_F + C_L + C_M at full output (see the module docstring)."""
    grid, basic = _grid(grid_tariff_krw_per_kwh, grid_basic_krw_per_year)
    e = electricity_kwh_per_kg(technology, facts)
    kg = capacity_t * 1000.0 * float(facts.utilisation_fraction)
    x = capex_krw(capacity_t, technology, facts, capex_basis)
    return CashCost(
        electricity_krw_per_kg=e * blended_electricity_price_krw_per_kwh(grid, pv_share_fraction, ppa_price_krw_per_kwh),
        demand_charge_krw_per_kg=basic / kg,
        feedstock_krw_per_kg=feedstock_krw_per_kg(facts),
        labour_krw_per_kg=labour_fte(capacity_t, technology, facts) * float(facts.labour_cost_krw_per_fte_year) / kg,
        maintenance_krw_per_kg=float(facts.maintenance_fraction_of_capex) * x / kg,
        krw_per_usd=float(facts.krw_per_usd),
    )


def scenario_price_usd_per_kg(facts: Any, scenario: str) -> float:
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario: expected one of {', '.join(SCENARIOS)}; found {scenario!r}")
    return float(getattr(facts, f"price_{scenario}_usd_per_kg"))


def tax_from_costs(costs: Any, depreciation_years: int) -> Tax:
    """Korea's corporate tax from the ``costs`` facts, with the plant's depreciation life."""
    return Tax(thresholds_krw=tuple(costs.corporate_tax_bracket_thresholds_krw),
               rates_fraction=tuple(costs.corporate_tax_rates_fraction),
               local_fraction_of_cit=float(costs.local_income_tax_fraction_of_cit),
               depreciation_years=int(depreciation_years))


# ------------------------------------------------------------------------------------------------
# the project
# ------------------------------------------------------------------------------------------------

def polysilicon_project(capacity_t: float, technology: str, facts: Any, *, price_krw_per_kg: float,
                        discount_rate_fraction: float, tax: Tax = Tax(),
                        grid_tariff_krw_per_kwh: float | None = None, grid_basic_krw_per_year: float | None = None,
                        pv_share_fraction: float = 0.0,
                        ppa_price_krw_per_kwh: float | None = None, capex_basis: str = "korea",
                        debt: Debt | None = None, capital_grant_krw: float = 0.0,
                        inflation_fraction_per_year: float = 0.0, base_year: int = 2025,
                        ramp_up_fractions: Sequence[float] = (), start_year: int | None = None,
                        name: str = "polysilicon") -> Project:
    """The engine's Project for one plant at one selling price (real base-year KRW streams).

    ``tax`` gives the brackets; its depreciation life is replaced by the plant's
    ``depreciation_years`` fact. ``grid_tariff_krw_per_kwh`` and ``grid_basic_krw_per_year`` are the
    plant's KEPCO energy price (energy, climate and fuel charges and the fund, per kWh) and yearly basic
    charge, from the bill of its meter (:mod:`pvcluster.finance.polysilicon_link`); the basic charge
    is paid whether the energy comes from the grid or a PV PPA.
    ``ramp_up_fractions`` and ``start_year`` are the facility's (the scenario's ``[[facilities]]``
    entry): output in operating year k is Q U u_k, and the first operating year is ``start_year``
    (None or 0: the base year + the construction years), so the engine's construction period is
    the idle years plus the ``construction_years`` fact, with zero capex in the idle years.
    """
    grid, basic = _grid(grid_tariff_krw_per_kwh, grid_basic_krw_per_year)
    blended_electricity_price_krw_per_kwh(grid, pv_share_fraction, ppa_price_krw_per_kwh)  # checks the inputs
    ppa = 0.0 if ppa_price_krw_per_kwh is None else float(ppa_price_krw_per_kwh)
    n = int(round(facts.operating_years))
    delay = construction_delay_years(facts, base_year, start_year)
    c = delay + int(round(facts.construction_years))
    schedule = (0.0,) * delay + tuple(float(f) for f in facts.capex_schedule_fractions)
    e = electricity_kwh_per_kg(technology, facts)
    kg = output_t(capacity_t, facts, n, ramp_up_fractions) * 1000.0
    kwh = kg * e
    x = capex_krw(capacity_t, technology, facts, capex_basis)
    ones = np.ones(n)
    opex = {
        "electricity_grid": kwh * (1.0 - pv_share_fraction) * grid,
        "electricity_ppa": kwh * pv_share_fraction * ppa,
        "grid_basic_charge": ones * basic,
        "feedstock": kg * feedstock_krw_per_kg(facts),
        "labour": ones * labour_fte(capacity_t, technology, facts) * float(facts.labour_cost_krw_per_fte_year),
        "maintenance": ones * float(facts.maintenance_fraction_of_capex) * x,
    }
    return Project(
        name=name, capex_krw=x, operating_years=n, construction_years=c,
        capex_schedule_fractions=schedule,
        revenue_krw={"polysilicon": kg * float(price_krw_per_kg)}, opex_krw=opex,
        inflation_fraction_per_year=inflation_fraction_per_year, discount_rate_fraction=discount_rate_fraction,
        working_capital_fraction_of_revenue=float(facts.working_capital_fraction_of_revenue),
        capital_grant_krw=capital_grant_krw, debt=debt,
        tax=dataclasses.replace(tax, depreciation_years=int(round(facts.depreciation_years))),
        base_year=base_year)


@dataclass(frozen=True)
class ScenarioResult:
    scenario: str
    price_usd_per_kg: float
    price_krw_per_kg: float
    npv_krw: float
    irr_fraction: float | None
    equity_npv_krw: float
    equity_irr_fraction: float | None
    payback_years: int | None
    npv_by_electricity_price: pd.DataFrame  # electricity_price_krw_per_kwh, npv_krw
    break_even_electricity_price_krw_per_kwh: float | None
    project: ProjectResult

    def to_summary(self) -> dict:
        return {
            "price_usd_per_kg": self.price_usd_per_kg, "price_krw_per_kg": self.price_krw_per_kg,
            "npv_krw": self.npv_krw, "irr_fraction": self.irr_fraction,
            "equity_npv_krw": self.equity_npv_krw, "equity_irr_fraction": self.equity_irr_fraction,
            "payback_years": self.payback_years,
            "break_even_electricity_price_krw_per_kwh": self.break_even_electricity_price_krw_per_kwh,
            "npv_by_electricity_price": {
                "electricity_price_krw_per_kwh": [float(v) for v in
                                                  self.npv_by_electricity_price["electricity_price_krw_per_kwh"]],
                "npv_krw": [float(v) for v in self.npv_by_electricity_price["npv_krw"]],
            },
        }


@dataclass(frozen=True)
class PolysiliconResult:
    capacity_t: float
    technology: str
    capex_basis: str
    capex_krw: float
    electricity_kwh_per_kg: float
    output_t: np.ndarray  # per operating year
    electricity_kwh: np.ndarray  # per operating year
    labour_fte: float
    electricity_price_krw_per_kwh: float  # blended grid + PPA
    cash_cost: CashCost
    break_even_price_krw_per_kg: float | None
    break_even_price_usd_per_kg: float | None
    scenarios: dict[str, ScenarioResult]

    def to_summary(self) -> dict:
        """JSON-ready headline numbers (units in the keys)."""
        return {
            "capacity_t_per_year": self.capacity_t, "technology": self.technology, "capex_basis": self.capex_basis,
            "capex_krw": self.capex_krw, "capex_krw_per_t_per_year": self.capex_krw / self.capacity_t,
            "electricity_kwh_per_kg": self.electricity_kwh_per_kg,
            "full_output_t": float(self.output_t.max()),
            "full_output_electricity_kwh": float(self.electricity_kwh.max()),
            "labour_fte": self.labour_fte,
            "electricity_price_krw_per_kwh": self.electricity_price_krw_per_kwh,
            "cash_cost": self.cash_cost.to_dict(),
            "break_even_price_krw_per_kg": self.break_even_price_krw_per_kg,
            "break_even_price_usd_per_kg": self.break_even_price_usd_per_kg,
            "scenarios": {name: s.to_summary() for name, s in self.scenarios.items()},
        }


def _root(f, lo: float, hi: float) -> float | None:
    f_lo, f_hi = f(lo), f(hi)
    if f_lo == 0.0:
        return lo
    if f_hi == 0.0:
        return hi
    if np.sign(f_lo) == np.sign(f_hi):
        return None
    return float(brentq(f, lo, hi, xtol=1e-9, rtol=1e-12, maxiter=200))


def break_even_price_krw_per_kg(capacity_t: float, technology: str, facts: Any, **project_kwargs) -> float | None:
    """Selling price p_S with project NPV(p_S) = 0; None without a root in [0, 1000 USD/kg]."""
    def f(price: float) -> float:
        return evaluate_project(polysilicon_project(capacity_t, technology, facts, price_krw_per_kg=price,
                                                    **project_kwargs)).npv_krw

    lo, hi = (v * float(facts.krw_per_usd) for v in PRICE_BRACKET_USD_PER_KG)
    return _root(f, lo, hi)


def npv_at_electricity_price(capacity_t: float, technology: str, facts: Any, electricity_price_krw_per_kwh: float,
                             **project_kwargs) -> float:
    """Project NPV with every kWh priced at ``electricity_price_krw_per_kwh`` (demand charge kept)."""
    kwargs = dict(project_kwargs, grid_tariff_krw_per_kwh=float(electricity_price_krw_per_kwh),
                  pv_share_fraction=0.0, ppa_price_krw_per_kwh=None)
    return evaluate_project(polysilicon_project(capacity_t, technology, facts, **kwargs)).npv_krw


def break_even_electricity_price_krw_per_kwh(capacity_t: float, technology: str, facts: Any,
                                             **project_kwargs) -> float | None:
    """Electricity price with project NPV = 0; None without a root in [0, 5000 KRW/kWh]."""
    return _root(lambda p: npv_at_electricity_price(capacity_t, technology, facts, p, **project_kwargs),
                 *ELECTRICITY_BRACKET_KRW_PER_KWH)


def evaluate_polysilicon(capacity_t: float, technology: str, facts: Any, *, discount_rate_fraction: float,
                         tax: Tax = Tax(), grid_tariff_krw_per_kwh: float | None = None,
                         grid_basic_krw_per_year: float | None = None,
                         pv_share_fraction: float = 0.0, ppa_price_krw_per_kwh: float | None = None,
                         capex_basis: str = "korea", scenarios: Sequence[str] = SCENARIOS,
                         prices_usd_per_kg: Mapping[str, float] | None = None,
                         electricity_prices_krw_per_kwh: Sequence[float] = DEFAULT_ELECTRICITY_PRICES_KRW_PER_KWH,
                         debt: Debt | None = None, capital_grant_krw: float = 0.0,
                         inflation_fraction_per_year: float = 0.0, base_year: int = 2025,
                         ramp_up_fractions: Sequence[float] = (), start_year: int | None = None,
                         name: str = "polysilicon", details: bool = True) -> PolysiliconResult:
    """Price the plant under each selling-price scenario.

    ``details=False`` leaves out what only the plant's own summary shows: the NPV at each electricity
    price and the break-even prices (None), about 60 project evaluations (a study whose outputs do not
    name them prices the plant once per case).

    ``prices_usd_per_kg`` adds or replaces scenarios by name (e.g. ``{"custom": 10.0}``);
    otherwise the scenario prices are the ``price_<scenario>_usd_per_kg`` facts.
    ``ramp_up_fractions`` and ``start_year`` are the facility's (see :func:`polysilicon_project`).
    """
    _check_technology(technology)
    kwargs = dict(discount_rate_fraction=discount_rate_fraction, tax=tax,
                  grid_tariff_krw_per_kwh=grid_tariff_krw_per_kwh, grid_basic_krw_per_year=grid_basic_krw_per_year,
                  pv_share_fraction=pv_share_fraction,
                  ppa_price_krw_per_kwh=ppa_price_krw_per_kwh, capex_basis=capex_basis, debt=debt,
                  capital_grant_krw=capital_grant_krw, inflation_fraction_per_year=inflation_fraction_per_year,
                  base_year=base_year, ramp_up_fractions=tuple(ramp_up_fractions), start_year=start_year,
                  name=name)
    fx = float(facts.krw_per_usd)
    prices = {s: scenario_price_usd_per_kg(facts, s) for s in scenarios}
    prices.update(prices_usd_per_kg or {})
    if not details:
        electricity_prices_krw_per_kwh = ()
    results: dict[str, ScenarioResult] = {}
    for scenario, usd in prices.items():
        krw = usd * fx
        r = evaluate_project(polysilicon_project(capacity_t, technology, facts, price_krw_per_kg=krw, **kwargs))
        table = pd.DataFrame({
            "electricity_price_krw_per_kwh": [float(p) for p in electricity_prices_krw_per_kwh],
            "npv_krw": [npv_at_electricity_price(capacity_t, technology, facts, p, price_krw_per_kg=krw, **kwargs)
                        for p in electricity_prices_krw_per_kwh]})
        results[scenario] = ScenarioResult(
            scenario=scenario, price_usd_per_kg=float(usd), price_krw_per_kg=float(krw), npv_krw=r.npv_krw,
            irr_fraction=r.irr_fraction, equity_npv_krw=r.equity_npv_krw, equity_irr_fraction=r.equity_irr_fraction,
            payback_years=r.payback_years, npv_by_electricity_price=table,
            break_even_electricity_price_krw_per_kwh=break_even_electricity_price_krw_per_kwh(
                capacity_t, technology, facts, price_krw_per_kg=krw, **kwargs) if details else None,
            project=r)
    be = break_even_price_krw_per_kg(capacity_t, technology, facts, **kwargs) if details else None
    grid, basic = _grid(grid_tariff_krw_per_kwh, grid_basic_krw_per_year)
    e = electricity_kwh_per_kg(technology, facts)
    out = output_t(capacity_t, facts, ramp_up_fractions=ramp_up_fractions)
    return PolysiliconResult(
        capacity_t=float(capacity_t), technology=technology, capex_basis=capex_basis,
        capex_krw=capex_krw(capacity_t, technology, facts, capex_basis), electricity_kwh_per_kg=e,
        output_t=out, electricity_kwh=out * 1000.0 * e, labour_fte=labour_fte(capacity_t, technology, facts),
        electricity_price_krw_per_kwh=blended_electricity_price_krw_per_kwh(grid, pv_share_fraction,
                                                                           ppa_price_krw_per_kwh),
        cash_cost=cash_cost_per_kg(capacity_t, technology, facts, grid_tariff_krw_per_kwh=grid,
                                   grid_basic_krw_per_year=basic,
                                   pv_share_fraction=pv_share_fraction, ppa_price_krw_per_kwh=ppa_price_krw_per_kwh,
                                   capex_basis=capex_basis),
        break_even_price_krw_per_kg=be, break_even_price_usd_per_kg=None if be is None else be / fx,
        scenarios=results)


def facts_from_toml(path) -> Any:
    """The values of a polysilicon input file as a namespace (no validation: see pvcluster.facts)."""
    import tomllib
    from pathlib import Path
    from types import SimpleNamespace

    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return SimpleNamespace(**{k: v["value"] for k, v in raw.items()})
