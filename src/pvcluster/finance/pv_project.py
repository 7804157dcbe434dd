"""PV projects under Korea's market: the Energy Station, its farm, and the PV each sizing site builds.

Energy Station (utility plant), operating year k = 1 .. N (calendar year y_k):

    E_k  = E_1 (1 - d)^(a + k - 1)                                energy at the meter (kWh); a = years
                                                                  already run (as built), 0 (new build)
    p_k  = SMP_cap f_smp(y_k) + REC / 1000 x w f_rec(y_k)         spot sales (KRW/kWh); SMP_cap is the
                                                                  SMP the plant's output profile captures
         = SMP + (P_fixed - SMP) x w      for contract years      fixed-price contract (SMP + 1 REC)
    R_k  = E_k p_k                                                revenue (KRW)
    O_k  = O&M + insurance x kWp + lease x kWp + inverters (per kW AC) in their year

w is the REC weight of the rule in force in the plant's commercial-operation year (kept for life).
``valuation = "as_built"`` values an existing plant forward from the base year: its capex is sunk
(out of the NPV), its life left is the PV life less the years run, its energy has degraded for
the years run, the tax depreciation of its as-built capex continues where it stands, and an
outstanding loan (where known) is repaid from the cash flow. ``"new_build"`` builds it now at
today's cost. The agrivoltaic farm under the trackers is a project of its own (its income per
hectare and its capital, sunk when the plant is valued as built).

Sizing sites (villages, the county, the industrial complex, a plant extension): the project is
what sizing built there - new PV, storage and pilot retrofits - priced with the same cost records
the LP used (:mod:`pvcluster.costs`). Its revenue is what it changes, recomputed every year from
that year's PV output (:func:`pvcluster.market.scale_pv` on the dispatch the LP balanced):

    savings_k = sum_meters [bill(baseline_k) - bill(project_k)] f_retail(y_k)   KEPCO bills as billed
    export_k  = sum_t (X_k,t - X0_k,t) (SMP_t f_smp(y_k) + REC w f_rec(y_k))
    pilot_k   = pilot tariff x enrolled energy

with the baseline the site's meters without new PV (from the sizing stage's record). Loads are the
design year's in every year (the ramp-up of new loads is not in the site projects' cash flows).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from pvcluster.costs import add_streams
from pvcluster.finance.project import Debt, Project, Tax
from pvcluster.market import (annual_bill_krw, fixed_price_krw_per_kwh, path_factors, rec_rule_for_year, rec_weight,
                              scale_pv, smp_hourly_krw_per_kwh)


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


def _decline(first_year: float, degradation: float, n: int, already: int = 0) -> np.ndarray:
    return first_year * (1.0 - degradation) ** (already + np.arange(n))


def operating_calendar_years(scenario, construction_years: int, n: int) -> np.ndarray:
    return scenario.scenario.base_year + construction_years + np.arange(n)


def plant_basis(scenario) -> dict:
    """How the Energy Station is valued: commercial-operation year, years run, life left, REC weight."""
    p, c = scenario.plant, scenario.facts.costs
    base = scenario.scenario.base_year
    life = int(round(c.pv_life_years))
    if p.valuation == "as_built":
        cod = p.commercial_operation_year or base
        run = max(base - cod, 0)
        n, construction = max(life - run, 0), 0
    else:
        construction = scenario.finance.construction_years
        cod, run, n = base + construction, 0, scenario.finance.analysis_years
    rule = rec_rule_for_year(scenario.rec_rules, cod)
    return {"valuation": p.valuation, "commercial_operation_year": cod, "years_run": run, "remaining_life_years": n,
            "construction_years": construction, "rec_rule": rule.name,
            "rec_weight": rec_weight(rule, p.installation, p.capacity_kwp),
            "degradation_so_far_fraction": 1.0 - (1.0 - c.pv_degradation_fraction_per_year) ** run}


def captured_smp_krw_per_kwh(scenario, hourly_kw) -> float:
    """The SMP a generation profile earns on average (the hourly SMP weighted by the output)."""
    smp = smp_hourly_krw_per_kwh(scenario.facts.market, hourly_kw.index)
    total = float(hourly_kw.sum())
    return float(smp @ hourly_kw.to_numpy()) / total if total > 0 else scenario.facts.market.smp_krw_per_kwh


def energy_price_krw_per_kwh(scenario, weight: float, years: np.ndarray, smp_captured: float | None = None,
                             contract_years_left: int | None = None) -> np.ndarray:
    """Price per kWh in each calendar year under the scenario's contract choice (real base-year KRW)."""
    m, f = scenario.facts.market, scenario.facts.finance
    base = scenario.scenario.base_year
    smp = (m.smp_krw_per_kwh if smp_captured is None else smp_captured) * path_factors(
        m.smp_real_change_fraction_per_year, base, years)
    rec = m.rec_price_krw_per_rec / 1000.0 * weight * path_factors(m.rec_real_change_fraction_per_year, base, years)
    price = smp + rec
    if scenario.finance.contract == "fixed_price":
        k = int(round(f.fixed_price_contract_years)) if contract_years_left is None else contract_years_left
        k = max(0, min(len(years), k))
        price[:k] = fixed_price_krw_per_kwh(m, f.fixed_price_contract_krw_per_kwh, weight)
    return price


