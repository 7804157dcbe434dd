"""The sizing stage's records: what was built at each site, by technology, as frozen dataclasses.

Every hourly array covers the whole year (8760 hours, the time grid of typical days expanded back
to the year), in kW for power and kWh for the state of charge; money is real KRW of the base year
per year of the LP's year. Finance and the report read these records; a solve's raw answer
(:class:`SiteSolution`, which :mod:`pvcluster.sizing.solve` extracts from a solved model) stays inside the stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from pvcluster.market import Dispatch, Meter


@dataclass
class SiteSolution:
    """A site's solved LP as :func:`pvcluster.sizing.solve.extract` reads it (what a worker sends back)."""

    name: str
    status: str
    objective_krw: float  # the site's objective terms (KRW/yr, or -NPV in KRW), budget price excluded
    build_s: float
    solve_s: float
    sizes: dict
    hourly: dict  # a full year, hour by hour, whatever the time grid
    costs_krw_per_year: dict  # annualized cost of each block
    extra: dict = field(default_factory=dict)
    capex_krw: float = 0.0
    dispatch: Dispatch | None = None  # the year the LP balanced, by meter (full year)
    baseline: Dispatch | None = None  # the same site without new PV
    meters: dict = field(default_factory=dict)  # meter name -> pvcluster.market.Meter (what finance bills)
    tax_rate_fraction: float = 0.0  # the marginal tax rate the LP's capex factor used

    @property
    def objective_krw_per_year(self) -> float:  # the name sizing's callers used before
        return self.objective_krw


def _clean(x: float, tol: float = 1e-9) -> float:
    """Solver noise of the order of its tolerance (-0.0, 1e-12) is zero."""
    x = float(x)
    return 0.0 if abs(x) < tol else x


def _clean_array(a) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    return np.where(np.abs(a) < 1e-9, 0.0, a)


@dataclass(frozen=True)
class PVResult:
    """PV at a site: capacities (kWp DC) by segment, and its hourly output as the LP balanced it (the
    output of an average year of the life: degradation levelized)."""

    capacity_kwp: float  # all PV, existing included
    new_capacity_kwp: float
    potential_kwp: float  # what the roofs or land allow
    segments_kwp: Mapping[str, float]  # by segment (house_roofs, public_roofs, ...), existing included
    new_segments_kwp: Mapping[str, float]
    generation_kw: np.ndarray
    curtailed_kw: np.ndarray


@dataclass(frozen=True)
class StorageResult:
    """The battery: energy (kWh, nameplate) and power (kW) capacity, and its hourly dispatch."""

    energy_kwh: float
    power_kw: float
    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    soc_kwh: np.ndarray  # state of charge, the minimum reserve included
    simultaneous_steps_fixed: int = 0  # hours where the LP both charged and discharged (replaced by one)


@dataclass(frozen=True)
class GridResult:
    """The grid connection: import by KEPCO meter, export, and the meters' bills (KRW a year, as billed:
    basic, energy, climate and fuel charges, the fund, VAT where the payer bears it)."""

    import_kw: np.ndarray
    export_kw: np.ndarray
    imports_by_meter_kw: Mapping[str, np.ndarray]
    peak_import_kw: float
    meters: Mapping[str, Meter | None]  # what finance bills (a pilot supply meter's contract follows enrollment)
    bill_krw_per_year: float
    baseline_bill_krw_per_year: float  # the same meters without new PV
    export_revenue_krw_per_year: float


@dataclass(frozen=True)
class PilotResult:
    """The public pilot program at a site: candidates, those enrolled, what they pay and where the margin
    comes from (``margin``: local PV against resold grid energy)."""

    candidates: tuple[str, ...] = ()
    enrolled: tuple[str, ...] = ()
    revenue_krw_per_year: float = 0.0
    energy_kwh: float = 0.0
    margin: Mapping | None = None
    screening: Mapping | None = None  # the typical-day model that decided a full-year site's enrollment


