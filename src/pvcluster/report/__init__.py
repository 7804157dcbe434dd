"""Report stage: summary.json, hourly.csv, cashflows/, figures/, report.html, manifest.json."""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

from pvcluster import __version__
from pvcluster.report.figures import (cashflow_figure, jobs_figure, demand_profiles_figure, load_duration_figure,
                                      monthly_energy_figure, sizing_figure, soc_heatmap_figure, week_figure)
from pvcluster.report.html import write_report
from pvcluster.report.tables import (cluster_times, demand_by_year_table, hourly_table, round_floats,
                                     solver_times, summary_dict)
from pvcluster.report.writer import atomic_folder

__all__ = ["write_outputs", "summary_dict", "hourly_table", "round_floats", "atomic_folder"]

_PACKAGES = ("pvlib", "pandas", "numpy", "numpy-financial", "scipy", "pyomo", "highspy", "matplotlib", "holidays")


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifest_dict(scenario, timings_s: dict[str, float], solver_times: dict, sizing_times: dict | None = None) -> dict:
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    inputs = {kind: {"path": str(p), "sha256": _sha256(p)} for kind, p in scenario.input_paths.items()}
    if scenario.weather.source == "file":
        inputs["weather"] = {"path": str(scenario.weather.file), "sha256": _sha256(scenario.weather.file)}
    return {
        "pvcluster_version": __version__,
        "python": platform.python_version(),
        "packages": versions,
        "scenario": {"path": str(scenario.path), "sha256": scenario.sha256, "name": scenario.scenario.name},
        "inputs": inputs,
        "seed": scenario.scenario.seed,
        "stage_timings_s": {k: round(v, 3) for k, v in timings_s.items()},
        "solver_times_s": solver_times,  # per site: build_s, solve_s, solves, nodes, pilot screening
        "sizing_times_s": sizing_times or {},  # the whole sizing stage and the shared-budget solve
    }


def nominal_names(column: str) -> str:
    """``revenue_krw`` -> ``revenue_nominal_krw``: a cash-flow table's money columns are nominal."""
    return column[:-4] + "_nominal_krw" if column.endswith("_krw") and not column.endswith("_nominal_krw") else column


def write_finance_extras(tmp: Path, figures: dict, figdir: Path, finance) -> None:
    """Portfolio, jobs and fund tables and figures."""
    from pvcluster.finance import portfolio as pf

    pf.table(finance.portfolio).to_csv(tmp / "cashflows" / "portfolio.csv", index=False, float_format="%.6g")
    pf.cash_by_year(finance.portfolio, "level").add_suffix("_project_cash_flow_nominal_krw").to_csv(
        tmp / "cashflows" / "portfolio_by_level.csv", float_format="%.6f")
    jobs = pf.jobs_by_year(finance.portfolio, "level")
    if not jobs.empty:
        jobs.to_csv(tmp / "jobs_by_year.csv", float_format="%.6g")
        figures["jobs"] = figdir / "jobs.png"
        jobs_figure(jobs, figures["jobs"])
    if finance.fund is not None:
        from pvcluster.report.fund_figures import plot_waterfall

        finance.fund.table.to_csv(tmp / "cashflows" / "fund.csv", float_format="%.6f")
        figures["fund_waterfall"] = figdir / "fund_waterfall.png"
        plot_waterfall(finance.fund, figures["fund_waterfall"])
    if finance.polysilicon is not None and getattr(finance.polysilicon, "electricity_table", None) is not None:
        finance.polysilicon.electricity_table.to_csv(tmp / "polysilicon_npv_by_electricity_price.csv",
                                                     index=False, float_format="%.6g")


def write_outputs(out_dir: Path, scenario, weather, generation, demand, sizing, finance,
                  timings_s: dict[str, float]) -> dict:
    """Write every output of a run into ``out_dir`` atomically; return the summary."""
    summary = summary_dict(scenario, weather, generation, demand, sizing, finance)
    hourly = hourly_table(weather, generation, demand, sizing)
    plant_col = f"{generation.plant_name}_ac_kw"
    site_sizes = summary["sizing"]["sites"]
    # sites with something to show: a load they serve or PV
    shown = [n for n, s in site_sizes.items() if s["served_load_kwh"] > 0 or s["pv_generation_kwh"] > 0]
    storage = {n: s["storage_energy_kwh"] for n, s in site_sizes.items() if s.get("storage_energy_kwh", 0.0) > 1e-6}
    with atomic_folder(out_dir) as tmp:
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        hourly.to_csv(tmp / "hourly.csv", float_format="%.6g", date_format="%Y-%m-%dT%H:%M:%S%z")
        generation.roofs.to_csv(tmp / "roofs.csv", index=False, float_format="%.6g")
        demand_by_year_table(demand).to_csv(tmp / "demand_by_year.csv", float_format="%.6g")
        (tmp / "cashflows").mkdir()
        for name, result in finance.projects.items():  # nominal KRW, and the names say so
            result.table.rename(columns=nominal_names).to_csv(tmp / "cashflows" / f"{name}.csv", index=False,
                                                               float_format="%.6f")
        figdir = tmp / "figures"
        figdir.mkdir()
        figures = {
            "week_summer": figdir / "week_summer.png",
            "week_winter": figdir / "week_winter.png",
            "monthly_energy": figdir / "monthly_energy.png",
            "demand_profiles": figdir / "demand_profiles.png",
            "load_duration": figdir / "load_duration.png",
            "sizing": figdir / "sizing.png",
        }
        week_figure(hourly, plant_col, shown, 7, 14, "Summer week (14-20 July)", figures["week_summer"])
        week_figure(hourly, plant_col, shown, 1, 13, "Winter week (13-19 January)", figures["week_winter"])
        monthly_energy_figure(hourly, plant_col, shown, figures["monthly_energy"])
        class_kw = demand.class_kw()
        demand_profiles_figure(class_kw, figures["demand_profiles"])
        load_duration_figure(class_kw, figures["load_duration"])
        sizing_figure(site_sizes, figures["sizing"])
        if storage:
            figures["soc_heatmap"] = figdir / "soc_heatmap.png"
            soc_heatmap_figure(hourly, storage, figures["soc_heatmap"])
        for name, result in finance.projects.items():
            figures[f"cashflow_{name}"] = figdir / f"cashflow_{name}.png"
            cashflow_figure(result.table, name, figures[f"cashflow_{name}"])
        write_finance_extras(tmp, figures, figdir, finance)
        provenance = scenario.facts.provenance()
        provenance["facilities"] = {f"{t.name}.{k}": v for t in scenario.facility_types.values()
                                    for k, v in t.provenance().items()}
        write_report(tmp / "report.html", summary, figures, provenance)
        manifest = manifest_dict(scenario, timings_s, solver_times(sizing), cluster_times(sizing))
        manifest["files"] = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        (tmp / "manifest.json").write_text(json.dumps(round_floats(manifest), indent=2) + "\n", encoding="utf-8")
    return summary
