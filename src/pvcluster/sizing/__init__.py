"""Sizing stage: PV, storage, grid and public pilot demand for every site of the cluster.

``build_sizing(scenario, generation, demand)`` turns the scenario, facts and profiles into one
:class:`~pvcluster.sizing.data.SiteData` per site and sizes them together under the shared
capital budget (:mod:`pvcluster.sizing.cluster`). The sites:

* each village: rooftop PV by building class (house, public, commercial roofs of its
  inventory), storage, behind the meters its ``behind_pv`` names (the households on the
  residential block tariff, the hall, the street lights); its self-sufficiency target and RE100;
* ``county``: the public facilities' own site; the pilot program decides which candidate
  facilities to enroll; PV on public roofs; grid energy for enrolled facilities through a supply
  meter of its own;
* ``industrial_complex``: the polysilicon plant and factories on their industrial tariffs; PV on
  factory roofs;
* ``plant_extension``: more trackers next to the Energy Station, selling SMP + REC.

Every cost finance charges an asset enters the LP through :mod:`pvcluster.costs` (the same
records finance prices with), and every bill through the market's tariff records
(:mod:`pvcluster.market`). Villages with ``size = false`` keep their existing PV and are
dispatched without optimization. Each site's solution carries its dispatch and its baseline (the
dispatch without new PV) as :class:`pvcluster.market.Dispatch`, and its meters, which finance bills.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from pvcluster.costs import Annualization, marginal_tax_rate, pv_kind_costs
from pvcluster.errors import InfeasibleError
from pvcluster.market import (Dispatch, TariffRules, annual_bill_krw, export_price_krw_per_kwh, lp_terms,
                              path_factors, rec_rule_for_year, rec_weight, tariff_calendar)
from pvcluster.sizing.cluster import ClusterSolution, ModelCache, solve_decomposed
from pvcluster.sizing.bounds import (least_import_kwh, load_energy_kwh, most_self_sufficiency_fraction,
                                     pv_bound_kw, pv_upper_bound_kw, target_bound_applies, target_needs_storage)
from pvcluster.sizing.data import MeterData, PilotCandidate, PVSegment, SiteData, SolverSettings, capital_recovery_factor
from pvcluster.sizing.meters import load_meters, site_meter_specs
from pvcluster.sizing.periods import TimeGrid, typical_days
from pvcluster.sizing.results import SiteResult, SiteSolution, site_result

__all__ = ["Sizing", "build_sizing", "ModelCache", "site_inputs", "grid_for", "sites_on_grid", "clustering_features", "SiteData",
           "PVSegment", "PilotCandidate", "MeterData", "capital_recovery_factor", "SolverSettings", "solve_site",
           "SiteSolution", "SiteResult", "annualization", "commissioning_year", "pilot_margin", "baseline", "precheck",
           "least_import_kwh", "pv_upper_bound_kw", "target_needs_storage"]


@dataclass(frozen=True)
class Sizing:
    """The sizing stage's record: every site's :class:`~pvcluster.sizing.results.SiteResult`, the sites'
    full-year inputs, how the cluster was solved (budget, price, method) and on which time grid."""

    sites: dict[str, SiteResult]
    site_inputs: dict[str, SiteData]
    cluster: ClusterSolution | None
    time: TimeGrid
    wall_s: float = 0.0

    @property
    def status(self) -> str:
        statuses = {s.status for s in self.sites.values()}
        return statuses.pop() if len(statuses) == 1 else ",".join(sorted(statuses))

    @property
    def objective_krw(self) -> float:
        return float(sum(s.objective_krw for s in self.sites.values()))


def solve_site(s: SiteData, settings: SolverSettings) -> SiteSolution:
    """One site built and solved in this process (:func:`pvcluster.sizing.solve.solve_site`). Pyomo is
    imported here, not with this package: a run that sizes on worker processes never needs it itself."""
    from pvcluster.sizing.solve import solve_site as solve

    return solve(s, settings)


def commissioning_year(scenario) -> int:
    """The first operating year of what sizing builds (the REC rule and the price paths start there)."""
    return scenario.scenario.base_year + scenario.finance.construction_years


def annualization(scenario, tax_rate_fraction: float | None = None) -> Annualization:
    """The discounting, life and tax terms every site's LP and finance's new projects share."""
    c, f = scenario.facts.costs, scenario.facts.finance
    if tax_rate_fraction is None:  # the first KRW of profit: the lowest bracket
        tax_rate_fraction = marginal_tax_rate(0.0, c.corporate_tax_bracket_thresholds_krw,
                                              c.corporate_tax_rates_fraction, c.local_income_tax_fraction_of_cit)
    return Annualization(c.discount_rate_fraction, scenario.finance.analysis_years, scenario.finance.construction_years,
                         f.inflation_fraction_per_year, tax_rate_fraction, int(round(c.depreciation_years)))


def _weights(scenario, a: Annualization, export_rec_krw_per_kwh: float = 0.0) -> dict:
    """The LP's levelized PV output and the weights of its bill and export terms (see pvcluster.costs)."""
    m, c = scenario.facts.market, scenario.facts.costs
    base, first = scenario.scenario.base_year, commissioning_year(scenario)
    years = first + np.arange(a.operating_years)
    d = c.pv_degradation_fraction_per_year
    smp = m.smp_krw_per_kwh * path_factors(m.smp_real_change_fraction_per_year, base, years)
    rec = export_rec_krw_per_kwh * path_factors(m.rec_real_change_fraction_per_year, base, years)
    total0 = m.smp_krw_per_kwh + export_rec_krw_per_kwh
    degradation = (1.0 - d) ** np.arange(a.operating_years)
    return dict(pv_output_factor=a.weight(degradation),
                import_weight=a.weight(path_factors(m.retail_tariff_real_change_fraction_per_year, base, years)),
                export_weight=a.weight((smp + rec) / total0) if total0 > 0 else 1.0)


