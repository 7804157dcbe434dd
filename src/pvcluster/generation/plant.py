"""The utility plant: a tilted single-axis tracker PV plant modeled with pvlib's ModelChain.

* Mount: ``pvlib.pvsystem.SingleAxisTrackerMount`` (axis tilt and azimuth, rotation limit,
  backtracking, ground coverage ratio).
* Module: a CEC-database module with the single-diode (CEC) model; ``n_modules`` of them in
  strings of ``modules_per_string``, so the DC capacity is ``n_modules x STC``.
* Transposition: Perez; reflection: the physical IAM model; no spectral correction.
* Cell temperature: SAPM for an open rack (the modules sit on 7 m posts above the field).
* DC losses (soiling, mismatch, DC wiring, connections, LID, nameplate) combined as in PVWatts,
  plus the monthly Townsend snow loss for the tracker (rotation limit as tilt, half the table
  width as slant height, as pvlib's documentation advises for trackers).
* Inverter: the PVWatts model with ``P_ac0 = P_dc0 / (dc/ac ratio)`` (clipping above it) and a
  nominal efficiency; AC losses (transformer, availability) after it.

The weather is passed at mid-hour (labels + 30 min) so the sun's position represents the
hour; results are returned on the hour-beginning labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib
from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

from pvcluster.generation.losses import LossBreakdown, monthly_snow_loss_fraction
from pvcluster.pvmodules import cec_module
from pvcluster.weather import Weather

OPEN_RACK = TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_polymer"]


@dataclass(frozen=True)
class TrackerPlant:
    """Parameters of a single-axis tracker plant (units in names)."""

    target_capacity_kwp: float
    module: str
    modules_per_string: int
    dc_ac_ratio: float
    axis_tilt_deg: float
    axis_azimuth_deg: float
    max_angle_deg: float
    backtrack: bool
    gcr: float
    table_width_m: float
    lower_edge_height_m: float
    inverter_efficiency_fraction: float
    losses: LossBreakdown
    snowfall_cm: tuple[float, ...]
    snow_events: tuple[float, ...]
    relative_humidity_percent: tuple[float, ...]

    @property
    def strings(self) -> int:
        stc_kw = float(cec_module(self.module)["STC"]) / 1000.0
        return max(1, round(self.target_capacity_kwp / stc_kw / self.modules_per_string))

    @property
    def n_modules(self) -> int:
        return self.strings * self.modules_per_string

    @property
    def capacity_kwp(self) -> float:
        """Built DC capacity: whole strings of the chosen module."""
        return self.n_modules * float(cec_module(self.module)["STC"]) / 1000.0

    @property
    def ac_capacity_kw(self) -> float:
        return self.capacity_kwp / self.dc_ac_ratio


@dataclass(frozen=True)
class PlantResult:
    ac_kw: pd.Series  # hourly AC, first year
    poa_kwh_per_m2: float  # annual plane-of-array insolation
    snow_loss_fraction_by_month: np.ndarray  # (12,)

    @property
    def annual_mwh(self) -> float:
        return float(self.ac_kw.sum()) / 1000.0


def tracker_plant(weather: Weather, plant: TrackerPlant) -> PlantResult:
    """Hourly AC output (kW, hour means) of a single-axis tracker plant in its first year."""
    mount = pvlib.pvsystem.SingleAxisTrackerMount(
        axis_tilt=plant.axis_tilt_deg, axis_azimuth=plant.axis_azimuth_deg,
        max_angle=plant.max_angle_deg, backtrack=plant.backtrack, gcr=plant.gcr)
    array = pvlib.pvsystem.Array(
        mount=mount, module_parameters=cec_module(plant.module).to_dict(),
        temperature_model_parameters=OPEN_RACK, modules_per_string=plant.modules_per_string,
        strings=plant.strings)
    eta = plant.inverter_efficiency_fraction
    system = pvlib.pvsystem.PVSystem(arrays=[array])
    location = pvlib.location.Location(weather.latitude_deg, weather.longitude_deg,
                                       weather.timezone, weather.altitude_m)
    months = weather.index.month.to_numpy() - 1
    snow_by_month = np.zeros(12)

    def dc_losses(mc: pvlib.modelchain.ModelChain) -> None:
        poa = np.nan_to_num(mc.results.total_irrad["poa_global"].to_numpy())
        temp = weather.data["temp_air"].to_numpy()
        poa_month = np.bincount(months, weights=poa, minlength=12)
        temp_month = np.bincount(months, weights=temp, minlength=12) / np.bincount(months, minlength=12)
        snow_by_month[:] = monthly_snow_loss_fraction(
            snowfall_cm=np.asarray(plant.snowfall_cm), snow_events=np.asarray(plant.snow_events),
            relative_humidity_percent=np.asarray(plant.relative_humidity_percent), temp_air_c=temp_month,
            poa_wh_per_m2=poa_month, surface_tilt_deg=plant.max_angle_deg,
            slant_height_m=plant.table_width_m / 2.0, lower_edge_height_m=plant.lower_edge_height_m)
        factor = (1.0 - plant.losses.dc_fraction) * (1.0 - snow_by_month[months])
        dc = mc.results.dc.copy()
        for column in ("p_mp", "i_mp", "i_sc"):  # losses cut current and power, not voltage
            dc[column] = dc[column] * factor
        mc.results.dc = dc

    def pvwatts_inverter(mc: pvlib.modelchain.ModelChain) -> None:
        mc.results.ac = pvlib.inverter.pvwatts(mc.results.dc["p_mp"], plant.ac_capacity_kw * 1000.0 / eta, eta)

    mc = pvlib.modelchain.ModelChain(
        system, location, dc_model="cec", ac_model=pvwatts_inverter, transposition_model="perez",
        aoi_model="physical", spectral_model="no_loss", temperature_model="sapm", losses_model=dc_losses)
    frame = weather.data[["ghi", "dni", "dhi", "temp_air", "wind_speed", "albedo"]].copy()
    frame.index = frame.index + pd.Timedelta(minutes=30)
    mc.run_model(frame)
    ac_w = np.clip(np.nan_to_num(mc.results.ac.to_numpy(dtype=float)), 0.0, None)
    ac_kw = ac_w / 1000.0 * (1.0 - plant.losses.ac_fraction)
    poa = float(np.nansum(mc.results.total_irrad["poa_global"].to_numpy())) / 1000.0
    return PlantResult(pd.Series(ac_kw, index=weather.index, name="ac_kw"), poa, snow_by_month.copy())
