"""A PV plant's project cash flow under Korea's SMP + REC market.

Year k of operation (k = 1 .. N):

    E_k   = E_1 * (1 - d)^(k-1)                              energy (kWh), degradation d
    R_k   = E_k * (SMP + REC price / 1000 * w) + R_other     revenue (KRW), REC weight w
    O_k   = om * capex                                        fixed O&M (KRW)
    T_k   = tax(R_k - O_k - D_k)                              Korean CIT brackets + local tax
    CF_k  = R_k - O_k - T_k                                   after-tax cash flow

with capex spread evenly over the construction years before operation and straight-line tax
depreciation D_k. Prices are flat in real base-year KRW (no escalation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pvcluster.finance.cashflow import (corporate_tax, irr, lcoe, npv, payback_year,
                                        straight_line_depreciation)


@dataclass(frozen=True)
class PVProject:
    name: str
    capex_krw: float
    first_year_energy_kwh: float
    degradation_fraction_per_year: float
    price_krw_per_kwh: float  # SMP + REC x weight
    other_revenue_krw_per_year: float
    fixed_om_krw_per_year: float
    analysis_years: int
    construction_years: int
    discount_rate_fraction: float
    tax_thresholds_krw: tuple[float, ...]
    tax_rates_fraction: tuple[float, ...]
    local_income_tax_fraction_of_cit: float
    depreciation_years: int
    base_year: int


@dataclass(frozen=True)
class ProjectResult:
    table: pd.DataFrame
    npv_krw: float
    irr_fraction: float | None
    lcoe_krw_per_kwh: float | None
    payback_years: int | None


def evaluate(p: PVProject) -> ProjectResult:
    c, n = p.construction_years, p.analysis_years
    horizon = c + n
    years = np.arange(horizon)
    operating = years >= c
    k = np.where(operating, years - c, 0)
    energy = np.where(operating, p.first_year_energy_kwh * (1.0 - p.degradation_fraction_per_year) ** k, 0.0)
    capex = np.where(years < c, p.capex_krw / c, 0.0)
    revenue_electricity = energy * p.price_krw_per_kwh
    revenue_other = np.where(operating, p.other_revenue_krw_per_year, 0.0)
    opex = np.where(operating, p.fixed_om_krw_per_year, 0.0)
    depreciation = straight_line_depreciation(p.capex_krw, p.depreciation_years, c, horizon)
    taxable = revenue_electricity + revenue_other - opex - depreciation
    tax = corporate_tax(taxable, np.asarray(p.tax_thresholds_krw), np.asarray(p.tax_rates_fraction),
                        p.local_income_tax_fraction_of_cit)
    flow = revenue_electricity + revenue_other - opex - tax - capex
    discount = (1.0 + p.discount_rate_fraction) ** -years.astype(float)
    table = pd.DataFrame({
        "year_index": years,
        "calendar_year": p.base_year + years,
        "energy_kwh": energy,
        "revenue_electricity_krw": revenue_electricity,
        "revenue_other_krw": revenue_other,
        "opex_krw": opex,
        "depreciation_krw": depreciation,
        "taxable_income_krw": taxable,
        "tax_krw": tax,
        "capex_krw": capex,
        "net_cash_flow_krw": flow,
        "cumulative_cash_flow_krw": np.cumsum(flow),
        "discounted_cash_flow_krw": flow * discount,
    })
    return ProjectResult(
        table=table,
        npv_krw=npv(p.discount_rate_fraction, flow),
        irr_fraction=irr(flow),
        lcoe_krw_per_kwh=lcoe(p.discount_rate_fraction, capex + opex, energy),
        payback_years=payback_year(flow),
    )
