"""Inputs of one site's sizing problem, gathered from the scenario, the facts and the profiles.

Money is real KRW of the base year; power in kW, energy in kWh. Every hourly array has one
value per time step of the site's :class:`~pvcluster.sizing.periods.TimeGrid` (8760 hours, or
the hours of the typical days), and every annual sum weights step t by ``time.weights[t]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pvcluster.costs import AssetCosts, Annualization, annuity_factor, capital_recovery_factor, replacement_factor
from pvcluster.costs import storage_costs
from pvcluster.market import Meter, MeterTerms
from pvcluster.sizing.periods import TimeGrid


# Annualization lives in the cost layer that finance uses too (one definition).
__all__ = ["capital_recovery_factor", "annuity_factor", "replacement_factor", "PVSegment", "PilotCandidate",
           "MeterData", "SiteData", "SolverSettings", "OPTIMAL", "INFEASIBLE"]


#: The termination conditions (names of Pyomo's ``TerminationCondition``) of an optimal solve, and of an
#: infeasible or unbounded one: named here, without Pyomo, for the code that reads a worker's answers.
OPTIMAL = ("convergenceCriteriaSatisfied",)
INFEASIBLE = ("provenInfeasible", "locallyInfeasible", "infeasibleOrUnbounded", "unbounded")


@dataclass(frozen=True)
class SolverSettings:
    """How the sizing's LPs and MILPs are solved (``[sizing]`` in the scenario)."""

    solver: str = "auto"  # LP algorithm of the first solve: auto, pdlp, ipm, simplex or choose
    time_limit_s: float = 600.0
    mip_gap_fraction: float = 1e-6
    objective: str = "annualized_cost"
    screening_days: int = 24  # typical days deciding a full-year site's pilot enrollment; 0 or 365: none
    storage_pricing: bool = True  # a full year first without storage, kept if a pricing LP proves it optimal


@dataclass(frozen=True)
class PVSegment:
    """One PV segment of a site: a building class's roofs, public roofs, or a plant extension."""

    name: str
    kw_per_kwp: np.ndarray
    max_kwp: float
    capex_krw_per_kwp: float
    fixed_om_krw_per_kwp_year: float
    existing_kwp: float = 0.0
    costs: AssetCosts | None = None  # every cost finance charges a kWp; None: capex and fixed O&M only
    installation: str = "building"  # for the REC weight of what it exports
    cost_kind: str = ""  # house_roof, building_roof or tracker (pvcluster.costs.pv_kind_costs)
    dc_ac_ratio: float = 1.0

    @property
    def asset_costs(self) -> AssetCosts:
        return self.costs or AssetCosts(self.capex_krw_per_kwp, {"om": self.fixed_om_krw_per_kwp_year})


@dataclass(frozen=True)
class PilotCandidate:
    """A public facility the pilot program may enroll: its load, tariff and retrofit cost."""

    name: str
    load_kw: np.ndarray
    tariff_krw_per_kwh: float
    retrofit_krw: float
    contract_kw: float = 0.0  # its peak, rounded up: what it adds to the supply meter's contract


