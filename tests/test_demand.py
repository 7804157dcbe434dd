"""Demand: households with diversity, the village hall, street lights that follow the sun."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest

from pvcluster.demand import average_household_kw, dark_fraction, office_kw, village_households_kw
from pvcluster.weather import hourly_index

IDX = hourly_index(2025, "Asia/Seoul")
FLAT = np.ones(24)


def test_average_household_sums_to_annual_input(scenario):
    d = scenario.facts.demand
    load = average_household_kw(IDX, 12 * d.household_kwh_per_month, np.array(d.household_month_factors),
                                np.array(d.household_weekday_shape), np.array(d.household_weekend_shape))
    assert load.sum() == pytest.approx(12 * 234.9, rel=1e-9)


def test_village_totals_equal_inputs_and_diversity(demand, scenario):
    v = scenario.villages[0]
    frame = demand.by_village[v.name]
    assert frame["households_kw"].sum() == pytest.approx(v.households * 12 * 234.9, rel=1e-3)
    assert frame["village_hall_kw"].sum() == pytest.approx(12000.0, rel=1e-9)
    # diversity: the village peak is well below N times one household's peak
    ratio = frame["households_kw"].max() / (v.households * demand.single_household_peak_kw[v.name])
    assert ratio < 0.35


def test_households_differ_and_are_seeded():
    args = (IDX, 5, 1000.0, np.ones(12), FLAT, FLAT, 0.35, 1.0, 0.3)
    a = village_households_kw(*args, np.random.default_rng(1))
    b = village_households_kw(*args, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[0], a[1])
    assert a.sum() == pytest.approx(5 * 1000.0)


def test_weekend_shape_applies_on_weekends():
    weekday = np.zeros(24)
    weekday[12] = 1
    weekend = np.zeros(24)
    weekend[20] = 1
    load = office_kw(IDX, 365.0, weekday, weekend)
    sat = IDX.get_loc(pd.Timestamp("2025-01-04 20:00", tz="Asia/Seoul"))  # a Saturday
    mon = IDX.get_loc(pd.Timestamp("2025-01-06 12:00", tz="Asia/Seoul"))
    assert load[sat] == pytest.approx(1.0) and load[mon] == pytest.approx(1.0)
    assert load.sum() == pytest.approx(365.0)


def test_street_lights_only_when_sun_is_down():
    lat, lon = 37.1813, 128.4574
    dark = dark_fraction(IDX, lat, lon)
    # independent check at one-minute resolution for the first week of June and of December
    for start in ("2025-06-01", "2025-12-01"):
        minutes = pd.date_range(f"{start} 00:00", periods=7 * 24 * 60, freq="min", tz="Asia/Seoul")
        up = pvlib.solarposition.get_solarposition(minutes, lat, lon)["zenith"].to_numpy() < 90.833
        hours = minutes.floor("h")
        sun_up_fraction = pd.Series(up, index=hours).groupby(level=0).mean()
        model = pd.Series(dark, index=IDX).loc[sun_up_fraction.index]
        # lamps on only while the sun is down: dark fraction matches minute sampling within 2 min
        np.testing.assert_allclose(model.to_numpy(), 1 - sun_up_fraction.to_numpy(), atol=2 / 60)
        assert (model[sun_up_fraction == 1.0] == 0).all()


def test_street_lights_annual_energy_hand_check(demand, scenario):
    # 40 lamps x 100 W x ~12 dark hours a day x 365 = about 17.5 MWh
    v = scenario.villages[0]
    assert demand.by_village[v.name]["street_lights_kw"].sum() == pytest.approx(40 * 0.1 * 12 * 365, rel=0.03)
