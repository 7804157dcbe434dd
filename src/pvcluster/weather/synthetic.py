"""Synthetic hourly weather years built from monthly climate normals.

The recipe, for each day d of month m:

1. Clear sky and extraterrestrial irradiance from pvlib (Ineichen with the Linke turbidity
   climatology that ships with pvlib) at the middle of each hour.
2. A daily clearness index ``Kt_d = clip(Kt_m + delta_m + sd * z_d, Kt_low, Kt_clear_d)`` where
   ``z_d`` is a unit-variance AR(1) series (lag-1 autocorrelation ``rho``) and ``delta_m``
   is solved so that the *expected* clipped clearness equals the normal ``Kt_m``
   (Gauss-Hermite quadrature), so clipping does not bias the climate.
3. Hourly GHI = clear-sky GHI x (target daily GHI / clear-sky daily GHI), with seeded hourly
   fluctuations that are strongest on partly cloudy days, renormalized to the daily total.
4. DNI and DHI from GHI with the Erbs decomposition (pvlib).
5. Air temperature: the monthly normals interpolated through the year, a daily AR(1)
   anomaly, and a diurnal cosine (maximum at 15 h) whose range grows on clear days.
6. Wind: the monthly normal times a daily lognormal factor and an afternoon maximum.

Symbols: Kt clearness index (daily GHI / daily extraterrestrial horizontal irradiation, -);
rho lag-1 autocorrelation (-); sd standard deviation of Kt_d (-).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

from pvcluster.weather.calendar import hourly_index

_KT_LOW = 0.03  # an overcast day still lets a few percent of the extraterrestrial light through
_HERMITE_X, _HERMITE_W = np.polynomial.hermite_e.hermegauss(40)
_HERMITE_W = _HERMITE_W / _HERMITE_W.sum()


def ar1(rng: np.random.Generator, n: int, rho: float) -> np.ndarray:
    """A stationary AR(1) series of length n with unit variance and lag-1 autocorrelation rho."""
    eps = rng.standard_normal(n)
    z = np.empty(n)
    z[0] = eps[0]
    scale = np.sqrt(1.0 - rho * rho)
    for i in range(1, n):
        z[i] = rho * z[i - 1] + scale * eps[i]
    return z


def expected_clipped(mean: float, sd: float, low: float, high: float) -> float:
    """E[clip(mean + sd * Z, low, high)] for a standard normal Z (Gauss-Hermite quadrature)."""
    return float(np.sum(_HERMITE_W * np.clip(mean + sd * _HERMITE_X, low, high)))


def unbiased_offset(target: float, sd: float, low: float, high: float) -> float:
    """The shift delta with E[clip(target + delta + sd Z)] = target (bisection; monotone in delta)."""
    if not low < target < high:
        return 0.0
    lo, hi = -1.0, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if expected_clipped(target + mid, sd, low, high) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _periodic_daily(monthly: np.ndarray, day_of_year: np.ndarray, month_of_day: np.ndarray) -> np.ndarray:
    """Interpolate 12 monthly means, placed mid-month, periodically over the days of a year.

    The interpolation nodes are corrected a few times so that each month's mean of the
    interpolated days equals the given monthly mean (plain linear interpolation would
    flatten the seasonal peaks by several tenths of a degree).
    """
    mid = np.array([15.5, 45, 74.5, 105, 135.5, 166, 196.5, 227.5, 258, 288.5, 319, 349.5])
    x = np.concatenate([mid - 365, mid, mid + 365])
    target = np.asarray(monthly, dtype=float)
    nodes = target.copy()
    for _ in range(30):
        daily = np.interp(day_of_year, x, np.tile(nodes, 3))
        achieved = np.array([daily[month_of_day == m].mean() for m in range(12)])
        nodes += target - achieved
    return np.interp(day_of_year, x, np.tile(nodes, 3))


def synthetic_year(
    *,
    latitude_deg: float,
    longitude_deg: float,
    altitude_m: float,
    year: int,
    timezone: str,
    ghi_kwh_per_m2_day: np.ndarray,
    temp_air_c: np.ndarray,
    temp_daily_range_c: np.ndarray,
    wind_speed_m_per_s: np.ndarray,
    albedo_fraction: float,
    clearness_lag1_autocorrelation: float,
    clearness_daily_sd: float,
    temp_daily_anomaly_sd_c: float = 2.5,
    seed: int = 0,
    typical: bool = False,
) -> pd.DataFrame:
    """One synthetic hourly year (8760 rows, hour-beginning labels) with pvlib column names.

    With ``typical=True`` each month's GHI is rescaled so its mean equals the normal exactly,
    as a typical meteorological year would (day-to-day variability within the month is kept).
    Otherwise the year is one random draw of the climate (for ensembles).

    Returns columns ghi, dni, dhi (W/m2, hourly means), temp_air (degC), wind_speed (m/s),
    albedo (-), plus solar_zenith and solar_azimuth (deg, at mid-hour) for reuse downstream.
    """
    rng = np.random.default_rng(seed)
    index = hourly_index(year, timezone)
    mid = index + pd.Timedelta(minutes=30)
    loc = pvlib.location.Location(latitude_deg, longitude_deg, timezone, altitude_m)
    solpos = loc.get_solarposition(mid)
    clear = loc.get_clearsky(mid, model="ineichen", solar_position=solpos)
    zenith = solpos["apparent_zenith"].to_numpy()
    dni_extra = pvlib.irradiance.get_extra_radiation(mid).to_numpy()
    cos_z = np.clip(np.cos(np.radians(solpos["zenith"].to_numpy())), 0.0, None)
    h0 = dni_extra * cos_z  # extraterrestrial horizontal, W/m2
    ghi_clear = clear["ghi"].to_numpy()

    n_days = len(index) // 24
    h0_day = h0.reshape(n_days, 24).sum(axis=1) / 1000.0  # kWh/m2/day
    cs_day = ghi_clear.reshape(n_days, 24).sum(axis=1) / 1000.0
    month_of_day = index.month.to_numpy()[::24] - 1
    kt_clear_day = np.where(h0_day > 0, cs_day / np.maximum(h0_day, 1e-9), 0.0)

    # Step 2: daily clearness, unbiased per month against clipping.
    z = ar1(rng, n_days, clearness_lag1_autocorrelation)
    kt_day = np.empty(n_days)
    for m in range(12):
        days = month_of_day == m
        kt_m = ghi_kwh_per_m2_day[m] / h0_day[days].mean()
        high = float(kt_clear_day[days].mean())
        delta = unbiased_offset(kt_m, clearness_daily_sd, _KT_LOW, high)
        kt_day[days] = np.clip(kt_m + delta + clearness_daily_sd * z[days], _KT_LOW, kt_clear_day[days])

    # Step 3: hourly GHI shaped by the clear sky, with cloud-driven hourly noise.
    ratio_day = np.where(cs_day > 0, kt_day * h0_day / np.maximum(cs_day, 1e-9), 0.0)
    partly = 4.0 * ratio_day * (1.0 - np.minimum(ratio_day, 1.0))  # 0 when clear or overcast, 1 at half
    noise = np.exp(0.35 * partly[:, None] * rng.standard_normal((n_days, 24)))
    ghi_shape = ghi_clear.reshape(n_days, 24) * noise
    shape_sum = ghi_shape.sum(axis=1)
    target_day_wh = kt_day * h0_day * 1000.0
    ghi = ghi_shape * np.where(shape_sum > 0, target_day_wh / np.maximum(shape_sum, 1e-9), 0.0)[:, None]
    ghi = np.minimum(ghi.ravel(), np.maximum(h0, 0.0))  # never above the top of the atmosphere
    if typical:
        month_of_hour = np.repeat(month_of_day, 24)
        for m in range(12):
            hours = month_of_hour == m
            target = ghi_kwh_per_m2_day[m] * 1000.0 * hours.sum() / 24.0
            ghi[hours] *= target / ghi[hours].sum()

    # Step 4: decomposition.
    parts = pvlib.irradiance.erbs(ghi, zenith, mid.day_of_year.to_numpy())
    dni = np.nan_to_num(np.asarray(parts["dni"], dtype=float))
    dhi = np.nan_to_num(np.asarray(parts["dhi"], dtype=float))

    # Step 5: temperature.
    doy_day = np.arange(n_days) + 0.5
    anomaly = temp_daily_anomaly_sd_c * ar1(rng, n_days, 0.7)
    if typical:  # keep the spells, remove their monthly mean
        anomaly -= np.array([anomaly[month_of_day == m].mean() for m in range(12)])[month_of_day]
    t_mean_day = _periodic_daily(temp_air_c, doy_day, month_of_day) + anomaly
    kt_month_mean = np.array([kt_day[month_of_day == m].mean() for m in range(12)])
    range_day = _periodic_daily(temp_daily_range_c, doy_day, month_of_day) * np.clip(
        kt_day / kt_month_mean[month_of_day], 0.4, 1.6)
    hour = index.hour.to_numpy().reshape(n_days, 24) + 0.5
    temp = t_mean_day[:, None] + 0.5 * range_day[:, None] * np.cos(2 * np.pi * (hour - 15.0) / 24.0)

    # Step 6: wind, lognormal daily factor with unit mean and an afternoon maximum.
    sigma = 0.4
    daily_factor = np.exp(sigma * ar1(rng, n_days, 0.5) - 0.5 * sigma * sigma)
    diurnal = 1.0 + 0.3 * np.cos(2 * np.pi * (hour - 14.5) / 24.0)
    wind = wind_speed_m_per_s[month_of_day][:, None] * daily_factor[:, None] * diurnal

    return pd.DataFrame(
        {
            "ghi": ghi,
            "dni": dni,
            "dhi": dhi,
            "temp_air": temp.ravel(),
            "wind_speed": wind.ravel(),
            "albedo": np.full(len(index), albedo_fraction),
            "solar_zenith": solpos["apparent_zenith"].to_numpy(),
            "solar_azimuth": solpos["azimuth"].to_numpy(),
        },
        index=index,
    )
