"""The model's calendar: 8760 hour-beginning labels, tz-aware, February 29 dropped.

A bottom-layer module (it imports no stage): weather, demand, sizing and the market's tariff
calendar use it. Every stage uses the same index, so series line up without reindexing. A leap year's
February 29 is dropped (the usual TMY convention), which keeps a year at 8760 rows.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported where an index is made: a sizing worker needs none (0.2-0.4 s)
    import pandas as pd

HOURS_PER_YEAR = 8760


def hourly_index(year: int, timezone: str) -> pd.DatetimeIndex:
    """8760 hourly labels of ``year`` in ``timezone``, each the beginning of its hour."""
    import pandas as pd

    index = pd.date_range(f"{year}-01-01 00:00", f"{year}-12-31 23:00", freq="h", tz=timezone)
    index = index[~((index.month == 2) & (index.day == 29))]
    offsets = index.tz_localize(None) - index.tz_convert("UTC").tz_localize(None)
    if len(index) != HOURS_PER_YEAR or offsets.nunique() != 1:  # daylight saving shifts the clock
        raise ValueError(
            f"time zone {timezone!r} gives {len(index)} hours in {year}; pvcluster needs a zone "
            "without daylight saving (a fixed offset such as 'Etc/GMT-9' or 'Asia/Seoul')")
    return index


_MEMO: dict = {}  # (what, the index's timestamps, time zone, ...) -> read-only arrays; the last 16 kept
_MEMO_LOCK = threading.Lock()  # a Dask worker may run cases in threads


def _by_index(what: str, index: pd.DatetimeIndex, more: tuple, build):
    """``build()`` (an array or a tuple of arrays, made read-only), memoized by the index's timestamps."""
    key = (what, np.asarray(index.asi8).tobytes(), str(index.tz), *more)
    value = _MEMO.get(key)
    if value is None:
        value = build()
        for a in value if isinstance(value, tuple) else (value,):
            a.flags.writeable = False
        with _MEMO_LOCK:
            if len(_MEMO) >= 16:
                _MEMO.pop(next(iter(_MEMO)))
            _MEMO[key] = value
    return value


def clock_fields(index: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Month (1-12), hour (0-23) and day of the week (Monday 0) of every label, read-only.

    Memoized by the index's timestamps like :func:`holiday_mask`: a study's every case prices the same
    year, and pandas' date fields of 8,760 hours cost 3.5 ms a case."""
    return _by_index("clock", index, (), lambda: (index.month.to_numpy(), index.hour.to_numpy(),
                                                   index.day_of_week.to_numpy()))


def weekend_mask(index: pd.DatetimeIndex) -> np.ndarray:
    """True on Saturdays and Sundays."""
    return np.asarray(index.day_of_week >= 5)


#: KEPCO's tariff seasons by month (Jan..Dec): 0 summer (Jun-Aug), 1 spring/autumn (Mar-May,
#: Sep-Oct), 2 winter (Nov-Feb). The same split is used for load shapes so they line up with tariffs.
SEASONS = ("summer", "spring_autumn", "winter")
SEASON_OF_MONTH = np.array([2, 2, 1, 1, 1, 0, 0, 0, 1, 1, 2, 2])


def season_index(index: pd.DatetimeIndex) -> np.ndarray:
    """KEPCO season of each hour: 0 summer, 1 spring/autumn, 2 winter."""
    return SEASON_OF_MONTH[index.month.to_numpy() - 1]


def public_holidays(index: pd.DatetimeIndex, country: str = "KR") -> dict:
    """Public holidays (date -> name) in the years of ``index``, substitute holidays included.

    Korean holidays follow the lunar calendar (Seollal, Chuseok, Buddha's Birthday) and the
    substitute-holiday rules; the ``holidays`` package computes both for any year.
    """
    import holidays

    years = sorted(set(index.year))
    return dict(holidays.country_holidays(country, years=years))


def holiday_mask(index: pd.DatetimeIndex, country: str = "KR", temporary: bool = True) -> np.ndarray:
    """True in every hour of a public holiday; ``temporary = False`` leaves out the ad-hoc temporary
    public holidays (KEPCO bills those as ordinary days: 기본공급약관 별표, 단서 3호).

    Memoized by the index's timestamps: a study prices the same year's calendar in every case, and
    the holidays and the dates of 8,760 hours took 5 ms of its 60 ms of finance a case. The mask is
    returned read-only."""
    def build() -> np.ndarray:
        days = {d for d, name in public_holidays(index, country).items() if temporary or "Temporary" not in name}
        return np.fromiter((d in days for d in index.date), dtype=bool, count=len(index))

    return _by_index("holidays", index, (country, temporary), build)


def day_off_mask(index: pd.DatetimeIndex, country: str = "KR") -> np.ndarray:
    """True on Saturdays, Sundays and public holidays: the days that take the day-off shape."""
    return weekend_mask(index) | holiday_mask(index, country)
