"""Cash-flow engine: pure functions on annual arrays (numbers in, numbers out).

Time convention (numpy-financial's): ``flows[0]`` happens at t = 0 and is not discounted;
``flows[k]`` is discounted by ``(1 + r)^k``. Construction years come first (capex at
t = 0 .. c-1), then operating years t = c .. c+N-1, each flow placed at the end of its year
relative to t = 0.

LCOE (real, pre-tax) = sum_k C_k / (1 + r)^k  /  sum_k E_k / (1 + r)^k, where C_k is capex
plus operating cost and E_k the energy delivered in year k (kWh AC at the meter). The
denominator discounts energy at the same rate as money, as SAM and NREL's ATB do.
"""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf


def npv(rate_fraction: float, flows: np.ndarray) -> float:
    """Net present value with flows[0] at t = 0 (undiscounted)."""
    return float(npf.npv(rate_fraction, np.asarray(flows, dtype=float)))


def irr(flows: np.ndarray) -> float | None:
    """Internal rate of return, or None when it does not exist (no sign change, no real root)."""
    flows = np.asarray(flows, dtype=float)
    if not (np.any(flows > 0) and np.any(flows < 0)):
        return None
    value = npf.irr(flows)
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def lcoe(rate_fraction: float, costs: np.ndarray, energy_kwh: np.ndarray) -> float | None:
    """Levelized cost of energy (currency per kWh); None when no energy is delivered."""
    denominator = npv(rate_fraction, energy_kwh)
    if denominator <= 0:
        return None
    return npv(rate_fraction, costs) / denominator


def payback_year(flows: np.ndarray) -> int | None:
    """First year index at which cumulative cash flow turns non-negative (None if never)."""
    cumulative = np.cumsum(np.asarray(flows, dtype=float))
    if cumulative[-1] < 0:
        return None
    for k in range(len(cumulative)):
        if (cumulative[k:] >= 0).all():
            return k
    return None


def bracket_tax(income: float, thresholds: np.ndarray, rates: np.ndarray) -> float:
    """Progressive tax: ``rates[i]`` applies to the slice of income between thresholds i-1 and i."""
    if income <= 0:
        return 0.0
    bounds = np.concatenate([[0.0], np.asarray(thresholds, dtype=float), [np.inf]])
    if len(rates) != len(bounds) - 1:
        raise ValueError(f"{len(rates)} tax rates for {len(bounds) - 1} brackets")
    slices = np.clip(income - bounds[:-1], 0.0, bounds[1:] - bounds[:-1])
    return float(slices @ np.asarray(rates, dtype=float))


def corporate_tax(taxable_income: np.ndarray, thresholds: np.ndarray, rates: np.ndarray,
                  local_fraction_of_cit: float, carryforward_years: int | None = None) -> np.ndarray:
    """Corporate income tax plus local income tax, year by year, with losses carried forward.

    A year's loss offsets the profits of the next ``carryforward_years`` years, oldest loss
    first (Korea: 15 years for losses from 2021 on); ``None`` keeps losses without a limit.
    """
    tax = np.zeros(len(taxable_income))
    losses: list[list[float]] = []  # [year of the loss, amount left]
    for k, income in enumerate(np.asarray(taxable_income, dtype=float)):
        if carryforward_years is not None:
            losses = [entry for entry in losses if k - entry[0] <= carryforward_years]
        if income < 0:
            losses.append([k, -income])
            continue
        left = income
        for entry in losses:
            used = min(entry[1], left)
            entry[1] -= used
            left -= used
        losses = [entry for entry in losses if entry[1] > 0]
        tax[k] = bracket_tax(left, thresholds, rates) * (1.0 + local_fraction_of_cit)
    return tax


def straight_line_depreciation(capex: float, years: int, start: int, horizon: int) -> np.ndarray:
    """Equal depreciation of ``capex`` over ``years`` from index ``start`` within ``horizon`` years."""
    schedule = np.zeros(horizon)
    end = min(horizon, start + years)
    schedule[start:end] = capex / years
    return schedule


def declining_balance_depreciation(capex: float, years: int, start: int, horizon: int,
                                   factor: float = 2.0) -> np.ndarray:
    """Declining balance at ``factor / years`` a year, switching to straight line on what is left
    when that is larger, so the basis is fully written off in ``years`` years."""
    schedule = np.zeros(horizon)
    left = float(capex)
    for j in range(years):
        t = start + j
        if t >= horizon:
            break
        charge = max(left * factor / years, left / (years - j))
        schedule[t] = min(charge, left)
        left -= schedule[t]
    return schedule
