"""Household electricity demand: seeded, diverse households summed into a village load.

The average household's hourly load is
``P_t = E_year * f_month(t) * w_daytype(t)[hour(t)] / sum_t(f_month * w_daytype)``
so its annual energy equals ``E_year = 12 * household_kwh_per_month``. Household i differs by
a lognormal size factor ``s_i`` (normalized so the village mean is 1), a shift of its daily
routine by ``k_i`` whole hours, and lognormal hour-to-hour noise renormalized to keep its
annual energy. The village load is the sum, so its peak is well below N times one peak.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvcluster.weather.calendar import weekend_mask


def average_household_kw(index: pd.DatetimeIndex, annual_kwh: float, month_factors: np.ndarray,
                         weekday_shape: np.ndarray, weekend_shape: np.ndarray,
                         day_off: np.ndarray | None = None) -> np.ndarray:
    """Hourly load (kW) of the average household; sums to ``annual_kwh`` over the index."""
    day_off = weekend_mask(index) if day_off is None else day_off
    hour = index.hour.to_numpy()
    weekday = np.asarray(weekday_shape, dtype=float)
    weekend = np.asarray(weekend_shape, dtype=float)
    weights = np.where(day_off, weekend[hour] / weekend.sum(), weekday[hour] / weekday.sum())
    weights = weights * np.asarray(month_factors, dtype=float)[index.month.to_numpy() - 1]
    return annual_kwh * weights / weights.sum()


def village_households_kw(index: pd.DatetimeIndex, n_households: int, annual_kwh: float,
                          month_factors: np.ndarray, weekday_shape: np.ndarray,
                          weekend_shape: np.ndarray, size_sd_fraction: float, hour_shift_sd_h: float,
                          hourly_noise_sd_fraction: float, rng: np.random.Generator,
                          day_off: np.ndarray | None = None) -> np.ndarray:
    """Hourly load (kW) of each household, shape (n_households, hours)."""
    base = average_household_kw(index, annual_kwh, month_factors, weekday_shape, weekend_shape, day_off)
    if n_households == 0:
        return np.zeros((0, len(index)))
    size = rng.lognormal(0.0, size_sd_fraction, n_households) if size_sd_fraction > 0 else np.ones(n_households)
    size = size / size.mean()
    shifts = np.rint(rng.normal(0.0, hour_shift_sd_h, n_households)).astype(int)
    loads = np.stack([np.roll(base, k) for k in shifts])
    if hourly_noise_sd_fraction > 0:
        s = hourly_noise_sd_fraction
        loads = loads * rng.lognormal(-0.5 * s * s, s, loads.shape)
        loads = loads * (base.sum() / loads.sum(axis=1))[:, None]
    return loads * size[:, None]