def _common(scenario, a: Annualization) -> dict:
    c = scenario.facts.costs
    return dict(
        storage_energy_capex_krw_per_kwh=c.storage_energy_capex_krw_per_kwh,
        storage_power_capex_krw_per_kw=c.storage_power_capex_krw_per_kw,
        storage_fixed_om_fraction=c.storage_fixed_om_fraction_of_capex,
        storage_life_years=c.storage_life_years,
        storage_round_trip_efficiency_fraction=c.storage_round_trip_efficiency_fraction,
        storage_min_soc_fraction=c.storage_min_soc_fraction,
        pv_life_years=c.pv_life_years, pilot_life_years=c.pv_life_years,
        discount_rate_fraction=c.discount_rate_fraction, analysis_years=scenario.finance.analysis_years,
        technologies=tuple(scenario.sizing.technologies), annualization=a,
        tax=(tuple(c.corporate_tax_bracket_thresholds_krw), tuple(c.corporate_tax_rates_fraction),
             c.local_income_tax_fraction_of_cit),
        pilot_matching=scenario.pilot.pv_matching)


def _segment(scenario, name: str, cf: np.ndarray, max_kwp: float, kind: str, dc_ac_ratio: float,
             existing: float = 0.0, installation: str = "building") -> PVSegment:
    costs = pv_kind_costs(scenario.facts.costs, scenario.facts.finance, kind, dc_ac_ratio)
    return PVSegment(name, np.asarray(cf, dtype=float), max_kwp, costs.capex_krw_per_unit,
                     sum(costs.fixed_krw_per_unit_year.values()), existing, costs, installation, kind, dc_ac_ratio)


