"""The input files: provenance everywhere, and the climate derivation reproduced."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from pvcluster.resources import data_root

H0 = np.array([4.71, 6.15, 7.97, 9.82, 11.08, 11.57, 11.31, 10.29, 8.62, 6.67, 5.04, 4.31])
KT_SHAPE = np.array([0.48, 0.49, 0.49, 0.49, 0.48, 0.42, 0.37, 0.40, 0.44, 0.51, 0.48, 0.47])
DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def test_every_input_value_has_provenance():
    for path in sorted((data_root() / "inputs").glob("*.toml")):
        for name, entry in tomllib.loads(path.read_text()).items():
            # the catalogues (facility types, tariff classes, REC rules) nest facts inside each table
            catalogue = path.name.startswith(("facilities", "tariffs", "rec_weights"))
            facts = ({f"{name}.{k}": v for k, v in entry.items() if isinstance(v, dict)} if catalogue else {name: entry})
            assert facts, f"{path.name}: {name} has no facts"
            for key, fact in facts.items():
                ok = "assumption" in fact or ("source" in fact and "year" in fact)
                assert ok, f"{path.name}: {key}"


def test_ghi_normals_reproduce_the_derivation(scenario):
    target = (1323 + 1310) / 2  # Wonju and Chuncheon 20-year KMA annual GHI, kWh/m2
    scale = target / float((H0 * KT_SHAPE * DAYS).sum())
    derived = np.round(H0 * KT_SHAPE * scale, 2)
    np.testing.assert_allclose(scenario.facts.climate.ghi_kwh_per_m2_day, derived, atol=0.005)
    assert float((derived * DAYS).sum()) == pytest.approx(target, rel=0.001)


def test_temperature_normals_reproduce_the_derivation(scenario):
    mid_month_doy = np.array([15, 45, 74, 105, 135, 166, 196, 227, 258, 288, 319, 349])
    derived = np.round(10.7 + 14.5 * np.cos(2 * np.pi * (mid_month_doy - 205) / 365), 1)
    np.testing.assert_allclose(scenario.facts.climate.temp_air_c, derived, atol=0.051)
    assert np.mean(scenario.facts.climate.temp_daily_range_c) == pytest.approx(11.4, abs=0.01)
    assert np.mean(scenario.facts.climate.wind_speed_m_per_s) == pytest.approx(1.1, abs=0.01)
