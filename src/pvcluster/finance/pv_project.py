"""PV projects under Korea's market: the Energy Station and the PV each sizing site builds.

Energy Station (utility plant), operating year k = 1 .. N:

    E_k  = E_1 (1 - d)^(k-1)                                      energy at the meter (kWh)
    p_k  = SMP + REC / 1000 x w                                   spot sales (KRW/kWh)
         = SMP + (P_fixed - SMP) x w      for k <= contract years  fixed-price contract (SMP + 1 REC)
    R_k  = E_k p_k + R_other                                      revenue (KRW)
    O_k  = om x capex + insurance x kW + lease x kWp + inverters in year y_inv

A fixed-price contract price P_fixed covers SMP plus one REC; a plant with REC weight w earns
SMP + (P_fixed - SMP) w per kWh for the contract's years and spot prices after it.

Sizing sites (villages, the county's public roofs, the industrial complex): the project is what
sizing built there - new PV, storage and pilot retrofits - and its revenue is what it changes:

    savings_k = (C_import,base - C_import) (1 - d)^(k-1)    grid bill avoided (TOU energy and demand
                                                          charges as the site's tariff has them)
    export_k  = X (1 - d)^(k-1)                            sales at the site's export price
    pilot_k   = pilot tariff x enrolled energy            what enrolled facilities pay

C_import,base is the site's grid bill with its existing PV only (``dispatch_without_sizing``).
Degradation is applied to the PV-driven streams as a whole (a simplification: the savings
of a site whose storage shifts energy degrade a little less in truth). Storage is replaced
once, at the end of its life, at today's cost.
"""

from __future__ import annotations

import numpy as np

from pvcluster.finance.project import Debt, Project, Tax
from pvcluster.sizing import rec_weight


def korean_tax(scenario) -> Tax:
    c, f = scenario.facts.costs, scenario.facts.finance
    return Tax(thresholds_krw=tuple(c.corporate_tax_bracket_thresholds_krw),
               rates_fraction=tuple(c.corporate_tax_rates_fraction),
               local_fraction_of_cit=c.local_income_tax_fraction_of_cit,
               depreciation_years=int(round(c.depreciation_years)),
               loss_carryforward_years=int(round(f.loss_carryforward_years)))


def debt_terms(scenario) -> Debt | None:
    sizing = scenario.finance.debt_sizing
    if sizing == "none":
        return None
    f = scenario.facts.finance
    return Debt(sizing=sizing, gearing_fraction=f.debt_gearing_max_fraction, dscr_target=f.dscr_target,
                rate_fraction=f.debt_rate_fraction, tenor_years=int(round(f.debt_tenor_years)),
                grace_years=int(round(f.debt_grace_years)), repayment="annuity" if sizing == "gearing" else "sculpted",
                dsra_months=f.dsra_months)


def common_terms(scenario) -> dict:
    """Keyword arguments every cluster project shares (life, rates, tax, base year)."""
    c, f, fin = scenario.facts.costs, scenario.facts.finance, scenario.finance
    return dict(operating_years=fin.analysis_years, construction_years=fin.construction_years,
                inflation_fraction_per_year=f.inflation_fraction_per_year,
                discount_rate_fraction=c.discount_rate_fraction,
                equity_discount_rate_fraction=f.equity_discount_rate_fraction,
                tax=korean_tax(scenario), base_year=scenario.scenario.base_year)


def _decline(first_year: float, degradation: float, n: int) -> np.ndarray:
    return first_year * (1.0 - degradation) ** np.arange(n)


def _in_year(amount: float, year: int, n: int) -> np.ndarray:
    a = np.zeros(n)
    if 1 <= year <= n:
        a[year - 1] = amount
    return a


def energy_price_krw_per_kwh(scenario, weight: float, n: int) -> np.ndarray:
    """Price per kWh for each operating year under the scenario's contract choice."""
    m, f = scenario.facts.market, scenario.facts.finance
    spot = m.smp_krw_per_kwh + m.rec_price_krw_per_rec / 1000.0 * weight
    price = np.full(n, spot)
    if scenario.finance.contract == "fixed_price":
        years = min(n, int(round(f.fixed_price_contract_years)))
        price[:years] = m.smp_krw_per_kwh + (f.fixed_price_contract_krw_per_kwh - m.smp_krw_per_kwh) * weight
    return price


