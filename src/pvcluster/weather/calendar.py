"""The model's calendar: 8760 hour-beginning labels, tz-aware, February 29 dropped.

Every stage uses the same index, so series line up without reindexing. A leap year's
February 29 is dropped (the usual TMY convention), which keeps a year at 8760 rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HOURS_PER_YEAR = 8760


def hourly_index(year: int, timezone: str) -> pd.DatetimeIndex:
    """8760 hourly labels of ``year`` in ``timezone``, each the beginning of its hour."""
    index = pd.date_range(f"{year}-01-01 00:00", f"{year}-12-31 23:00", freq="h", tz=timezone)
    index = index[~((index.month == 2) & (index.day == 29))]
    offsets = index.tz_localize(None) - index.tz_convert("UTC").tz_localize(None)
    if len(index) != HOURS_PER_YEAR or offsets.nunique() != 1:  # daylight saving shifts the clock
        raise ValueError(
            f"time zone {timezone!r} gives {len(index)} hours in {year}; pvcluster needs a zone "
            "without daylight saving (a fixed offset such as 'Etc/GMT-9' or 'Asia/Seoul')")
    return index


def weekend_mask(index: pd.DatetimeIndex) -> np.ndarray:
    """True on Saturdays and Sundays."""
    return np.asarray(index.day_of_week >= 5)
