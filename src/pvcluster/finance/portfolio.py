"""The cluster as a portfolio: every project with its level and function, rolled up.

Levels follow the seed plan (V-1): L1 programs (education, exhibition, events), L2 unit
projects (single or regional energy projects), L3 complexes (production, experience,
research), L4 clusters. Functions follow its governance section (V-3): R&D, production,
support, settlement, infrastructure.

A roll-up sums, over the projects of a level (or function): capex (real base-year KRW), the
project NPV (real, after tax), the energy delivered in the first operating year (MWh), and
jobs (job-years over the horizon and the peak year's jobs). NPVs add because every project
is discounted at the same real rate to the same base year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pvcluster.finance.project import ProjectResult

#: Level and function of the projects the model builds itself, unless [[projects]] says otherwise.
DEFAULT_PLACE = {
    "plant": ("L2", "production"),
    "farm": ("L2", "production"),
    "village": ("L2", "settlement"),
    "county": ("L2", "infrastructure"),
    "industrial_complex": ("L3", "production"),
    "polysilicon": ("L3", "production"),
}


@dataclass(frozen=True)
class PortfolioEntry:
    name: str
    level: str
    function: str
    kind: str  # pv_plant, site_pv, polysilicon, cluster
    result: ProjectResult
    jobs: object | None  # pvcluster.finance.jobs.JobsResult
    capex_krw: float  # real base-year KRW (the table's capex is nominal)
    note: str = ""

    def row(self) -> dict:
        t = self.result.table
        operating = t[t["operating_year"] == 1]
        jobs = self.jobs.totals if self.jobs is not None else {}
        return {
            "project": self.name, "level": self.level, "function": self.function, "kind": self.kind,
            "capex_krw": self.capex_krw,
            "npv_krw": self.result.npv_krw,
            "first_year_energy_mwh": float(operating["energy_kwh"].sum()) / 1000.0,
            "job_years": float(jobs.get("total_job_years", 0.0)),
            "direct_job_years": float(jobs.get("direct_construction_job_years", 0.0)
                                      + jobs.get("direct_om_job_years", 0.0)
                                      + jobs.get("direct_manufacturing_job_years", 0.0)),
            "peak_jobs": float(jobs.get("peak_total_jobs", 0.0)),
        }


def table(entries: list[PortfolioEntry]) -> pd.DataFrame:
    return pd.DataFrame([e.row() for e in entries])


def roll_up(entries: list[PortfolioEntry], by: str) -> pd.DataFrame:
    """Sums by ``level`` or ``function`` (every level/function present, in a stable order)."""
    t = table(entries)
    if t.empty:
        return t
    cols = ["capex_krw", "npv_krw", "first_year_energy_mwh", "job_years", "direct_job_years"]
    out = t.groupby(by, sort=True)[cols].sum()
    out["projects"] = t.groupby(by, sort=True)["project"].apply(lambda s: ", ".join(s))
    return out


def jobs_by_year(entries: list[PortfolioEntry], by: str | None = None) -> pd.DataFrame:
    """Total jobs per calendar year, in total or by level/function."""
    frames = {}
    for e in entries:
        if e.jobs is None:
            continue
        key = getattr(e, by) if by else "total"
        s = e.jobs.by_year["total_jobs"]
        frames[key] = frames[key].add(s, fill_value=0.0) if key in frames else s  # projects span different years
    if not frames:
        return pd.DataFrame()
    return pd.DataFrame(frames).fillna(0.0)


def cash_by_year(entries: list[PortfolioEntry], by: str = "level") -> pd.DataFrame:
    """Project (unlevered, nominal) cash flow per calendar year, by level or function."""
    frames: dict[str, pd.Series] = {}
    for e in entries:
        t = e.result.table.set_index("calendar_year")["project_cash_flow_krw"]
        key = getattr(e, by)
        frames[key] = frames[key].add(t, fill_value=0.0) if key in frames else t
    return pd.DataFrame(frames).fillna(0.0).sort_index() if frames else pd.DataFrame()


def real_factor(result: ProjectResult, inflation_fraction: float) -> np.ndarray:
    """Divide nominal table columns by this to get real base-year KRW."""
    return (1.0 + inflation_fraction) ** result.table["year_index"].to_numpy(dtype=float)