def _pilot(scenario, demand, site: str) -> tuple[PilotCandidate, ...]:
    c, p = scenario.facts.costs, scenario.pilot
    entries = {f.name: f for f in scenario.facilities}
    out = []
    for name in demand.names(site=site):
        load = demand.loads[name]
        if not load.pilot_candidate:
            continue
        kw = demand.hourly_kw[name].to_numpy()
        retrofit = entries[name].pilot_retrofit_krw if name in entries else 0.0
        out.append(PilotCandidate(name, kw, p.tariff_krw_per_kwh,
                                  retrofit or c.pilot_retrofit_krw_per_kw_peak * float(kw.max()),
                                  float(np.ceil(kw.max() - 1e-9))))
    return tuple(out)


def _meters(scenario, demand, site: str, calendar, rules, specs_by_name) -> tuple[MeterData, ...]:
    """The site's meters with their LP terms on the full year (host first, the pilot supply last)."""
    hours = np.arange(len(demand.hourly_kw))
    months = tuple(np.flatnonzero(calendar.month == m) for m in range(1, 13))
    specs = site_meter_specs(scenario, demand, site, specs_by_name)
    out = []
    for i, spec in enumerate(specs):
        load = demand.hourly_kw[list(spec.loads)].sum(axis=1).to_numpy() if spec.loads else np.zeros(len(hours))
        monthly = np.bincount(calendar.month - 1, weights=load, minlength=12)
        terms = lp_terms(spec.meter, calendar, rules, hours, months, load_kw=load, fixed_kwh_by_month=monthly)
        host = i == 0
        out.append(MeterData(spec.meter.name, load, terms, spec.meter, host, spec.pilot_supply, spec.loads,
                             spec.pilot_supply and not scenario.pilot.supply_contract_kw))
    return tuple(out)


