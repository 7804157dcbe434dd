"""Jobs of a project, year by year: direct jobs bottom up, indirect (Type I, supply chain) jobs from Bank of
Korea coefficients.

Every quantity is a person-year (one full-time job for one year) in calendar year t, so a
column of :attr:`JobsResult.by_year` is the number of people employed that year and its sum
over years is job-years. Money is in the scenario's real base-year KRW; facts are in
``inputs/jobs_korea.toml`` (declared in :data:`FACTS`).

Direct jobs (on the project's own site, bottom up)::

    C_t = f_c * P * K_t / sum_t K_t                 PV construction, spread by capex spending
    C_t = r * c_con * D_con,t                       non-PV construction (no per-MW factor)
    O_t = f_o * P * a_t                             PV operation and maintenance
    M_t = f_m * min(Q_t, Qcap) / 1000               polysilicon plant staff, scaled by output (ramp-up)

Final demand by Bank of Korea sector (KRW bn in the coefficients' prices)::

    D_con,t = pi * (1 - e) * K_t / 1e9              construction part of capex
    D_mfg,t = pi * (delta * e * K_t + S_m,t) / 1e9  Korean-made equipment + polysilicon sales
    D_ele,t = pi * S_e,t / 1e9                      electricity sales
    D_svc,t = pi * X_t * [S_e,t + S_m,t = 0] / 1e9  O&M spending, only for a project that sells nothing

Total, own-site and indirect (Type I, supply chain) jobs from the coefficients::

    r   = d / c_all                                 direct share of total inducement (all industries)
    T_t = sum_s c_s * D_s,t                         BoK total (direct + indirect) = ``bok_total_jobs``
    B_t = r * (T_t - c_mfg * pi * delta * e * K_t / 1e9)
                                                    BoK direct jobs of the demand the project's own
                                                    site produces (all but the purchased equipment)
    I_t = T_t - B_t                                 indirect (Type I, supply chain) = ``indirect_jobs``
    J_t = C_t + O_t + M_t + I_t                     ``total_jobs``

How direct and BoK jobs combine (no double counting). A BoK coefficient counts the jobs in the
sector that meets the demand (its *direct* part) and in its suppliers (*indirect*). For the
project's own output (its construction works, its electricity, its polysilicon, its O&M) the
producing sector's own jobs are the project's site jobs, which are counted bottom up (C, O, M);
so that BoK direct part B_t is removed and only the rest I_t is added. Purchased equipment is
made off site: all of its BoK jobs (the equipment factory's and its suppliers') are indirect.
The BoK direct share is known only for all industries (5.4 of 9.7), so every sector is given
that share r = 0.557; subtracting the all-industry direct coefficient d itself would make the
electricity sector's indirect jobs negative (its total, 4.7, is below 5.4). For a non-PV
project C_t is the BoK direct part of its construction demand, so there C + I equals the BoK
total exactly (KRW 1 bn of construction gives 10.8 jobs).

Operating years: a project's output is final demand once, at its sales value. Its O&M
spending is an intermediate input of that output, already inside the electricity (or
manufacturing) coefficient, so it is not added again; only a project that sells nothing (a
self-consumed rooftop, a public facility) has its output valued at cost, the national-accounts
rule for non-market output, i.e. its O&M spending as demand for services.

Symbols (a sector's coefficient is ``bok_<sector>_persons_per_bn_krw``):

| symbol  | meaning                                          | name in code                       | unit         |
|---------|--------------------------------------------------|------------------------------------|--------------|
| P       | PV capacity                                      | ``pv_kwp / 1000``                  | MW           |
| K_t     | capex spent in year t                            | ``capex_krw_by_year``              | KRW          |
| a_t     | share of year t in operation (0 .. 1)            | ``operating_fraction_*``           | fraction     |
| X_t     | O&M spending                                     | ``om_spend_krw_by_year``           | KRW          |
| S_e,t   | electricity sales                                | ``electricity_sales_*``            | KRW          |
| S_m,t   | polysilicon (manufactured goods) sales           | ``manufacturing_sales_*``          | KRW          |
| Q_t     | polysilicon output                               | ``manufacturing_output_*``         | t            |
| Qcap    | polysilicon capacity                             | ``manufacturing_capacity_*``       | t/yr         |
| f_c     | construction job-years per MW (utility, rooftop) | ``*_pv_construction_*``            | job-years/MW |
| f_o     | O&M staff per MW                                 | ``pv_om_fte_per_mw``               | FTE/MW       |
| f_m     | polysilicon staff per 1,000 t/yr                 | ``polysilicon_fte_per_1000_*``     | FTE/kt/yr    |
| e       | equipment share of capex                         | ``equipment_fraction``             | fraction     |
| delta   | Korean-made share of equipment                   | ``equipment_domestic_fraction``    | fraction     |
| pi      | base-year KRW to the coefficients' prices        | ``demand_price_factor_*``          | -            |
| c_s     | BoK inducement coefficient of sector s           | ``coefficients[s]``                | persons/bn   |
| c_all   | BoK coefficient, all industries                  | ``bok_all_industries_*``           | persons/bn   |
| d       | BoK direct coefficient, all industries           | ``bok_direct_all_industries_*``    | persons/bn   |
| r       | direct share of total inducement, d / c_all      | ``direct_share(facts)``            | fraction     |
| D_s,t   | final demand on sector s                         | ``final_demand_krw`` (KRW, not bn) | KRW bn       |
| C, O, M | direct construction, O&M, manufacturing jobs     | ``direct_*`` columns               | persons      |
| T_t     | BoK total jobs of final demand                   | ``bok_total_jobs``                 | persons      |
| B_t     | BoK direct jobs of own-site demand               | ``bok_direct_own``                 | persons      |
| I_t     | indirect (Type I, supply chain) jobs             | ``indirect_jobs``                  | persons      |
| J_t     | total jobs                                       | ``total_jobs``                     | persons      |

Limits, stated rather than hidden: the BoK coefficients come from the open (Type I) Leontief
model, so the column ``indirect_jobs`` (and the total ``indirect_job_years``) holds indirect
(Type I, supply chain) jobs only: no induced jobs from the spending of wages by households (a
Type II effect the facts do not give). The BoK calls its coefficients "employment inducement"
coefficients; here that means jobs per unit of final demand, in the demand's sector and its
suppliers (:func:`jobs_from_final_demand`), not household-spending effects. The coefficients are for
2019/2020 and have fallen with productivity (all industries 11.7 in 2015, 9.7 in 2020); they are
applied unchanged to later years. Displacement (jobs lost at suppliers of the electricity or
polysilicon a project replaces) is not counted. Electricity a cluster PV project sells to the
cluster's polysilicon plant is an input of the plant's sales; a cluster roll-up that adds both
counts that electricity twice (pass only electricity sold outside the cluster to avoid it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from pvcluster.facts_finance import JOBS_FACTS


#: The facts of ``inputs/jobs_korea.toml`` (declared in :mod:`pvcluster.facts_finance`).
FACTS = JOBS_FACTS

#: Bank of Korea sectors that receive final demand, in the order of :attr:`JobsResult.final_demand_krw`.
SECTORS: tuple[str, ...] = ("construction", "manufactured_goods", "electricity", "services")

#: PV kinds (also the scenario's REC installation types) and the construction factor each uses.
PV_KINDS: dict[str, str] = {
    "utility": "utility", "ground": "utility", "land": "utility", "forest": "utility",
    "rooftop": "rooftop", "building": "rooftop",
}

COLUMNS: tuple[str, ...] = ("direct_construction_job_years", "direct_om_fte", "direct_manufacturing_fte",
                            "indirect_jobs", "total_jobs", "bok_total_jobs")

_BN = 1e9


# ---------------------------------------------------------------------------------------------
# Pure functions: numbers in, numbers out
# ---------------------------------------------------------------------------------------------

def construction_job_years(job_years_per_mw: float, pv_kwp: float, capex_krw_by_year: ArrayLike) -> np.ndarray:
    """C_t = f_c * P * K_t / sum K: a PV project's construction job-years, spread by capex spending."""
    capex = np.asarray(capex_krw_by_year, dtype=float)
    total_job_years = job_years_per_mw * pv_kwp / 1000.0
    spent = capex.sum()
    if total_job_years == 0.0:
        return np.zeros_like(capex)
    if spent <= 0.0:
        raise ValueError(f"{pv_kwp:g} kWp of PV but no capex to spread its construction job-years over")
    return total_job_years * capex / spent


