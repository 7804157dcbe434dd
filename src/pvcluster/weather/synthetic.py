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

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pvlib

from pvcluster.calendar import hourly_index

_YEAR_STREAM = 7_919  # spawn key of the child stream that draws a year's anomaly
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


def unbiased_offsets(target, sd, low, high) -> np.ndarray:
    """:func:`unbiased_offset` of many problems at once (arguments broadcast together): the same
    bisection step for step on every element, so each result equals the scalar one bit for bit."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (target, sd, low, high)))
    shape = arrays[0].shape
    target, sd, low, high = (a.ravel() for a in arrays)
    lo, hi = np.full(target.shape, -1.0), np.full(target.shape, 1.0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        expected = np.sum(_HERMITE_W * np.clip((target + mid)[:, None] + sd[:, None] * _HERMITE_X,
                                               low[:, None], high[:, None]), axis=1)
        below = expected < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return np.where((low < target) & (target < high), 0.5 * (lo + hi), 0.0).reshape(shape)


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


@dataclass(frozen=True)
class SkyGeometry:
    """Sun and clear-sky quantities of one site and calendar year, shared by every synthetic year.

    Arrays are hourly (8760) unless named ``_day`` (365). ``kt_clear_day`` is the clear-sky
    daily clearness index, the upper bound of a day's clearness.
    """

    index: pd.DatetimeIndex
    zenith_deg: np.ndarray  # apparent zenith at mid-hour
    azimuth_deg: np.ndarray
    h0_w_per_m2: np.ndarray  # extraterrestrial horizontal irradiance
    ghi_clear_w_per_m2: np.ndarray
    h0_day_kwh_per_m2: np.ndarray
    cs_day_kwh_per_m2: np.ndarray
    kt_clear_day: np.ndarray
    month_of_day: np.ndarray  # 0..11


def sky_geometry(latitude_deg: float, longitude_deg: float, altitude_m: float, year: int,
                 timezone: str) -> SkyGeometry:
    """Solar position, extraterrestrial and clear-sky irradiance for one site-year (computed once)."""
    index = hourly_index(year, timezone)
    mid = index + pd.Timedelta(minutes=30)
    loc = pvlib.location.Location(latitude_deg, longitude_deg, timezone, altitude_m)
    solpos = loc.get_solarposition(mid)
    clear = loc.get_clearsky(mid, model="ineichen", solar_position=solpos)
    dni_extra = pvlib.irradiance.get_extra_radiation(mid).to_numpy()
    cos_z = np.clip(np.cos(np.radians(solpos["zenith"].to_numpy())), 0.0, None)
    h0 = dni_extra * cos_z
    ghi_clear = clear["ghi"].to_numpy()
    n_days = len(index) // 24
    h0_day = h0.reshape(n_days, 24).sum(axis=1) / 1000.0
    cs_day = ghi_clear.reshape(n_days, 24).sum(axis=1) / 1000.0
    return SkyGeometry(
        index=index, zenith_deg=solpos["apparent_zenith"].to_numpy(), azimuth_deg=solpos["azimuth"].to_numpy(),
        h0_w_per_m2=h0, ghi_clear_w_per_m2=ghi_clear, h0_day_kwh_per_m2=h0_day, cs_day_kwh_per_m2=cs_day,
        kt_clear_day=np.where(h0_day > 0, cs_day / np.maximum(h0_day, 1e-9), 0.0),
        month_of_day=index.month.to_numpy()[::24] - 1)


def monthly_clearness_centres(geometry: SkyGeometry, ghi_kwh_per_m2_day: np.ndarray, sd: float,
                              year_factor=1.0) -> np.ndarray:
    """The centre ``Kt_m + delta_m`` of each month's daily clearness: 12 values, or (years, 12) for
    an array of year factors.

    ``Kt_m`` is the month's normal clearness times ``year_factor`` (a whole-year anomaly,
    1 = normal); ``delta_m`` makes the expected clipped clearness equal ``Kt_m``. The months (and
    years) are solved together (:func:`unbiased_offsets`), each as :func:`unbiased_offset` would.
    """
    g = geometry
    months = [g.month_of_day == m for m in range(12)]
    h0_month = np.array([g.h0_day_kwh_per_m2[days].mean() for days in months])
    kt_clear_month = np.array([g.kt_clear_day[days].mean() for days in months])
    kt = np.asarray(year_factor, dtype=float)[..., None] * np.asarray(ghi_kwh_per_m2_day, dtype=float) / h0_month
    return kt + unbiased_offsets(kt, sd, _KT_LOW, kt_clear_month)


def daily_clearness(z: np.ndarray, geometry: SkyGeometry, centres: np.ndarray, sd: float) -> np.ndarray:
    """Daily clearness index (step 2) from unit AR(1) draws ``z`` (..., 365), clipped per day."""
    g = geometry
    return np.clip(centres[g.month_of_day] + sd * z, _KT_LOW, g.kt_clear_day)


def daily_noise_annual_cv(geometry: SkyGeometry, ghi_kwh_per_m2_day: np.ndarray, rho: float, sd: float,
                          n_years: int = 2000) -> float:
    """Year-to-year coefficient of variation of annual GHI from day-to-day weather alone.

    Estimated by simulating the daily clearness process (step 2) for ``n_years`` at once with
    a fixed seed, so the result is deterministic (relative sampling error about 1/sqrt(2 n)).
    """
    rng = np.random.default_rng(20_240_601)
    eps = rng.standard_normal((n_years, len(geometry.h0_day_kwh_per_m2)))
    z = np.empty_like(eps)
    z[:, 0] = eps[:, 0]
    scale = np.sqrt(1.0 - rho * rho)
    for i in range(1, eps.shape[1]):
        z[:, i] = rho * z[:, i - 1] + scale * eps[:, i]
    centres = monthly_clearness_centres(geometry, ghi_kwh_per_m2_day, sd)
    annual = daily_clearness(z, geometry, centres, sd) @ geometry.h0_day_kwh_per_m2
    return float(annual.std(ddof=1) / annual.mean())


def year_anomaly_sd(target_annual_cv: float, daily_cv: float) -> float:
    """Spread of the whole-year clearness factor so the annual GHI spread reaches the target.

    Day-to-day weather alone averages out over 365 days (``daily_cv``, about 2.5 %), while
    measured annual GHI varies more from year to year (circulation anomalies, aerosol years),
    so a year factor with variance ``target^2 - daily_cv^2`` supplies the rest. Zero if the
    daily process already reaches the target.
    """
    return float(np.sqrt(max(target_annual_cv ** 2 - daily_cv ** 2, 0.0)))


@dataclass(frozen=True)
class _YearDraws:
    """One synthetic year's random weather (hourly, 8760) before an ensemble's month scaling and the
    decomposition of GHI: steps 2, 3, 5 and 6 of the recipe."""

    ghi_w_per_m2: np.ndarray
    temp_air_c: np.ndarray
    wind_speed_m_per_s: np.ndarray


def _year_factor(seq: np.random.SeedSequence, year_anomaly_sd_fraction: float) -> float:
    """The whole-year clearness factor of a random year: ``max(1 + sd u, 0.1)``, u drawn from a child
    stream fixed by the seed alone, so the main stream's draws do not move (1 without an anomaly)."""
    if not year_anomaly_sd_fraction > 0:
        return 1.0
    child = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, _YEAR_STREAM))
    return max(1.0 + year_anomaly_sd_fraction * float(np.random.default_rng(child).standard_normal()), 0.1)


