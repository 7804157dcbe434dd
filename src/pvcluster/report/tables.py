"""Tables a run writes: the hourly frame, the summary dictionary and cash-flow tables."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

SIGNIFICANT_DIGITS = 9  # enough for KRW totals, few enough to hide last-bit solver noise


def round_floats(value: Any, digits: int = SIGNIFICANT_DIGITS) -> Any:
    """Round every float in a nested structure to ``digits`` significant digits (JSON-safe)."""
    if isinstance(value, dict):
        return {k: round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [round_floats(v, digits) for v in value]
    if isinstance(value, (np.floating, float)):
        x = float(value)
        if not math.isfinite(x):
            return None
        if x == 0.0:
            return 0.0
        return float(f"{x:.{digits}g}")
    if isinstance(value, np.integer):
        return int(value)
    return value


def hourly_table(weather, generation, demand, sizing) -> pd.DataFrame:
    """One row per hour: weather, generation by system, demand by class, dispatch per village."""
    cols: dict[str, np.ndarray] = {
        "ghi_w_per_m2": weather.data["ghi"].to_numpy(),
        "temp_air_c": weather.data["temp_air"].to_numpy(),
        f"{generation.plant_name}_ac_kw": generation.plant_ac_kw.to_numpy(),
    }
    for village, rooftops in generation.rooftops.items():
        cols[f"{village}_rooftop_potential_ac_kw"] = rooftops.ac_kw.to_numpy()
    hourly = demand.hourly_kw
    for name in hourly.columns:
        cols[f"demand_{name}_kw"] = hourly[name].to_numpy()
    for cls, series in demand.class_kw().items():
        cols[f"demand_class_{cls}_kw"] = series.to_numpy()
    cols["demand_total_kw"] = hourly.sum(axis=1).to_numpy()
    for site in demand.sites:
        cols[f"{site}_demand_total_kw"] = demand.site_kw(site).to_numpy()
    for village, site in sizing.sites.items():
        for key in ("pv_generation_kw", "pv_curtailed_kw", "storage_charge_kw", "storage_discharge_kw",
                    "storage_soc_kwh", "grid_import_kw", "grid_export_kw"):
            cols[f"{village}_{key}"] = np.asarray(site.hourly[key])
    table = pd.DataFrame(cols, index=weather.index)
    table.index.name = "time"
    return table


def _nonneg(x: float) -> float:
    return 0.0 if abs(x) < 1e-9 else x  # solvers return -0.0 and 1e-12 for zero


def _exceedance(generation, system: str) -> dict[str, Any]:
    e = generation.exceedance.get(system)
    return {} if e is None else e.as_dict()


def generation_summary(scenario, weather, generation) -> dict[str, Any]:
    """Energy Station and rooftop fleet: capacity, annual MWh, specific yield, P50/P90/P99."""
    plant, result = generation.plant, generation.plant_result
    annual_mwh = result.annual_mwh
    snow = result.snow_loss_fraction_by_month
    monthly_mwh = generation.plant_ac_kw.groupby(generation.plant_ac_kw.index.month).sum().to_numpy() / 1000.0
    plant_summary = {
        "capacity_kwp": plant.capacity_kwp,
        "ac_capacity_kw": plant.ac_capacity_kw,
        "module": plant.module,
        "modules": plant.n_modules,
        "annual_mwh": annual_mwh,
        "specific_yield_kwh_per_kwp": annual_mwh * 1000.0 / plant.capacity_kwp,
        "capacity_factor_ac_fraction": annual_mwh * 1000.0 / (plant.ac_capacity_kw * len(weather.index)),
        "peak_ac_kw": float(generation.plant_ac_kw.max()),
        "poa_kwh_per_m2": result.poa_kwh_per_m2,
        "performance_ratio_fraction": annual_mwh * 1000.0 / (result.poa_kwh_per_m2 * plant.capacity_kwp),
        "monthly_mwh": [float(x) for x in monthly_mwh],
        "losses_fraction": {**plant.losses.as_dict(),
                            "snow_annual_fraction": float(snow @ monthly_mwh / monthly_mwh.sum() if monthly_mwh.sum() else 0.0),
                            "dc_total_excluding_snow": plant.losses.dc_fraction,
                            "ac_total": plant.losses.ac_fraction},
        "degradation_fraction_per_year": scenario.facts.costs.pv_degradation_fraction_per_year,
        "energy_by_year_mwh": [float(x) for x in generation.plant_energy_by_year_mwh],
        **_exceedance(generation, generation.plant_name),
    }
    villages = {}
    for name, r in generation.rooftops.items():
        villages[name] = {
            "roofs": int(sum(c["roofs"] for c in r.by_class.values())),
            "capacity_kwp": r.potential_kwp,
            "annual_mwh": r.annual_mwh,
            "specific_yield_kwh_per_kwp": r.annual_mwh * 1000.0 / r.potential_kwp if r.potential_kwp else 0.0,
            "by_class": {cls: {**c, "specific_yield_kwh_per_kwp": c["annual_mwh"] * 1000.0 / c["capacity_kwp"]
                               if c["capacity_kwp"] else 0.0} for cls, c in r.by_class.items()},
            **_exceedance(generation, name),
        }
    fleet_kwp = sum(v["capacity_kwp"] for v in villages.values())
    fleet_mwh = sum(v["annual_mwh"] for v in villages.values())
    fleet = {
        "roofs": int(len(generation.roofs)),
        "capacity_kwp": fleet_kwp,
        "annual_mwh": fleet_mwh,
        "specific_yield_kwh_per_kwp": fleet_mwh * 1000.0 / fleet_kwp if fleet_kwp else 0.0,
        "basis": "every usable roof covered (the potential the sizing LP chooses from)",
        **_exceedance(generation, "rooftop_fleet"),
        "villages": villages,
    }
    return {generation.plant_name: plant_summary, "rooftop_fleet": fleet}


def demand_by_year_table(demand) -> pd.DataFrame:
    """Energy of every named load and class in every project year (MWh), one row per year."""
    by_year = demand.annual_kwh_by_year / 1000.0
    table = by_year.add_suffix("_mwh")
    for cls in ("households", "public", "industry"):
        table[f"class_{cls}_mwh"] = by_year[demand.names(load_class=cls)].sum(axis=1)
    table["total_mwh"] = by_year.sum(axis=1)
    return table


def _energy_peak(series: pd.Series) -> dict[str, float]:
    return {"annual_mwh": float(series.sum()) / 1000.0, "peak_kw": float(series.max())}


def demand_summary(scenario, demand) -> dict[str, Any]:
    """Design-year energy and peaks by load, class and site; energy by year; household diversity."""
    hourly = demand.hourly_kw
    by_year = demand.annual_kwh_by_year / 1000.0
    loads = {}
    for name, load in demand.loads.items():
        loads[name] = {
            "class": load.load_class, "type": load.type, "site": load.site,
            "pilot_candidate": load.pilot_candidate,
            **_energy_peak(hourly[name]),
            "reference_annual_mwh": load.reference_annual_kwh / 1000.0,
            "design_year_factor": float(demand.year_factors.loc[demand.design_year, name]),
            "basis": load.basis,
        }
    villages = {}
    for v in scenario.villages:
        c = demand.household_coincidence[v.name]
        villages[v.name] = {
            "households": v.households,
            "households_peak_kw": c["peak_kw"],
            "single_household_peak_kw_mean": c["single_peak_kw_mean"],
            "single_household_peak_kw_max": c["single_peak_kw_max"],
            "sum_of_single_household_peaks_kw": c["sum_of_single_peaks_kw"],
            "coincidence_factor": c["coincidence_factor"],
            "heat_pump_heat_delivered_mwh": demand.heat_delivered_kwh.get(v.name, 0.0) / 1000.0,
        }
    class_by_year = {cls: [float(x) for x in by_year[demand.names(load_class=cls)].sum(axis=1)]
                     for cls in ("households", "public", "industry")}
    return {
        "design_year": demand.design_year,
        **_energy_peak(hourly.sum(axis=1)),
        "pilot_candidates": [n for n, load in demand.loads.items() if load.pilot_candidate],
        "by_class": {cls: _energy_peak(s) for cls, s in demand.class_kw().items()},
        "by_site": {site: _energy_peak(demand.site_kw(site)) for site in demand.sites},
        "loads": loads,
        "villages": villages,
        "by_year": {"years": [int(y) for y in by_year.index],
                    "total_mwh": [float(x) for x in by_year.sum(axis=1)],
                    **{f"{cls}_mwh": values for cls, values in class_by_year.items()}},
    }


def summary_dict(scenario, weather, generation, demand, sizing, finance) -> dict:
    gen = generation_summary(scenario, weather, generation)
    dem = demand_summary(scenario, demand)
    siz: dict[str, Any] = {}
    for v in scenario.villages:
        total = demand.site_kw(v.name)
        site = sizing.sites[v.name]
        h = site.hourly
        load_kwh = float(total.sum())
        imported = float(np.sum(h["grid_import_kw"]))
        gen_kwh = float(np.sum(h["pv_generation_kw"]))
        siz[v.name] = {
            "status": site.status,
            **{k: _nonneg(float(x)) for k, x in site.sizes.items()},
            "rooftop_specific_yield_kwh_per_kwp": float(generation.rooftop_ac_kw_per_kwp[v.name].sum()),
            "rooftop_potential_kwp": generation.rooftops[v.name].potential_kwp,
            "pv_generation_kwh": gen_kwh,
            "pv_curtailed_kwh": float(np.sum(h["pv_curtailed_kw"])),
            "grid_import_kwh": imported,
            "grid_export_kwh": float(np.sum(h["grid_export_kw"])),
            "storage_discharge_kwh": float(np.sum(h["storage_discharge_kw"])),
            "self_sufficiency_fraction": 1.0 - imported / load_kwh if load_kwh > 0 else 0.0,
            "self_sufficiency_target_fraction": v.self_sufficiency_target_fraction,
            "objective_krw": site.objective_krw_per_year,
            "costs_krw_per_year": {k: _nonneg(float(x)) for k, x in site.costs_krw_per_year.items()},
            "import_cost_krw_per_year": site.extra.get("import_cost_krw_per_year", 0.0),
            "export_revenue_krw_per_year": site.extra.get("export_revenue_krw_per_year", 0.0),
            "build_s": site.build_s,
            "solve_s": site.solve_s,
        }
    fin = {}
    for name, result in finance.projects.items():
        inputs = finance.inputs[name]
        fin[name] = {
            "capex_krw": inputs.capex_krw,
            "price_krw_per_kwh": inputs.price_krw_per_kwh,
            "npv_krw": result.npv_krw,
            "irr_fraction": result.irr_fraction,
            "irr_exists": result.irr_fraction is not None,
            "lcoe_krw_per_kwh": result.lcoe_krw_per_kwh,
            "payback_years": result.payback_years,
            "discount_rate_fraction": inputs.discount_rate_fraction,
            "analysis_years": inputs.analysis_years,
        }
    summary = {
        "scenario": {
            "name": scenario.scenario.name,
            "title": scenario.scenario.title,
            "base_year": scenario.scenario.base_year,
            "seed": scenario.scenario.seed,
        },
        "weather": {
            "source": weather.source,
            "latitude_deg": weather.latitude_deg,
            "longitude_deg": weather.longitude_deg,
            "annual_ghi_kwh_per_m2": float(weather.data["ghi"].sum()) / 1000.0,
            "mean_temp_air_c": float(weather.data["temp_air"].mean()),
            "notes": list(weather.notes),
            "ensemble_years": len(weather.ensemble),
            "ensemble_annual_ghi_kwh_per_m2": [float(w.data["ghi"].sum()) / 1000.0 for w in weather.ensemble],
        },
        "generation": gen,
        "demand": dem,
        "sizing": {
            "status": sizing.status,
            "objective_krw": sizing.objective_krw_per_year,
            "sites": siz,
        },
        "finance": fin,
    }
    # Solve times vary run to run; they belong in manifest.json, not in the reproducible summary.
    for site in summary["sizing"]["sites"].values():
        site.pop("build_s"), site.pop("solve_s")
    return round_floats(summary)
