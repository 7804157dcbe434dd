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
    for village, frame in demand.by_village.items():
        for column in frame.columns:
            cols[f"{village}_demand_{column}"] = frame[column].to_numpy()
        cols[f"{village}_demand_total_kw"] = frame.sum(axis=1).to_numpy()
        site = sizing.sites[village]
        for key in ("pv_generation_kw", "pv_curtailed_kw", "storage_charge_kw", "storage_discharge_kw",
                    "storage_soc_kwh", "grid_import_kw", "grid_export_kw"):
            cols[f"{village}_{key}"] = np.asarray(site.hourly[key])
    table = pd.DataFrame(cols, index=weather.index)
    table.index.name = "time"
    return table


def _nonneg(x: float) -> float:
    return 0.0 if abs(x) < 1e-9 else x  # solvers return -0.0 and 1e-12 for zero


def summary_dict(scenario, weather, generation, demand, sizing, finance) -> dict:
    plant = generation.plant
    annual_mwh = generation.plant_annual_mwh()
    gen = {
        generation.plant_name: {
            "capacity_kwp": plant.capacity_kwp,
            "ac_capacity_kw": plant.ac_capacity_kw,
            "annual_mwh": annual_mwh,
            "specific_yield_kwh_per_kwp": annual_mwh * 1000.0 / plant.capacity_kwp,
            "capacity_factor_ac_fraction": annual_mwh * 1000.0 / (plant.ac_capacity_kw * len(weather.index)),
            "peak_ac_kw": float(generation.plant_ac_kw.max()),
        }
    }
    dem: dict[str, Any] = {}
    siz: dict[str, Any] = {}
    for v in scenario.villages:
        frame = demand.by_village[v.name]
        total = frame.sum(axis=1)
        n = v.households
        dem[v.name] = {
            **{f"{c.removesuffix('_kw')}_kwh": float(frame[c].sum()) for c in frame.columns},
            "total_kwh": float(total.sum()),
            "peak_kw": float(total.max()),
            "households": n,
            "households_peak_kw": float(frame["households_kw"].max()),
            "single_household_peak_kw": demand.single_household_peak_kw[v.name],
        }
        site = sizing.sites[v.name]
        h = site.hourly
        load_kwh = float(total.sum())
        imported = float(np.sum(h["grid_import_kw"]))
        gen_kwh = float(np.sum(h["pv_generation_kw"]))
        siz[v.name] = {
            "status": site.status,
            **{k: _nonneg(float(x)) for k, x in site.sizes.items()},
            "rooftop_specific_yield_kwh_per_kwp": float(generation.rooftop_ac_kw_per_kwp[v.name].sum()),
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
