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


#: Hourly series of every sized site, written as ``<site>_<column>`` in hourly.csv.
HOURLY_SITE_KEYS = ("pv_generation_kw", "pv_curtailed_kw", "storage_charge_kw", "storage_discharge_kw",
                    "storage_soc_kwh", "grid_import_kw", "grid_export_kw", "served_load_kw")


def hourly_table(weather, generation, demand, sizing) -> pd.DataFrame:
    """One row per hour: weather, generation by system, demand by class, dispatch per site."""
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
    for name, site in sizing.sites.items():
        series = site.hourly
        for key in HOURLY_SITE_KEYS:
            cols[f"{name}_{key}"] = series[key]
        if len(site.grid.imports_by_meter_kw) > 1:  # by meter, so each bill can be recomputed
            for meter, values in site.grid.imports_by_meter_kw.items():
                cols[f"{name}_grid_import_{meter}_kw"] = values
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


def _clean(x: float, tol: float = 1e-6) -> float:
    """0 for solver noise around zero (kW, kWh, kWp below ``tol``; KRW below 1e-3)."""
    x = float(x)
    return 0.0 if abs(x) < tol else x


def _kwh(values) -> float:
    return _clean(np.sum(values))


def site_summary(site, data) -> dict[str, Any]:
    """One site's sizes, annual energy, self-sufficiency, costs, meters and pilot enrollment.

    ``site`` is a :class:`~pvcluster.sizing.results.SiteResult`, ``data`` its
    :class:`~pvcluster.sizing.SiteData` (or None). No solve times: they vary run to run.
    """
    pv, st, g, p = site.pv, site.storage, site.grid, site.pilot
    out = {
        "status": site.status,
        "pv_capacity_kwp": pv.capacity_kwp, "pv_new_capacity_kwp": pv.new_capacity_kwp,
        **{f"pv_{name}_kwp": v for name, v in pv.segments_kwp.items()},
        "storage_energy_kwh": st.energy_kwh, "storage_power_kw": st.power_kw,
        "grid_peak_import_kw": g.peak_import_kw,
    }
    if p.candidates:
        out["pilot_enrolled_count"] = len(p.enrolled)
    served = _kwh(site.served_load_kw)
    return {
        **out,
        "pv_potential_kwp": pv.potential_kwp,
        "pv_generation_kwh": _kwh(pv.generation_kw),
        "pv_curtailed_kwh": _kwh(pv.curtailed_kw),
        "grid_import_kwh": _kwh(g.import_kw),
        "grid_export_kwh": _kwh(g.export_kw),
        "storage_charge_kwh": _kwh(st.charge_kw),
        "storage_discharge_kwh": _kwh(st.discharge_kw),
        "served_load_kwh": served,
        "self_sufficiency_fraction": site.self_sufficiency_fraction,
        "self_sufficiency_target_fraction": float(getattr(data, "self_sufficiency_target_fraction", 0.0)),
        "re100": bool(getattr(data, "re100", False)),
        "capex_krw": site.capex_krw,
        "objective_krw": site.objective_krw,
        "costs_krw_per_year": dict(site.costs_krw_per_year),
        "bill_krw_per_year": g.bill_krw_per_year,
        "baseline_bill_krw_per_year": g.baseline_bill_krw_per_year,
        "export_revenue_krw_per_year": g.export_revenue_krw_per_year,
        "meters": {name: (f"{m.tariff.name}, {m.count} x {m.contract_kw:g} kW"
                          + (", net metering" if m.net_metering else "")) if m is not None else ""
                   for name, m in g.meters.items()},
        "tax_rate_fraction": site.tax_rate_fraction,
        "pilot": {
            "candidates": list(p.candidates),
            "enrolled": list(p.enrolled),
            "revenue_krw_per_year": p.revenue_krw_per_year,
            "energy_kwh": p.energy_kwh,
            "screening": p.screening,
            "margin": p.margin,
        },
        "mip_gap_fraction": None if site.mip_gap_fraction is None else float(site.mip_gap_fraction),
        "simultaneous_steps_fixed": st.simultaneous_steps_fixed,
    }