def site_inputs(scenario, generation, demand) -> dict[str, SiteData]:
    """The full-year (hourly) inputs of every site to size, by site name."""
    # here, not at the top: a sizing worker imports this package and needs neither, nor pvlib behind them
    # (its start took 0.86 s against 0.97 s, while this process runs the first stages)
    from pvcluster.generation.inventory import CLASSES
    from pvcluster.pvmodules import cec_module, module_kwp_per_m2

    mkt = scenario.facts.market
    index = demand.hourly_kw.index
    rules = TariffRules.from_facts(mkt)
    calendar = tariff_calendar(index, rules)
    a = annualization(scenario)
    common = _common(scenario, a)
    rule = rec_rule_for_year(scenario.rec_rules, commissioning_year(scenario))
    roof_dc_ac = scenario.facts.rooftops.dc_ac_ratio
    specs = load_meters(scenario, demand)
    smp_only = export_price_krw_per_kwh(mkt, index)
    sites: dict[str, SiteData] = {}

    def make(name, segments, meters, export_price, rec_part, **kw) -> SiteData:
        load = sum((md.load_kw for md in meters if not md.pilot_supply), np.zeros(len(index)))
        s = SiteData(name=name, load_kw=load, segments=tuple(segments), meters=meters,
                     import_price_krw_per_kwh=np.zeros(len(index)), export_price_krw_per_kwh=export_price,
                     tariff_calendar=calendar, tariff_rules=rules, rec_krw_per_kwh=rec_part,
                     **_weights(scenario, a, rec_part), **common, **kw)
        return replace(s, baseline_bill_krw_per_year=_bills_krw(s, baseline(s).imports_kw, baseline(s).export_kw))

    for v in scenario.villages:
        roofs = generation.rooftops[v.name]
        potential = {cls: roofs.by_class[cls]["capacity_kwp"] for cls in CLASSES}
        total = sum(potential.values())
        scale = min(1.0, v.max_rooftop_kwp / total) if v.max_rooftop_kwp > 0 and total > 0 else 1.0
        segments = []
        for cls in CLASSES:
            existing = v.existing_rooftop_kwp if cls == "house" else 0.0
            kind = "house_roof" if cls == "house" else "building_roof"
            if potential[cls] * scale > 0 or existing > 0:
                segments.append(_segment(scenario, f"{cls}_roofs", roofs.class_ac_kw_per_kwp(cls),
                                         potential[cls] * scale, kind, roof_dc_ac, existing))
        weight = rec_weight(rule, "building", total * scale) if v.export_price == "smp_rec" else 0.0
        rec_part = mkt.rec_price_krw_per_rec / 1000.0 * weight
        price = np.zeros(len(index)) if v.export_price == "net_metering" else smp_only + rec_part
        sites[v.name] = make(
            v.name, segments, _meters(scenario, demand, v.name, calendar, rules, specs), price, rec_part,
            export_kind=v.export_price, rec_weight=weight,
            import_limit_kw=v.grid_import_limit_kw, export_limit_kw=v.grid_export_limit_kw,
            self_sufficiency_target_fraction=v.self_sufficiency_target_fraction, re100=v.re100,
            storage_min_energy_kwh=v.storage_min_kwh,
            pilot=_pilot(scenario, demand, v.name) if "pilot" in scenario.sizing.technologies else (),
            pilot_pv_share_fraction=scenario.pilot.pv_share_fraction, net_metering_max_kw=mkt.net_metering_max_kw)
    for site, section, label in (("county", scenario.county, "public_roofs"),
                                 ("industrial_complex", scenario.industrial_complex, "factory_roofs")):
        pilot = _pilot(scenario, demand, site) if "pilot" in scenario.sizing.technologies else ()
        meters = _meters(scenario, demand, site, calendar, rules, specs)
        if not section.size or (not pilot and not any(md.load_kw.any() for md in meters) and section.rooftop_kwp <= 0):
            continue
        segments = (_segment(scenario, label, generation.flat_roof_ac_kw_per_kwp, section.rooftop_kwp,
                             "building_roof", roof_dc_ac),) if section.rooftop_kwp > 0 else ()
        weight = rec_weight(rule, "building", section.rooftop_kwp)
        rec_part = mkt.rec_price_krw_per_rec / 1000.0 * weight
        sites[site] = make(site, segments, meters, smp_only + rec_part, rec_part, export_kind="smp_rec",
                           rec_weight=weight,
                           import_limit_kw=section.grid_import_limit_kw, export_limit_kw=section.grid_export_limit_kw,
                           allow_storage=section.storage, pilot=pilot,
                           pilot_pv_share_fraction=scenario.pilot.pv_share_fraction)
    ext = scenario.plant_extension
    if ext.size and ext.land_m2 > 0:
        p = scenario.plant
        max_kwp = ext.land_m2 * p.gcr * module_kwp_per_m2(cec_module(p.module))
        weight = rec_weight(rule, p.installation, max_kwp)
        rec_part = mkt.rec_price_krw_per_rec / 1000.0 * weight
        sites["plant_extension"] = make(
            "plant_extension", (_segment(scenario, "trackers", generation.plant_ac_kw_per_kwp, max_kwp, "tracker",
                                         p.dc_ac_ratio, installation=p.installation),),
            (), smp_only + rec_part, rec_part, import_limit_kw=0.0, export_limit_kw=ext.grid_export_limit_kw,
            allow_storage=False, export_kind="smp_rec", rec_weight=weight)
    return sites


def baseline(s: SiteData) -> Dispatch:
    """The site without new PV: existing PV serves its meters' loads (host first), the grid the rest;
    surplus is exported up to the limit (where exports earn anything), else curtailed."""
    gen = sum((g.existing_kwp * g.kw_per_kwp * s.pv_output_factor for g in s.segments), np.zeros(s.steps))
    left = gen.copy()
    imports, loads = {}, {}
    for md in s.grid_meters:
        if md.pilot_supply:
            continue  # without the pilot there is no supply meter
        load = np.asarray(md.load_kw, dtype=float)
        served = np.minimum(load, left)
        left -= served
        imports[md.name], loads[md.name] = load - served, load
    net_metered = any(md.terms.net_metering for md in s.meters)
    exportable = net_metered or float(np.max(s.export_price_krw_per_kwh, initial=0.0)) > 0
    exp = np.minimum(left, s.export_limit_kw) if exportable else np.zeros(s.steps)
    zeros = np.zeros(s.steps)
    return Dispatch(gen, left - exp, exp, imports, loads, zeros, zeros, s.export_limit_kw)


