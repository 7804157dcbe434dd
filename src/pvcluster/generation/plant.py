"""The utility plant: a tilted single-axis tracker PV plant modeled with pvlib's ModelChain.

DC power follows PVWatts, ``P_dc = P_dc0 * (G_poa_eff / 1000) * (1 + gamma * (T_cell - 25))``,
with system losses applied to DC as one fraction ``L``: ``P_dc,net = (1 - L) * P_dc``. The
inverter follows the PVWatts inverter model with ``P_ac0 = P_dc0 / (dc/ac ratio)`` (clipping
above it). Cell temperature uses the SAPM model for an open rack (elevated trackers).
Transposition uses Hay-Davies; reflection losses the physical IAM model.

The weather is passed at mid-hour (labels + 30 min) so the sun's position represents the
hour; results are returned on the hour-beginning labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib
from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

from pvcluster.weather import Weather

OPEN_RACK = TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_polymer"]


@dataclass(frozen=True)
class TrackerPlant:
    """Parameters of a single-axis tracker plant (units in names)."""

    capacity_kwp: float
    dc_ac_ratio: float
    axis_tilt_deg: float
    axis_azimuth_deg: float
    max_angle_deg: float
    backtrack: bool
    gcr: float
    gamma_pdc_per_c: float
    losses_fraction: float
    inverter_efficiency_fraction: float

    @property
    def ac_capacity_kw(self) -> float:
        return self.capacity_kwp / self.dc_ac_ratio


def tracker_plant_ac_kw(weather: Weather, plant: TrackerPlant) -> pd.Series:
    """Hourly AC output (kW, hour means) of a single-axis tracker plant in its first year."""
    mount = pvlib.pvsystem.SingleAxisTrackerMount(
        axis_tilt=plant.axis_tilt_deg, axis_azimuth=plant.axis_azimuth_deg,
        max_angle=plant.max_angle_deg, backtrack=plant.backtrack, gcr=plant.gcr)
    array = pvlib.pvsystem.Array(
        mount=mount,
        module_parameters={"pdc0": plant.capacity_kwp * 1000.0, "gamma_pdc": plant.gamma_pdc_per_c},
        temperature_model_parameters=OPEN_RACK)
    eta = plant.inverter_efficiency_fraction
    system = pvlib.pvsystem.PVSystem(
        arrays=[array],
        inverter_parameters={"pdc0": plant.ac_capacity_kw * 1000.0 / eta, "eta_inv_nom": eta})
    location = pvlib.location.Location(weather.latitude_deg, weather.longitude_deg,
                                       weather.timezone, weather.altitude_m)

    def flat_losses(mc: pvlib.modelchain.ModelChain) -> None:
        mc.results.dc = mc.results.dc * (1.0 - plant.losses_fraction)

    mc = pvlib.modelchain.ModelChain(
        system, location, transposition_model="haydavies", aoi_model="physical",
        spectral_model="no_loss", losses_model=flat_losses)
    frame = weather.data[["ghi", "dni", "dhi", "temp_air", "wind_speed", "albedo"]].copy()
    frame.index = frame.index + pd.Timedelta(minutes=30)
    mc.run_model(frame)
    ac_kw = np.clip(np.nan_to_num(mc.results.ac.to_numpy(dtype=float)) / 1000.0, 0.0, None)
    return pd.Series(ac_kw, index=weather.index, name="ac_kw")