def sizing_summary(scenario, sizing) -> dict[str, Any]:
    """The sizing stage: how it was solved, the shared budget, and every site (no solve times)."""
    cluster, grid = sizing.cluster, sizing.time
    sites = {name: site_summary(site, sizing.site_inputs.get(name)) for name, site in sizing.sites.items()}
    return {
        "status": sizing.status,
        "objective_krw": float(sizing.objective_krw),
        "objective": scenario.sizing.objective,
        "method": cluster.method if cluster is not None else "none",
        "periods": "full" if grid.is_full_year else "typical_days",
        "typical_days": 0 if grid.is_full_year else int(grid.periods),
        "time_steps": int(grid.steps),
        "capital_budget_krw": float(cluster.budget_krw if cluster is not None else scenario.sizing.capital_budget_krw),
        "budget_price_krw_per_krw": _nonneg(float(cluster.budget_price)) if cluster is not None else 0.0,
        "capex_krw": float(sum(s["capex_krw"] for s in sites.values())),
        "sites": sites,
    }


def solver_times(sizing) -> dict[str, dict[str, Any]]:
    """Per-site build and solve seconds, solve counts and pilot screening time (for manifest.json)."""
    return {name: {k: round(v, 3) if isinstance(v, float) else v for k, v in site.solver.items()}
            for name, site in sizing.sites.items()}


def cluster_times(sizing) -> dict[str, Any]:
    """How long the shared-budget solve took and how many price iterations it needed."""
    c = sizing.cluster
    out: dict[str, Any] = {"sizing_wall_s": round(float(sizing.wall_s), 3)}
    if c is not None:
        out.update(method=c.method, wall_s=round(float(c.wall_s), 3), iterations=int(c.iterations))
        if c.method == "monolithic":
            out.update({k: round(float(v), 3) for k, v in c.timings.items() if isinstance(v, (int, float))})
    return out



def finance_summary(finance, keys: tuple[str, ...] | None = None) -> dict:
    """``finance.<project>`` metrics, then the portfolio roll-ups, jobs, polysilicon and fund.

    ``keys``: summary keys (``finance.<section>...``) a caller will read (a study's outputs); the sections
    no key names are left out (the roll-ups by level and function, jobs, polysilicon, fund: a study's
    case spent half its finance time on them). None: everything, as ``summary.json`` has it."""
    from pvcluster.finance import portfolio as pf

    def wanted(prefix: str) -> bool:  # a key at or under finance.<prefix>
        return keys is None or any(k == f"finance.{prefix}" or k.startswith(f"finance.{prefix}.") for k in keys)

    fin: dict = {}
    for e in finance.portfolio:
        if not wanted(e.name):
            continue
        p, r = finance.inputs[e.name], e.result
        first = np.asarray(r.columns["operating_year"]) == 1
        metrics = r.metrics()
        metrics["debt_nominal_krw"] = metrics.pop("debt_krw")  # the loan at financial close, nominal
        fin[e.name] = {
            "level": e.level, "function": e.function, "kind": e.kind,
            **metrics,
            "capex_krw": p.capex_krw,  # real base-year KRW (metrics() sums the nominal table)
            "irr_exists": r.irr_fraction is not None,
            "equity_irr_exists": r.equity_irr_fraction is not None,
            "first_year_revenue_nominal_krw": float(np.sum(r.columns["revenue_krw"][first])),
            "first_year_opex_nominal_krw": float(np.sum(r.columns["opex_krw"][first])),
            "first_year_energy_mwh": float(np.sum(r.columns["energy_kwh"][first])) / 1000.0,
            "discount_rate_fraction": p.discount_rate_fraction,
            "inflation_fraction_per_year": p.inflation_fraction_per_year,
            "analysis_years": p.operating_years,
            "jobs_total_job_years": e.jobs.totals.get("total_job_years") if e.jobs is not None else None,
            "note": e.note,
        }
        if p.debt is not None:
            fin[e.name]["debt_sizing_energy"] = "p50" if e.name not in finance.debt_basis else \
                finance.debt_basis[e.name]["energy"]
        if e.name in finance.debt_basis:
            fin[e.name]["debt_basis"] = dict(finance.debt_basis[e.name])
    fin["money"] = {
        "real": "every *_krw key not named *_nominal_krw: KRW of the base year; NPVs discount the nominal flows "
                "at the nominal rate (1 + r)(1 + i) - 1",
        "nominal": "every *_nominal_krw key, the cash-flow tables (cashflows/*.csv) and the fund: KRW of each year",
    }
    if finance.plant_basis:
        fin["energy_station_basis"] = {**finance.plant_basis, **finance.plant_history}
    fin["portfolio"] = {}
    for by in ("level", "function"):
        if wanted(f"portfolio.by_{by}"):
            fin["portfolio"][f"by_{by}"] = {k: {c: (v if isinstance(v, str) else float(v)) for c, v in row.items()}
                                            for k, row in pf.roll_up(finance.portfolio, by).iterrows()}
    fin["portfolio"]["total_capex_krw"] = float(sum(e.capex_krw for e in finance.portfolio))
    fin["portfolio"]["total_npv_krw"] = float(sum(e.result.npv_krw for e in finance.portfolio))
    if wanted("jobs"):
        fin["jobs"] = _jobs_summary(finance)
    if finance.polysilicon is not None and wanted("polysilicon"):
        fin["polysilicon"] = finance.polysilicon.summary
    if finance.fund is not None and wanted("fund"):
        fin["fund"] = finance.fund.to_summary()
    return fin