def _draw_years(seeds: list[np.random.SeedSequence], year_factors: np.ndarray, g: SkyGeometry, *,
                typical: bool, ghi_kwh_per_m2_day: np.ndarray, temp_air_c: np.ndarray,
                temp_daily_range_c: np.ndarray, wind_speed_m_per_s: np.ndarray,
                clearness_lag1_autocorrelation: float, clearness_daily_sd: float,
                temp_daily_anomaly_sd_c: float) -> list[_YearDraws]:
    """The random weather of one year per seed (see :func:`synthetic_year`). What the years share,
    the months' clearness centres (one vectorized bisection for all years) and the interpolated
    temperature normals, is computed once."""
    h0, ghi_clear = g.h0_w_per_m2, g.ghi_clear_w_per_m2
    h0_day, cs_day, month_of_day = g.h0_day_kwh_per_m2, g.cs_day_kwh_per_m2, g.month_of_day
    n_days = len(h0_day)
    sd = clearness_daily_sd
    centres = monthly_clearness_centres(g, ghi_kwh_per_m2_day, sd, np.asarray(year_factors, dtype=float))
    month_of_hour = np.repeat(month_of_day, 24)
    doy_day = np.arange(n_days) + 0.5
    temp_normal_day = _periodic_daily(temp_air_c, doy_day, month_of_day)
    range_normal_day = _periodic_daily(temp_daily_range_c, doy_day, month_of_day)
    hour = g.index.hour.to_numpy().reshape(n_days, 24) + 0.5
    diurnal_temp = np.cos(2 * np.pi * (hour - 15.0) / 24.0)
    diurnal_wind = 1.0 + 0.3 * np.cos(2 * np.pi * (hour - 14.5) / 24.0)

    def one(seq: np.random.SeedSequence, year_centres: np.ndarray) -> _YearDraws:
        rng = np.random.default_rng(seq)
        # Step 2: daily clearness, unbiased per month against clipping.
        z = ar1(rng, n_days, clearness_lag1_autocorrelation)
        kt_day = daily_clearness(z, g, year_centres, sd)

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
            for m in range(12):
                hours = month_of_hour == m
                target = ghi_kwh_per_m2_day[m] * 1000.0 * hours.sum() / 24.0
                ghi[hours] *= target / ghi[hours].sum()

        # Step 5: temperature.
        anomaly = temp_daily_anomaly_sd_c * ar1(rng, n_days, 0.7)
        if typical:  # keep the spells, remove their monthly mean
            anomaly -= np.array([anomaly[month_of_day == m].mean() for m in range(12)])[month_of_day]
        t_mean_day = temp_normal_day + anomaly
        kt_month_mean = np.array([kt_day[month_of_day == m].mean() for m in range(12)])
        range_day = range_normal_day * np.clip(kt_day / kt_month_mean[month_of_day], 0.4, 1.6)
        temp = t_mean_day[:, None] + 0.5 * range_day[:, None] * diurnal_temp

        # Step 6: wind, lognormal daily factor with unit mean and an afternoon maximum.
        sigma = 0.4
        daily_factor = np.exp(sigma * ar1(rng, n_days, 0.5) - 0.5 * sigma * sigma)
        wind = wind_speed_m_per_s[month_of_day][:, None] * daily_factor[:, None] * diurnal_wind
        return _YearDraws(ghi, temp.ravel(), wind.ravel())

    return [one(seq, c) for seq, c in zip(seeds, centres)]


