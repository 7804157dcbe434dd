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

``tracker_plant_annual_mwh`` gives the annual energy of the same plant in many weather years
(the synthetic ensemble behind P50/P90) in one vectorized pass with the functions ModelChain
calls, equal to ``tracker_plant(year, plant).annual_mwh`` year by year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib
from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

from pvcluster.generation.losses import LossBreakdown, monthly_snow_loss_fraction
from pvcluster.pvmodules import cec_module
from pvcluster.weather import Weather

OPEN_RACK = TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_polymer"]
HALF_HOUR = pd.Timedelta(minutes=30)

#: the plant's ModelChain models, named once for ModelChain and for the ensemble's vectorized pass
SOLAR_POSITION_METHOD = "nrel_numpy"
AIRMASS_MODEL = "kastenyoung1989"
TRANSPOSITION_MODEL = "perez"
AOI_MODEL = "physical"
TEMPERATURE_MODEL = "sapm"
#: the refraction at sunrise and sunset (deg) with which pvlib.solarposition.spa_python (ModelChain's
#: "nrel_numpy") corrects the sun's elevation when not given one
SPA_ATMOS_REFRACT_DEG = 0.5667
#: weather years vectorized at a time by tracker_plant_annual_mwh (bounds its memory: ~2 MB a year)
ENSEMBLE_BLOCK_YEARS = 32


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


def tracker_system(plant: TrackerPlant) -> pvlib.pvsystem.PVSystem:
    """The plant as a pvlib PVSystem: one array of CEC modules on single-axis trackers."""
    mount = pvlib.pvsystem.SingleAxisTrackerMount(
        axis_tilt=plant.axis_tilt_deg, axis_azimuth=plant.axis_azimuth_deg,
        max_angle=plant.max_angle_deg, backtrack=plant.backtrack, gcr=plant.gcr)
    array = pvlib.pvsystem.Array(
        mount=mount, module_parameters=cec_module(plant.module).to_dict(),
        temperature_model_parameters=OPEN_RACK, modules_per_string=plant.modules_per_string,
        strings=plant.strings)
    return pvlib.pvsystem.PVSystem(arrays=[array])


def _location(weather: Weather) -> pvlib.location.Location:
    return pvlib.location.Location(weather.latitude_deg, weather.longitude_deg, weather.timezone, weather.altitude_m)


def snow_loss_fraction_by_month(plant: TrackerPlant, poa_w_per_m2: np.ndarray, temp_air_c: np.ndarray,
                                months: np.ndarray, n_months: int = 12) -> np.ndarray:
    """The tracker's snow loss in each month (Townsend): hourly POA and air temperature with each hour's
    month code (0..n_months-1; codes 12 y + m stack several years), shape (n_months,)."""
    poa_month = np.bincount(months, weights=poa_w_per_m2, minlength=n_months)
    temp_month = np.bincount(months, weights=temp_air_c, minlength=n_months) / np.bincount(months, minlength=n_months)
    return monthly_snow_loss_fraction(
        snowfall_cm=np.asarray(plant.snowfall_cm), snow_events=np.asarray(plant.snow_events),
        relative_humidity_percent=np.asarray(plant.relative_humidity_percent),
        temp_air_c=temp_month.reshape(-1, 12), poa_wh_per_m2=poa_month.reshape(-1, 12),
        surface_tilt_deg=plant.max_angle_deg, slant_height_m=plant.table_width_m / 2.0,
        lower_edge_height_m=plant.lower_edge_height_m).ravel()


def dc_loss_factor(plant: TrackerPlant, snow_loss_fraction: np.ndarray) -> np.ndarray:
    """What reaches the inverter of the array's DC output: the DC losses and each hour's snow loss."""
    return (1.0 - plant.losses.dc_fraction) * (1.0 - snow_loss_fraction)


def inverter_ac_w(plant: TrackerPlant, p_dc_w):
    """The PVWatts inverter: AC (W) from DC (W), rated ``P_ac0 = P_dc0 / (dc/ac ratio)``."""
    eta = plant.inverter_efficiency_fraction
    return pvlib.inverter.pvwatts(p_dc_w, plant.ac_capacity_kw * 1000.0 / eta, eta)


