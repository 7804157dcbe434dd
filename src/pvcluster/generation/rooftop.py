"""Rooftop PV for whole fleets of roofs at once: array operations, no loop over roofs.

For S roofs and T hours the work that depends only on the sky (solar position, Perez sky
coefficients, temperature factors) is done once per hour with pvlib, and the work per roof
is reduced to a few array operations on (S, T) blocks, in float32, in chunks of roofs spread
over threads (numpy releases the GIL). Per roof r and hour t:

* ``cos(aoi)`` = n_r . s_t, the dot product of the plane normal and the sun vector (one
  matrix product for all roofs; the same quantity as ``pvlib.irradiance.aoi_projection``);
* beam POA ``= DNI max(cos aoi, 0)``; sky diffuse with Perez (pvlib's model, split into its
  three terms): ``max(0, I_t (1 + cos b)/2 + C_t max(cos aoi, 0) + H_t sin b)`` where
  ``I_t = DHI (1 - F1)``, ``C_t = DHI F1 / max(cos z, cos 85)`` and ``H_t = DHI F2`` come from
  one ``pvlib.irradiance.perez`` call each on horizontal and 30-degree planes; ground-reflected
  ``GHI albedo (1 - cos b)/2``;
* reflection: ``pvlib.iam.physical`` tabulated against cos(aoi), applied to the beam;
* shading: the roof's ``shading_fraction`` removes that share of the plane-of-array irradiance;
* cell temperature: SAPM close-mount (``T = E exp(a + b ws) + T_air + E dT/1000``), linear in E;
* DC per kWp ``E/1000 (1 + gamma (T - 25)) (1 - L_dc) (1 - L_snow,month)`` with the monthly
  Townsend snow loss of each roof's plane; AC with the PVWatts inverter, less AC losses.

Symbols: b roof tilt, z solar zenith, E effective irradiance (W/m2), gamma power temperature
coefficient (1/degC), L losses (fraction). ``tests/test_generation.py`` checks the result
against the plain pvlib functions called roof by roof.

``fleet_annual_kwh_by_year`` gives the annual energy of the same fleet in many weather years (the
synthetic ensemble behind P50/P90), equal to ``fleet_ac`` year by year bit for bit: the years share
the sun, so its part of the sky and each roof's angle of incidence are computed once.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib
from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

from pvcluster.generation.losses import monthly_snow_loss_fraction
from pvcluster.weather import Weather

CLOSE_MOUNT = TEMPERATURE_MODEL_PARAMETERS["sapm"]["close_mount_glass_glass"]
# pvlib's physical IAM tabulated on a uniform grid of cos(aoi); looked up by index arithmetic
# (linear interpolation, the same result as np.interp on this grid, several times faster).
_IAM_STEPS = 2000
_COS_GRID = np.linspace(0.0, 1.0, _IAM_STEPS + 1)
_IAM_TABLE = np.asarray(pvlib.iam.physical(np.degrees(np.arccos(_COS_GRID))), dtype=float)
_IAM_BASE = _IAM_TABLE[:-1].astype(np.float32)
_IAM_SLOPE = np.diff(_IAM_TABLE).astype(np.float32)
#: how much hourly AC (bytes) fleet_annual_kwh_by_year holds at once: a block of years of one chunk
ENSEMBLE_BLOCK_BYTES = 64 * 2**20


def _iam(cos_aoi: np.ndarray) -> np.ndarray:
    """Physical IAM at ``cos_aoi`` in [0, 1] by linear interpolation in the table."""
    x = cos_aoi * np.float32(_IAM_STEPS)
    i = np.minimum(x.astype(np.int32), _IAM_STEPS - 1)
    x -= i
    return _IAM_BASE[i] + _IAM_SLOPE[i] * x


@dataclass(frozen=True)
class RooftopSystem:
    """What every roof of a fleet shares: module temperature response, losses, inverter sizing."""

    gamma_pdc_per_c: float
    dc_loss_fraction: float
    ac_loss_fraction: float
    dc_ac_ratio: float
    inverter_efficiency_fraction: float
    snowfall_cm: tuple[float, ...] = (0.0,) * 12
    snow_events: tuple[float, ...] = (0.0,) * 12
    relative_humidity_percent: tuple[float, ...] = (70.0,) * 12
    snow_slant_height_m: float = 3.0
    snow_lower_edge_height_m: float = 0.3


@dataclass(frozen=True)
class _Sky:
    """Per-hour quantities shared by all roofs (float32 rows, daylight hours only)."""

    hours: int  # T, all hours of the year
    day: np.ndarray  # (T,) bool: hours with any irradiance; the others produce nothing

    sun: np.ndarray  # (3, T): east, north, up components of the unit vector to the sun
    dni: np.ndarray
    ghi_albedo: np.ndarray
    iso: np.ndarray
    circ: np.ndarray
    horizon: np.ndarray
    temp_air: np.ndarray
    temp_factor: np.ndarray  # exp(a + b ws)
    month_starts: np.ndarray  # index of the first hour of each month
    month_temp_air_c: np.ndarray


@dataclass(frozen=True)
class _Sun:
    """What the sky of a year takes from its hours and the sun's position alone (float64, every
    hour): shared by years on one hourly index with one sun, as a synthetic ensemble's are."""

    index: pd.DatetimeIndex
    zenith_deg: np.ndarray
    azimuth_deg: np.ndarray
    dni_extra_w_per_m2: np.ndarray
    airmass: np.ndarray  # relative, NaN with the sun below the horizon
    cos_zenith_floor: np.ndarray  # max(cos z, cos 85 deg), Perez's circumsolar denominator
    sun: np.ndarray  # (3, T): east, north, up components of the unit vector to the sun
    months: np.ndarray  # 1..12
    month_starts: np.ndarray  # index of the first hour of each month


