"""Synthetic weather ensembles: persistence, year-to-year spread, and reproduction of the normals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pvcluster.weather import climate_kwargs
from pvcluster.weather.synthetic import (_KT_LOW, daily_noise_annual_cv, monthly_clearness_centres,
                                         sky_geometry, synthetic_ensemble, synthetic_year, unbiased_offset,
                                         year_anomaly_sd)

DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


@pytest.fixture(scope="module")
def kwargs(scenario):
    return climate_kwargs(scenario)


@pytest.fixture(scope="module")
def raw120(kwargs):
    return synthetic_ensemble(120, seed=47121, target_annual_cv_fraction=0.04, anchor=False, **kwargs)


@pytest.fixture(scope="module")
def raw30(raw120):
    return raw120[:30]


def _monthly(frame):
    g = frame["ghi"]
    return (g.groupby(g.index.month).sum() / 1000).to_numpy() / DAYS


def test_thirty_random_years_reproduce_the_normals_within_2_percent(raw30, kwargs):
    # Unanchored: every year is an independent draw. Over 30 years the monthly means must
    # come within 2 % of the normals on average (sampling error alone is ~1.5 % per month).
    normals = kwargs["ghi_kwh_per_m2_day"]
    mean = np.mean([_monthly(y) for y in raw30], axis=0)
    assert np.mean(np.abs(mean / normals - 1)) < 0.02


def test_year_to_year_spread_is_calibrated(raw120, raw30):
    # Calibrated to a 4 % CV (climate input). A CV estimated from 120 years has a sampling
    # spread of about 0.26 points, so 3.4-4.6 % is +-2.3 sigma; 30 years spread about 0.5 points.
    annual = np.array([y["ghi"].sum() for y in raw120])
    assert 0.034 <= annual.std(ddof=1) / annual.mean() <= 0.046
    annual30 = np.array([y["ghi"].sum() for y in raw30])
    assert 0.03 <= annual30.std(ddof=1) / annual30.mean() <= 0.06


def test_day_to_day_persistence(raw30, kwargs):
    daily = np.concatenate([y["ghi"].to_numpy().reshape(-1, 24).sum(axis=1) for y in raw30[:10]])
    r = np.corrcoef(daily[:-1], daily[1:])[0, 1]
    assert 0.15 < r < 0.7  # clear and cloudy spells persist (AR(1) rho = 0.3 on clearness plus seasons)


def test_anchored_ensemble_matches_the_normals(kwargs):
    years = synthetic_ensemble(6, seed=3, target_annual_cv_fraction=0.04, **kwargs)
    mean = np.mean([_monthly(y) for y in years], axis=0)
    np.testing.assert_allclose(mean, kwargs["ghi_kwh_per_m2_day"], rtol=2e-3)  # the TOA cap trims a hair
    annual = [y["ghi"].sum() for y in years]
    assert np.std(annual) > 0


def test_year_k_does_not_depend_on_ensemble_size(kwargs):
    a = synthetic_ensemble(2, seed=9, target_annual_cv_fraction=0.04, anchor=False, **kwargs)
    b = synthetic_ensemble(4, seed=9, target_annual_cv_fraction=0.04, anchor=False, **kwargs)
    np.testing.assert_array_equal(a[1]["ghi"].to_numpy(), b[1]["ghi"].to_numpy())


def test_year_anomaly_supplies_the_missing_variance():
    assert year_anomaly_sd(0.05, 0.03) == pytest.approx(0.04)
    assert year_anomaly_sd(0.02, 0.03) == 0.0


def test_daily_noise_cv_is_a_few_percent(kwargs):
    g = sky_geometry(kwargs["latitude_deg"], kwargs["longitude_deg"], kwargs["altitude_m"], kwargs["year"],
                     kwargs["timezone"])
    cv = daily_noise_annual_cv(g, kwargs["ghi_kwh_per_m2_day"], kwargs["clearness_lag1_autocorrelation"],
                               kwargs["clearness_daily_sd"])
    # 365 days of sd ~0.17 clearness, rho 0.3: sd/mean/sqrt(365) * sqrt((1+rho)/(1-rho)) ~ 2.6 %
    assert 0.015 < cv < 0.035


def test_typical_year_ignores_the_year_anomaly(kwargs):
    a = synthetic_year(**kwargs, seed=5, typical=True)
    b = synthetic_year(**kwargs, seed=5, typical=True, year_anomaly_sd_fraction=0.1)
    np.testing.assert_array_equal(a["ghi"].to_numpy(), b["ghi"].to_numpy())


# --- the ensemble's fast path against year-by-year generation -----------------------------------

def _geometry(kwargs):
    return sky_geometry(kwargs["latitude_deg"], kwargs["longitude_deg"], kwargs["altitude_m"], kwargs["year"],
                        kwargs["timezone"])


def test_centres_of_many_years_equal_month_by_month(kwargs):
    # all years' and months' clearness centres in one vectorized bisection, against the month-by-month
    # loop with the scalar bisection
    g = _geometry(kwargs)
    normals, sd = np.asarray(kwargs["ghi_kwh_per_m2_day"], dtype=float), kwargs["clearness_daily_sd"]
    factors = np.array([1.0, 0.93, 1.08, 0.61])

    def month_by_month(year_factor):
        centres = np.empty(12)
        for m in range(12):
            days = g.month_of_day == m
            kt_m = year_factor * normals[m] / g.h0_day_kwh_per_m2[days].mean()
            centres[m] = kt_m + unbiased_offset(kt_m, sd, _KT_LOW, float(g.kt_clear_day[days].mean()))
        return centres

    expected = np.array([month_by_month(f) for f in factors])
    np.testing.assert_array_equal(monthly_clearness_centres(g, normals, sd, factors), expected)
    np.testing.assert_array_equal(monthly_clearness_centres(g, normals, sd), expected[0])


def _year_by_year(n_years, seed, target_cv, anchor, kwargs):
    """synthetic_ensemble the slow way: every year generated on its own, twice when anchored."""
    g = _geometry(kwargs)
    normals = np.asarray(kwargs["ghi_kwh_per_m2_day"], dtype=float)
    daily_cv = daily_noise_annual_cv(g, normals, kwargs["clearness_lag1_autocorrelation"],
                                     kwargs["clearness_daily_sd"])
    sd_year = year_anomaly_sd(target_cv, daily_cv)
    seeds = np.random.SeedSequence(seed).spawn(n_years)
    years = [synthetic_year(**kwargs, seed=s, year_anomaly_sd_fraction=sd_year) for s in seeds]
    if not anchor:
        return years
    monthly = np.array([y["ghi"].groupby(y.index.month).sum().to_numpy() for y in years])
    achieved = monthly.mean(axis=0) / 1000.0 / (np.bincount(g.month_of_day, minlength=12) * 24 / 24)
    return [synthetic_year(**kwargs, seed=s, year_anomaly_sd_fraction=sd_year, month_scale=normals / achieved)
            for s in seeds]


@pytest.mark.parametrize("anchor", [True, False])
def test_ensemble_equals_its_years_generated_one_by_one(kwargs, anchor):
    # the ensemble draws each year once (anchoring only rescales it), solves the years' clearness together
    # and decomposes all years in one Erbs call: every column of every year must equal the slow way's
    fast = synthetic_ensemble(4, seed=23, target_annual_cv_fraction=0.05, anchor=anchor, **kwargs)
    slow = _year_by_year(4, 23, 0.05, anchor, kwargs)
    for f, s in zip(fast, slow):
        pd.testing.assert_frame_equal(f, s, check_exact=True)
    annual = [y["ghi"].sum() for y in fast]
    assert np.ptp(annual) / np.mean(annual) > 0.01  # distinct years, not one year four times