def _jobs_summary(finance) -> dict:
    from pvcluster.finance import portfolio as pf

    jobs = pf.jobs_by_year(finance.portfolio)
    totals: dict = {}
    for e in finance.portfolio:
        for k, v in (e.jobs.totals if e.jobs is not None else {}).items():
            if k.endswith("job_years"):
                totals[k] = totals.get(k, 0.0) + float(v)
    return {
        **totals,
        "peak_jobs": float(jobs["total"].max()) if not jobs.empty else 0.0,
        "peak_year": int(jobs["total"].idxmax()) if not jobs.empty else None,
        "by_year": {int(y): float(v) for y, v in jobs["total"].items()} if not jobs.empty else {},
        "by_level_job_years": {k: float(v) for k, v in pf.jobs_by_year(finance.portfolio, "level").sum().items()},
        "by_function_job_years": {k: float(v) for k, v in pf.jobs_by_year(finance.portfolio, "function").sum().items()},
    }


def sensitivity_summary(table) -> dict:
    """The one-at-a-time swings of the portfolio NPV, largest first (:mod:`pvcluster.sensitivity`)."""
    if table is None or table.empty:
        return {}
    rows = table[table["output"] == "portfolio_npv_krw"]
    first = rows.iloc[0]
    return {
        "method": "one at a time, the sizing held fixed (finance evaluated again)",
        "delta_fraction": float(first["high_value"] / first["base_value"] - 1.0) if first["base_value"] else None,
        "portfolio_npv_krw": float(first["output_base"]),
        "parameters": [{"parameter": r.parameter, "label": r.label, "base_value": float(r.base_value),
                        "low_value": float(r.low_value), "high_value": float(r.high_value),
                        "npv_low_krw": None if r.output_low is None else float(r.output_low),
                        "npv_high_krw": None if r.output_high is None else float(r.output_high),
                        "swing_krw": float(r.swing), "note": r.note}
                       for r in rows.itertuples()],
    }


def summary_dict(scenario, weather, generation, demand, sizing, finance, sensitivity=None) -> dict:
    gen = generation_summary(scenario, weather, generation)
    dem = demand_summary(scenario, demand)
    fin = finance_summary(finance)
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
        "sizing": sizing_summary(scenario, sizing),
        "finance": fin,
        "sensitivity": sensitivity_summary(sensitivity),
    }
    # Solve times vary run to run: they are in manifest.json (solver_times), not in this summary.
    return round_floats(summary)