def om_fte(fte_per_mw: float, pv_kwp: float, operating_fraction_by_year: ArrayLike) -> np.ndarray:
    """O_t = f_o * P * a_t: operation and maintenance staff in each year (a_t = share of the year operating)."""
    return fte_per_mw * pv_kwp / 1000.0 * np.asarray(operating_fraction_by_year, dtype=float)


def manufacturing_jobs(fte_per_1000_t_per_year: float, capacity_t_per_year: float,
                       output_t_by_year: ArrayLike) -> np.ndarray:
    """M_t = f_m * min(Q_t, Qcap) / 1000: plant staff scaled by output (ramp-up, utilisation)."""
    output = np.minimum(np.asarray(output_t_by_year, dtype=float), capacity_t_per_year)
    return fte_per_1000_t_per_year * output / 1000.0


def jobs_from_final_demand(final_demand_krw_by_sector: Mapping[str, ArrayLike],
                           coefficients: Mapping[str, float]) -> np.ndarray:
    """T_t = sum_s c_s * D_s,t: Bank of Korea total (direct + indirect, Type I) jobs of final demand.

    The coefficients are the BoK employment-inducement coefficients of the open (Type I) model:
    jobs in the sector that meets the demand and in its supply chain, no household-spending
    (induced, Type II) jobs.

    ``final_demand_krw_by_sector`` maps a sector to KRW (already in the coefficients' prices),
    ``coefficients`` maps it to persons per KRW 1 bn. A sector without a coefficient is an error.
    """
    missing = set(final_demand_krw_by_sector) - set(coefficients)
    if missing:
        raise KeyError(f"no employment coefficient for sector(s) {sorted(missing)}; known: {sorted(coefficients)}")
    total = np.zeros(())
    for sector, demand in final_demand_krw_by_sector.items():
        total = total + coefficients[sector] * np.asarray(demand, dtype=float) / _BN
    return total


