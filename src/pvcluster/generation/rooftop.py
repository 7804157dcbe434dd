"""Fixed-tilt rooftop PV, computed for many roof segments at once with array operations.

For S segments and T hours every pvlib function is called once on arrays of shape (S, 1)
against (1, T), never in a loop over roofs. Per kWp of DC capacity:

* plane-of-array irradiance: Hay-Davies transposition (``pvlib.irradiance.get_total_irradiance``);
* reflection: physical IAM on the beam component (``pvlib.iam.physical``);
* cell temperature: SAPM, close-mount glass/polymer (roof-mounted, poorly ventilated);
* DC: PVWatts with temperature coefficient gamma, less system losses L;
* AC: PVWatts inverter sized at 1 / (dc/ac ratio) kW per kWp.
"""

from __future__ import annotations

import numpy as np
import pvlib
from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

from pvcluster.weather import Weather

CLOSE_MOUNT = TEMPERATURE_MODEL_PARAMETERS["sapm"]["close_mount_glass_glass"]


def fixed_tilt_ac_kw_per_kwp(
    weather: Weather,
    tilt_deg: np.ndarray,
    azimuth_deg: np.ndarray,
    *,
    gamma_pdc_per_c: float = -0.0037,
    losses_fraction: float = 0.14,
    dc_ac_ratio: float = 1.15,
    inverter_efficiency_fraction: float = 0.96,
) -> np.ndarray:
    """Hourly AC output per kWp, shape (segments, hours), for fixed planes."""
    tilt = np.asarray(tilt_deg, dtype=float).reshape(-1, 1)
    azimuth = np.asarray(azimuth_deg, dtype=float).reshape(-1, 1)
    d = weather.data
    zenith = d["solar_zenith"].to_numpy()[None, :]
    sun_azimuth = d["solar_azimuth"].to_numpy()[None, :]
    mid = weather.index + np.timedelta64(30, "m")
    dni_extra = pvlib.irradiance.get_extra_radiation(mid).to_numpy()[None, :]
    airmass = pvlib.atmosphere.get_relative_airmass(zenith)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, zenith, sun_azimuth, d["dni"].to_numpy()[None, :], d["ghi"].to_numpy()[None, :],
        d["dhi"].to_numpy()[None, :], dni_extra=dni_extra, airmass=airmass,
        albedo=d["albedo"].to_numpy()[None, :], model="haydavies")
    aoi = pvlib.irradiance.aoi(tilt, azimuth, zenith, sun_azimuth)
    iam = pvlib.iam.physical(aoi)
    effective = np.nan_to_num(poa["poa_direct"] * iam + poa["poa_diffuse"])
    effective = np.clip(effective, 0.0, None)
    t_cell = pvlib.temperature.sapm_cell(
        effective, d["temp_air"].to_numpy()[None, :], d["wind_speed"].to_numpy()[None, :], **CLOSE_MOUNT)
    pdc_w = pvlib.pvsystem.pvwatts_dc(effective, t_cell, 1000.0, gamma_pdc_per_c) * (1.0 - losses_fraction)
    pac_w = pvlib.inverter.pvwatts(pdc_w, 1000.0 / dc_ac_ratio / inverter_efficiency_fraction,
                                   inverter_efficiency_fraction)
    return np.clip(np.nan_to_num(pac_w) / 1000.0, 0.0, None)
