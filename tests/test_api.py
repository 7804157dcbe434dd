"""The Python API: a run in memory with typed records, written only when asked, and the example tour."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import pvcluster
from pvcluster.sizing.results import SiteResult

ROOT = Path(__file__).resolve().parents[1]


def test_run_returns_typed_records_and_tables(typical_results):
    r = typical_results
    assert isinstance(r, pvcluster.Results)
    assert set(r.summary) >= {"scenario", "sizing", "finance"}
    county = r.sizing.sites["county"]
    assert isinstance(county, SiteResult) and dataclasses.is_dataclass(county)
    with pytest.raises(dataclasses.FrozenInstanceError):
        county.capex_krw = 0.0
    assert county.pv.new_capacity_kwp == pytest.approx(r.summary["sizing"]["sites"]["county"]["pv_new_capacity_kwp"])
    assert isinstance(r.hourly.index, pd.DatetimeIndex) and str(r.hourly.index.tz) == "Asia/Seoul"
    assert len(r.hourly) == 8760 and "county_pv_generation_kw" in r.hourly
    cash = r.cashflows["county_pv"]
    assert "project_cash_flow_nominal_krw" in cash and len(cash) == 26
    assert r.finance.projects["county_pv"].npv_krw == pytest.approx(r.summary["finance"]["county_pv"]["npv_krw"])


def test_run_writes_nothing_unless_asked(tmp_path, monkeypatch, typical_results):
    monkeypatch.chdir(tmp_path)
    html = typical_results.report_html()
    assert html.startswith("<!DOCTYPE html>") and "The answer" in html
    assert list(tmp_path.iterdir()) == []
    out = typical_results.write(tmp_path / "out", format="parquet")
    assert (out / "summary.json").is_file() and (out / "hourly.parquet").is_file()
    assert (out / "cashflows" / "county_pv.parquet").is_file() and not (out / "hourly.csv").exists()
    hourly = pd.read_parquet(out / "hourly.parquet")
    pd.testing.assert_series_equal(hourly["county_pv_generation_kw"], typical_results.hourly["county_pv_generation_kw"],
                                   check_freq=False)  # Parquet keeps the tz-aware index, not its frequency
    cash = pd.read_parquet(out / "cashflows" / "county_pv.parquet")
    pd.testing.assert_frame_equal(cash, typical_results.cashflows["county_pv"])


def test_load_scenario_by_name_with_override_mapping():
    s = pvcluster.load_scenario("yeongwol", overrides={"plant.capacity_kwp": 40000.0, "sizing.periods": "typical_days",
                                                       "overrides.market.smp_krw_per_kwh": 120.0})
    assert s.plant.capacity_kwp == 40000.0 and s.sizing.periods == "typical_days"
    assert s.facts.market.smp_krw_per_kwh == 120.0
    with pytest.raises(pvcluster.errors.InputError, match="plant.capacity_kwp"):
        pvcluster.load_scenario(overrides={"plant.capacity_kwp": -1.0})


def test_api_tour_example_runs_and_writes_nothing(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "api_tour.py")], cwd=tmp_path, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    for project in ("energy_station", "county_pv", "polysilicon_plant", "energy_graduate_school"):
        assert project in r.stdout
    assert "bn KRW" in r.stdout and list(tmp_path.iterdir()) == []
