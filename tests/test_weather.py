"""Weather: calendar, synthetic years from normals, and the weather stage (readers: test_readers.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest

from epw import write_epw
from pvcluster.weather import hourly_index, synthetic_year
from pvcluster.weather.synthetic import ar1, expected_clipped, unbiased_offset, unbiased_offsets


def _climate_kwargs(scenario, **extra):
    c = scenario.facts.climate
    kwargs = dict(latitude_deg=37.1813, longitude_deg=128.4574, altitude_m=360.0, year=2025,
                  timezone="Asia/Seoul", ghi_kwh_per_m2_day=np.array(c.ghi_kwh_per_m2_day),
                  temp_air_c=np.array(c.temp_air_c), temp_daily_range_c=np.array(c.temp_daily_range_c),
                  wind_speed_m_per_s=np.array(c.wind_speed_m_per_s), albedo_fraction=c.albedo_fraction,
                  clearness_lag1_autocorrelation=c.clearness_lag1_autocorrelation,
                  clearness_daily_sd=c.clearness_daily_sd, temp_daily_anomaly_sd_c=c.temp_daily_anomaly_sd_c)
    kwargs.update(extra)
    return kwargs


def test_calendar_is_8760_hour_beginning_and_drops_feb_29():
    idx = hourly_index(2024, "Asia/Seoul")
    assert len(idx) == 8760 and str(idx.tz) == "Asia/Seoul"
    assert idx[0] == pd.Timestamp("2024-01-01 00:00", tz="Asia/Seoul")
    assert not ((idx.month == 2) & (idx.day == 29)).any()
    with pytest.raises(ValueError, match="daylight saving"):
        hourly_index(2025, "Europe/Berlin")


def test_noon_sun_at_equinox_is_at_latitude(weather):
    # Hand check: at solar noon on the March equinox the zenith angle equals the latitude
    # (declination ~0). Solar noon at 128.46 E in UTC+9 is about 12:30 local, the middle
    # of the hour labelled 12:00.
    noon = weather.data.loc[pd.Timestamp("2025-03-20 12:00", tz="Asia/Seoul")]
    assert noon["solar_zenith"] == pytest.approx(37.18, abs=0.6)


def test_clear_sky_noon_irradiance_hand_check():
    # Haurwitz clear sky as pvlib implements it: GHI = 1098 cos z exp(-0.059 / cos z).
    # At z = 37.18 deg: cos z = 0.79686, exp(-0.07404) = 0.92863,
    # GHI = 1098 * 0.79686 * 0.92863 = 812.5 W/m2.
    ghi = pvlib.clearsky.haurwitz(pd.Series([37.18]))["ghi"].iloc[0]
    assert ghi == pytest.approx(812.5, abs=0.5)


def test_extraterrestrial_irradiation_matches_derivation_table(weather):
    # facts_korea.md gives H0 at 37.18 N (Duffie-Beckman): Jan 4.71, Jun 11.57 kWh/m2/day.
    mid = weather.index + pd.Timedelta(minutes=30)
    cos_z = np.clip(np.cos(np.radians(pvlib.solarposition.get_solarposition(
        mid, 37.18, 128.46)["zenith"].to_numpy())), 0, None)
    h0 = pvlib.irradiance.get_extra_radiation(mid).to_numpy() * cos_z
    daily = pd.Series(h0, index=weather.index).groupby(weather.index.month).sum() / 1000
    days = pd.Series(1, index=weather.index).groupby(weather.index.month).sum() / 24
    per_day = (daily / days).to_numpy()
    assert per_day[0] == pytest.approx(4.71, rel=0.02)
    assert per_day[5] == pytest.approx(11.57, rel=0.02)


def test_typical_year_reproduces_monthly_normals(scenario, weather):
    normals = np.array(scenario.facts.climate.ghi_kwh_per_m2_day)
    np.testing.assert_allclose(weather.monthly_ghi_kwh_per_m2_day(), normals, rtol=1e-9)
    temp = weather.data["temp_air"].groupby(weather.index.month).mean().to_numpy()
    np.testing.assert_allclose(temp, scenario.facts.climate.temp_air_c, atol=1e-3)
    assert len(weather.data) == 8760
    assert set(["ghi", "dni", "dhi", "temp_air", "wind_speed", "albedo"]) <= set(weather.data.columns)


def test_irradiance_is_physical(weather):
    d = weather.data
    assert (d[["ghi", "dni", "dhi"]] >= 0).all().all()
    night = d["solar_zenith"] > 92
    assert (d.loc[night, "ghi"] == 0).all()
    # closure: GHI = DHI + DNI cos(z), within rounding, wherever the sun is up
    day = d["solar_zenith"] < 85
    closure = d["dhi"] + d["dni"] * np.cos(np.radians(d["solar_zenith"]))
    np.testing.assert_allclose(closure[day], d.loc[day, "ghi"], atol=1.0)


def test_random_years_average_to_normals_and_vary(scenario):
    annual = []
    monthly = []
    for seed in range(12):
        frame = synthetic_year(**_climate_kwargs(scenario, seed=seed))
        g = frame["ghi"]
        annual.append(g.sum() / 1000)
        monthly.append((g.groupby(g.index.month).sum() / 1000).to_numpy())
    normal = float(np.dot(scenario.facts.climate.ghi_kwh_per_m2_day,
                          [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]))
    # 12 years x 3 % spread / sqrt(12) is ~1 %, and the cap at the extraterrestrial value
    # trims a little; 3 % leaves room for both without hiding a real bias.
    assert np.mean(annual) == pytest.approx(normal, rel=0.03)
    assert 0.01 < np.std(annual) / np.mean(annual) < 0.08


def test_same_seed_same_year(scenario):
    a = synthetic_year(**_climate_kwargs(scenario, seed=5))
    b = synthetic_year(**_climate_kwargs(scenario, seed=5))
    pd.testing.assert_frame_equal(a, b)


def test_ar1_has_unit_variance_and_lag1_correlation():
    z = ar1(np.random.default_rng(0), 200_000, 0.3)
    assert z.std() == pytest.approx(1.0, abs=0.01)
    assert np.corrcoef(z[:-1], z[1:])[0, 1] == pytest.approx(0.3, abs=0.01)


def test_unbiased_offset_corrects_clipping():
    delta = unbiased_offset(0.45, 0.17, 0.03, 0.6)
    assert expected_clipped(0.45 + delta, 0.17, 0.03, 0.6) == pytest.approx(0.45, abs=1e-9)
    assert delta > 0  # the upper clip removes more mass than the lower one


def test_unbiased_offsets_equal_the_scalar_bisection_bit_for_bit():
    # the synthetic years solve all months (and all years of an ensemble) in one vectorized bisection;
    # each element must follow the scalar bisection step for step, targets outside (low, high) included
    rng = np.random.default_rng(11)
    n = 300
    target, sd = rng.uniform(-0.05, 0.85, n), rng.uniform(0.02, 0.3, n)
    low, high = np.full(n, 0.03), rng.uniform(0.5, 0.8, n)
    target[:3] = [0.03, 0.9, 0.6]  # on the lower bound, above the upper one
    high[2] = 0.6  # on the upper bound
    scalar = np.array([unbiased_offset(*args) for args in zip(target, sd, low, high)])
    np.testing.assert_array_equal(unbiased_offsets(target, sd, low, high), scalar)
    assert (scalar[:3] == 0).all() and (scalar != 0).sum() > n // 2
    # broadcasting: one sd and one lower bound for a (years, months) block
    block = unbiased_offsets(target[:24].reshape(2, 12), 0.17, 0.03, high[:24].reshape(2, 12))
    np.testing.assert_array_equal(block.ravel(), [unbiased_offset(t, 0.17, 0.03, h)
                                                  for t, h in zip(target[:24], high[:24])])


def test_weather_stage_computes_the_sun_once_exactly(scenario, weather):
    # build_weather shares one sky geometry between the main year and the ensemble: both must be what
    # the generators give on their own (each computing the sun itself)
    from pvcluster.weather import climate_kwargs, synthetic_ensemble

    kwargs = climate_kwargs(scenario)
    alone = synthetic_year(**kwargs, seed=scenario.scenario.seed, typical=scenario.weather.synthetic_year == "typical")
    pd.testing.assert_frame_equal(weather.data, alone, check_exact=True)
    n = scenario.weather.ensemble_years
    assert len(weather.ensemble) == n >= 2
    years = synthetic_ensemble(n, seed=scenario.scenario.seed,
                               target_annual_cv_fraction=scenario.facts.climate.ghi_interannual_cv_fraction, **kwargs)
    for k in (0, n - 1):
        pd.testing.assert_frame_equal(weather.ensemble[k].data, years[k], check_exact=True)


def test_weather_without_its_ensemble_then_with_it_is_the_whole_stage(scenario, weather):
    """A run that sizes on workers builds the main year first and the ensemble beside the sizing
    (build_weather(ensemble=False), then with_ensemble): the same weather, year for year, exactly."""
    from pvcluster.weather import build_weather, with_ensemble

    first = build_weather(scenario, ensemble=False)
    assert first.ensemble == () and first.source == weather.source
    pd.testing.assert_frame_equal(first.data, weather.data, check_exact=True)
    whole = with_ensemble(scenario, first)
    assert [w.source for w in whole.ensemble] == [w.source for w in weather.ensemble]
    for mine, theirs in zip(whole.ensemble, weather.ensemble):
        pd.testing.assert_frame_equal(mine.data, theirs.data, check_exact=True)
    assert with_ensemble(scenario, whole) is whole


# The file readers are tested in test_readers.py.


def test_scenario_with_weather_file_runs_weather_stage(tmp_path, weather, default_text):
    from pvcluster.scenario import load_scenario
    from pvcluster.weather import build_weather

    epw = write_epw(tmp_path / "y.epw", weather.data)
    s = load_scenario(overrides=["weather.source=file", f'weather.file="{epw}"'])
    w = build_weather(s)
    assert w.source.startswith("file y.epw") and len(w.data) == 8760
