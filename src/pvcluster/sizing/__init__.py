"""Sizing stage: PV, storage, grid and public pilot demand for every site of the cluster.

``build_sizing(scenario, generation, demand)`` turns the scenario, facts and profiles into one
:class:`~pvcluster.sizing.data.SiteData` per site and sizes them together under the shared
capital budget (:mod:`pvcluster.sizing.cluster`). The sites:

* each village: rooftop PV by building class (house, public, commercial roofs of its
  inventory), storage, the residential tariff; its self-sufficiency target and RE100 option;
* ``county``: the public facilities' own site; the pilot program decides which candidate
  facilities to enroll; PV on public roofs; a time-of-use tariff with a demand charge;
* ``industrial_complex``: the polysilicon plant and factories; PV on factory roofs; the
  industrial time-of-use tariff with its demand charge;
* ``plant_extension``: more trackers next to the Energy Station, selling SMP + REC.

Villages with ``size = false`` keep their existing PV and are dispatched without optimization.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from pvcluster.errors import InfeasibleError
from pvcluster.generation.inventory import CLASSES
from pvcluster.generation.modules import cec_module, module_kwp_per_m2
from pvcluster.sizing.cluster import ClusterSolution, solve_decomposed
from pvcluster.sizing.data import PilotCandidate, PVSegment, SiteData, annuity_factor, capital_recovery_factor
from pvcluster.sizing.periods import TimeGrid, typical_days
from pvcluster.sizing.solve import SiteSolution, SolverSettings, solve_site
from pvcluster.weather.calendar import season_index

__all__ = ["Sizing", "build_sizing", "site_inputs", "grid_for", "sites_on_grid", "clustering_features", "SiteData",
           "PVSegment", "PilotCandidate", "capital_recovery_factor", "SolverSettings", "solve_site", "SiteSolution",
           "rec_weight", "import_price_krw_per_kwh", "export_price_krw_per_kwh", "tou_price_krw_per_kwh"]


def import_price_krw_per_kwh(market) -> float:
    """Marginal residential price a village avoids per kWh of self-consumption (energy charges only)."""
    return (market.residential_energy_charge_krw_per_kwh + market.climate_environment_charge_krw_per_kwh
            + market.fuel_cost_adjustment_krw_per_kwh)


def tou_price_krw_per_kwh(market, index) -> np.ndarray:
    """Hourly KEPCO industrial TOU energy charge (plus climate and fuel charges) on an hourly index."""
    season = season_index(index)
    hour = index.hour.to_numpy()
    band = np.where(season == 2, np.asarray(market.tou_band_by_hour_winter)[hour],
                    np.asarray(market.tou_band_by_hour_summer_spring_autumn)[hour]).astype(int)
    table = np.array([market.industrial_tou_summer_krw_per_kwh, market.industrial_tou_spring_autumn_krw_per_kwh,
                      market.industrial_tou_winter_krw_per_kwh])
    return table[season, band] + market.climate_environment_charge_krw_per_kwh + market.fuel_cost_adjustment_krw_per_kwh


def rec_weight(market, installation: str, capacity_kw: float) -> float:
    """Capacity-weighted REC multiplier of a PV system by installation type and size.

    General land: ``small`` weight for the first 100 kW, ``medium`` up to 3 MW, ``large``
    above. Buildings: ``small`` up to 3 MW, ``large`` above. Forest land: one weight.
    """
    if capacity_kw <= 0:
        return 0.0
    if installation == "forest":
        return market.rec_weight_forest
    if installation == "building":
        tiers = [(3000.0, market.rec_weight_building_small), (float("inf"), market.rec_weight_building_large)]
    else:
        tiers = [(100.0, market.rec_weight_land_small), (3000.0, market.rec_weight_land_medium),
                 (float("inf"), market.rec_weight_land_large)]
    weighted, lower = 0.0, 0.0
    for upper, weight in tiers:
        part = max(0.0, min(capacity_kw, upper) - lower)
        weighted += part * weight
        lower = upper
    return weighted / capacity_kw


def export_price_krw_per_kwh(market, export_price: str, capacity_kw: float, installation: str = "building") -> float:
    if export_price == "smp":
        return market.smp_krw_per_kwh
    weight = rec_weight(market, installation, capacity_kw)
    return market.smp_krw_per_kwh + market.rec_price_krw_per_rec / 1000.0 * weight


@dataclass
class Sizing:
    sites: dict[str, SiteSolution]
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

    objective_krw_per_year = objective_krw


def _common(scenario) -> dict:
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
        technologies=tuple(scenario.sizing.technologies))


def _segment(name: str, cf: np.ndarray, max_kwp: float, capex: float, om_fraction: float,
             existing: float = 0.0) -> PVSegment:
    return PVSegment(name, np.asarray(cf, dtype=float), max_kwp, capex, om_fraction * capex, existing)


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
                                  retrofit or c.pilot_retrofit_krw_per_kw_peak * float(kw.max())))
    return tuple(out)


def _base_load(demand, site: str) -> np.ndarray:
    names = [n for n in demand.names(site=site) if not demand.loads[n].pilot_candidate]
    return demand.hourly_kw[names].sum(axis=1).to_numpy() if names else np.zeros(len(demand.hourly_kw))


def site_inputs(scenario, generation, demand) -> dict[str, SiteData]:
    """The full-year (hourly) inputs of every site to size, by site name."""
    c, mkt = scenario.facts.costs, scenario.facts.market
    index = demand.hourly_kw.index
    common = _common(scenario)
    roof_capex = c.rooftop_pv_capex_krw_per_kwp
    om = c.pv_fixed_om_fraction_of_capex
    flat_import = np.full(len(index), import_price_krw_per_kwh(mkt))
    tou = tou_price_krw_per_kwh(mkt, index)
    sites: dict[str, SiteData] = {}
    for v in scenario.villages:
        roofs = generation.rooftops[v.name]
        potential = {cls: roofs.by_class[cls]["capacity_kwp"] for cls in CLASSES}
        total = sum(potential.values())
        scale = min(1.0, v.max_rooftop_kwp / total) if v.max_rooftop_kwp > 0 and total > 0 else 1.0
        segments = []
        for cls in CLASSES:
            existing = v.existing_rooftop_kwp if cls == "house" else 0.0
            if potential[cls] * scale > 0 or existing > 0:
                segments.append(_segment(f"{cls}_roofs", roofs.class_ac_kw_per_kwp(cls), potential[cls] * scale,
                                         roof_capex, om, existing))
        sites[v.name] = SiteData(
            name=v.name, load_kw=_base_load(demand, v.name), segments=tuple(segments),
            import_price_krw_per_kwh=flat_import,
            export_price_krw_per_kwh=np.full(len(index), export_price_krw_per_kwh(mkt, v.export_price, total * scale)),
            import_limit_kw=v.grid_import_limit_kw, export_limit_kw=v.grid_export_limit_kw,
            self_sufficiency_target_fraction=v.self_sufficiency_target_fraction, re100=v.re100,
            storage_min_energy_kwh=v.storage_min_kwh,
            pilot=_pilot(scenario, demand, v.name) if "pilot" in scenario.sizing.technologies else (),
            pilot_pv_share_fraction=scenario.pilot.pv_share_fraction, **common)
    for site, section, label in (("county", scenario.county, "public_roofs"),
                                 ("industrial_complex", scenario.industrial_complex, "factory_roofs")):
        pilot = _pilot(scenario, demand, site) if "pilot" in scenario.sizing.technologies else ()
        load = _base_load(demand, site)
        if not section.size or (not pilot and not load.any() and section.rooftop_kwp <= 0):
            continue
        segments = (_segment(label, generation.flat_roof_ac_kw_per_kwp, section.rooftop_kwp, roof_capex, om),) \
            if section.rooftop_kwp > 0 else ()
        sites[site] = SiteData(
            name=site, load_kw=load, segments=segments, import_price_krw_per_kwh=tou,
            demand_charge_krw_per_kw_month=mkt.industrial_demand_charge_krw_per_kw_month,
            export_price_krw_per_kwh=np.full(len(index), export_price_krw_per_kwh(mkt, "smp_rec", section.rooftop_kwp)),
            import_limit_kw=section.grid_import_limit_kw, export_limit_kw=section.grid_export_limit_kw,
            allow_storage=section.storage, pilot=pilot, pilot_pv_share_fraction=scenario.pilot.pv_share_fraction,
            **common)
    ext = scenario.plant_extension
    if ext.size and ext.land_m2 > 0:
        p = scenario.plant
        max_kwp = ext.land_m2 * p.gcr * module_kwp_per_m2(cec_module(p.module))
        capex = c.utility_pv_capex_krw_per_kwp * (1.0 + c.tracker_capex_premium_fraction)
        sites["plant_extension"] = SiteData(
            name="plant_extension", load_kw=np.zeros(len(index)),
            segments=(_segment("trackers", generation.plant_ac_kw_per_kwp, max_kwp, capex, om),),
            import_price_krw_per_kwh=flat_import,
            export_price_krw_per_kwh=np.full(len(index), export_price_krw_per_kwh(mkt, "smp_rec", max_kwp, p.installation)),
            import_limit_kw=1.0, export_limit_kw=ext.grid_export_limit_kw, allow_storage=False, **common)
    return sites


def clustering_features(sites: dict[str, SiteData]) -> tuple[list[np.ndarray], np.ndarray]:
    """The hourly series the typical days are clustered on, and the total load (for the peak day).

    Every site contributes its own series: its load (with its pilot candidates' loads), the
    PV per kWp of each of its segments, and its import and export prices where they vary
    over the year (the county's and the industrial complex's time-of-use tariffs; a flat
    tariff carries no information). :func:`~pvcluster.sizing.periods.typical_days` scales
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
        series += [p - float(p.min()) for p in (s.import_price_krw_per_kwh, s.export_price_krw_per_kwh)]
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
    """Existing PV serves the load first; the grid imports the rest and takes surplus up to its limit.

    The objective is in the sizing objective's units: KRW/yr, or -NPV (KRW) over the analysis years.
    """
    gen = sum((g.existing_kwp * g.kw_per_kwp for g in s.segments), np.zeros(s.steps))
    net = s.load_kw - gen
    imp = np.clip(net, 0.0, None)
    exp = np.minimum(np.clip(-net, 0.0, None), s.export_limit_kw)
    curtail = np.clip(-net, 0.0, None) - exp
    if (imp > s.import_limit_kw + 1e-9).any():
        raise InfeasibleError(f"site {s.name!r}: load exceeds grid_import_limit_kw = {s.import_limit_kw:g} "
                              f"by up to {float((imp - s.import_limit_kw).max()):,.1f} kW")
    zeros = np.zeros_like(gen)
    existing = sum(g.existing_kwp for g in s.segments)
    pv_cost = sum(g.fixed_om_krw_per_kwp_year * g.existing_kwp for g in s.segments)
    import_cost = s.annual(imp * s.import_price_krw_per_kwh)
    export_revenue = s.annual(exp * s.export_price_krw_per_kwh)
    return SiteSolution(
        name=s.name, status="notSized", build_s=0.0,
        objective_krw=(pv_cost + import_cost - export_revenue)
        * (annuity_factor(s.discount_rate_fraction, s.analysis_years) if objective == "npv" else 1.0),
        solve_s=0.0, sizes={"pv_capacity_kwp": existing, "pv_new_capacity_kwp": 0.0,
                            "storage_energy_kwh": 0.0, "storage_power_kw": 0.0},
        hourly={"pv_generation_kw": gen, "pv_curtailed_kw": curtail, "storage_charge_kw": zeros,
                "storage_discharge_kw": zeros, "storage_soc_kwh": zeros, "grid_import_kw": imp,
                "grid_export_kw": exp, "load_kw": s.load_kw},
        costs_krw_per_year={"pv": pv_cost, "storage": 0.0, "grid": import_cost - export_revenue},
        extra={"import_cost_krw_per_year": import_cost, "export_revenue_krw_per_year": export_revenue})


def build_sizing(scenario, generation, demand, progress=None) -> Sizing:
    t0 = time.perf_counter()
    z = scenario.sizing
    settings = SolverSettings(z.solver, z.time_limit_s, z.mip_gap_fraction, z.objective, z.pilot_screening_days)
    full = site_inputs(scenario, generation, demand)
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
                               progress=progress) if to_size else None
    sites = dict(cluster.sites) if cluster else {}
    for name in fixed:
        sites[name] = dispatch_without_sizing(full[name], z.objective)
    order = [n for n in full if n in sites]
    return Sizing({n: sites[n] for n in order}, {**full, **to_size}, cluster, grid, time.perf_counter() - t0)