def _bills_krw(s: SiteData, imports: dict[str, np.ndarray], export: np.ndarray) -> float:
    """The meters' bills for a year of hourly imports (the market's bill function; hand-made sites
    without meters pay their hourly prices and monthly peak charge)."""
    if not s.meters:
        imp = sum(imports.values())
        peaks = [float(imp[st].max()) for st in s.time.month_steps if len(st)]
        return s.annual(imp * s.import_price_krw_per_kwh) + s.demand_charge_krw_per_kw_month * sum(peaks)
    return float(sum(annual_bill_krw(md.meter, imports[md.name], s.tariff_calendar, s.tariff_rules,
                                     export if md.meter.net_metering else None, load_kw=md.load_kw)
                     for md in s.meters if md.name in imports))


def clustering_features(sites: dict[str, SiteData]) -> tuple[list[np.ndarray], np.ndarray]:
    """The hourly series the typical days are clustered on, and the total load (for the peak day).

    Every site contributes its own series: its load (with its pilot candidates' loads), the
    PV per kWp of each of its segments, and its meters' energy prices and its export price where
    they vary over the year (time of use, seasons, days off; a flat price carries no information). :func:`~pvcluster.sizing.periods.typical_days` scales
    each by its largest value, so each counts alike. Clustering on the first site's (flat)
    price alone left the industrial site's load x TOU price -1.1 % off on 24 days; with each
    site's own price, days of different tariff seasons are not merged.
    """
    hours = len(next(iter(sites.values())).load_kw) if sites else 0
    features, total = [], np.zeros(hours)
    for s in sites.values():
        load = s.load_kw + sum((f.load_kw for f in s.pilot), np.zeros(hours))
        total = total + load
        series = [load] + [g.kw_per_kwp for g in s.segments]
        prices = [s.import_price_krw_per_kwh, s.export_price_krw_per_kwh]
        prices += [np.asarray(md.terms.energy_krw_per_kwh, dtype=float) for md in s.meters]
        series += [p - float(p.min()) for p in prices if len(p) == hours]
        features += [a for a in series if float(np.ptp(a)) > 0]  # a constant tells no day from another
    return features, total


def grid_for(scenario, sites: dict[str, SiteData], months: np.ndarray) -> tuple[TimeGrid, np.ndarray]:
    """The scenario's time grid: every hour, or typical days clustered on every site's profiles."""
    hours = len(months)
    if scenario.sizing.periods == "full" or not sites:
        return TimeGrid.full_year(hours, months), np.arange(hours)
    features, total = clustering_features(sites)
    return typical_days(features, scenario.sizing.typical_days, months, peak_profile=total)


def sites_on_grid(sites: dict[str, SiteData], grid: TimeGrid, hours: np.ndarray) -> dict[str, SiteData]:
    """The sites on the scenario's grid; on typical days their energy series are rescaled to
    the year's sums (:meth:`SiteData.on_grid`)."""
    if grid.is_full_year:
        return dict(sites)
    return {n: s.on_grid(grid, hours, rescale=True) for n, s in sites.items()}