def bok_coefficients(facts) -> dict[str, float]:
    """Persons per KRW 1 bn of final demand, by sector of :data:`SECTORS`."""
    return {
        "construction": facts.bok_construction_persons_per_bn_krw,
        "manufactured_goods": facts.bok_manufactured_goods_persons_per_bn_krw,
        "electricity": facts.bok_electricity_persons_per_bn_krw,
        "services": facts.bok_services_persons_per_bn_krw,
    }


def direct_share(facts) -> float:
    """r = d / c_all: the share of total inducement that is the meeting sector's own (direct) jobs."""
    r = facts.bok_direct_all_industries_persons_per_bn_krw / facts.bok_all_industries_persons_per_bn_krw
    if not 0.0 <= r <= 1.0:
        raise ValueError(f"direct employment coefficient above the total (share {r:g})")
    return r


def construction_job_years_per_mw(facts, pv_kind: str) -> float:
    """f_c for a PV kind: utility (also ground, land, forest) or rooftop (also building)."""
    try:
        kind = PV_KINDS[pv_kind]
    except KeyError:
        raise ValueError(f"pv_kind {pv_kind!r}: expected one of {sorted(PV_KINDS)}") from None
    return getattr(facts, f"{kind}_pv_construction_job_years_per_mw")


# ---------------------------------------------------------------------------------------------
# One project
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobsResult:
    """A project's jobs by calendar year (persons employed that year) and their totals.

    ``by_year`` has the columns of :data:`COLUMNS`; ``total_jobs`` = direct + indirect (Type I,
    supply chain; ``indirect_jobs``), and
    ``bok_total_jobs`` is the Bank of Korea total of the same final demand, for comparison
    (not to be added). ``final_demand_krw`` is the demand by sector of :data:`SECTORS`, in KRW
    of the coefficients' prices. ``totals`` holds sums over years (job-years) and the peak.
    """

    name: str
    by_year: pd.DataFrame
    final_demand_krw: pd.DataFrame
    totals: dict[str, float] = field(default_factory=dict)


def _series(values: ArrayLike | None, n: int, name: str) -> np.ndarray:
    if values is None:
        return np.zeros(n)
    a = np.asarray(values, dtype=float)
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.shape != (n,):
        raise ValueError(f"{name}: shape {a.shape} for {n} calendar years")
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError(f"{name}: expected finite values >= 0")
    return a