def plant_project(scenario, first_year_energy_kwh: float, hourly_kw=None, debt_energy_fraction: float = 1.0) -> Project:
    """The Energy Station as a project selling all its energy to the grid (new build or as built).

    ``debt_energy_fraction``: the lender's case energy over P50 (e.g. P90 / P50) new debt is sculpted on."""
    from pvcluster.costs import pv_costs

    p, c, f = scenario.plant, scenario.facts.costs, scenario.facts.finance
    basis = plant_basis(scenario)
    n, construction, run = basis["remaining_life_years"], basis["construction_years"], basis["years_run"]
    years = operating_calendar_years(scenario, construction, n)
    as_built = p.valuation == "as_built"
    capex_new = p.capex_krw or p.capacity_kwp * c.utility_pv_capex_krw_per_kwp * (1.0 + c.tracker_capex_premium_fraction)
    costs = pv_costs(capex_new / p.capacity_kwp, c.pv_fixed_om_fraction_of_capex,
                     f.pv_insurance_and_tax_krw_per_kwp_year, f.inverter_replacement_krw_per_kw,
                     int(round(f.inverter_replacement_year)), p.dc_ac_ratio, f.land_lease_krw_per_kwp_year)
    inverter_year, inverter_cost = costs.one_off_krw_per_unit["inverter_replacement"]
    if as_built:  # inverters replaced in their year of the whole life, if that is still ahead
        costs = replace(costs, one_off_krw_per_unit={"inverter_replacement": (inverter_year - run, inverter_cost)})
    energy = _decline(first_year_energy_kwh, c.pv_degradation_fraction_per_year, n, run)
    smp = captured_smp_krw_per_kwh(scenario, hourly_kw) if hourly_kw is not None else None
    contract_left = int(round(f.fixed_price_contract_years)) - run
    revenue = {"electricity": energy * energy_price_krw_per_kwh(scenario, basis["rec_weight"], years, smp,
                                                                contract_left)}
    if p.other_revenue_krw_per_year:
        revenue["other"] = np.full(n, p.other_revenue_krw_per_year)
    opex = costs.streams(p.capacity_kwp, n)
    terms = common_terms(scenario)
    terms.update(operating_years=n, construction_years=construction)
    extra = {}
    debt = debt_terms(scenario)
    if as_built:
        y = int(round(c.depreciation_years))
        left = max(0, min(y - run, n))
        dep = np.zeros(n)
        # nominal KRW of the years they were spent: depreciation is fixed in nominal terms
        dep[:left] = p.as_built_capex_krw / y
        extra = dict(existing_depreciation_krw=dep, existing_debt_krw=p.remaining_debt_krw,
                     existing_debt_years=p.remaining_debt_years, existing_working_capital=True)
        debt = debt if p.remaining_debt_krw > 0 else None
    if debt is not None and debt.sizing == "dscr" and debt_energy_fraction != 1.0:
        debt = replace(debt, sizing_revenue_krw={"electricity": revenue["electricity"] * debt_energy_fraction})
    return Project(name=p.name, capex_krw=0.0 if as_built else capex_new, energy_kwh=energy, revenue_krw=revenue,
                   opex_krw=opex, working_capital_fraction_of_revenue=f.working_capital_fraction_of_revenue,
                   debt=debt, **terms, **extra)


def farm_project(scenario) -> Project | None:
    """The agrivoltaic farm under the Energy Station: its income per hectare over the plant's years."""
    p, f = scenario.plant, scenario.facts.finance
    if p.farm_area_ha <= 0:
        return None
    basis = plant_basis(scenario)
    n, construction = basis["remaining_life_years"], basis["construction_years"]
    terms = common_terms(scenario)
    terms.update(operating_years=n, construction_years=construction)
    as_built = p.valuation == "as_built"
    return Project(name=f"{p.name}_farm", capex_krw=0.0 if as_built else p.farm_capex_krw,
                   revenue_krw={"net_farm_income": np.full(n, p.farm_area_ha * f.agrivoltaic_farm_income_krw_per_ha_year)},
                   **terms)