def dispatch_without_sizing(s: SiteData, objective: str = "annualized_cost") -> SiteSolution:
    """A site that is not sized: its baseline (existing PV, the grid for the rest), in the sizing
    objective's units (after-tax annualized KRW a year, or -NPV)."""
    base = baseline(s)
    a = s.annualization
    imp = sum(base.imports_kw.values()) if base.imports_kw else np.zeros(s.steps)
    if (imp > s.import_limit_kw + 1e-9).any():
        raise InfeasibleError(f"site {s.name!r}: load exceeds grid_import_limit_kw = {s.import_limit_kw:g} "
                              f"by up to {float((imp - s.import_limit_kw).max()):,.1f} kW")
    existing = sum(g.existing_kwp for g in s.segments)
    pv_cost = sum(g.asset_costs.lp_coefficient(a)[1] * g.existing_kwp for g in s.segments)
    bill = _bills_krw(s, base.imports_kw, base.export_kw)
    export_revenue = 0.0 if any(md.terms.net_metering for md in s.meters) else s.annual(
        base.export_kw * s.export_price_krw_per_kwh)
    zeros = np.zeros(s.steps)
    return SiteSolution(
        name=s.name, status="notSized", build_s=0.0,
        objective_krw=(pv_cost + s.import_weight * bill - s.export_weight * export_revenue)
        * a.objective_scale(objective),
        solve_s=0.0, sizes={"pv_capacity_kwp": existing, "pv_new_capacity_kwp": 0.0,
                            "storage_energy_kwh": 0.0, "storage_power_kw": 0.0},
        hourly={"pv_generation_kw": base.pv_kw, "pv_curtailed_kw": base.curtailed_kw, "storage_charge_kw": zeros,
                "storage_discharge_kw": zeros, "storage_soc_kwh": zeros, "grid_import_kw": imp,
                "grid_export_kw": base.export_kw, "load_kw": s.load_kw},
        costs_krw_per_year={"pv": pv_cost, "storage": 0.0, "grid": bill - export_revenue},
        extra={"bill_krw_per_year": bill, "export_revenue_krw_per_year": export_revenue,
               "baseline_bill_krw_per_year": bill},
        dispatch=base, baseline=base, meters={md.name: md.meter for md in s.meters})


def precheck_run(scenario, sites: dict[str, SiteData]) -> None:
    """:func:`precheck` of a scenario's full-year site inputs, with targets checked on the sites whose
    targets the full-year LP enforces: those sized, when the sizing runs on every hour (a village left
    unsized ignores its targets; a typical-day LP is another LP, whose smoothed days may reach a
    little more)."""
    fixed = {v.name for v in scenario.villages if not v.size}
    precheck(sites, {n for n in sites if n not in fixed} if scenario.sizing.periods == "full" else set())


def precheck(sites: dict[str, SiteData], targets: set[str] | None = None) -> None:
    """Fail before any solve where a bound already proves a site infeasible (InfeasibleError, exit 3):
    its loads beyond the grid limit (:func:`_grid_limit_problem`), or, for the sites in ``targets``
    (all when None), a self-sufficiency or RE100 target its PV cannot reach (:func:`_target_problems`).
    Each bound is necessary for any dispatch of the full-year LP, so a case it rejects has no
    solution; a case it passes may still be infeasible (the LP decides). Targets are checked only
    where the full-year LP enforces them (:func:`precheck_run`): a site that is not sized
    ignores its targets, and typical days are another LP.
    """
    messages = []
    for name, s in sites.items():
        problem = _grid_limit_problem(name, s)
        messages += ([problem] if problem else []) + (
            _target_problems(name, s) if targets is None or name in targets else [])
    if messages:
        raise InfeasibleError("the sizing cannot be feasible: " + "; ".join(messages))


