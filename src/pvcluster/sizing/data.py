"""Inputs of one site's sizing problem, gathered from the scenario, the facts and the profiles.

Money is real KRW of the base year; power in kW, energy in kWh. Every hourly array has one
value per time step of the site's :class:`~pvcluster.sizing.periods.TimeGrid` (8760 hours, or
the hours of the typical days), and every annual sum weights step t by ``time.weights[t]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pvcluster.sizing.periods import TimeGrid


def capital_recovery_factor(rate_fraction: float, years: float) -> float:
    """CRF = r (1 + r)^n / ((1 + r)^n - 1); 1/n when r = 0. Annualizes an overnight cost."""
    if years <= 0:
        raise ValueError("years must be positive")
    if abs(rate_fraction) < 1e-12:
        return 1.0 / years
    growth = (1.0 + rate_fraction) ** years
    return rate_fraction * growth / (growth - 1.0)


def annuity_factor(rate_fraction: float, years: float) -> float:
    """Present value of 1 KRW a year for ``years`` years: 1 / CRF."""
    return 1.0 / capital_recovery_factor(rate_fraction, years)


def replacement_factor(rate_fraction: float, life_years: float, horizon_years: float) -> float:
    """Present value of buying an asset now and again at the end of each life within the horizon."""
    k = np.arange(0.0, horizon_years, life_years)
    return float(np.sum((1.0 + rate_fraction) ** -k))


@dataclass(frozen=True)
class PVSegment:
    """One PV segment of a site: a building class's roofs, public roofs, or a plant extension."""

    name: str
    kw_per_kwp: np.ndarray
    max_kwp: float
    capex_krw_per_kwp: float
    fixed_om_krw_per_kwp_year: float
    existing_kwp: float = 0.0


@dataclass(frozen=True)
class PilotCandidate:
    """A public facility the pilot program may enroll: its load, tariff and retrofit cost."""

    name: str
    load_kw: np.ndarray
    tariff_krw_per_kwh: float
    retrofit_krw: float


@dataclass(frozen=True)
class SiteData:
    """Everything one site's model needs."""

    name: str
    load_kw: np.ndarray  # served in every case (households, non-candidate loads)
    segments: tuple[PVSegment, ...]
    storage_energy_capex_krw_per_kwh: float
    storage_power_capex_krw_per_kw: float
    storage_fixed_om_fraction: float
    storage_life_years: float
    storage_round_trip_efficiency_fraction: float
    import_price_krw_per_kwh: np.ndarray
    export_price_krw_per_kwh: np.ndarray
    import_limit_kw: float
    export_limit_kw: float
    time: TimeGrid = None  # type: ignore[assignment]  # set in __post_init__ when omitted
    pv_life_years: float = 25.0
    discount_rate_fraction: float = 0.0
    analysis_years: int = 25
    storage_min_soc_fraction: float = 0.0
    storage_min_energy_kwh: float = 0.0  # 0: no minimum; else storage is 0 or at least this big
    storage_max_energy_kwh: float = 1.0e6  # big-M of the optional minimum size, and a sanity bound
    demand_charge_krw_per_kw_month: float = 0.0
    self_sufficiency_target_fraction: float = 0.0
    re100: bool = False
    pilot: tuple[PilotCandidate, ...] = ()
    pilot_pv_share_fraction: float = 0.0
    pilot_life_years: float = 25.0
    pilot_enrollment: tuple[bool, ...] | None = None  # fixed decisions; None: the model decides
    allow_storage: bool = True
    technologies: tuple[str, ...] = ("pv", "storage", "grid", "curtailment", "pilot")
    notes: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.time is None:
            object.__setattr__(self, "time", TimeGrid.full_year(len(self.load_kw)))

    @property
    def steps(self) -> int:
        return len(self.load_kw)

    def check(self) -> None:
        n = self.steps
        arrays = {"import_price_krw_per_kwh": self.import_price_krw_per_kwh,
                  "export_price_krw_per_kwh": self.export_price_krw_per_kwh,
                  "time.weights": self.time.weights}
        arrays.update({f"segment {g.name}": g.kw_per_kwp for g in self.segments})
        arrays.update({f"pilot {p.name}": p.load_kw for p in self.pilot})
        for name, values in arrays.items():
            if len(values) != n:
                raise ValueError(f"{self.name}: {name} has {len(values)} values, the load has {n}")

    def on_grid(self, grid: TimeGrid, hours: np.ndarray, rescale: bool = False) -> SiteData:
        """This site on another time grid; ``hours`` is the hour of the year of each grid step.

        With ``rescale``, each energy series (the load, each segment's PV per kWp, each pilot
        candidate's load) is multiplied by one factor so that its weighted sum on the grid equals
        its sum over the year, as tsam does for typical periods (Kotzur et al. 2018): the medoid
        days alone missed the year's PV yield by +0.8 % and the loads by up to -1 % on 24 days.
        Prices are not rescaled (they are rates, and the clustering keeps them apart).
        """
        from dataclasses import replace

        def on(a: np.ndarray) -> np.ndarray:
            small = a[hours]
            if rescale:
                represented, total = float(np.dot(grid.weights, small)), float(np.sum(a))
                if represented > 0 and total > 0:
                    small = small * (total / represented)
            return small

        return replace(
            self, time=grid, load_kw=on(self.load_kw),
            import_price_krw_per_kwh=self.import_price_krw_per_kwh[hours],
            export_price_krw_per_kwh=self.export_price_krw_per_kwh[hours],
            segments=tuple(replace(g, kw_per_kwp=on(g.kw_per_kwp)) for g in self.segments),
            pilot=tuple(replace(f, load_kw=on(f.load_kw)) for f in self.pilot))

    def annual(self, hourly: np.ndarray) -> float:
        """Annual sum of an hourly array on this site's time grid (kWh for kW)."""
        return float(np.dot(self.time.weights, hourly))

    @property
    def pv_crf(self) -> float:
        return capital_recovery_factor(self.discount_rate_fraction, self.pv_life_years)

    @property
    def storage_crf(self) -> float:
        return capital_recovery_factor(self.discount_rate_fraction, self.storage_life_years)
