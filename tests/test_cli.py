"""The command line end to end: the default run, its outputs, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pvcluster.cli import main
from pvcluster.report.writer import atomic_folder

ROOT = Path(__file__).resolve().parents[1]


def test_default_run_writes_every_output(default_run):
    for name in ("summary.json", "hourly.csv", "report.html", "manifest.json", "cashflows/energy_station.csv",
                 "figures/week_summer.png", "figures/week_winter.png", "figures/monthly_energy.png",
                 "figures/cashflow_energy_station.png", "roofs.csv", "demand_by_year.csv",
                 "figures/demand_profiles.png", "figures/load_duration.png", "figures/fund_waterfall.png",
                 "figures/jobs.png", "cashflows/fund.csv", "cashflows/portfolio.csv", "cashflows/polysilicon_plant.csv",
                 "cashflows/energy_graduate_school.csv", "jobs_by_year.csv"):
        assert (default_run / name).is_file(), name
    html = (default_run / "report.html").read_text()
    assert "data:image/png;base64," in html and "<script" not in html and 'src="http' not in html
    assert "P90 MWh" in html and "rooftop_fleet: nammyeon" in html
    manifest = json.loads((default_run / "manifest.json").read_text())
    assert set(manifest["stage_timings_s"]) >= {"weather", "generation", "demand", "sizing", "finance"}
    assert manifest["seed"] == 47121 and len(manifest["inputs"]) == 12  # 9 fact files and 3 catalogues
    from pvcluster.sizing.highs import fast_transfer_status

    # the sizing workers say how their models went to HiGHS (this process never imports Pyomo for it)
    assert manifest["solver_interface"] == fast_transfer_status()[1]
    assert "polysilicon_plant" in html and "coincidence factor" in html


def test_summary_keys(default_run):
    s = json.loads((default_run / "summary.json").read_text())
    plant = s["generation"]["energy_station"]
    assert plant["capacity_kwp"] == pytest.approx(39000.0, abs=3.0) and plant["annual_mwh"] > 40000
    assert plant["p99_mwh"] < plant["p90_mwh"] < plant["p50_mwh"]
    fleet = s["generation"]["rooftop_fleet"]
    assert fleet["roofs"] == sum(v["roofs"] for v in fleet["villages"].values())
    for system in (plant, fleet, *fleet["villages"].values()):
        assert {"capacity_kwp", "annual_mwh", "specific_yield_kwh_per_kwp", "p50_mwh", "p90_mwh", "p99_mwh"} <= set(system)
    assert s["sizing"]["status"] == "convergenceCriteriaSatisfied"
    assert isinstance(s["sizing"]["objective_krw"], float)
    fin = s["finance"]["energy_station"]
    assert {"npv_krw", "irr_fraction", "lcoe_krw_per_kwh"} <= set(fin)
    green = s["sizing"]["sites"]["green_village"]
    assert green["self_sufficiency_fraction"] >= 0.5 - 1e-6


def test_demand_outputs_agree(default_run):
    s = json.loads((default_run / "summary.json").read_text())["demand"]
    assert s["design_year"] == 2030
    assert s["annual_mwh"] == pytest.approx(sum(x["annual_mwh"] for x in s["by_class"].values()), rel=1e-6)
    assert s["annual_mwh"] == pytest.approx(sum(x["annual_mwh"] for x in s["by_site"].values()), rel=1e-6)
    assert s["annual_mwh"] == pytest.approx(sum(x["annual_mwh"] for x in s["loads"].values()), rel=1e-6)
    assert set(s["pilot_candidates"]) == {n for n, x in s["loads"].items() if x["pilot_candidate"]}
    assert s["loads"]["polysilicon_plant"]["class"] == "industry"
    assert not s["loads"]["polysilicon_plant"]["pilot_candidate"]
    # the diversity of the 50-household village is stated
    assert 0 < s["villages"]["nammyeon"]["coincidence_factor"] < 0.6
    years = pd.read_csv(default_run / "demand_by_year.csv", index_col="year")
    assert list(years.index) == s["by_year"]["years"] and years.index[0] == 2025
    assert years.loc[2030, "total_mwh"] == pytest.approx(s["annual_mwh"], rel=1e-5)
    assert years.loc[2026, "polysilicon_plant_mwh"] == 0 and years.loc[2027, "polysilicon_plant_mwh"] > 0
    h = pd.read_csv(default_run / "hourly.csv", index_col=0)
    assert h["demand_total_kw"].sum() / 1000 == pytest.approx(s["annual_mwh"], rel=1e-5)


def test_hourly_energy_balance_holds_in_written_file(default_run):
    h = pd.read_csv(default_run / "hourly.csv", index_col=0)
    s = json.loads((default_run / "summary.json").read_text())
    assert len(h) == 8760
    sites = list(s["sizing"]["sites"])
    assert {"nammyeon", "green_village", "county", "industrial_complex"} <= set(sites)
    for v in sites:
        supply = (h[f"{v}_pv_generation_kw"] - h[f"{v}_pv_curtailed_kw"] + h[f"{v}_storage_discharge_kw"]
                  + h[f"{v}_grid_import_kw"])
        use = h[f"{v}_served_load_kw"] + h[f"{v}_storage_charge_kw"] + h[f"{v}_grid_export_kw"]
        # the CSV keeps 6 significant digits: 1e-5 relative on loads up to 10 MW
        np.testing.assert_allclose(supply, use, rtol=1e-5, atol=2e-3)
        # never charge and discharge in the same hour
        assert np.minimum(h[f"{v}_storage_charge_kw"], h[f"{v}_storage_discharge_kw"]).max() <= 1e-9
    for v in ("nammyeon", "green_village"):  # a village serves all its loads
        np.testing.assert_allclose(h[f"{v}_served_load_kw"], h[f"{v}_demand_total_kw"], rtol=1e-5, atol=2e-3)
        demand = h[[f"demand_{v}_households_kw", f"demand_{v}_hall_kw", f"demand_{v}_street_lights_kw"]]
        np.testing.assert_allclose(demand.sum(axis=1), h[f"{v}_demand_total_kw"], atol=2e-3)
    # the county serves exactly the pilot facilities it enrolled
    enrolled = s["sizing"]["sites"]["county"]["pilot"]["enrolled"]
    np.testing.assert_allclose(h[[f"demand_{n}_kw" for n in enrolled]].sum(axis=1), h["county_served_load_kw"],
                               rtol=1e-5, atol=2e-3)
    # every named load adds up to its class, and the classes and the sites to the total
    named = [c for c in h.columns if c.startswith("demand_") and not c.startswith(("demand_class_", "demand_total"))]
    classes = [c for c in h.columns if c.startswith("demand_class_")]
    totals = [c for c in h.columns if c.endswith("_demand_total_kw")]
    assert len(named) == 17 and len(classes) == 3 and len(totals) == 4
    for total in (h[named].sum(axis=1), h[classes].sum(axis=1), h[totals].sum(axis=1)):
        np.testing.assert_allclose(total, h["demand_total_kw"], rtol=1e-5, atol=1e-2)


def test_two_runs_give_identical_summary(default_run, tmp_path):
    assert main(["run", "--out", str(tmp_path / "again"), "-q"]) == 0
    assert (tmp_path / "again" / "summary.json").read_bytes() == (default_run / "summary.json").read_bytes()


def _bad_scenario(tmp_path: Path) -> Path:
    text = (ROOT / "models" / "yeongwol.toml").read_text()
    text = (text.replace("base_year = 2025", 'base_year = "2025"')
            .replace("capacity_kwp = 39000.0", "capacity_kwp = -5.0")
            .replace("dc_ac_ratio = 1.2", "dc_ac_ratio = 1.2\nazimth_deg = 180.0")
            .replace('market = "inputs/market_korea.toml"', 'market = "inputs/no_such_file.toml"'))
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pvcluster", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def test_bad_scenario_exit_2_lists_all_four_problems_without_traceback(tmp_path):
    r = _cli("validate", str(_bad_scenario(tmp_path)))
    assert r.returncode == 2
    assert "4 problems" in r.stderr and "Traceback" not in r.stderr
    for key in ("scenario.base_year", "plant.capacity_kwp", "plant.azimth_deg", "inputs.market"):
        assert key in r.stderr
    r = _cli("run", str(_bad_scenario(tmp_path)), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and not (tmp_path / "o").exists()


def test_toml_syntax_error_exit_2_names_line(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("[scenario]\nname = 'x'\nseed = = 1\n")
    r = _cli("validate", str(path))
    assert r.returncode == 2 and f"{path}:3" in r.stderr and "Traceback" not in r.stderr


def test_validate_default_and_version_and_help():
    r = _cli("validate")
    assert r.returncode == 0 and "valid" in r.stdout
    r = _cli("--version")
    assert r.returncode == 0 and "pvcluster" in r.stdout
    r = _cli("--help")
    assert r.returncode == 0 and "run" in r.stdout and "validate" in r.stdout
    r = _cli("run", "--help")
    assert r.returncode == 0 and "--set" in r.stdout
    assert _cli().returncode == 2
    assert _cli("frobnicate").returncode == 2


def test_infeasible_target_exit_3_with_diagnosis(tmp_path):
    r = _cli("run", "-q", "--out", str(tmp_path / "o"), "--set", "villages.0.size=false",
             "--set", "villages.1.self_sufficiency_target_fraction=0.95",
             "--set", "villages.1.max_rooftop_kwp=50")
    assert r.returncode == 3, r.stderr
    assert "self_sufficiency_target_fraction = 0.95 cannot be met" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "o").exists()


def test_progress_on_stderr_and_quiet(tmp_path):
    r = _cli("validate", "-q")
    assert r.returncode == 0 and r.stderr == ""


def test_atomic_folder_keeps_old_output_on_crash(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "summary.json").write_text("old")
    (target / "manifest.json").write_text('{"pvcluster_version": "0", "files": ["summary.json"]}')  # a previous run
    with pytest.raises(RuntimeError):
        with atomic_folder(target) as tmp:
            (tmp / "summary.json").write_text("new, half written")
            raise RuntimeError("crash")
    assert (target / "summary.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    with atomic_folder(target) as tmp:
        (tmp / "summary.json").write_text("new")
        (tmp / "manifest.json").write_text('{"pvcluster_version": "0", "files": ["summary.json"]}')
    assert (target / "summary.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_wheel_carries_default_scenario_and_inputs(tmp_path):
    pytest.importorskip("hatchling")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (wheel,) = tmp_path.glob("pvcluster-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "pvcluster/_data/models/yeongwol.toml" in names
    for kind in ("climate_yeongwol", "market_korea", "costs_korea", "demand_korea"):
        assert f"pvcluster/_data/inputs/{kind}.toml" in names


def test_validate_checks_each_meter_against_its_class_and_peak():
    # the medical centre (facilities.2, a 200-bed hospital, peak about 450 kW) on general service (갑),
    # which is for contracts below 300 kW: named with its class before anything is solved
    r = _cli("validate", "--set", 'facilities.2.tariff="general_gap1_low"')
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "facilities.2.contract_kw" in r.stderr and "general_gap1_low" in r.stderr and "below 300 kW" in r.stderr
    # a household contract below the largest household's peak
    r = _cli("validate", "--set", "villages.0.household_contract_kw=1.0")
    assert r.returncode == 2 and "villages.0.household_contract_kw" in r.stderr and "peak before PV" in r.stderr
    # an unknown tariff class, with a suggestion
    r = _cli("validate", "--set", 'villages.0.household_tariff="residential_lo"')
    assert r.returncode == 2 and "did you mean 'residential_low'" in r.stderr


def test_the_command_exits_with_mains_code_its_objects_frozen(monkeypatch):
    # the pvcluster command (entry) freezes what the run left out of the final collection, then exits
    # with main's code; the console script and python -m pvcluster go through it
    import gc
    import tomllib

    from pvcluster import cli

    monkeypatch.setattr(cli, "main", lambda: 3)
    before = gc.get_freeze_count()
    try:
        with pytest.raises(SystemExit) as exc:
            cli.entry()
        assert exc.value.code == 3 and gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["pvcluster"] == "pvcluster.cli:entry"
    assert "entry()" in (ROOT / "src" / "pvcluster" / "__main__.py").read_text()