def delivered_ac_kw(plant: TrackerPlant, ac_w) -> np.ndarray:
    """The inverter's output (W) as delivered (kW): no negatives or gaps, after the AC losses."""
    ac_w = np.clip(np.nan_to_num(np.asarray(ac_w, dtype=float)), 0.0, None)
    return ac_w / 1000.0 * (1.0 - plant.losses.ac_fraction)


def tracker_plant(weather: Weather, plant: TrackerPlant) -> PlantResult:
    """Hourly AC output (kW, hour means) of a single-axis tracker plant in its first year."""
    system = tracker_system(plant)
    location = _location(weather)
    months = weather.index.month.to_numpy() - 1
    snow_by_month = np.zeros(12)

    def dc_losses(mc: pvlib.modelchain.ModelChain) -> None:
        poa = np.nan_to_num(mc.results.total_irrad["poa_global"].to_numpy())
        snow_by_month[:] = snow_loss_fraction_by_month(plant, poa, weather.data["temp_air"].to_numpy(), months)
        factor = dc_loss_factor(plant, snow_by_month[months])
        dc = mc.results.dc.copy()
        for column in ("p_mp", "i_mp", "i_sc"):  # losses cut current and power, not voltage
            dc[column] = dc[column] * factor
        mc.results.dc = dc

    def pvwatts_inverter(mc: pvlib.modelchain.ModelChain) -> None:
        mc.results.ac = inverter_ac_w(plant, mc.results.dc["p_mp"])

    mc = pvlib.modelchain.ModelChain(
        system, location, dc_model="cec", ac_model=pvwatts_inverter, transposition_model=TRANSPOSITION_MODEL,
        aoi_model=AOI_MODEL, spectral_model="no_loss", temperature_model=TEMPERATURE_MODEL,
        losses_model=dc_losses, solar_position_method=SOLAR_POSITION_METHOD, airmass_model=AIRMASS_MODEL)
    frame = weather.data[["ghi", "dni", "dhi", "temp_air", "wind_speed", "albedo"]].copy()
    frame.index = frame.index + HALF_HOUR
    mc.run_model(frame)
    ac_kw = delivered_ac_kw(plant, mc.results.ac.to_numpy(dtype=float))
    poa = float(np.nansum(mc.results.total_irrad["poa_global"].to_numpy())) / 1000.0
    return PlantResult(pd.Series(ac_kw, index=weather.index, name="ac_kw"), poa, snow_by_month.copy())


@dataclass(frozen=True)
class _HourGeometry:
    """What the ensemble's years share, hour by hour (one year's hours)."""

    elevation_deg: np.ndarray  # topocentric, before refraction
    azimuth_deg: np.ndarray
    dni_extra_w_per_m2: np.ndarray
    month: np.ndarray  # 0..11
    pressure_pa: float


def _same_hours_and_site(a: Weather, b: Weather) -> bool:
    return (a.index.equals(b.index) and a.latitude_deg == b.latitude_deg and a.longitude_deg == b.longitude_deg
            and a.altitude_m == b.altitude_m and a.timezone == b.timezone)


def tracker_plant_annual_mwh(years: Sequence[Weather], plant: TrackerPlant,
                             block_years: int = ENSEMBLE_BLOCK_YEARS) -> np.ndarray:
    """First-year AC energy (MWh) of the plant in each weather year: ``tracker_plant(year,
    plant).annual_mwh`` for every year (equal to rounding), at a fraction of its time.

    Years on one hourly index at one site (a synthetic ensemble) share the sun's position except
    its refraction, so pvlib's SPA runs once and only the refraction (which depends on each hour's
    air temperature, as ModelChain passes it) is applied year by year; the rest of ModelChain's
    chain runs with pvlib's own functions on all years at once, ``block_years`` at a time. Hours
    without effective irradiance make no DC power and skip the single-diode solve. Years on
    different hours or sites are run one by one with ModelChain.
    """
    years = tuple(years)
    if not years:
        return np.zeros(0)
    first = years[0]
    if not all(_same_hours_and_site(y, first) for y in years[1:]):
        return np.array([tracker_plant(y, plant).annual_mwh for y in years])
    system, location = tracker_system(plant), _location(first)
    mid = first.index + HALF_HOUR
    # the elevation before refraction and the azimuth depend on time and place alone
    sun = location.get_solarposition(mid, method=SOLAR_POSITION_METHOD)
    pressure_pa = pvlib.atmosphere.alt2pres(location.altitude)  # as Location.get_solarposition takes it
    hours = _HourGeometry(sun["elevation"].to_numpy(), sun["azimuth"].to_numpy(),
                          pvlib.irradiance.get_extra_radiation(mid).to_numpy(),
                          first.index.month.to_numpy() - 1, pressure_pa)
    return np.concatenate([_annual_mwh(years[i:i + block_years], plant, system, hours)
                           for i in range(0, len(years), block_years)])


