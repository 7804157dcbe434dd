"""Shared fixtures: the default scenario and its weather, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvcluster.resources import data_root
from pvcluster.scenario import load_scenario

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def scenario():
    return load_scenario()


@pytest.fixture(scope="session")
def weather(scenario):
    from pvcluster.weather import build_weather

    return build_weather(scenario)


@pytest.fixture(scope="session")
def generation(scenario, weather):
    from pvcluster.generation import build_generation

    return build_generation(scenario, weather)


@pytest.fixture(scope="session")
def demand(scenario, weather):
    from pvcluster.demand import build_demand

    return build_demand(scenario, weather)


@pytest.fixture
def default_text() -> str:
    return (data_root() / "models" / "yeongwol.toml").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """The README's run: the embedded default scenario, full year, through the command line."""
    from pvcluster.cli import main

    out = tmp_path_factory.mktemp("run") / "yeongwol"
    assert main(["run", "--out", str(out), "-q"]) == 0
    return out


@pytest.fixture(scope="session")
def typical_results():
    """The default scenario on typical days through the Python API, in memory (with its sensitivity)."""
    import pvcluster

    return pvcluster.run(overrides={"sizing.periods": "typical_days", "weather.ensemble_years": 0})