def project_jobs(*, name: str, calendar_years: ArrayLike, capex_krw_by_year: ArrayLike,
                 operating_fraction_by_year: ArrayLike, facts, pv_kwp: float = 0.0, pv_kind: str = "utility",
                 om_spend_krw_by_year: ArrayLike | None = None,
                 electricity_sales_krw_by_year: ArrayLike | None = None,
                 manufacturing_capacity_t_per_year: float = 0.0,
                 manufacturing_output_t_by_year: ArrayLike | None = None,
                 manufacturing_sales_krw_by_year: ArrayLike | None = None,
                 equipment_fraction: float | None = None, built_kwp: float | None = None) -> JobsResult:
    """Direct, indirect (Type I, supply chain) and total jobs of one project, year by year (equations in
    the module docstring).

    All ``*_by_year`` arrays align with ``calendar_years``; a scalar is repeated, None means
    zeros. ``operating_fraction_*`` is a 0/1 mask or the share of each year in operation.
    A project with ``pv_kwp`` > 0 is a PV project (per-MW construction and O&M factors, KEEI
    equipment share); otherwise its construction jobs are the BoK direct part of its
    construction demand and its equipment share is the plant fact. ``equipment_fraction``
    overrides the share. Without ``manufacturing_output_*`` a plant runs at capacity
    in its operating share of each year. ``facts`` needs attribute access to :data:`FACTS`.
    """
    years = np.asarray(calendar_years)
    n = len(years)
    capex = _series(capex_krw_by_year, n, "capex_krw_by_year")
    operating = _series(operating_fraction_by_year, n, "operating_fraction_by_year")
    if np.any(operating > 1):
        raise ValueError("operating_fraction_by_year: expected values in 0 .. 1")
    om_spend = _series(om_spend_krw_by_year, n, "om_spend_krw_by_year")
    sales_e = _series(electricity_sales_krw_by_year, n, "electricity_sales_krw_by_year")
    sales_m = _series(manufacturing_sales_krw_by_year, n, "manufacturing_sales_krw_by_year")
    if pv_kwp < 0 or manufacturing_capacity_t_per_year < 0:
        raise ValueError("pv_kwp and manufacturing_capacity_t_per_year must be >= 0")
    output = (manufacturing_capacity_t_per_year * operating if manufacturing_output_t_by_year is None
              else _series(manufacturing_output_t_by_year, n, "manufacturing_output_t_by_year"))

    is_pv = pv_kwp > 0
    e = equipment_fraction if equipment_fraction is not None else (
        facts.pv_equipment_fraction_of_capex if is_pv else facts.plant_equipment_fraction_of_capex)
    if not 0.0 <= e <= 1.0:
        raise ValueError(f"equipment_fraction {e:g}: expected 0 .. 1")
    pi = facts.demand_price_factor_to_coefficient_year
    delta = facts.equipment_domestic_fraction
    coefficients = bok_coefficients(facts)
    r = direct_share(facts)

    # Final demand by sector (KRW in coefficient-year prices).
    equipment = pi * delta * e * capex
    sells = (sales_e + sales_m) > 0
    demand = {
        "construction": pi * (1.0 - e) * capex,
        "manufactured_goods": equipment + pi * sales_m,
        "electricity": pi * sales_e,
        "services": pi * np.where(sells, 0.0, om_spend),
    }
    bok_total = jobs_from_final_demand(demand, coefficients)
    own_site = {**demand, "manufactured_goods": pi * sales_m}  # all but the purchased equipment
    bok_direct_own = r * jobs_from_final_demand(own_site, coefficients)
    indirect = bok_total - bok_direct_own

    if is_pv:
        built = pv_kwp if built_kwp is None else built_kwp  # an existing plant is not built again
        construction = construction_job_years(construction_job_years_per_mw(facts, pv_kind), built, capex)
    else:
        construction = r * coefficients["construction"] * demand["construction"] / _BN
    operation = om_fte(facts.pv_om_fte_per_mw, pv_kwp, operating)
    manufacturing = manufacturing_jobs(facts.polysilicon_fte_per_1000_t_per_year,
                                       manufacturing_capacity_t_per_year, output)
    total = construction + operation + manufacturing + indirect

    index = pd.Index(years, name="calendar_year")
    by_year = pd.DataFrame(dict(zip(COLUMNS, (construction, operation, manufacturing, indirect, total,
                                              np.broadcast_to(bok_total, (n,))))), index=index)
    final_demand = pd.DataFrame({s: demand[s] for s in SECTORS}, index=index)
    sums = by_year.sum()
    totals = {
        "direct_construction_job_years": float(sums["direct_construction_job_years"]),
        "direct_om_job_years": float(sums["direct_om_fte"]),
        "direct_manufacturing_job_years": float(sums["direct_manufacturing_fte"]),
        "indirect_job_years": float(sums["indirect_jobs"]),
        "total_job_years": float(sums["total_jobs"]),
        "bok_total_job_years": float(sums["bok_total_jobs"]),
        "peak_total_jobs": float(by_year["total_jobs"].max()) if n else 0.0,
    }
    return JobsResult(name=name, by_year=by_year, final_demand_krw=final_demand, totals=totals)
