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
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
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


def _sky(weather: Weather) -> _Sky:
    """Sky quantities for the hours with light; night hours are dropped (their output is zero)."""
    d = weather.data
    day = ((d["ghi"] > 0) | (d["dhi"] > 0) | (d["dni"] > 0)).to_numpy()
    zenith = d["solar_zenith"].to_numpy()
    azimuth = d["solar_azimuth"].to_numpy()
    dni, ghi, dhi = (d[c].to_numpy(dtype=float) for c in ("dni", "ghi", "dhi"))
    mid = weather.index + np.timedelta64(30, "m")
    dni_extra = pvlib.irradiance.get_extra_radiation(mid).to_numpy()
    airmass = pvlib.atmosphere.get_relative_airmass(zenith)
    flat = pvlib.irradiance.perez(0.0, 180.0, dhi, dni, dni_extra, zenith, azimuth, airmass,
                                  return_components=True)
    tilted = pvlib.irradiance.perez(30.0, 180.0, dhi, dni, dni_extra, zenith, azimuth, airmass,
                                    return_components=True)
    iso = np.nan_to_num(flat["poa_isotropic"])  # DHI (1 - F1)
    f1_dhi = np.where(np.isnan(airmass), 0.0, dhi - iso)
    b = np.maximum(np.cos(np.radians(zenith)), np.cos(np.radians(85.0)))
    horizon = np.nan_to_num(tilted["poa_horizon"]) / np.sin(np.radians(30.0))  # DHI F2
    sz, z_rad, a_rad = np.sin(np.radians(zenith)), np.radians(zenith), np.radians(azimuth)
    sun = np.vstack([sz * np.sin(a_rad), sz * np.cos(a_rad), np.cos(z_rad)])
    a, bcoef, _ = CLOSE_MOUNT["a"], CLOSE_MOUNT["b"], CLOSE_MOUNT["deltaT"]
    months = weather.index.month.to_numpy()
    all_starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    month_temp = np.add.reduceat(d["temp_air"].to_numpy(), all_starts) / np.diff(np.r_[all_starts, len(months)])
    day_months = months[day]
    starts = np.flatnonzero(np.r_[True, day_months[1:] != day_months[:-1]])

    def f32(x):
        return np.ascontiguousarray(np.asarray(x)[..., day], dtype=np.float32)

    return _Sky(hours=len(months), day=day, sun=f32(sun), dni=f32(dni), ghi_albedo=f32(ghi * d["albedo"].to_numpy()),
                iso=f32(iso), circ=f32(f1_dhi / b), horizon=f32(horizon), temp_air=f32(d["temp_air"].to_numpy()),
                temp_factor=f32(np.exp(a + bcoef * d["wind_speed"].to_numpy())), month_starts=starts,
                month_temp_air_c=month_temp)


def _chunk_ac(sky: _Sky, tilt: np.ndarray, azimuth: np.ndarray, shading: np.ndarray,
              system: RooftopSystem) -> np.ndarray:
    """AC kW per kWp, shape (S, daylight hours) float32, for one chunk of roofs."""
    t, g = np.radians(tilt), np.radians(azimuth)
    cos_t, sin_t = np.cos(t).astype(np.float32)[:, None], np.sin(t).astype(np.float32)[:, None]
    normal = np.stack([np.sin(t) * np.sin(g), np.sin(t) * np.cos(g), np.cos(t)], axis=1).astype(np.float32)
    cos_aoi = normal @ sky.sun  # (S, T)
    np.maximum(cos_aoi, 0.0, out=cos_aoi)
    beam = sky.dni * cos_aoi
    sky_diffuse = sky.iso * (0.5 * (1.0 + cos_t)) + sky.circ * cos_aoi + sky.horizon * sin_t
    np.maximum(sky_diffuse, 0.0, out=sky_diffuse)
    ground = sky.ghi_albedo * (0.5 * (1.0 - cos_t))
    poa = beam + sky_diffuse + ground
    iam = _iam(cos_aoi)
    unshaded = (1.0 - shading).astype(np.float32)[:, None]
    effective = (beam * iam + sky_diffuse + ground) * unshaded
    del beam, sky_diffuse, ground, iam, cos_aoi
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
    ac = np.clip(np.nan_to_num(ac), 0.0, None).astype(np.float32)
    ac *= np.float32(1.0 - system.ac_loss_fraction)
    return ac


@dataclass(frozen=True)
class FleetResult:
    annual_kwh: np.ndarray  # (S,) per roof, at its capacity
    group_ac_kw: np.ndarray  # (G, T) hourly AC of each group of roofs


def fleet_ac(weather: Weather, tilt_deg, azimuth_deg, capacity_kwp, shading_fraction, system: RooftopSystem,
             groups=None, n_groups: int | None = None, chunk_roofs: int = 256, threads: int = 2) -> FleetResult:
    """Annual energy of every roof and hourly AC summed by group (e.g. village and class).

    ``groups`` gives each roof a group number 0..G-1 (all roofs in group 0 if omitted).
    """
    tilt = np.asarray(tilt_deg, dtype=float)
    azimuth = np.asarray(azimuth_deg, dtype=float)
    capacity = np.asarray(capacity_kwp, dtype=float)
    shading = np.asarray(shading_fraction, dtype=float)
    n = len(tilt)
    groups = np.zeros(n, dtype=int) if groups is None else np.asarray(groups, dtype=int)
    n_groups = int(groups.max()) + 1 if n_groups is None else n_groups
    sky = _sky(weather)
    starts = list(range(0, n, chunk_roofs))

    def work(start: int):
        sl = slice(start, min(start + chunk_roofs, n))
        ac = _chunk_ac(sky, tilt[sl], azimuth[sl], shading[sl], system) * capacity[sl, None].astype(np.float32)
        onehot = np.zeros((n_groups, ac.shape[0]), dtype=np.float32)
        onehot[groups[sl], np.arange(ac.shape[0])] = 1.0
        return sl, ac.sum(axis=1, dtype=np.float64), (onehot @ ac).astype(np.float64)

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


def fixed_tilt_ac_kw_per_kwp(weather: Weather, tilt_deg, azimuth_deg, system: RooftopSystem,
                             shading_fraction=None) -> np.ndarray:
    """Hourly AC per kWp, shape (planes, hours), for a few fixed planes (float64 copy)."""
    tilt = np.atleast_1d(np.asarray(tilt_deg, dtype=float))
    shading = np.zeros(len(tilt)) if shading_fraction is None else np.asarray(shading_fraction, dtype=float)
    sky = _sky(weather)
    out = np.zeros((len(tilt), sky.hours))
    out[:, sky.day] = _chunk_ac(sky, tilt, np.atleast_1d(np.asarray(azimuth_deg, dtype=float)), shading, system)
    return out
