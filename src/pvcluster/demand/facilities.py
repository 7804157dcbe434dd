"""Hourly load models of public facilities and industry, one pure function per model.

profile (village hall, hospital, offices, museums, schools, factories ...) and water treatment:
    ``P_t = E_year * f_month(t) * w_daytype(t)[hour(t)] / sum_t(f_month * w)``; the day type is
    "day off" on weekends and public holidays. For a water treatment plant
    ``E_year = Q_day * 365 * e_m3`` (flow times the specific energy of treatment and pumping).

street lights:
    ``P_t = n_lamps * P_lamp * dark_t``, where ``dark_t`` is the fraction of hour t during which
    the sun is below the horizon at the site (pvlib's SPA sunrise and sunset), so lamps draw
    power only between sunset and sunrise.

polysilicon (and any near-flat process load with a yearly shutdown):
    ``E_year = C * 1000 * e_kg * u`` for capacity C (t/yr), electricity intensity e_kg (kWh/kg)
    and utilisation u. The load is flat at ``P_op`` except during a turnaround of D days from
    day-of-year d0, when it drops to ``s * P_op`` (standby); ``P_op`` is set so the year sums
    to ``E_year``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

from pvcluster.demand.households import scale_to_annual, shaped_weights


def profile_kw(index: pd.DatetimeIndex, annual_kwh: float, workday_shape: np.ndarray,
               dayoff_shape: np.ndarray, month_factors: np.ndarray | None = None,
               day_off: np.ndarray | None = None) -> np.ndarray:
    """Hourly load (kW) of a facility with workday and day-off shapes; sums to annual_kwh."""
    shapes = np.stack([np.asarray(workday_shape, dtype=float), np.asarray(dayoff_shape, dtype=float)])[None]
    months = np.ones(12) if month_factors is None else month_factors
    return scale_to_annual(shaped_weights(index, shapes, months, day_off), annual_kwh)


def water_treatment_annual_kwh(flow_m3_per_day: float, kwh_per_m3: float) -> float:
    """Annual electricity of a water treatment plant: daily flow x 365 x kWh per m3."""
    return flow_m3_per_day * 365.0 * kwh_per_m3


def polysilicon_annual_kwh(capacity_t_per_year: float, electricity_kwh_per_kg: float,
                           utilisation_fraction: float) -> float:
    """Annual electricity of a polysilicon plant: tonnes x 1000 kg/t x kWh/kg x utilisation."""
    return capacity_t_per_year * 1000.0 * electricity_kwh_per_kg * utilisation_fraction


def outage_mask(index: pd.DatetimeIndex, outage_days: float, outage_start_day: float) -> np.ndarray:
    """True in the hours of a yearly turnaround of ``outage_days`` days from day of year d0."""
    hours = int(round(outage_days * 24))
    start = (int(outage_start_day) - 1) * 24
    mask = np.zeros(len(index), dtype=bool)
    positions = (start + np.arange(hours)) % len(index)  # a turnaround may run over New Year
    mask[positions] = True
    return mask


def process_kw(index: pd.DatetimeIndex, annual_kwh: float, outage_days: float, outage_start_day: float,
               standby_fraction: float) -> np.ndarray:
    """Flat process load with a yearly turnaround at standby; sums to annual_kwh."""
    weights = np.where(outage_mask(index, outage_days, outage_start_day), standby_fraction, 1.0)
    return scale_to_annual(weights, annual_kwh)


def _epoch_seconds(times: pd.DatetimeIndex) -> np.ndarray:
    """Seconds since 1970 whatever the index's resolution (pandas 3 defaults to microseconds)."""
    return times.as_unit("ns").asi8 / 1e9


def dark_fraction(index: pd.DatetimeIndex, latitude_deg: float, longitude_deg: float) -> np.ndarray:
    """Fraction of each hour [t, t + 1 h) during which the sun is below the horizon."""
    days = pd.DatetimeIndex(index[::24].normalize())
    rst = pvlib.solarposition.sun_rise_set_transit_spa(days, latitude_deg, longitude_deg)
    start = _epoch_seconds(index)  # hour start
    day_of_hour = np.repeat(np.arange(len(days)), 24)
    rise_s = _epoch_seconds(pd.DatetimeIndex(rst["sunrise"]))[day_of_hour]
    set_s = _epoch_seconds(pd.DatetimeIndex(rst["sunset"]))[day_of_hour]
    light = np.clip(np.minimum(start + 3600.0, set_s) - np.maximum(start, rise_s), 0.0, 3600.0) / 3600.0
    return 1.0 - light


def street_lights_kw(index: pd.DatetimeIndex, n_lamps: int, lamp_w: float, latitude_deg: float,
                     longitude_deg: float, dark: np.ndarray | None = None) -> np.ndarray:
    """Hourly load (kW, hour means) of dusk-to-dawn street lights."""
    dark = dark_fraction(index, latitude_deg, longitude_deg) if dark is None else dark
    return n_lamps * lamp_w / 1000.0 * dark