def _month_scaled_ghi_w_per_m2(ghi_w_per_m2: np.ndarray, month_scale: np.ndarray, g: SkyGeometry) -> np.ndarray:
    """GHI with each month rescaled by its factor, never above the top of the atmosphere."""
    month_of_hour = np.repeat(g.month_of_day, 24)
    return np.minimum(ghi_w_per_m2 * np.asarray(month_scale, dtype=float)[month_of_hour],
                      np.maximum(g.h0_w_per_m2, 0.0))


def _frames(draws: list[_YearDraws], g: SkyGeometry, albedo_fraction: float) -> list[pd.DataFrame]:
    """The years' hourly frames: DNI and DHI from GHI (step 4, the Erbs decomposition, one call for
    all years: it works hour by hour) beside the temperature, wind, albedo and the sun's position."""
    n = len(g.index)
    doy = (g.index + pd.Timedelta(minutes=30)).day_of_year.to_numpy()
    k = len(draws)
    parts = pvlib.irradiance.erbs(np.concatenate([d.ghi_w_per_m2 for d in draws]), np.tile(g.zenith_deg, k),
                                  np.tile(doy, k))
    dni = np.nan_to_num(np.asarray(parts["dni"], dtype=float)).reshape(k, n)
    dhi = np.nan_to_num(np.asarray(parts["dhi"], dtype=float)).reshape(k, n)
    return [pd.DataFrame({"ghi": d.ghi_w_per_m2, "dni": dni[i], "dhi": dhi[i], "temp_air": d.temp_air_c,
                          "wind_speed": d.wind_speed_m_per_s, "albedo": np.full(n, albedo_fraction),
                          "solar_zenith": g.zenith_deg, "solar_azimuth": g.azimuth_deg}, index=g.index)
            for i, d in enumerate(draws)]


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
    seed: int | np.random.SeedSequence = 0,
    typical: bool = False,
    year_anomaly_sd_fraction: float = 0.0,
    month_scale: np.ndarray | None = None,
    geometry: SkyGeometry | None = None,
) -> pd.DataFrame:
    """One synthetic hourly year (8760 rows, hour-beginning labels) with pvlib column names.

    With ``typical=True`` each month's GHI is rescaled so its mean equals the normal exactly,
    as a typical meteorological year would (day-to-day variability within the month is kept).
    Otherwise the year is one random draw of the climate (for ensembles): its mean clearness
    is scaled by a year factor ``1 + year_anomaly_sd_fraction * u`` (u standard normal, drawn
    from a child stream so the other draws do not move), and ``month_scale`` (12 factors, if
    given) rescales each month's GHI before decomposition (used to anchor an ensemble).
    ``geometry`` (from :func:`sky_geometry`) skips recomputing the sun for each year.

    Returns columns ghi, dni, dhi (W/m2, hourly means), temp_air (degC), wind_speed (m/s),
    albedo (-), plus solar_zenith and solar_azimuth (deg, at mid-hour) for reuse downstream.
    """
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    g = geometry or sky_geometry(latitude_deg, longitude_deg, altitude_m, year, timezone)
    factor = 1.0 if typical else _year_factor(seq, year_anomaly_sd_fraction)
    draws = _draw_years(
        [seq], [factor], g, typical=typical, ghi_kwh_per_m2_day=ghi_kwh_per_m2_day, temp_air_c=temp_air_c,
        temp_daily_range_c=temp_daily_range_c, wind_speed_m_per_s=wind_speed_m_per_s,
        clearness_lag1_autocorrelation=clearness_lag1_autocorrelation, clearness_daily_sd=clearness_daily_sd,
        temp_daily_anomaly_sd_c=temp_daily_anomaly_sd_c)
    if not typical and month_scale is not None:
        draws = [replace(d, ghi_w_per_m2=_month_scaled_ghi_w_per_m2(d.ghi_w_per_m2, month_scale, g)) for d in draws]
    return _frames(draws, g, albedo_fraction)[0]