@dataclass(frozen=True)
class SiteResult:
    """One sized site: status, capital, its objective and costs by block, each technology's result, its
    dispatch and baseline by meter (for finance's bills), and the solver's figures."""

    name: str
    status: str  # HiGHS termination (convergenceCriteriaSatisfied = optimal) or notSized
    objective_krw: float  # after-tax annualized KRW a year, or -NPV (objective "npv"); budget price excluded
    capex_krw: float
    tax_rate_fraction: float  # the marginal rate the LP's capex factor used
    pv: PVResult
    storage: StorageResult
    grid: GridResult
    pilot: PilotResult
    served_load_kw: np.ndarray  # the site's own loads behind its PV plus the enrolled facilities
    costs_krw_per_year: Mapping[str, float]  # annualized cost by block (revenue negative)
    dispatch: Dispatch | None = None
    baseline: Dispatch | None = None
    solver: Mapping = field(default_factory=dict)  # build_s, solve_s, solves, nodes: they vary run to run
    mip_gap_fraction: float | None = None

    @property
    def self_sufficiency_fraction(self) -> float:
        served = float(self.served_load_kw.sum())
        return 1.0 - float(self.grid.import_kw.sum()) / served if served > 0 else 0.0

    @property
    def hourly(self) -> dict[str, np.ndarray]:
        """The site's hourly series by the names of ``hourly.csv`` (without the site prefix)."""
        return {"pv_generation_kw": self.pv.generation_kw, "pv_curtailed_kw": self.pv.curtailed_kw,
                "storage_charge_kw": self.storage.charge_kw, "storage_discharge_kw": self.storage.discharge_kw,
                "storage_soc_kwh": self.storage.soc_kwh, "grid_import_kw": self.grid.import_kw,
                "grid_export_kw": self.grid.export_kw, "served_load_kw": self.served_load_kw}


def site_result(sol, data) -> SiteResult:
    """The stage's record of one site from the solver's solution ``sol`` and the site's inputs ``data``."""
    h, x, sizes = sol.hourly, sol.extra, sol.sizes
    segments = {g.name: _clean(sizes.get(f"pv_{g.name}_kwp", g.existing_kwp)) for g in data.segments}
    new = {g.name: max(segments[g.name] - g.existing_kwp, 0.0) for g in data.segments}
    steps = len(h["pv_generation_kw"])
    zeros = np.zeros(steps)
    imports = {k: _clean_array(v) for k, v in (sol.dispatch.imports_kw.items() if sol.dispatch else ())}
    screening = x.get("pilot_screening")
    solver = {"build_s": float(sol.build_s), "solve_s": float(sol.solve_s)}
    for key in ("solves", "branch_and_bound_nodes"):
        if key in x:
            solver[key] = int(x[key])
    if screening is not None:
        solver["pilot_screening_s"] = float(screening.get("seconds", 0.0))
        screening = {k: v for k, v in screening.items() if k != "seconds"}
    return SiteResult(
        name=sol.name, status=sol.status, objective_krw=float(sol.objective_krw), capex_krw=_clean(sol.capex_krw, 1e-3),
        tax_rate_fraction=float(sol.tax_rate_fraction),
        pv=PVResult(sum(segments.values()), sum(new.values()),
                    float(sum(max(g.max_kwp, g.existing_kwp) for g in data.segments)), segments, new,
                    _clean_array(h["pv_generation_kw"]), _clean_array(h["pv_curtailed_kw"])),
        storage=StorageResult(_clean(sizes.get("storage_energy_kwh", 0.0), 1e-6),
                              _clean(sizes.get("storage_power_kw", 0.0), 1e-6),
                              _clean_array(h.get("storage_charge_kw", zeros)),
                              _clean_array(h.get("storage_discharge_kw", zeros)),
                              _clean_array(h.get("storage_soc_kwh", zeros)), int(x.get("simultaneous_steps_fixed", 0))),
        grid=GridResult(_clean_array(h["grid_import_kw"]), _clean_array(h["grid_export_kw"]), imports,
                        _clean(sizes.get("grid_peak_import_kw", 0.0)), dict(sol.meters),
                        _clean(x.get("bill_krw_per_year", 0.0), 1e-3),
                        _clean(x.get("baseline_bill_krw_per_year", 0.0), 1e-3),
                        _clean(x.get("export_revenue_krw_per_year", 0.0), 1e-3)),
        pilot=PilotResult(tuple(c.name for c in data.pilot), tuple(x.get("enrolled", ())),
                          _clean(x.get("pilot_revenue_krw_per_year", 0.0), 1e-3), _clean(x.get("pilot_energy_kwh", 0.0)),
                          x.get("pilot_margin"), screening),
        served_load_kw=_clean_array(h["load_kw"]),
        costs_krw_per_year={k: _clean(v, 1e-3) for k, v in sol.costs_krw_per_year.items()},
        dispatch=sol.dispatch, baseline=sol.baseline, solver=solver, mip_gap_fraction=x.get("mip_gap_fraction"))