def _annual_mwh(years: tuple[Weather, ...], plant: TrackerPlant, system: pvlib.pvsystem.PVSystem,
                hours: _HourGeometry) -> np.ndarray:
    """ModelChain's chain of ``tracker_plant`` on several years' hours end to end (see
    tracker_plant_annual_mwh): the annual energy (MWh) of each year."""
    k, n = len(years), len(hours.month)

    def stacked(column: str) -> np.ndarray:
        return np.concatenate([y.data[column].to_numpy(dtype=float) for y in years])

    def tiled(a: np.ndarray) -> np.ndarray:
        return np.tile(a, k)

    temp_air_c, elevation_deg, azimuth_deg = stacked("temp_air"), tiled(hours.elevation_deg), tiled(hours.azimuth_deg)
    # ModelChain's solar position: SPA's refraction at each hour's air temperature (millibar, as spa_python)
    refraction_deg = pvlib.spa.atmospheric_refraction_correction(hours.pressure_pa / 100, temp_air_c, elevation_deg,
                                                                 SPA_ATMOS_REFRACT_DEG)
    zenith_deg = pvlib.spa.topocentric_zenith_angle(
        pvlib.spa.topocentric_elevation_angle(elevation_deg, refraction_deg))
    array = system.arrays[0]
    orientation = array.mount.get_orientation(zenith_deg, azimuth_deg)
    tilt_deg, surface_azimuth_deg = orientation["surface_tilt"], orientation["surface_azimuth"]
    aoi_deg = pvlib.irradiance.aoi(tilt_deg, surface_azimuth_deg, zenith_deg, azimuth_deg)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt_deg, surface_azimuth_deg, zenith_deg, azimuth_deg, stacked("dni"), stacked("ghi"), stacked("dhi"),
        dni_extra=tiled(hours.dni_extra_w_per_m2), albedo=stacked("albedo"), model=TRANSPOSITION_MODEL,
        airmass=pvlib.atmosphere.get_relative_airmass(zenith_deg, AIRMASS_MODEL))
    # ModelChain's effective irradiance, without spectral loss
    effective = np.asarray(poa["poa_direct"] * array.get_iam(aoi_deg, iam_model=AOI_MODEL)
                           + array.module_parameters.get("FD", 1.0) * poa["poa_diffuse"], dtype=float)
    temp_cell_c = np.asarray(array.get_cell_temperature(poa["poa_global"], temp_air_c, stacked("wind_speed"),
                                                        model=TEMPERATURE_MODEL), dtype=float)
    lit = effective > 0  # no light, no photocurrent: the diode gives 0 W (and NaN becomes 0, as in ModelChain)
    diode = system.singlediode(*system.calcparams_cec(effective[lit], temp_cell_c[lit]))
    p_mp_w = np.zeros(k * n)
    p_mp_w[lit] = system.scale_voltage_current_power(pd.DataFrame({"p_mp": diode["p_mp"]}))["p_mp"].fillna(0).to_numpy()
    months = np.repeat(12 * np.arange(k), n) + tiled(hours.month)
    snow = snow_loss_fraction_by_month(plant, np.nan_to_num(np.asarray(poa["poa_global"], dtype=float)), temp_air_c,
                                       months, 12 * k)
    ac_kw = delivered_ac_kw(plant, inverter_ac_w(plant, p_mp_w * dc_loss_factor(plant, snow[months])))
    return ac_kw.reshape(k, n).sum(axis=1) / 1000.0