def site_bills_krw(meters: dict, dispatch, calendar, rules) -> float:
    """The meters' KEPCO bills for a year of a site's dispatch (the market's bill function); a meter the
    dispatch does not use (a pilot supply meter without the pilot) bills nothing."""
    total = 0.0
    for name, meter in meters.items():
        if meter is None or name not in dispatch.imports_kw:
            continue
        export = dispatch.export_kw if meter.net_metering else None
        total += annual_bill_krw(meter, dispatch.imports_kw[name], calendar, rules, export,
                                 load_kw=dispatch.load_kw[name])
    return total


#: operating years already settled in this process, by a hash of everything they come from (meters
#: with their tariffs, both dispatches, the PV factors, the calendar and the rules): the cases of a
#: fixed-design study that change prices or costs, not tariffs or energy, settle the same years
_BILLS: OrderedDict = OrderedDict()
_BILLS_LOCK = threading.Lock()
BILLS_KEPT = 32  # an entry holds a year of added export for each operating year (1.75 MB for 25 years)


@dataclass(frozen=True)
class SettledYears:
    """A site's operating years k with its PV output x ``factors[k]`` (:func:`scale_pv`), what its
    bills, exports and energy do not owe to prices: the site's bills with what sizing built and
    without it (KRW, at the tariffs' rates), the export each hour adds over the baseline (kW, a row
    a year) and the PV energy (kWh)."""

    bills_krw: np.ndarray
    baseline_bills_krw: np.ndarray
    added_export_kw: np.ndarray
    pv_kwh: np.ndarray


_DIGESTS: OrderedDict = OrderedDict()  # id -> (a weak reference to the record, its content digest)


def _digest(record) -> bytes:
    """A content digest of a large record (a year's dispatch, a tariff calendar), memoized by identity: a
    fixed-design study settles the base case's same dispatches in every case, and hashing their 0.7 MB
    took 0.8 ms a site a case. Records are not changed in place once made (the stages make new ones);
    the memo holds them weakly, so a record no longer used is not kept (its id may then be another's:
    the weak reference tells)."""
    import hashlib
    import pickle
    import weakref

    with _BILLS_LOCK:
        hit = _DIGESTS.get(id(record))
        if hit is not None and hit[0]() is record:
            _DIGESTS.move_to_end(id(record))
            return hit[1]
    digest = hashlib.sha256(pickle.dumps(record, protocol=5)).digest()
    try:
        ref = weakref.ref(record)
    except TypeError:  # a record without weak references: hashed every time
        return digest
    with _BILLS_LOCK:
        _DIGESTS[id(record)] = (ref, digest)
        while len(_DIGESTS) > 4 * BILLS_KEPT:
            _DIGESTS.popitem(last=False)
    return digest


def settle_years(meters: dict, project, baseline, factors: np.ndarray, calendar, rules) -> SettledYears:
    """Every operating year of a site settled (:class:`SettledYears`). Memoized by content (``_BILLS``)."""
    import hashlib
    import pickle

    key = hashlib.sha256(pickle.dumps((meters, _digest(project), _digest(baseline), np.asarray(factors, dtype=float),
                                       _digest(calendar), rules), protocol=5)).digest()
    with _BILLS_LOCK:  # a Dask worker may run cases in threads
        hit = _BILLS.get(key)
        if hit is not None:
            _BILLS.move_to_end(key)
            return hit
    bills, baseline_bills, added, pv_kwh = [], [], [], []
    for f in factors:
        project_k, base_k = scale_pv(project, f), scale_pv(baseline, f)
        if meters:
            bills.append(site_bills_krw(meters, project_k, calendar, rules))
            baseline_bills.append(site_bills_krw(meters, base_k, calendar, rules))
        added.append(project_k.export_kw - base_k.export_kw)
        pv_kwh.append(float(project_k.pv_kw.sum()))
    n = len(factors)
    out = SettledYears(np.array(bills) if meters else np.zeros(n), np.array(baseline_bills) if meters else np.zeros(n),
                       np.array(added).reshape(n, -1), np.array(pv_kwh))
    with _BILLS_LOCK:
        _BILLS[key] = out
        while len(_BILLS) > BILLS_KEPT:
            _BILLS.popitem(last=False)
    return out


def priced_meters(scenario, meters: dict) -> dict:
    """The sizing stage's meters with the scenario's tariff records (a study may change the rates)."""
    return {name: (replace(m, tariff=scenario.tariffs.get(m.tariff.name, m.tariff)) if m is not None else None)
            for name, m in meters.items()}


