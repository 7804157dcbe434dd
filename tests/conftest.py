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