def _grid_limit_problem(name: str, s: SiteData) -> str | None:
    """With L_t the site's own loads, I the import limit and PV_t the most its PV can give (every
    segment at its largest size, or the net-metering size cap), net_t = PV_t + I - L_t. Without
    storage, net_t >= 0 must hold every step. With storage (round trip eta), what the steps short of
    power need must have been stored from the steps with some to spare: sum_t max(0, -net_t) <=
    eta sum_t max(0, net_t). Pilot loads are left out (the program may enroll none)."""
    load = np.asarray(s.load_kw, dtype=float)
    w = np.asarray(s.time.weights, dtype=float)
    over = np.clip(load - s.import_limit_kw, 0.0, None)
    if not over.any():
        return None
    pv, capped = pv_bound_kw(s)
    net = pv + s.import_limit_kw - load
    storage = s.allow_storage and "storage" in s.technologies
    short_kwh = float(np.sum(w * np.clip(-net, 0.0, None)))
    spare_kwh = float(np.sum(w * np.clip(net, 0.0, None)))
    eta = s.storage_round_trip_efficiency_fraction
    if (short_kwh <= eta * spare_kwh + 1e-6) if storage else short_kwh <= 1e-6:
        return None
    worst = int(np.argmin(net))
    why = (f"all the PV it may build yields {float(np.sum(w * pv)):,.0f} kWh a year"
           + (f" (net metering caps its PV at net_metering_max_kw = {s.net_metering_max_kw:g} kW)" if capped else ""))
    how = (f"the steps short of power need {short_kwh:,.0f} kWh, more than storage could hold for them from "
           f"the {spare_kwh:,.0f} kWh to spare in the other steps at a round trip of {eta:g}" if storage else
           f"{short_kwh:,.0f} kWh a year cannot be served in the steps PV does not cover (no storage allowed)")
    return (f"site {name!r} (checked on the year's hours): its loads exceed grid_import_limit_kw = "
            f"{s.import_limit_kw:g} kW by up to "
            f"{float(over.max()):,.1f} kW ({float(np.sum(w * over)):,.0f} kWh a year above the limit, step {worst} "
            f"of the year the worst), and {why}: {how}; raise grid_import_limit_kw to at least "
            f"{s.import_limit_kw + float(-net.min()):,.0f} kW or allow more PV and storage")


def _target_problems(name: str, s: SiteData) -> list[str]:
    """Targets no PV the site may build can reach. Self-sufficiency: the LP's row is
    sum_t I_t <= (1 - tau) E with E the loads' energy, so tau > 1 - least_import_kwh / E cannot be met
    (checked without pilot candidates, whose enrollment moves both sides). RE100: sum_t PV_t >= E (+ the
    enrolled energy) cannot hold when all the PV the site may build yields less than E."""
    w = np.asarray(s.time.weights, dtype=float)
    energy_kwh = load_energy_kwh(s)
    if energy_kwh <= 0:
        return []
    problems = []
    pv, capped = pv_bound_kw(s)
    pv_kwh = float(np.sum(w * pv))
    largest = ("the net-metering cap on its PV" if capped else
               f"every PV segment at its largest size ({sum(max(g.max_kwp, g.existing_kwp) for g in s.segments):,.1f} kWp)")
    tau = s.self_sufficiency_target_fraction
    if target_bound_applies(s):
        best = most_self_sufficiency_fraction(s)
        if tau > best + 1e-6:
            storage = (f" and storage at a round trip of {s.storage_round_trip_efficiency_fraction:g}"
                       if s.allow_storage and "storage" in s.technologies else " (no storage allowed)")
            problems.append(
                f"site {name!r}: self_sufficiency_target_fraction = {tau:g} cannot be met: with {largest}{storage} "
                f"at most {best:.3f} is achievable (a bound on the year's hours: {pv_kwh:,.0f} kWh of PV against "
                f"{energy_kwh:,.0f} kWh of load); relax the target to {max(best, 0.0):.3f} or allow more PV")
    if s.re100 and "pv" in s.technologies and pv_kwh < energy_kwh * (1 - 1e-9):
        problems.append(
            f"site {name!r}: re100 cannot be met: with {largest} its PV yields at most {pv_kwh:,.0f} kWh a year, "
            f"less than the {energy_kwh:,.0f} kWh its loads use; set re100 = false or allow more PV")
    return problems


