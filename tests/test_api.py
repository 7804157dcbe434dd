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


@pytest.mark.parametrize("processes", [1, 2])
def test_compute_sizes_on_the_first_year_and_keeps_the_ensemble(monkeypatch, processes):
    """With sizing workers the weather ensemble's P-values are computed beside the sizing (a thread of this
    process); without, before it. Either way the sizing reads the first year and the run keeps the same
    P-values. (The sizing, the finance and the summary are stubbed: only the order and the records are tested.)"""
    import pvcluster.finance
    import pvcluster.report.tables
    import pvcluster.sizing
    from pvcluster.demand import build_demand
    from pvcluster.generation import build_generation, with_exceedance
    from pvcluster.pipeline import _compute, _workers
    from pvcluster.weather import build_weather

    scenario = pvcluster.load_scenario(overrides={"sizing.periods": "full", "sizing.processes": processes})
    assert _workers(scenario) == (2 if processes == 2 else 0)
    seen = {}
    monkeypatch.setattr(pvcluster.sizing, "build_sizing", lambda s, generation, demand, progress=None: seen.setdefault(
        "sized_on", generation) and "sizing")
    monkeypatch.setattr(pvcluster.finance, "build_finance", lambda *args: seen.setdefault("finance", True) and "finance")
    monkeypatch.setattr(pvcluster.report.tables, "summary_dict", lambda *args: {})
    after = []  # what the run's report starts right after the sizing gets: before the finance and the P-values
    results = _compute(scenario, sensitivity=False, after_sizing=lambda w, generation, d, sizing: after.append(
        (generation.exceedance, sizing, "finance" in seen)))
    assert results.sizing == "sizing" and results.finance == "finance"
    assert after == [({} if processes == 2 else results.generation.exceedance, "sizing", False)]
    weather = build_weather(scenario)
    expected = with_exceedance(scenario, weather, build_generation(scenario, weather, exceedance=False))
    # beside the workers the sizing gets the first year alone (it reads nothing of the ensemble)
    assert seen["sized_on"].exceedance == ({} if processes == 2 else expected.exceedance)
    assert results.generation.exceedance == expected.exceedance and len(expected.exceedance) >= 2
    # beside the workers the ensemble is built with the P-values; the run's weather has it either way
    assert len(results.weather.ensemble) == len(weather.ensemble) == scenario.weather.ensemble_years
    for mine, theirs in zip(results.weather.ensemble, weather.ensemble):
        pd.testing.assert_frame_equal(mine.data, theirs.data)
    assert results.weather.data.equals(weather.data)
    assert build_demand(scenario, weather).hourly_kw.equals(results.demand.hourly_kw)


@pytest.mark.parametrize("waited", [False, True])
def test_the_p_values_thread_imports_the_reports_modules_only_while_the_run_does_not_wait(monkeypatch, waited):
    """Beside the sizing, the thread that computes the P-values then imports what the report may need; once
    the run waits for the P-values (the sizing is done) it skips the import, which would only delay the run."""
    import threading

    import pvcluster.generation
    from pvcluster.pipeline import _ensemble_then_import

    import pvcluster.weather

    asked = []  # beside the workers the fleet's years run on this one thread (see _ensemble_then_import)
    monkeypatch.setattr(pvcluster.generation, "with_exceedance",
                        lambda scenario, weather, first_year, threads=2: asked.append(threads) or "generation")
    monkeypatch.setattr(pvcluster.weather, "with_ensemble", lambda scenario, weather: "weather")
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    monkeypatch.delitem(sys.modules, "matplotlib.pyplot", raising=False)  # (a caller with pyplot: never)
    event = threading.Event()
    if waited:
        event.set()
    assert _ensemble_then_import(None, None, None, ("colorsys",), event) == ("weather", "generation")
    assert ("colorsys" in sys.modules) is not waited
    assert asked == [1]