def site_project(scenario, name: str, site, data, index, calendar=None, debt_energy_fraction: float = 1.0) -> Project | None:
    """What sizing built at one site, as a project; None when it built nothing.

    ``site`` is the sizing stage's record of the site (:class:`pvcluster.sizing.results.SiteResult`:
    sizes, dispatch, baseline, meters) and ``data`` its inputs (segments, pilot candidates, what its
    exports earn), ``index`` the hourly index of the year and ``calendar`` its tariff calendar (built
    from it when not given). Costs and prices come from the scenario's facts through the cost layer
    and the market, so a fixed design can be priced again under other facts; finance imports nothing
    of the sizing stage. ``debt_energy_fraction`` (e.g. P90 / P50 energy) gives the lender's case the
    debt is sculpted on: each year's bills and exports again with the PV output scaled by it.
    """
    from pvcluster.costs import pv_kind_costs, storage_kind_costs
    from pvcluster.market import TariffRules, tariff_calendar

    c, m, f = scenario.facts.costs, scenario.facts.market, scenario.facts.finance
    n = scenario.finance.analysis_years
    new_kwp = dict(site.pv.new_segments_kwp)
    segment_costs = {g.name: (pv_kind_costs(c, f, g.cost_kind, g.dc_ac_ratio) if g.cost_kind else g.asset_costs)
                     for g in data.segments}
    energy_costs, power_costs = storage_kind_costs(c, n)
    energy_kwh, power_kw = site.storage.energy_kwh, site.storage.power_kw
    enrolled = set(site.pilot.enrolled)
    retrofit = sum(cand.retrofit_krw for cand in data.pilot if cand.name in enrolled)
    streams = [segment_costs[g].streams(kwp, n) for g, kwp in new_kwp.items() if kwp > 0]
    if energy_kwh > 0:
        streams += [energy_costs.streams(energy_kwh, n), power_costs.streams(power_kw, n)]
    capex = (sum(segment_costs[g].capex_krw_per_unit * kwp for g, kwp in new_kwp.items())
             + energy_costs.capex_krw_per_unit * energy_kwh + power_costs.capex_krw_per_unit * power_kw + retrofit)
    if capex <= 1e-6:
        return None
    years = operating_calendar_years(scenario, scenario.finance.construction_years, n)
    base = scenario.scenario.base_year
    retail = path_factors(m.retail_tariff_real_change_fraction_per_year, base, years)
    smp_path = path_factors(m.smp_real_change_fraction_per_year, base, years)
    rec_path = path_factors(m.rec_real_change_fraction_per_year, base, years)
    degradation = (1.0 - c.pv_degradation_fraction_per_year) ** np.arange(n) / data.pv_output_factor
    rules = TariffRules.from_facts(m)
    calendar = calendar if calendar is not None else tariff_calendar(index, rules)
    meters = priced_meters(scenario, site.grid.meters)
    smp = smp_hourly_krw_per_kwh(m, index)
    rec_krw_per_kwh = m.rec_price_krw_per_rec / 1000.0 * data.rec_weight if data.export_kind != "net_metering" else 0.0
    exports_earn = data.export_kind != "net_metering"
    new_share = site.pv.new_capacity_kwp / max(site.pv.capacity_kwp, 1e-9)

    def revenue_by_year(factor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(bill savings, export revenue, new PV's kWh) of every operating year with the PV output x factor."""
        years = settle_years(meters, site.dispatch, site.baseline, degradation * factor, calendar, rules)
        saved = (years.baseline_bills_krw - years.bills_krw) * retail if meters else np.zeros(n)
        exported = (years.added_export_kw @ smp * smp_path + years.added_export_kw.sum(axis=1) * rec_krw_per_kwh
                    * rec_path) if exports_earn else np.zeros(n)
        return saved, exported, years.pv_kwh * new_share

    savings, export, pv_energy = revenue_by_year(1.0)
    revenue = {"grid_savings": savings, "export": export}
    if enrolled:
        revenue["pilot"] = np.full(n, scenario.pilot.tariff_krw_per_kwh * site.pilot.energy_kwh)
    debt = debt_terms(scenario)
    if debt is not None and debt.sizing == "dscr" and debt_energy_fraction != 1.0:
        case = revenue_by_year(debt_energy_fraction)
        debt = replace(debt, sizing_revenue_krw={"grid_savings": case[0], "export": case[1]})
    return Project(name=f"{name}_pv", capex_krw=capex, energy_kwh=pv_energy, revenue_krw=revenue,
                   opex_krw=add_streams(*streams), debt=debt, **common_terms(scenario))