@dataclass(frozen=True)
class MeterData:
    """A KEPCO meter (or a group of identical ones) behind the site's PV, with its LP terms.

    ``load_kw`` is what the meter's own loads take on the site's time grid (zero for the pilot
    supply meter, whose load is the enrolled facilities'); ``host``: the meter through which the
    storage charges from the grid (one per site); ``pilot_supply``: the meter that buys grid
    energy for enrolled facilities. ``meter`` is the market's record (tariff, contract, count),
    which finance bills with.
    """

    name: str
    load_kw: np.ndarray
    terms: MeterTerms
    meter: Meter | None = None
    host: bool = False
    pilot_supply: bool = False
    loads: tuple[str, ...] = ()  # the named loads of the demand stage on this meter
    contract_follows_enrollment: bool = False  # pilot supply: contract = sum of the enrolled facilities' peaks


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
    # KEPCO meters behind the site's PV; empty: one meter paying import_price_krw_per_kwh by the hour
    # and demand_charge_krw_per_kw_month on each month's peak (hand-made test sites)
    meters: tuple[MeterData, ...] = ()
    annualization: Annualization | None = None  # None: CRF over pv_life_years, no tax (hand-made sites)
    pv_output_factor: float = 1.0  # levelized PV output over the life / first-year output (degradation)
    import_weight: float = 1.0  # W of the bills (a real tariff path), see pvcluster.costs
    export_weight: float = 1.0  # W of export revenue (SMP and REC paths)
    pilot_matching: str = "share"  # share | annual | hourly (see pvcluster.sizing.model)
    net_metering_max_kw: float = float("inf")  # PV cap when the host meter nets exports
    tax: tuple | None = None  # (thresholds_krw, rates_fraction, local_fraction_of_cit): the LP's tax rate follows
    #                           the project's taxable income (pvcluster.sizing.solve); None: the annualization's
    baseline_bill_krw_per_year: float = 0.0  # the meters' bills without new PV (for the taxable income)
    tariff_calendar: object = None  # pvcluster.market.TariffCalendar of the full year (meters' bills)
    tariff_rules: object = None  # pvcluster.market.TariffRules
    rec_krw_per_kwh: float = 0.0  # the REC part of the export price (its own price path)
    export_kind: str = "smp"  # smp, smp_rec or net_metering: what its exports earn
    rec_weight: float = 0.0  # the REC weight of its exports (the rule of its commissioning year)
    # (TimeGrid, hours): the typical days its pilot screening sizes on, clustered ahead by the run's process
    # (pilot_screening_periods, below); None: clustered where the site is sized
    screening_periods: tuple | None = None
    # what the screening that decided pilot_enrollment reports, where a sizing on workers screened the site
    # on the first idle one, ahead of its year (pvcluster.sizing.cluster); the site's model reports it as its own
    pilot_screening: dict | None = None

    def __post_init__(self):
        if self.time is None:
            object.__setattr__(self, "time", TimeGrid.full_year(len(self.load_kw)))
        if self.annualization is None:
            object.__setattr__(self, "annualization", Annualization(
                self.discount_rate_fraction, operating_years=max(1, int(round(self.pv_life_years)))))

    @property
    def grid_meters(self) -> tuple[MeterData, ...]:
        """The meters of the site's grid block: its own, or one simple meter from the price arrays."""
        if self.meters:
            return self.meters
        months = self.time.month_steps
        terms = MeterTerms("grid", 1, 1.0, np.asarray(self.import_price_krw_per_kwh, dtype=float), None,
                           self.demand_charge_krw_per_kw_month, tuple(np.asarray(m, dtype=int) for m in months),
                           (), 0.0, 0.0, False)
        return (MeterData("grid", self.load_kw, terms, host=True),)

    @property
    def storage_energy_costs(self) -> AssetCosts:
        return storage_costs(self.storage_energy_capex_krw_per_kwh, self.storage_fixed_om_fraction,
                             self.storage_life_years, self.annualization.operating_years)

    @property
    def storage_power_costs(self) -> AssetCosts:
        return storage_costs(self.storage_power_capex_krw_per_kw, self.storage_fixed_om_fraction,
                             self.storage_life_years, self.annualization.operating_years)

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
        Prices are not rescaled: each typical hour takes the mean price of the days it stands for, so
        the bill of the typical days expanded to the year is what the LP counts.
        """
        from dataclasses import replace

        def on(a: np.ndarray) -> np.ndarray:
            small = a[hours]
            if rescale:
                represented, total = float(np.dot(grid.weights, small)), float(np.sum(a))
                if represented > 0 and total > 0:
                    small = small * (total / represented)
            return small

        def mean_by_day(a: np.ndarray) -> np.ndarray:
            """A price on typical days: each typical hour's mean over the days it stands for."""
            if grid.is_full_year:
                return a[hours]
            by_day = np.asarray(a, dtype=float)[: len(grid.day_to_period) * 24].reshape(-1, 24)
            total = np.zeros((grid.periods, 24))
            np.add.at(total, grid.day_to_period, by_day)
            return (total / np.bincount(grid.day_to_period, minlength=grid.periods)[:, None]).reshape(-1)

        meters = tuple(replace(md, load_kw=on(md.load_kw),
                               terms=md.terms.on_days(grid.day_to_period, grid.day_months)
                               if not grid.is_full_year else md.terms)
                       for md in self.meters)
        load = sum((md.load_kw for md in meters), np.zeros(len(hours))) if meters else on(self.load_kw)
        return replace(
            self, time=grid, load_kw=load, meters=meters,
            import_price_krw_per_kwh=mean_by_day(self.import_price_krw_per_kwh),
            export_price_krw_per_kwh=mean_by_day(self.export_price_krw_per_kwh),
            segments=tuple(replace(g, kw_per_kwp=on(g.kw_per_kwp)) for g in self.segments),
            pilot=tuple(replace(f, load_kw=on(f.load_kw)) for f in self.pilot))

    def annual(self, hourly: np.ndarray) -> float:
        """Annual sum of an hourly array on this site's time grid (kWh for kW)."""
        return float(np.dot(self.time.weights, hourly))


def screens_pilot(s: SiteData, settings: SolverSettings) -> bool:
    """Whether the sizing decides ``s``'s pilot enrollment on typical days before its full year
    (:func:`pvcluster.sizing.solve.screen_pilot`)."""
    return bool(s.pilot) and s.pilot_enrollment is None and s.time.is_full_year and 0 < settings.screening_days < 365


def pilot_screening_periods(s: SiteData, settings: SolverSettings) -> tuple | None:
    """The typical days (``(TimeGrid, hours)``, :func:`pvcluster.sizing.periods.typical_days`) that the pilot
    screening sizes ``s`` on: ``settings.screening_days`` days clustered on the site's load with every
    candidate's, its PV per kWp and each candidate's load, the peak day kept. None where it is not screened.

    The coordinator of a sizing on workers clusters them in its own process (``screening_periods``): there
    scipy's clustering imports in 0.02 s, where a worker, with Pyomo imported, took 0.9 s (Pyomo's import
    hook loads scipy.stats, sparse, spatial and integrate with any scipy module)."""
    if not screens_pilot(s, settings):
        return None
    if s.screening_periods is not None:
        return s.screening_periods
    from pvcluster.sizing.periods import typical_days

    features = [s.load_kw + sum((f.load_kw for f in s.pilot), np.zeros(s.steps))]
    features += [g.kw_per_kwp for g in s.segments] + [f.load_kw for f in s.pilot]
    features = [f for f in features if np.any(f)]
    return typical_days(features, settings.screening_days, peak_profile=features[0])