def plant_project(scenario, first_year_energy_kwh: float) -> Project:
    """The Energy Station as a project selling all its energy to the grid."""
    p, c, f = scenario.plant, scenario.facts.costs, scenario.facts.finance
    n = scenario.finance.analysis_years
    capex = p.capex_krw or p.capacity_kwp * c.utility_pv_capex_krw_per_kwp * (1.0 + c.tracker_capex_premium_fraction)
    ac_kw = p.capacity_kwp / p.dc_ac_ratio
    energy = _decline(first_year_energy_kwh, c.pv_degradation_fraction_per_year, n)
    weight = rec_weight(scenario.facts.market, p.installation, p.capacity_kwp)
    revenue = {"electricity": energy * energy_price_krw_per_kwh(scenario, weight, n)}
    if p.other_revenue_krw_per_year:
        revenue["other"] = np.full(n, p.other_revenue_krw_per_year)
    opex = {"om": np.full(n, c.pv_fixed_om_fraction_of_capex * capex),
            "insurance_and_tax": np.full(n, f.pv_insurance_and_tax_krw_per_kw_year * ac_kw),
            "land_lease": np.full(n, f.land_lease_krw_per_kwp_year * p.capacity_kwp),
            "inverter_replacement": _in_year(f.inverter_replacement_krw_per_kw * ac_kw,
                                             int(round(f.inverter_replacement_year)), n)}
    return Project(name=p.name, capex_krw=capex, energy_kwh=energy, revenue_krw=revenue, opex_krw=opex,
                   working_capital_fraction_of_revenue=f.working_capital_fraction_of_revenue,
                   debt=debt_terms(scenario), **common_terms(scenario))


def baseline_bill_krw_per_year(site, baseline) -> float:
    """The site's grid bill with its existing PV only: energy charges plus monthly demand charges."""
    imp = np.asarray(baseline.hourly["grid_import_kw"], dtype=float)
    bill = float(baseline.extra["import_cost_krw_per_year"])
    if site.demand_charge_krw_per_kw_month > 0:
        peaks = [float(imp[np.asarray(steps, dtype=int)].max()) for steps in site.time.month_steps if len(steps)]
        bill += site.demand_charge_krw_per_kw_month * sum(peaks)
    return bill


def site_project(scenario, name: str, solution, site, baseline) -> Project | None:
    """What sizing built at one site, as a project; None when it built nothing."""
    c, f = scenario.facts.costs, scenario.facts.finance
    n = scenario.finance.analysis_years
    sizes = solution.sizes
    new_kwp = {g.name: max(sizes.get(f"pv_{g.name}_kwp", g.existing_kwp) - g.existing_kwp, 0.0)
               for g in site.segments}
    pv_capex = sum(g.capex_krw_per_kwp * new_kwp[g.name] for g in site.segments)
    pv_om = sum(g.fixed_om_krw_per_kwp_year * new_kwp[g.name] for g in site.segments)
    storage_capex = (site.storage_energy_capex_krw_per_kwh * sizes.get("storage_energy_kwh", 0.0)
                     + site.storage_power_capex_krw_per_kw * sizes.get("storage_power_kw", 0.0))
    enrolled = set(solution.extra.get("enrolled", ()))
    retrofit = sum(cand.retrofit_krw for cand in site.pilot if cand.name in enrolled)
    capex = pv_capex + storage_capex + retrofit
    if capex <= 0:
        return None
    d = c.pv_degradation_fraction_per_year
    kw_new = sum(new_kwp.values())
    savings = baseline_bill_krw_per_year(site, baseline) - solution.extra["import_cost_krw_per_year"]
    export_new = (solution.extra.get("export_revenue_krw_per_year", 0.0)
                  - baseline.extra.get("export_revenue_krw_per_year", 0.0))
    revenue = {"grid_savings": _decline(savings, d, n), "export": _decline(export_new, d, n)}
    if enrolled:
        revenue["pilot"] = np.full(n, solution.extra.get("pilot_revenue_krw_per_year", 0.0))
    life = int(round(site.storage_life_years))
    opex = {"pv_om": np.full(n, pv_om),
            "storage_om": np.full(n, site.storage_fixed_om_fraction * storage_capex),
            "insurance_and_tax": np.full(n, f.pv_insurance_and_tax_krw_per_kw_year * kw_new),
            "inverter_replacement": _in_year(f.inverter_replacement_krw_per_kw * kw_new,
                                             int(round(f.inverter_replacement_year)), n),
            "storage_replacement": _in_year(storage_capex, life + 1, n) if life < n else np.zeros(n)}
    energy = _decline(float(np.sum(solution.hourly["pv_generation_kw"])) * kw_new
                      / max(sizes.get("pv_capacity_kwp", 0.0), 1e-9), d, n)
    return Project(name=f"{name}_pv", capex_krw=capex, energy_kwh=energy, revenue_krw=revenue, opex_krw=opex,
                   debt=debt_terms(scenario), **common_terms(scenario))