def _sun(weather: Weather) -> _Sun:
    d = weather.data
    zenith = d["solar_zenith"].to_numpy()
    azimuth = d["solar_azimuth"].to_numpy()
    mid = weather.index + np.timedelta64(30, "m")
    sz, z_rad, a_rad = np.sin(np.radians(zenith)), np.radians(zenith), np.radians(azimuth)
    months = weather.index.month.to_numpy()
    return _Sun(index=weather.index, zenith_deg=zenith, azimuth_deg=azimuth,
                dni_extra_w_per_m2=pvlib.irradiance.get_extra_radiation(mid).to_numpy(),
                airmass=pvlib.atmosphere.get_relative_airmass(zenith),
                cos_zenith_floor=np.maximum(np.cos(np.radians(zenith)), np.cos(np.radians(85.0))),
                sun=np.vstack([sz * np.sin(a_rad), sz * np.cos(a_rad), np.cos(z_rad)]), months=months,
                month_starts=np.flatnonzero(np.r_[True, months[1:] != months[:-1]]))


def _has_sun(weather: Weather, sun: _Sun) -> bool:
    """Whether ``weather`` is on the hours and sun position ``sun`` was computed from."""
    d = weather.data
    return (weather.index.equals(sun.index) and np.array_equal(d["solar_zenith"].to_numpy(), sun.zenith_deg)
            and np.array_equal(d["solar_azimuth"].to_numpy(), sun.azimuth_deg))


