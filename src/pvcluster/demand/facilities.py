"""Public facilities of a village: the village hall and street lights.

Village hall: ``P_t = E_year * w_daytype(t)[hour(t)] / sum_t w``, an office-hours shape.

Street lights: ``P_t = n_lamps * P_lamp * dark_t`` where ``dark_t`` is the fraction of hour t
during which the sun is below the horizon at the site (from pvlib's SPA sunrise and sunset
times), so lamps draw power only between sunset and sunrise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

from pvcluster.weather.calendar import weekend_mask


def office_kw(index: pd.DatetimeIndex, annual_kwh: float, weekday_shape: np.ndarray,
              weekend_shape: np.ndarray, day_off: np.ndarray | None = None) -> np.ndarray:
    """Hourly load (kW) of a public building open on weekdays; sums to annual_kwh."""
    day_off = weekend_mask(index) if day_off is None else day_off
    hour = index.hour.to_numpy()
    wd = np.asarray(weekday_shape, dtype=float)
    we = np.asarray(weekend_shape, dtype=float)
    weights = np.where(day_off, we[hour] / we.sum(), wd[hour] / wd.sum())
    return annual_kwh * weights / weights.sum()


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
                     longitude_deg: float) -> np.ndarray:
    """Hourly load (kW, hour means) of dusk-to-dawn street lights."""
    return n_lamps * lamp_w / 1000.0 * dark_fraction(index, latitude_deg, longitude_deg)
