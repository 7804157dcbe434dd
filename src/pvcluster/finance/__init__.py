"""Finance stage: the Energy Station's cash flow under SMP + REC revenue.

``build_finance(scenario, generation)`` prices the utility plant as a project and returns
its yearly cash-flow table and NPV, IRR, LCOE and payback.
"""

from __future__ import annotations

from dataclasses import dataclass

from pvcluster.finance.cashflow import corporate_tax, irr, lcoe, npv, payback_year
from pvcluster.finance.pv_project import PVProject, ProjectResult, evaluate
from pvcluster.sizing import rec_weight

__all__ = ["Finance", "build_finance", "PVProject", "ProjectResult", "evaluate", "npv", "irr", "lcoe",
           "payback_year", "corporate_tax", "plant_project"]


@dataclass
class Finance:
    projects: dict[str, ProjectResult]
    inputs: dict[str, PVProject]


def plant_project(scenario, first_year_energy_kwh: float) -> PVProject:
    p, c, m = scenario.plant, scenario.facts.costs, scenario.facts.market
    capex = p.capex_krw or p.capacity_kwp * c.utility_pv_capex_krw_per_kwp * (1.0 + c.tracker_capex_premium_fraction)
    weight = rec_weight(m, p.installation, p.capacity_kwp)
    return PVProject(
        name=p.name, capex_krw=capex, first_year_energy_kwh=first_year_energy_kwh,
        degradation_fraction_per_year=c.pv_degradation_fraction_per_year,
        price_krw_per_kwh=m.smp_krw_per_kwh + m.rec_price_krw_per_rec / 1000.0 * weight,
        other_revenue_krw_per_year=p.other_revenue_krw_per_year,
        fixed_om_krw_per_year=c.pv_fixed_om_fraction_of_capex * capex,
        analysis_years=scenario.finance.analysis_years, construction_years=scenario.finance.construction_years,
        discount_rate_fraction=c.discount_rate_fraction,
        tax_thresholds_krw=tuple(c.corporate_tax_bracket_thresholds_krw),
        tax_rates_fraction=tuple(c.corporate_tax_rates_fraction),
        local_income_tax_fraction_of_cit=c.local_income_tax_fraction_of_cit,
        depreciation_years=int(round(c.depreciation_years)), base_year=scenario.scenario.base_year)


def build_finance(scenario, generation) -> Finance:
    project = plant_project(scenario, generation.plant_annual_mwh() * 1000.0)
    return Finance({project.name: evaluate(project)}, {project.name: project})