def _sky(weather: Weather, sun: _Sun | None = None) -> _Sky:
    """Sky quantities for the hours with light; night hours are dropped (their output is zero) before
    any work, which goes hour by hour. ``sun`` (from :func:`_sun` of a year with the same hours and
    sun, see :func:`_has_sun`) skips computing its part again."""
    d = weather.data
    s = sun or _sun(weather)
    dni, ghi, dhi = (d[c].to_numpy(dtype=float) for c in ("dni", "ghi", "dhi"))
    day = (ghi > 0) | (dhi > 0) | (dni > 0)

    def lit(x):
        return np.asarray(x)[..., day]

    zenith, azimuth, airmass, dni_extra = (lit(x) for x in (s.zenith_deg, s.azimuth_deg, s.airmass,
                                                              s.dni_extra_w_per_m2))
    dni, ghi, dhi = lit(dni), lit(ghi), lit(dhi)
    flat = pvlib.irradiance.perez(0.0, 180.0, dhi, dni, dni_extra, zenith, azimuth, airmass, return_components=True)
    tilted = pvlib.irradiance.perez(30.0, 180.0, dhi, dni, dni_extra, zenith, azimuth, airmass,
                                    return_components=True)
    iso = np.nan_to_num(flat["poa_isotropic"])  # DHI (1 - F1)
    f1_dhi = np.where(np.isnan(airmass), 0.0, dhi - iso)
    horizon = np.nan_to_num(tilted["poa_horizon"]) / np.sin(np.radians(30.0))  # DHI F2
    a, bcoef, _ = CLOSE_MOUNT["a"], CLOSE_MOUNT["b"], CLOSE_MOUNT["deltaT"]
    months = s.months
    temp_air = d["temp_air"].to_numpy()
    month_temp = np.add.reduceat(temp_air, s.month_starts) / np.diff(np.r_[s.month_starts, len(months)])
    day_months = months[day]
    starts = np.flatnonzero(np.r_[True, day_months[1:] != day_months[:-1]])

    def f32(x):
        return np.ascontiguousarray(x, dtype=np.float32)

    return _Sky(hours=len(months), day=day, sun=f32(lit(s.sun)), dni=f32(dni),
                ghi_albedo=f32(ghi * lit(d["albedo"].to_numpy())), iso=f32(iso),
                circ=f32(f1_dhi / lit(s.cos_zenith_floor)), horizon=f32(horizon), temp_air=f32(lit(temp_air)),
                temp_factor=f32(np.exp(a + bcoef * lit(d["wind_speed"].to_numpy()))), month_starts=starts,
                month_temp_air_c=month_temp)


@dataclass(frozen=True)
class _Planes:
    """A chunk of roofs' planes against the sun on a sky's daylight hours (float32): the same for
    every year with the same sun and daylight hours."""

    cos_tilt: np.ndarray  # (S, 1)
    sin_tilt: np.ndarray  # (S, 1)
    cos_aoi: np.ndarray  # (S, T), at least 0
    iam: np.ndarray  # (S, T)


def _planes(sky: _Sky, tilt: np.ndarray, azimuth: np.ndarray) -> _Planes:
    t, g = np.radians(tilt), np.radians(azimuth)
    cos_t, sin_t = np.cos(t).astype(np.float32)[:, None], np.sin(t).astype(np.float32)[:, None]
    normal = np.stack([np.sin(t) * np.sin(g), np.sin(t) * np.cos(g), np.cos(t)], axis=1).astype(np.float32)
    cos_aoi = normal @ sky.sun  # (S, T)
    np.maximum(cos_aoi, 0.0, out=cos_aoi)
    return _Planes(cos_t, sin_t, cos_aoi, _iam(cos_aoi))


def _chunk_ac(sky: _Sky, tilt: np.ndarray, azimuth: np.ndarray, shading: np.ndarray,
              system: RooftopSystem, planes: _Planes | None = None) -> np.ndarray:
    """AC kW per kWp, shape (S, daylight hours) float32, for one chunk of roofs. ``planes`` (from
    :func:`_planes` on a sky with the same sun and daylight hours) skips the geometry."""
    p = planes or _planes(sky, tilt, azimuth)
    cos_aoi, cos_t, sin_t = p.cos_aoi, p.cos_tilt, p.sin_tilt
    beam = sky.dni * cos_aoi
    sky_diffuse = sky.iso * (0.5 * (1.0 + cos_t)) + sky.circ * cos_aoi + sky.horizon * sin_t
    np.maximum(sky_diffuse, 0.0, out=sky_diffuse)
    ground = sky.ghi_albedo * (0.5 * (1.0 - cos_t))
    poa = beam + sky_diffuse + ground
    unshaded = (1.0 - shading).astype(np.float32)[:, None]
    effective = (beam * p.iam + sky_diffuse + ground) * unshaded
    del beam, sky_diffuse, ground
    t_cell = effective * (sky.temp_factor + np.float32(CLOSE_MOUNT["deltaT"] / 1000.0)) + sky.temp_air
    dc = effective * np.float32(1.0 / 1000.0) * (1.0 + np.float32(system.gamma_pdc_per_c) * (t_cell - 25.0))
    dc *= np.float32(1.0 - system.dc_loss_fraction)
    if any(system.snowfall_cm) and dc.shape[1]:  # a year without light has no hours to reduce
        poa_month = np.add.reduceat(poa * unshaded, sky.month_starts, axis=1, dtype=np.float64)
        snow = monthly_snow_loss_fraction(
            snowfall_cm=np.asarray(system.snowfall_cm), snow_events=np.asarray(system.snow_events),
            relative_humidity_percent=np.asarray(system.relative_humidity_percent),
            temp_air_c=sky.month_temp_air_c, poa_wh_per_m2=poa_month, surface_tilt_deg=tilt[:, None],
            slant_height_m=system.snow_slant_height_m, lower_edge_height_m=system.snow_lower_edge_height_m)
        ends = np.r_[sky.month_starts[1:], dc.shape[1]]
        for m, (s, e) in enumerate(zip(sky.month_starts, ends)):
            dc[:, s:e] *= (1.0 - snow[:, m:m + 1]).astype(np.float32)
    np.maximum(dc, 0.0, out=dc)
    pdc0 = 1.0 / (system.dc_ac_ratio * system.inverter_efficiency_fraction)
    ac = pvlib.inverter.pvwatts(dc, np.float32(pdc0), np.float32(system.inverter_efficiency_fraction))
    ac = np.clip(np.nan_to_num(ac, copy=False), 0.0, None, out=ac).astype(np.float32)  # pvwatts's own array
    ac *= np.float32(1.0 - system.ac_loss_fraction)
    return ac


