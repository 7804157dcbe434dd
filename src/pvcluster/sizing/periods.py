"""Time grids of the sizing model: the full hourly year, or typical days.

A :class:`TimeGrid` says what each time step of the model stands for: ``weights[t]`` hours of
the year (1 for the full year; the number of days a typical day represents for typical days),
the periods the steps form (one 8760-hour period, or K days of 24 hours), which month each
step's hours fall in (for monthly demand charges) and, for typical days, the typical day of
every day of the year (for chronological storage linking, Kotzur et al. 2018).

Typical days are chosen by Ward hierarchical clustering (scipy) of the days' normalized
profiles (load and PV per kWp of every site, side by side); each cluster is represented by its
medoid, the real day closest to the cluster mean. The day with the year's highest total load
is kept as a typical day of its own, so peaks (and demand charges) are not averaged away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOURS_PER_DAY = 24


@dataclass(frozen=True)
class TimeGrid:
    weights: np.ndarray  # hours of the year each step stands for
    period_hours: int  # hours per period: the whole year, or 24
    month_steps: tuple[np.ndarray, ...]  # steps whose hours lie in each month (Jan..Dec)
    day_to_period: np.ndarray | None = None  # typical period of each day of the year
    period_days: np.ndarray | None = None  # the real day (0-based) each typical period is
    day_months: np.ndarray | None = None  # month (1-12) of every day of the year (typical days)

    @property
    def steps(self) -> int:
        return len(self.weights)

    @property
    def periods(self) -> int:
        return self.steps // self.period_hours

    @property
    def is_full_year(self) -> bool:
        return self.day_to_period is None

    @staticmethod
    def full_year(hours: int, months: np.ndarray | None = None) -> TimeGrid:
        """Every hour once; ``months`` (1-12 per hour) defaults to a 365-day calendar."""
        if months is None:
            months = _calendar_months(hours)
        return TimeGrid(np.ones(hours), hours, tuple(np.flatnonzero(months == m) for m in range(1, 13)))

    def month_weights(self, month_index: int) -> np.ndarray:
        """Hours of month ``month_index`` (0-11) each step stands for (monthly sums on typical days)."""
        if self.is_full_year:
            w = np.zeros(self.steps)
            w[self.month_steps[month_index]] = self.weights[self.month_steps[month_index]]
            return w
        days = np.bincount(self.day_to_period[self.day_months == month_index + 1], minlength=self.periods)
        return np.repeat(days.astype(float), self.period_hours)

    def expand(self, values: np.ndarray) -> np.ndarray:
        """An hourly year from values on this grid (each day takes its typical day's hours)."""
        values = np.asarray(values)
        if self.is_full_year:
            return values
        days = values.reshape(self.periods, HOURS_PER_DAY)
        return days[self.day_to_period].reshape(-1)


def _calendar_months(hours: int) -> np.ndarray:
    days_in_month = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    months = np.repeat(np.arange(1, 13), np.array(days_in_month) * HOURS_PER_DAY)
    return months[:hours] if hours <= len(months) else np.resize(months, hours)


def typical_days(features: list[np.ndarray], n_days: int, months: np.ndarray | None = None,
                 peak_profile: np.ndarray | None = None) -> tuple[TimeGrid, np.ndarray]:
    """Choose ``n_days`` typical days from hourly yearly features; return the grid and the hours.

    ``features`` are hourly arrays of the year (loads, PV per kWp, prices ...); each is scaled
    by its largest value so every feature counts alike. ``peak_profile`` (the total load) marks the
    day that is kept on its own. Returns the :class:`TimeGrid` and the hour-of-year index of
    every step, so any hourly array ``a`` becomes ``a[hours]`` on the grid.
    """
    hours_total = len(features[0])
    n_year_days = hours_total // HOURS_PER_DAY
    if months is None:
        months = _calendar_months(hours_total)
    if n_days >= n_year_days:
        return TimeGrid.full_year(hours_total, months), np.arange(hours_total)
    cols = []
    for f in features:
        f = np.asarray(f, dtype=float)
        scale = np.abs(f).max()
        cols.append((f / scale if scale > 0 else f).reshape(n_year_days, HOURS_PER_DAY))
    x = np.hstack(cols)
    peak_day = None
    n_clusters = n_days
    if peak_profile is not None and n_days >= 2:
        peak_day = int(np.argmax(np.asarray(peak_profile).reshape(n_year_days, HOURS_PER_DAY).sum(axis=1)))
        n_clusters = n_days - 1
    rest = np.array([d for d in range(n_year_days) if d != peak_day])
    labels = np.zeros(n_year_days, dtype=int)
    # scipy here, not at the top: a sizing worker imports this module, and with Pyomo imported, importing
    # scipy makes Pyomo's import hook load scipy.stats, sparse, spatial and integrate too (0.45-0.5 s)
    from scipy.cluster.hierarchy import fcluster, linkage

    # maxclust gives fewer clusters than asked when days repeat exactly (identical days merge at
    # distance 0): keep the clusters there are, numbered 0.. without gaps
    found, labels[rest] = np.unique(fcluster(linkage(x[rest], method="ward"), n_clusters, criterion="maxclust"),
                                    return_inverse=True)
    n_clusters = len(found)
    medoids = []
    for k in range(n_clusters):
        members = rest[labels[rest] == k]
        centre = x[members].mean(axis=0)
        medoids.append(int(members[np.argmin(((x[members] - centre) ** 2).sum(axis=1))]))
    if peak_day is not None:
        labels[peak_day] = n_clusters
        medoids.append(peak_day)
    # order typical days by calendar date, so results read naturally
    order = np.argsort(medoids)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    period_days = np.asarray(medoids)[order]
    day_to_period = rank[labels]
    counts = np.bincount(day_to_period, minlength=len(period_days)).astype(float)
    weights = np.repeat(counts, HOURS_PER_DAY)
    hours = (period_days[:, None] * HOURS_PER_DAY + np.arange(HOURS_PER_DAY)).reshape(-1)
    day_months = months[np.arange(n_year_days) * HOURS_PER_DAY]
    month_steps = []
    for m in range(1, 13):
        periods = np.unique(day_to_period[day_months == m])
        month_steps.append((periods[:, None] * HOURS_PER_DAY + np.arange(HOURS_PER_DAY)).reshape(-1))
    return TimeGrid(weights, HOURS_PER_DAY, tuple(month_steps), day_to_period, period_days, day_months), hours
