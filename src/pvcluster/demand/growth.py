"""Year-by-year factors that scale each load's reference hourly profile over the project.

A load's energy in calendar year y is ``E_y = E_ref * g_y`` with

    households:  g_y = ((1 + r_n) * (1 + r_e)) ** (y - y0)
    facilities:  g_y = 0 before the start year y_s;
                 ramp[y - y_s] during the ramp-up years; then (1 + r) ** (y - y_s - len(ramp))

where y0 is the base year, r_n the change in the number of households, r_e the change of one
household's use, ramp the ramp-up fractions and r a facility's growth once at full operation.
"""

from __future__ import annotations

import numpy as np


def compound_factors(years: np.ndarray, first_year: int, rate_fraction: float) -> np.ndarray:
    """``(1 + r) ** (y - first_year)``: 1 in the first year."""
    return (1.0 + rate_fraction) ** (np.asarray(years) - first_year)


def facility_factors(years: np.ndarray, start_year: int, ramp_up_fractions: tuple[float, ...] = (),
                     growth_fraction_per_year: float = 0.0) -> np.ndarray:
    """Factor of a facility's full-operation energy in each year (0 before it starts)."""
    years = np.asarray(years)
    k = years - start_year  # years in operation
    ramp = np.asarray(ramp_up_fractions, dtype=float)
    n = len(ramp)
    full = (1.0 + growth_fraction_per_year) ** np.clip(k - n, 0, None)
    ramped = ramp[np.clip(k, 0, max(n - 1, 0))] if n else np.ones(len(years))
    return np.where(k < 0, 0.0, np.where(k < n, ramped, full))
