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


def npv(rate_fraction, flows: np.ndarray):
    """Net present value with flows[0] at t = 0 (undiscounted). ``flows`` of shape (K, T) are K cash flows
    (one a row, each at its own rate when ``rate_fraction`` has K values): K NPVs."""
    flows = np.asarray(flows, dtype=float)
    if flows.ndim == 1:
        return float(npf.npv(rate_fraction, flows))
    rate = np.asarray(rate_fraction, dtype=float).reshape(-1, 1)
    return (flows / (1.0 + rate) ** np.arange(flows.shape[1])).sum(axis=1)


def irr(flows: np.ndarray) -> float | None:
    """Internal rate of return, or None when it does not exist (no sign change, no real root)."""
    return irr_rows(np.asarray(flows, dtype=float)[None, :])[0]


def irr_rows(flows: np.ndarray) -> list[float | None]:
    """:func:`irr` of each row of ``flows`` (K, T), as numpy-financial computes it (``npf.irr``: the real
    positive roots of the NPV polynomial, the rate closest to zero), with the rows whose polynomials
    have the same degree solved in one batched eigenvalue call."""
    flows = np.asarray(flows, dtype=float)
    out: list[float | None] = [None] * len(flows)
    groups: dict[tuple[int, int], list[int]] = {}
    for i, row in enumerate(flows):
        if not (np.any(row > 0) and np.any(row < 0)):
            continue  # no sign change: no IRR
        coefficients = row[::-1]  # np.roots order: the highest power first
        nonzero = np.flatnonzero(coefficients)
        groups.setdefault((int(nonzero[0]), int(nonzero[-1])), []).append(i)
    for (first, last), rows in groups.items():
        p = flows[rows][:, ::-1][:, first:last + 1]
        trailing = flows.shape[1] - last - 1
        degree = p.shape[1] - 1
        if degree >= 1:  # the companion matrix of each row, as np.roots builds it
            companion = np.zeros((len(rows), degree, degree))
            if degree > 1:
                companion[:, np.arange(1, degree), np.arange(degree - 1)] = 1.0
            companion[:, 0, :] = -p[:, 1:] / p[:, :1]
            roots = np.linalg.eigvals(companion)
        else:
            roots = np.zeros((len(rows), 0), dtype=complex)
        for j, i in enumerate(rows):
            res = np.hstack((roots[j], np.zeros(trailing, roots.dtype)))
            mask = (res.imag == 0) & (res.real > 0)
            if not mask.any():
                continue
            rate = 1 / res[mask].real - 1
            value = rate.item(np.argmin(np.abs(rate)))
            out[i] = float(value) if math.isfinite(value) else None
    return out


def lcoe(rate_fraction: float, costs: np.ndarray, energy_kwh: np.ndarray) -> float | None:
    """Levelized cost of energy (currency per kWh); None when no energy is delivered."""
    denominator = npv(rate_fraction, energy_kwh)
    if denominator <= 0:
        return None
    return npv(rate_fraction, costs) / denominator


def payback_year(flows: np.ndarray) -> int | None:
    """First year index at which cumulative cash flow turns non-negative (None if never)."""
    return payback_rows(np.asarray(flows, dtype=float)[None, :])[0]


def payback_rows(flows: np.ndarray) -> list[int | None]:
    """:func:`payback_year` of each row of ``flows`` (K, T): the year after the last one whose cumulative
    cash flow is negative (None when the last one is)."""
    cumulative = np.cumsum(np.asarray(flows, dtype=float), axis=1)
    negative = cumulative < 0
    last_negative = np.where(negative.any(axis=1), cumulative.shape[1] - 1 - np.argmax(negative[:, ::-1], axis=1), -1)
    return [None if cumulative[i, -1] < 0 else int(last_negative[i] + 1) for i in range(len(cumulative))]


def bracket_tax(income, thresholds: np.ndarray, rates: np.ndarray):
    """Progressive tax: ``rates[i]`` applies to the slice of income between thresholds i-1 and i.
    ``income`` may be an array (the tax of each element)."""
    bounds = np.concatenate([[0.0], np.asarray(thresholds, dtype=float), [np.inf]])
    rates = np.asarray(rates, dtype=float)
    if len(rates) != len(bounds) - 1:
        raise ValueError(f"{len(rates)} tax rates for {len(bounds) - 1} brackets")
    x = np.asarray(income, dtype=float)
    tax = np.zeros(x.shape)
    for lower, upper, rate in zip(bounds[:-1], bounds[1:], rates):  # bracket by bracket: the same sums for any shape
        tax = tax + np.clip(x - lower, 0.0, upper - lower) * rate
    tax = np.where(x <= 0, 0.0, tax)  # no tax on a loss; NaN income stays NaN
    return float(tax) if tax.ndim == 0 else tax


def corporate_tax(taxable_income: np.ndarray, thresholds: np.ndarray, rates: np.ndarray,
                  local_fraction_of_cit: float, carryforward_years: int | None = None) -> np.ndarray:
    """Corporate income tax plus local income tax, year by year, with losses carried forward.

    A year's loss offsets the profits of the next ``carryforward_years`` years, oldest loss
    first (Korea: 15 years for losses from 2021 on); ``None`` keeps losses without a limit.
    ``taxable_income`` of shape (K, T) holds K projects' years, one a row (the tax of each).
    """
    income = np.asarray(taxable_income, dtype=float)
    rows = np.atleast_2d(income)
    left = np.maximum(rows, 0.0)  # the profit still taxed after the losses it absorbs
    for i in np.flatnonzero((rows < 0).any(axis=1)):  # a row with losses, year by year in plain floats
        losses: list[list[float]] = []  # [year of the loss, amount left]
        for k, value in enumerate(rows[i].tolist()):
            if carryforward_years is not None:
                losses = [entry for entry in losses if k - entry[0] <= carryforward_years]
            if value < 0:
                losses.append([k, -value])
                continue
            for entry in losses:  # the oldest loss first
                used = min(entry[1], value)
                entry[1] -= used
                value -= used
            losses = [entry for entry in losses if entry[1] > 0]
            left[i, k] = value
    tax = bracket_tax(left, thresholds, rates) * (1.0 + local_fraction_of_cit)
    return tax.reshape(income.shape)


def straight_line_depreciation(capex, years: int, start: int, horizon: int) -> np.ndarray:
    """Equal depreciation of ``capex`` over ``years`` from index ``start`` within ``horizon`` years
    (``capex`` of K values: K schedules, one a row)."""
    basis = np.asarray(capex, dtype=float)
    schedule = np.zeros(basis.shape + (horizon,))
    end = min(horizon, start + years)
    schedule[..., start:end] = (basis / years)[..., None]
    return schedule


def declining_balance_depreciation(capex, years: int, start: int, horizon: int,
                                   factor: float = 2.0) -> np.ndarray:
    """Declining balance at ``factor / years`` a year, switching to straight line on what is left
    when that is larger, so the basis is fully written off in ``years`` years (``capex`` of K values:
    K schedules, one a row)."""
    left = np.array(capex, dtype=float)
    schedule = np.zeros(left.shape + (horizon,))
    for j in range(years):
        t = start + j
        if t >= horizon:
            break
        charge = np.maximum(left * factor / years, left / (years - j))
        schedule[..., t] = np.minimum(charge, left)
        left = left - schedule[..., t]
    return schedule