def pilot_margin(s: SiteData, sol: SiteSolution) -> dict:
    """Where the pilot's margin comes from: enrolled energy served by local PV and storage, and grid
    energy the site bought on its supply meter and resold (each hour, the supply meter's import up
    to the enrolled load is resold grid energy)."""
    d = sol.dispatch
    supply = next((md for md in s.meters if md.pilot_supply), None)
    enrolled = d.load_kw.get(supply.name, np.zeros(s.steps)) if supply is not None else np.zeros(s.steps)
    bought = d.imports_kw.get(supply.name, np.zeros(s.steps)) if supply is not None else np.zeros(s.steps)
    from_grid = np.minimum(enrolled, bought)
    tariff = s.pilot[0].tariff_krw_per_kwh if s.pilot else 0.0
    meter = sol.meters.get(supply.name) if supply is not None else None  # its contract follows the enrollment
    supply_bill = annual_bill_krw(meter, bought, s.tariff_calendar, s.tariff_rules) \
        if meter is not None and sol.extra.get("enrolled") else 0.0
    grid_kwh, total_kwh = float(from_grid.sum()), float(enrolled.sum())
    return {"enrolled_kwh": total_kwh, "from_local_pv_kwh": total_kwh - grid_kwh, "from_grid_kwh": grid_kwh,
            "revenue_from_local_pv_krw_per_year": tariff * (total_kwh - grid_kwh),
            "revenue_from_grid_krw_per_year": tariff * grid_kwh,
            "supply_meter_bill_krw_per_year": supply_bill,
            "margin_on_grid_energy_krw_per_year": tariff * grid_kwh - supply_bill,
            "matching": s.pilot_matching}


def build_sizing(scenario, generation, demand, progress=None, models=None) -> Sizing:
    """Size every site of the scenario. ``models``: a :class:`~pvcluster.sizing.cluster.ModelCache` whose
    built site models are reused when a site's data are unchanged (sizing in this process only)."""
    t0 = time.perf_counter()
    z = scenario.sizing
    settings = SolverSettings(z.solver, z.time_limit_s, z.mip_gap_fraction, z.objective, z.pilot_screening_days)
    full = site_inputs(scenario, generation, demand)
    precheck_run(scenario, full)
    fixed = {v.name for v in scenario.villages if not v.size}
    months = demand.hourly_kw.index.month.to_numpy()
    to_size = {n: s for n, s in full.items() if n not in fixed}
    grid, hours = grid_for(scenario, to_size, months)
    to_size = sites_on_grid(to_size, grid, hours)
    # Typical-day models solve in about a second in all, less than starting worker processes
    # (about 1.4 s for two spawned workers importing Pyomo), so they are solved in this process.
    processes = z.processes if grid.is_full_year else 1
    if progress:
        progress(f"sizing {len(to_size)} sites ({', '.join(to_size)}) on {grid.steps} time steps, "
                 f"{processes} process{'es' if processes > 1 else ''}")
    cluster = solve_decomposed(list(to_size.values()), z.capital_budget_krw, settings, processes=processes,
                               progress=progress, models=models) if to_size else None
    sites = dict(cluster.sites) if cluster else {}
    for name, sol in sites.items():
        sol.baseline = baseline(full[name])
        for md in full[name].meters:  # the supply meter's contract follows the enrolled facilities
            if md.contract_follows_enrollment and md.name in sol.meters:
                enrolled = set(sol.extra.get("enrolled", ()))
                contract = sum(f.contract_kw for f in full[name].pilot if f.name in enrolled)
                sol.meters[md.name] = replace(md.meter, contract_kw=contract)
        if sol.dispatch is not None and full[name].pilot:
            sol.extra["pilot_margin"] = pilot_margin(full[name], sol)
        sol.extra["baseline_bill_krw_per_year"] = full[name].baseline_bill_krw_per_year
    for name in fixed:
        sites[name] = dispatch_without_sizing(full[name], z.objective)
    order = [n for n in full if n in sites]
    records = {n: site_result(sites[n], full[n]) for n in order}
    return Sizing(records, full, cluster, grid, time.perf_counter() - t0)
