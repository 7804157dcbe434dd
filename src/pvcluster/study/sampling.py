"""The cases of a study: a table with one row per case and one column per parameter.

Sampling and sensitivity designs come from SALib (Latin hypercube, Saltelli/Sobol', Morris); plain
Monte Carlo is numpy's generator. Every sampled design is drawn on the unit hypercube and mapped to
each parameter's distribution by its inverse CDF (scipy.stats), so a design's structure (strata,
radial steps, trajectories) carries over to any distribution. Rank correlations are imposed by the
Iman-Conover method (1982), which reorders each column and so keeps every marginal and every LHS
stratum.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pvcluster.study.spec import ParameterSpec, StudySpec

MORRIS_LEVELS = 4


def morris_quantiles(u: np.ndarray) -> np.ndarray:
    """Morris's grid {0, 1/3, 2/3, 1} as the centres of equal-probability bins {1/8, 3/8, 5/8, 7/8}: an
    unbounded distribution is then never evaluated at its 1e-12 tails (the steps stay equal)."""
    p = MORRIS_LEVELS
    return (np.asarray(u) * (p - 1) + 0.5) / p


WEATHER_YEAR = "weather_year"  # the column of the ensemble year (0-based) when weather_years is set


def ppf(p: ParameterSpec, u: np.ndarray) -> np.ndarray:
    """The parameter's values at probabilities ``u`` (inverse CDF of its distribution)."""
    u = np.clip(np.asarray(u, dtype=float), 1e-12, 1 - 1e-12)
    d = p.distribution
    if d == "uniform":
        return stats.uniform.ppf(u, loc=p.low, scale=p.high - p.low)
    if d == "triangular":
        c = (p.mode - p.low) / (p.high - p.low)
        return stats.triang.ppf(u, c, loc=p.low, scale=p.high - p.low)
    if d == "normal":
        if p.low is None and p.high is None:
            return stats.norm.ppf(u, loc=p.mean, scale=p.sd)
        a = -np.inf if p.low is None else (p.low - p.mean) / p.sd
        b = np.inf if p.high is None else (p.high - p.mean) / p.sd
        return stats.truncnorm.ppf(u, a, b, loc=p.mean, scale=p.sd)
    if d == "lognormal":  # mean and sd of the value itself
        sigma2 = np.log1p((p.sd / p.mean) ** 2)
        mu = np.log(p.mean) - 0.5 * sigma2
        return stats.lognorm.ppf(u, np.sqrt(sigma2), scale=np.exp(mu))
    if d == "discrete":
        w = np.asarray(p.weights, dtype=float) if p.weights else np.ones(len(p.values))
        cum = np.cumsum(w / w.sum())
        idx = np.minimum(np.searchsorted(cum, u, side="right"), len(p.values) - 1)
        return np.asarray(p.values, dtype=object)[idx]
    raise ValueError(f"no distribution for {p.key}")


def _year_of(u: np.ndarray, years: int) -> np.ndarray:
    return np.minimum((np.asarray(u) * years).astype(int), years - 1)


def iman_conover(x: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reorder each column of ``x`` (n x d) so its rank correlation approaches ``target`` (d x d).

    Van der Waerden scores are given the target correlation by a Cholesky transform (after removing
    the sample correlation of the scores themselves); each column of ``x`` then takes the ranks of its
    transformed scores. Marginals are unchanged (only the order of each column moves)."""
    n, d = x.shape
    scores = stats.norm.ppf(np.arange(1, n + 1) / (n + 1))
    s = np.column_stack([rng.permutation(scores) for _ in range(d)])
    e = np.corrcoef(s, rowvar=False)
    p = np.linalg.cholesky(target)
    q = np.linalg.cholesky(e)
    t = s @ np.linalg.inv(q).T @ p.T
    out = np.empty_like(x)
    for j in range(d):
        ranks = np.argsort(np.argsort(t[:, j]))
        out[:, j] = np.sort(x[:, j])[ranks]
    return out


def _salib_problem(names: list[str]) -> dict:
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def unit_design(spec: StudySpec, dims: int, names: list[str]) -> np.ndarray:
    """The design on the unit hypercube (rows = cases) for the sampled methods."""
    if spec.method == "monte_carlo":
        return np.random.default_rng(spec.seed).random((spec.samples, dims))
    if spec.method == "lhs":
        from SALib.sample import latin

        return latin.sample(_salib_problem(names), spec.samples, seed=spec.seed)
    if spec.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(_salib_problem(names), spec.samples, calc_second_order=False, seed=spec.seed,
                            scramble=True)
    if spec.method == "morris":
        from SALib.sample import morris

        return morris.sample(_salib_problem(names), spec.samples, num_levels=MORRIS_LEVELS, seed=spec.seed)
    raise ValueError(spec.method)


def design(spec: StudySpec, base_values: dict[str, Any], ensemble_years: int = 0) -> pd.DataFrame:
    """The study's cases: a ``case`` index from 0, one column per parameter key (and ``weather_year``).

    ``base_values`` gives each parameter's value in the base scenario (oat's centre and the levels of
    a parameter given neither values nor bounds). For oat, case 0 is the base case, then each
    parameter's levels one at a time."""
    params = list(spec.parameters)
    keys = [p.key for p in params]
    years = ensemble_years if spec.weather_years else 0
    if spec.method == "grid":
        levels = [p.values for p in params] + ([tuple(range(years))] if years else [])
        rows = list(itertools.product(*levels))
        table = pd.DataFrame(rows, columns=keys + ([WEATHER_YEAR] if years else []))
    elif spec.method == "oat":
        base_row = {k: base_values.get(k) for k in keys}
        rows = [dict(base_row)]
        for p in params:
            for level in oat_levels(p, base_values.get(p.key), spec.delta_fraction):
                rows.append({**base_row, p.key: level})
        table = pd.DataFrame(rows, columns=keys)
        if years:  # every case on every ensemble year
            table = table.merge(pd.DataFrame({WEATHER_YEAR: range(years)}), how="cross")
    else:
        names = keys + ([WEATHER_YEAR] if years else [])
        u = unit_design(spec, len(names), names)
        if spec.method == "morris":
            u = morris_quantiles(u)
        if spec.correlation:
            rng = np.random.default_rng(spec.seed + 1)
            u[:, :len(keys)] = iman_conover(u[:, :len(keys)], np.asarray(spec.correlation), rng)
        columns = {p.key: ppf(p, u[:, j]) for j, p in enumerate(params)}
        if years:
            columns[WEATHER_YEAR] = _year_of(u[:, len(keys)], years)
        table = pd.DataFrame(columns)
    table.index.name = "case"
    for p in params:  # numbers stay numbers (a discrete column is object-typed by ppf); integers stay integers
        col = table[p.key]
        if col.map(lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)).all():
            table[p.key] = col.astype("int64")
        elif col.map(lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool)).all():
            table[p.key] = col.astype(float)
    return table


def oat_levels(p: ParameterSpec, base: Any, delta: float) -> list:
    """A parameter's one-at-a-time levels: its values, or low and high, or base x (1 -/+ delta)."""
    if p.values:
        return list(p.values)
    if p.low is not None and p.high is not None:
        return [p.low, p.high]
    low, high = sorted((base * (1.0 - delta), base * (1.0 + delta)))  # a negative base: low stays low
    if isinstance(base, int) and not isinstance(base, bool):  # an integer key takes integer levels
        return [int(round(low)), int(round(high))]
    return [low, high]