def _roofs_ac_kw(sky: _Sky, planes: _Planes | None, tilt: np.ndarray, azimuth: np.ndarray, shading: np.ndarray,
                 capacity_kwp: np.ndarray, system: RooftopSystem) -> np.ndarray:
    """Hourly AC (kW) of each roof of a chunk at its capacity, shape (S, daylight hours) float32."""
    return _chunk_ac(sky, tilt, azimuth, shading, system, planes) * capacity_kwp[:, None].astype(np.float32)


def _group_ac_kw(ac_kw: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Hourly AC summed by group (float32 matrix product, then float64), shape (G, hours of ac_kw)."""
    onehot = np.zeros((n_groups, ac_kw.shape[0]), dtype=np.float32)
    onehot[groups, np.arange(ac_kw.shape[0])] = 1.0
    return (onehot @ ac_kw).astype(np.float64)


@dataclass(frozen=True)
class FleetResult:
    annual_kwh: np.ndarray  # (S,) per roof, at its capacity
    group_ac_kw: np.ndarray  # (G, T) hourly AC of each group of roofs


def _fleet_arrays(tilt_deg, azimuth_deg, capacity_kwp, shading_fraction, groups, n_groups):
    tilt = np.asarray(tilt_deg, dtype=float)
    azimuth = np.asarray(azimuth_deg, dtype=float)
    capacity = np.asarray(capacity_kwp, dtype=float)
    shading = np.asarray(shading_fraction, dtype=float)
    groups = np.zeros(len(tilt), dtype=int) if groups is None else np.asarray(groups, dtype=int)
    n_groups = int(groups.max()) + 1 if n_groups is None else n_groups
    return tilt, azimuth, capacity, shading, groups, n_groups


def fleet_ac(weather: Weather, tilt_deg, azimuth_deg, capacity_kwp, shading_fraction, system: RooftopSystem,
             groups=None, n_groups: int | None = None, chunk_roofs: int = 256, threads: int = 2) -> FleetResult:
    """Annual energy of every roof and hourly AC summed by group (e.g. village and class).

    ``groups`` gives each roof a group number 0..G-1 (all roofs in group 0 if omitted).
    """
    tilt, azimuth, capacity, shading, groups, n_groups = _fleet_arrays(
        tilt_deg, azimuth_deg, capacity_kwp, shading_fraction, groups, n_groups)
    n = len(tilt)
    sky = _sky(weather)
    starts = list(range(0, n, chunk_roofs))

    def work(start: int):
        sl = slice(start, min(start + chunk_roofs, n))
        ac = _roofs_ac_kw(sky, None, tilt[sl], azimuth[sl], shading[sl], capacity[sl], system)
        return sl, ac.sum(axis=1, dtype=np.float64), _group_ac_kw(ac, groups[sl], n_groups)

    annual = np.zeros(n)
    total = np.zeros((n_groups, len(weather.index)))
    day = sky.day
    if threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(work, starts))
    else:
        results = [work(s) for s in starts]
    for sl, a, g in results:
        annual[sl] = a
        total[:, day] += g
    return FleetResult(annual, total)


def fleet_annual_kwh_by_year(years: Sequence[Weather], tilt_deg, azimuth_deg, capacity_kwp, shading_fraction,
                             system: RooftopSystem, groups=None, n_groups: int | None = None,
                             chunk_roofs: int = 256, threads: int = 2,
                             block_bytes: int = ENSEMBLE_BLOCK_BYTES) -> tuple[np.ndarray, np.ndarray]:
    """Every roof's and every group's annual energy (kWh) in each weather year, shapes (years, S) and
    (years, G): ``fleet_ac(year, ...).annual_kwh`` and ``fleet_ac(year, ...).group_ac_kw.sum(axis=1)``
    year by year, bit for bit (the same chunks of roofs, the same arithmetic on the same shapes).

    Years on one hourly index with one sun position (a synthetic ensemble) share the sky's sun part
    (extraterrestrial irradiance, air mass, the sun vector) and, on the same daylight hours, each
    chunk's plane geometry (angle of incidence, reflection loss), which are computed once; other
    years get their own. The years of a chunk run on ``threads`` threads, as many at a time as keep
    their hourly AC within ``block_bytes``; the group sums (one matrix product a year) follow in one
    go, so BLAS's threads wake once a block rather than between the years' array work.
    """
    years = tuple(years)
    tilt, azimuth, capacity, shading, groups, n_groups = _fleet_arrays(
        tilt_deg, azimuth_deg, capacity_kwp, shading_fraction, groups, n_groups)
    n = len(tilt)
    suns: list[_Sun] = []
    skies, sun_of_year = [], []
    for year in years:
        i = next((i for i, s in enumerate(suns) if _has_sun(year, s)), None)
        if i is None:
            suns.append(_sun(year))
            i = len(suns) - 1
        sun_of_year.append(i)
        skies.append(_sky(year, suns[i]))
    # years with the same sun and daylight hours share each chunk's planes
    plane_key = [(i, sky.day.tobytes()) for i, sky in zip(sun_of_year, skies)]
    annual = np.zeros((len(years), n))
    totals = [np.zeros((n_groups, len(year.index))) for year in years]
    pool = ThreadPoolExecutor(threads) if threads > 1 and len(years) > 1 else None
    try:
        for start in range(0, n, chunk_roofs):
            sl = slice(start, min(start + chunk_roofs, n))
            planes = {}
            for key, sky in zip(plane_key, skies):
                if key not in planes:
                    planes[key] = _planes(sky, tilt[sl], azimuth[sl])

            def work(k: int):
                ac = _roofs_ac_kw(skies[k], planes[plane_key[k]], tilt[sl], azimuth[sl], shading[sl], capacity[sl],
                                  system)
                return ac.sum(axis=1, dtype=np.float64), ac

            per_year_bytes = 4 * (sl.stop - sl.start) * max((int(sky.day.sum()) for sky in skies), default=0)
            block = max(1, block_bytes // max(per_year_bytes, 1))
            for first in range(0, len(years), block):
                ks = range(first, min(first + block, len(years)))
                results = list(pool.map(work, ks) if pool else map(work, ks))
                for k, (a, ac) in zip(ks, results):
                    annual[k, sl] = a
                    totals[k][:, skies[k].day] += _group_ac_kw(ac, groups[sl], n_groups)
    finally:
        if pool:
            pool.shutdown()
    return annual, np.array([t.sum(axis=1) for t in totals]).reshape(len(years), n_groups)


def fixed_tilt_ac_kw_per_kwp(weather: Weather, tilt_deg, azimuth_deg, system: RooftopSystem,
                             shading_fraction=None) -> np.ndarray:
    """Hourly AC per kWp, shape (planes, hours), for a few fixed planes (float64 copy)."""
    tilt = np.atleast_1d(np.asarray(tilt_deg, dtype=float))
    shading = np.zeros(len(tilt)) if shading_fraction is None else np.asarray(shading_fraction, dtype=float)
    sky = _sky(weather)
    out = np.zeros((len(tilt), sky.hours))
    out[:, sky.day] = _chunk_ac(sky, tilt, np.atleast_1d(np.asarray(azimuth_deg, dtype=float)), shading, system)
    return out
