"""Household electricity demand: seeded, diverse households summed into a village load.

The average household's hourly load is

    P_t = E_year * f_month(t) * w[season(t), daytype(t)][hour(t)] / sum_t(f_month * w)

so its annual energy over the index equals ``E_year``. Seasons are KEPCO's (summer Jun-Aug,
spring/autumn Mar-May and Sep-Oct, winter Nov-Feb); the day type is "day off" on Saturdays,
Sundays and public holidays, so a holiday looks like a Sunday. Shapes are relative power
levels: a day-off shape that sums higher than the workday shape means more use on days off.

Household i differs by a lognormal size factor ``s_i`` (normalized so the village mean is 1),
a shift of its daily routine by ``k_i`` whole hours, and lognormal hour-to-hour noise
renormalized to keep its annual energy. The village load is the sum, so its peak is well below
N times one household's peak (the coincidence factor is reported).

Symbols: E_year annual kWh (``annual_kwh``), f_month month factor (``month_factors``),
w hour-of-day shape (``shapes[season][daytype]``), s_i size (``size``), k_i shift (``shifts``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvcluster.calendar import day_off_mask, season_index


def shaped_weights(index: pd.DatetimeIndex, shapes: np.ndarray, month_factors: np.ndarray,
                   day_off: np.ndarray | None = None) -> np.ndarray:
    """Relative hourly power ``f_month * w[season, daytype][hour]`` (not normalized).

    ``shapes`` has shape (seasons, 2, 24): season (summer, spring/autumn, winter; or a single
    season for all months) by day type (workday, day off) by hour of day.
    """
    shapes = np.asarray(shapes, dtype=float)
    day_off = day_off_mask(index) if day_off is None else np.asarray(day_off, dtype=bool)
    season = season_index(index) if shapes.shape[0] > 1 else np.zeros(len(index), dtype=int)
    hour = index.hour.to_numpy()
    w = shapes[season, day_off.astype(int), hour]
    return w * np.asarray(month_factors, dtype=float)[index.month.to_numpy() - 1]


def scale_to_annual(weights: np.ndarray, annual_kwh: float) -> np.ndarray:
    """Hourly kW whose sum over the year equals ``annual_kwh`` (hour means, so kW = kWh)."""
    total = weights.sum()
    if total <= 0:
        raise ValueError("a load shape must have at least one positive weight in the year")
    return annual_kwh * weights / total


def average_household_kw(index: pd.DatetimeIndex, annual_kwh: float, month_factors: np.ndarray,
                         shapes: np.ndarray, day_off: np.ndarray | None = None) -> np.ndarray:
    """Hourly load (kW) of the average household; sums to ``annual_kwh`` over the index."""
    return scale_to_annual(shaped_weights(index, shapes, month_factors, day_off), annual_kwh)


def _household_chunks(index: pd.DatetimeIndex, n_households: int, annual_kwh: float, month_factors: np.ndarray,
                      shapes: np.ndarray, size_sd_fraction: float, hour_shift_sd_h: float,
                      hourly_noise_sd_fraction: float, rng: np.random.Generator, day_off: np.ndarray | None,
                      chunk: int):
    """Hourly loads (kW) of the households, ``chunk`` rows at a time: the same draws, in the same order,
    as one (n_households, hours) array, so memory stays that of one chunk however many households."""
    base = average_household_kw(index, annual_kwh, month_factors, shapes, day_off)
    if n_households == 0:
        return
    size = rng.lognormal(0.0, size_sd_fraction, n_households) if size_sd_fraction > 0 else np.ones(n_households)
    size = size / size.mean()
    shifts = np.rint(rng.normal(0.0, hour_shift_sd_h, n_households)).astype(int)
    s = hourly_noise_sd_fraction
    total = base.sum()
    distinct, which = np.unique(shifts, return_inverse=True)
    rolled = np.stack([np.roll(base, k) for k in distinct])  # the routine at each shift that occurs
    for start in range(0, n_households, chunk):
        rows = slice(start, min(start + chunk, n_households))
        loads = rolled[which[rows]]
        if s > 0:
            loads *= rng.lognormal(-0.5 * s * s, s, loads.shape)
            loads *= (total / loads.sum(axis=1))[:, None]
        loads *= size[rows, None]
        yield loads


def village_households_kw(index: pd.DatetimeIndex, n_households: int, annual_kwh: float,
                          month_factors: np.ndarray, shapes: np.ndarray, size_sd_fraction: float,
                          hour_shift_sd_h: float, hourly_noise_sd_fraction: float,
                          rng: np.random.Generator, day_off: np.ndarray | None = None) -> np.ndarray:
    """Hourly load (kW) of each household, shape (n_households, hours)."""
    parts = list(_household_chunks(index, n_households, annual_kwh, month_factors, shapes, size_sd_fraction,
                                   hour_shift_sd_h, hourly_noise_sd_fraction, rng, day_off, max(n_households, 1)))
    return np.concatenate(parts) if parts else np.zeros((0, len(index)))


def village_households_total(index: pd.DatetimeIndex, n_households: int, annual_kwh: float,
                             month_factors: np.ndarray, shapes: np.ndarray, size_sd_fraction: float,
                             hour_shift_sd_h: float, hourly_noise_sd_fraction: float, rng: np.random.Generator,
                             day_off: np.ndarray | None = None, chunk: int = 256) -> tuple[np.ndarray, dict]:
    """The village's summed household load (kW, hours) and its :func:`coincidence` statistics, from
    the households of :func:`village_households_kw` generated ``chunk`` at a time (a 10,000-household
    village never holds 10,000 hourly rows at once)."""
    total = np.zeros(len(index))
    singles = []
    for loads in _household_chunks(index, n_households, annual_kwh, month_factors, shapes, size_sd_fraction,
                                   hour_shift_sd_h, hourly_noise_sd_fraction, rng, day_off, chunk):
        total += loads.sum(axis=0)
        singles.append(loads.max(axis=1))
    return total, _coincidence_of(total, np.concatenate(singles) if singles else np.zeros(0))


def coincidence(loads: np.ndarray) -> dict[str, float]:
    """Peak statistics of a group of loads (rows): the group's peak against the individual peaks.

    ``coincidence_factor = max_t sum_i P_i,t / sum_i max_t P_i,t``; 1 means every household peaks
    in the same hour, 1/N means the peaks never overlap.
    """
    if len(loads) == 0:
        return _coincidence_of(np.zeros(0), np.zeros(0))
    return _coincidence_of(loads.sum(axis=0), loads.max(axis=1))


def _coincidence_of(total_kw: np.ndarray, single_peaks_kw: np.ndarray) -> dict[str, float]:
    if len(single_peaks_kw) == 0:
        return {"peak_kw": 0.0, "single_peak_kw_mean": 0.0, "single_peak_kw_max": 0.0,
                "sum_of_single_peaks_kw": 0.0, "coincidence_factor": 0.0}
    peak = float(total_kw.max())
    return {"peak_kw": peak, "single_peak_kw_mean": float(single_peaks_kw.mean()),
            "single_peak_kw_max": float(single_peaks_kw.max()), "sum_of_single_peaks_kw": float(single_peaks_kw.sum()),
            "coincidence_factor": peak / float(single_peaks_kw.sum())}