def synthetic_ensemble(n_years: int, *, seed: int, target_annual_cv_fraction: float, anchor: bool = True,
                       geometry: SkyGeometry | None = None, **climate) -> list[pd.DataFrame]:
    """``n_years`` seeded random years of one climate, for P50/P90 statistics.

    Each year gets its own child seed (``numpy.random.SeedSequence(seed).spawn``), so year k
    is the same whatever ``n_years`` is. The whole-year clearness anomaly is calibrated so the
    spread of annual GHI matches ``target_annual_cv_fraction``: see :func:`year_anomaly_sd`.

    With ``anchor=True`` each month's GHI is then rescaled by one factor common to all years,
    so the ensemble's monthly means equal the normals exactly (the normals are themselves a
    multi-year mean; anchoring keeps sampling noise of a finite ensemble out of P50 while
    keeping every year's deviation from the others). The factors are close to 1: within
    about 2 % for 30 years.

    Year k equals ``synthetic_year(**climate, seed=SeedSequence(seed).spawn(n_years)[k],
    year_anomaly_sd_fraction=..., month_scale=<the anchor's factors>)``; the years are drawn once
    (the anchor only rescales them) and what they share is computed once.

    ``climate`` takes the keyword arguments of :func:`synthetic_year` except seed, typical and
    geometry; ``geometry`` (from :func:`sky_geometry` for the same site and year) skips the sun.
    """
    if n_years < 1:
        raise ValueError(f"an ensemble needs at least one year; got {n_years}")
    geometry = geometry or sky_geometry(climate["latitude_deg"], climate["longitude_deg"], climate["altitude_m"],
                                        climate["year"], climate["timezone"])
    normals = np.asarray(climate["ghi_kwh_per_m2_day"], dtype=float)
    daily_cv = daily_noise_annual_cv(geometry, normals, climate["clearness_lag1_autocorrelation"],
                                     climate["clearness_daily_sd"])
    sd_year = year_anomaly_sd(target_annual_cv_fraction, daily_cv)
    seeds = np.random.SeedSequence(seed).spawn(n_years)
    draws = _draw_years(
        seeds, [_year_factor(s, sd_year) for s in seeds], geometry, typical=False,
        **{k: climate[k] for k in ("ghi_kwh_per_m2_day", "temp_air_c", "temp_daily_range_c", "wind_speed_m_per_s",
                                   "clearness_lag1_autocorrelation", "clearness_daily_sd")},
        temp_daily_anomaly_sd_c=climate.get("temp_daily_anomaly_sd_c", 2.5))
    if anchor:
        months = geometry.index.month
        hours_per_month = np.bincount(geometry.month_of_day, minlength=12) * 24
        monthly = np.array([pd.Series(d.ghi_w_per_m2, index=geometry.index).groupby(months).sum().to_numpy()
                            for d in draws])
        achieved = monthly.mean(axis=0) / 1000.0 / (hours_per_month / 24)
        scale = normals / achieved
        draws = [replace(d, ghi_w_per_m2=_month_scaled_ghi_w_per_m2(d.ghi_w_per_m2, scale, geometry)) for d in draws]
    return _frames(draws, geometry, climate["albedo_fraction"])
