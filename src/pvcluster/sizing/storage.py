"""Storage block: battery energy and power sized separately, dispatched at every time step.

Equations (t in time steps; eta = sqrt(RTE), one-way efficiency):

    S_t = S_prev(t) + eta * Ch_t - Dis_t / eta         (state of charge above the minimum)
    0 <= S_t <= (1 - s_min) * E                        (usable energy)
    0 <= Ch_t <= P,  0 <= Dis_t <= P                   (power capacity)
    net_t = Dis_t - Ch_t                               (power into the site's bus)
    capex = c_E * E + c_P * P
    annual = y_E E + y_P P    (O&M, and the replacement at the end of its life within the analysis
                               period spread over it: :func:`pvcluster.costs.storage_costs`)
    optional minimum size: E_min * z <= E <= E_max * z, z binary (built at least E_min, or not)

Full year: S_prev(0) is the last hour (cyclic). Typical days (Kotzur et al. 2018, "MaxMin"):
S_t is the state within the day relative to its start (free sign); for each typical day k,
``lo_k <= S_t <= hi_k`` with lo_k <= 0 <= hi_k; for each day d of the year, of typical day
k(d), the state at its start ``Q_d >= 0`` links the days in order:
``Q_{d+1} = Q_d + S_end(k(d))``, ``Q_0 = Q_365`` (cyclic), and
``Q_d + lo_k(d) >= 0``, ``Q_d + hi_k(d) <= (1 - s_min) E``.

| symbol | meaning                         | name in code                                | unit    |
|--------|---------------------------------|---------------------------------------------|---------|
| E      | energy capacity (nameplate)     | ``energy_kwh``                              | kWh     |
| P      | power capacity                  | ``power_kw``                                | kW      |
| S_t    | state of charge above minimum   | ``soc_kwh``                                 | kWh     |
| Ch_t   | charging power                  | ``charge_kw``                               | kW      |
| Dis_t  | discharging power               | ``discharge_kw``                            | kW      |
| RTE    | round-trip efficiency           | ``storage_round_trip_efficiency_fraction``  | -       |
| s_min  | minimum state of charge         | ``storage_min_soc_fraction``                | -       |
| c_E    | energy capital cost             | ``storage_energy_capex_krw_per_kwh``        | KRW/kWh |
| c_P    | power capital cost              | ``storage_power_capex_krw_per_kw``          | KRW/kW  |
| om     | fixed O&M share of capex        | ``storage_fixed_om_fraction``               | 1/yr    |

The model never needs to charge and discharge in the same step (curtailment is free), but
the LP may return such a tie; :func:`results` removes it without changing the state of charge
and counts the extra surplus as curtailment (``simultaneous_steps_fixed`` says how often).
"""

from __future__ import annotations

import math

import numpy as np
import pyomo.core as pyo

from pvcluster.sizing.data import SiteData

NAME = "storage"


def one_way_efficiency(s: SiteData) -> float:
    """eta = sqrt(RTE): the share of a charged kWh that reaches the store, and of a stored kWh that leaves it."""
    return math.sqrt(s.storage_round_trip_efficiency_fraction)


def usable_fraction(s: SiteData) -> float:
    """1 - s_min: the share of the energy capacity the state of charge may use."""
    return 1.0 - s.storage_min_soc_fraction


