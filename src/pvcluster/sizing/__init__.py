"""Sizing stage: for each village, size rooftop PV and storage and dispatch them hour by hour.

``build_sizing(scenario, generation, demand)`` turns the scenario, facts and profiles into one
:class:`~pvcluster.sizing.data.SiteData` per village and solves its LP
(:mod:`pvcluster.sizing.model`) with HiGHS. Villages with ``size = false`` keep their
existing PV and are dispatched without optimization (PV serves load, the grid takes the rest).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pvcluster.errors import InfeasibleError
from pvcluster.sizing.data import SiteData, capital_recovery_factor
from pvcluster.sizing.solve import SiteSolution, SolverSettings, solve_site

__all__ = ["Sizing", "build_sizing", "site_data", "SiteData", "capital_recovery_factor",
           "SolverSettings", "solve_site", "SiteSolution", "import_price_krw_per_kwh",
           "export_price_krw_per_kwh"]


def import_price_krw_per_kwh(market) -> float:
    """Marginal retail price a village avoids per kWh of self-consumption (energy charges only)."""
    return (market.residential_energy_charge_krw_per_kwh + market.climate_environment_charge_krw_per_kwh
            + market.fuel_cost_adjustment_krw_per_kwh)


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


def export_price_krw_per_kwh(market, export_price: str, capacity_kw: float) -> float:
    if export_price == "smp":
        return market.smp_krw_per_kwh
    weight = rec_weight(market, "building", capacity_kw)
    return market.smp_krw_per_kwh + market.rec_price_krw_per_rec / 1000.0 * weight


@dataclass
class Sizing:
    sites: dict[str, SiteSolution]
    site_inputs: dict[str, SiteData]

    @property
    def status(self) -> str:
        statuses = {s.status for s in self.sites.values()}
        return statuses.pop() if len(statuses) == 1 else ",".join(sorted(statuses))

    @property
    def objective_krw_per_year(self) -> float:
        return float(sum(s.objective_krw_per_year for s in self.sites.values()))


def site_data(scenario, village, load_kw: np.ndarray, pv_kw_per_kwp: np.ndarray,
              rooftop_potential_kwp: float) -> SiteData:
    """The LP data of one village; rooftop PV is bounded by the inventory's potential (or the cap)."""
    c, mkt = scenario.facts.costs, scenario.facts.market
    n = len(load_kw)
    pv_max = rooftop_potential_kwp if village.max_rooftop_kwp <= 0 else min(village.max_rooftop_kwp,
                                                                            rooftop_potential_kwp)
    pv_capex = c.rooftop_pv_capex_krw_per_kwp
    return SiteData(
        name=village.name, load_kw=np.asarray(load_kw, dtype=float),
        pv_kw_per_kwp=np.where(pv_kw_per_kwp < 1e-4, 0.0, pv_kw_per_kwp),  # HiGHS drops tiny coefficients
        pv_existing_kwp=village.existing_rooftop_kwp,
        pv_max_kwp=max(pv_max, village.existing_rooftop_kwp),
        pv_capex_krw_per_kwp=pv_capex,
        pv_fixed_om_krw_per_kwp_year=c.pv_fixed_om_fraction_of_capex * pv_capex,
        pv_crf=capital_recovery_factor(c.discount_rate_fraction, c.pv_life_years),
        storage_energy_capex_krw_per_kwh=c.storage_energy_capex_krw_per_kwh,
        storage_power_capex_krw_per_kw=c.storage_power_capex_krw_per_kw,
        storage_fixed_om_fraction=c.storage_fixed_om_fraction_of_capex,
        storage_crf=capital_recovery_factor(c.discount_rate_fraction, c.storage_life_years),
        storage_round_trip_efficiency_fraction=c.storage_round_trip_efficiency_fraction,
        import_price_krw_per_kwh=np.full(n, import_price_krw_per_kwh(mkt)),
        export_price_krw_per_kwh=np.full(n, export_price_krw_per_kwh(mkt, village.export_price,
                                                                       pv_max)),
        import_limit_kw=village.grid_import_limit_kw, export_limit_kw=village.grid_export_limit_kw,
        self_sufficiency_target_fraction=village.self_sufficiency_target_fraction,
    )


def dispatch_without_sizing(s: SiteData) -> SiteSolution:
    """Existing PV serves the load first; the grid imports the rest and takes surplus up to its limit."""
    gen = s.pv_existing_kwp * s.pv_kw_per_kwp
    net = s.load_kw - gen
    imp = np.clip(net, 0.0, None)
    exp = np.minimum(np.clip(-net, 0.0, None), s.export_limit_kw)
    curtail = np.clip(-net, 0.0, None) - exp
    if (imp > s.import_limit_kw + 1e-9).any():
        raise InfeasibleError(f"site {s.name!r}: load exceeds grid_import_limit_kw = {s.import_limit_kw:g} "
                              f"by up to {float((imp - s.import_limit_kw).max()):,.1f} kW")
    zeros = np.zeros_like(gen)
    pv_cost = s.pv_fixed_om_krw_per_kwp_year * s.pv_existing_kwp
    grid_cost = float(imp @ s.import_price_krw_per_kwh - exp @ s.export_price_krw_per_kwh)
    return SiteSolution(
        name=s.name, status="notSized", objective_krw_per_year=pv_cost + grid_cost, build_s=0.0, solve_s=0.0,
        sizes={"pv_capacity_kwp": s.pv_existing_kwp, "pv_new_capacity_kwp": 0.0,
               "storage_energy_kwh": 0.0, "storage_power_kw": 0.0},
        hourly={"pv_generation_kw": gen, "pv_curtailed_kw": curtail, "storage_charge_kw": zeros,
                "storage_discharge_kw": zeros, "storage_soc_kwh": zeros, "grid_import_kw": imp,
                "grid_export_kw": exp},
        costs_krw_per_year={"pv": pv_cost, "storage": 0.0, "grid": grid_cost},
        extra={"import_cost_krw_per_year": float(imp @ s.import_price_krw_per_kwh),
               "export_revenue_krw_per_year": float(exp @ s.export_price_krw_per_kwh)})


def build_sizing(scenario, generation, demand, progress=None) -> Sizing:
    settings = SolverSettings(scenario.sizing.solver, scenario.sizing.time_limit_s)
    sites: dict[str, SiteSolution] = {}
    inputs: dict[str, SiteData] = {}
    for village in scenario.villages:
        data = site_data(scenario, village, demand.site_kw(village.name).to_numpy(),
                         generation.rooftop_ac_kw_per_kwp[village.name].to_numpy(),
                         generation.rooftops[village.name].potential_kwp)
        inputs[village.name] = data
        if progress:
            progress(f"sizing {village.name}")
        sites[village.name] = solve_site(data, settings) if village.size else dispatch_without_sizing(data)
    return Sizing(sites, inputs)