def build(b: pyo.Block, s: SiteData) -> None:
    m = b.parent_block()
    T = m.T
    grid = s.time
    n = len(T)
    eta = one_way_efficiency(s)
    usable = usable_fraction(s)
    cap_max = s.storage_max_energy_kwh if s.allow_storage else 0.0
    b.energy_kwh = pyo.Var(bounds=(0.0, cap_max))
    b.power_kw = pyo.Var(bounds=(0.0, None if s.allow_storage else 0.0))
    b.charge_kw = pyo.Var(T, within=pyo.NonNegativeReals)
    b.discharge_kw = pyo.Var(T, within=pyo.NonNegativeReals)
    b.charge_limit = pyo.Constraint(T, rule=lambda b, t: b.charge_kw[t] <= b.power_kw)
    b.discharge_limit = pyo.Constraint(T, rule=lambda b, t: b.discharge_kw[t] <= b.power_kw)
    if grid.is_full_year:
        b.soc_kwh = pyo.Var(T, within=pyo.NonNegativeReals)
        b.soc_balance = pyo.Constraint(T, rule=lambda b, t: b.soc_kwh[t] == b.soc_kwh[(t - 1) % n]
                                       + eta * b.charge_kw[t] - b.discharge_kw[t] / eta)
        b.soc_limit = pyo.Constraint(T, rule=lambda b, t: b.soc_kwh[t] <= usable * b.energy_kwh)
    else:
        H = grid.period_hours
        b.K = pyo.RangeSet(0, grid.periods - 1)
        b.D = pyo.RangeSet(0, len(grid.day_to_period))
        b.soc_kwh = pyo.Var(T)  # relative to the start of its typical day
        b.hi_kwh = pyo.Var(b.K, within=pyo.NonNegativeReals)
        b.lo_kwh = pyo.Var(b.K, within=pyo.NonPositiveReals)
        b.day_start_kwh = pyo.Var(b.D, within=pyo.NonNegativeReals)

        def balance(b, t):
            prev = b.soc_kwh[t - 1] if t % H else 0.0
            return b.soc_kwh[t] == prev + eta * b.charge_kw[t] - b.discharge_kw[t] / eta
        b.soc_balance = pyo.Constraint(T, rule=balance)
        b.soc_hi = pyo.Constraint(T, rule=lambda b, t: b.soc_kwh[t] <= b.hi_kwh[t // H])
        b.soc_lo = pyo.Constraint(T, rule=lambda b, t: b.soc_kwh[t] >= b.lo_kwh[t // H])
        k_of = grid.day_to_period
        n_days = len(k_of)
        b.link = pyo.Constraint(pyo.RangeSet(0, n_days - 1), rule=lambda b, d: b.day_start_kwh[d + 1]
                                == b.day_start_kwh[d] + b.soc_kwh[int(k_of[d]) * H + H - 1])
        b.cyclic = pyo.Constraint(expr=b.day_start_kwh[0] == b.day_start_kwh[n_days])
        b.day_lo = pyo.Constraint(pyo.RangeSet(0, n_days - 1),
                                  rule=lambda b, d: b.day_start_kwh[d] + b.lo_kwh[int(k_of[d])] >= 0.0)
        b.day_hi = pyo.Constraint(pyo.RangeSet(0, n_days - 1), rule=lambda b, d: b.day_start_kwh[d]
                                  + b.hi_kwh[int(k_of[d])] <= usable * b.energy_kwh)
    if s.storage_min_energy_kwh > 0 and s.allow_storage:
        b.built = pyo.Var(within=pyo.Binary)
        b.min_size = pyo.Constraint(expr=b.energy_kwh >= s.storage_min_energy_kwh * b.built)
        b.max_size = pyo.Constraint(expr=b.energy_kwh <= s.storage_max_energy_kwh * b.built)
    b.net_kw = [b.discharge_kw[t] - b.charge_kw[t] for t in T]
    b.capex_krw = pyo.Expression(expr=s.storage_energy_capex_krw_per_kwh * b.energy_kwh
                                 + s.storage_power_capex_krw_per_kw * b.power_kw)
    y_e = s.storage_energy_costs.lp_coefficient(s.annualization)[1]
    y_p = s.storage_power_costs.lp_coefficient(s.annualization)[1]
    b.annual_krw = pyo.Expression(expr=y_e * b.energy_kwh + y_p * b.power_kw)


#: The rows of the full year's storage block, every one of which :func:`daily_cycle_cost`'s dispatch meets.
CYCLE_ROWS = frozenset({"charge_limit", "discharge_limit", "soc_balance", "soc_limit"})


def daily_cycle_cost(charge: np.ndarray, discharge: np.ndarray, soc: np.ndarray, power: float, energy: float,
                     s: SiteData, steps_per_day: int = 24) -> float:
    """The cost of one storage dispatch of the full year under the cost vectors given (KRW per unit of each
    variable: ``charge``, ``discharge`` and ``soc`` by hour, ``power`` per kW and ``energy`` per kWh), on the
    cone of the storage's own rows normalized to P + E = 1 (:meth:`pvcluster.sizing.solve.SiteModel._storage_cannot_pay`
    prices reduced costs on it): an upper bound on that cone's least cost, found without an LP.

    The dispatch: a store with E = eta P / (1 - s_min) and P = 1 - E; on every day where it pays under these
    costs, one cycle: full power charged in one step, the state of charge eta P held until a later step of the
    same day, which discharges eta^2 P and empties the store (the pair of steps the day's cheapest); every
    other step idle. It meets every row of the storage (its powers within P, its state within (1 - s_min) E,
    the cyclic balance); so where it costs less than zero, so does the cone's optimum."""
    eta, usable = one_way_efficiency(s), usable_fraction(s)
    p = usable / (usable + eta)
    days = len(charge) // steps_per_day

    def by_day(a: np.ndarray) -> np.ndarray:  # whole days only, one row each
        return a[:days * steps_per_day].reshape(days, steps_per_day)

    soc_by_day = by_day(soc)
    held = np.cumsum(soc_by_day, axis=1) - soc_by_day
    # a cycle charging at step i and discharging at j > i costs ch_i - eta H_i + eta H_j + eta^2 dis_j, with
    # H_k the day's soc costs before step k (the state eta P is held over steps i..j-1)
    start = by_day(charge) - eta * held
    end = eta * held + eta ** 2 * by_day(discharge)
    before = np.minimum.accumulate(start, axis=1)[:, :-1]  # the cheapest start before each step
    cycle = (before + end[:, 1:]).min(axis=1) if steps_per_day > 1 else np.zeros(days)
    return p * (power + energy * eta / usable + float(np.minimum(cycle, 0.0).sum()))


def remove_simultaneous(charge: np.ndarray, discharge: np.ndarray, eta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replace hours that both charge and discharge by one direction with the same SOC change.

    Returns (charge, discharge, extra surplus kW at the bus). With dSOC = eta*Ch - Dis/eta kept:
    if dSOC >= 0 the hour only charges dSOC/eta; else it only discharges -dSOC*eta.
    """
    both = (charge > 1e-9) & (discharge > 1e-9)
    ch, dis = charge.copy(), discharge.copy()
    dsoc = eta * charge - discharge / eta
    ch[both] = np.where(dsoc[both] >= 0, dsoc[both] / eta, 0.0)
    dis[both] = np.where(dsoc[both] < 0, -dsoc[both] * eta, 0.0)
    surplus = (dis - ch) - (discharge - charge)  # more power left at the bus
    return ch, dis, np.clip(surplus, 0.0, None)


def results(b: pyo.Block, s: SiteData) -> dict:
    T = b.parent_block().T
    eta = one_way_efficiency(s)
    ch = np.array([pyo.value(b.charge_kw[t]) for t in T])
    dis = np.array([pyo.value(b.discharge_kw[t]) for t in T])
    soc = np.array([pyo.value(b.soc_kwh[t]) for t in T])
    fixed = int(((ch > 1e-9) & (dis > 1e-9)).sum())
    ch, dis, surplus = remove_simultaneous(ch, dis, eta)
    if not s.time.is_full_year:  # absolute state: start of the day plus the within-day state
        grid = s.time
        starts = np.array([pyo.value(b.day_start_kwh[d]) for d in range(len(grid.day_to_period))])
        soc = grid.expand(soc) + np.repeat(starts, grid.period_hours)  # a whole year, hour by hour
    e = pyo.value(b.energy_kwh)
    soc = soc + s.storage_min_soc_fraction * e  # the state of charge including the minimum
    return {
        "hourly": {"storage_charge_kw": ch, "storage_discharge_kw": dis, "storage_soc_kwh": soc},
        "sizes": {"storage_energy_kwh": e, "storage_power_kw": pyo.value(b.power_kw)},
        "surplus_kw": surplus,
        "simultaneous_steps_fixed": fixed,
    }
