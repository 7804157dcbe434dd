"""Assemble a site's sizing model from its technology blocks, and a cluster of sites.

A site's model is built from a list of technology modules (:func:`technologies_for`), each
owning a Pyomo ``Block``: ``build(block, data)`` declares its variables and constraints, its
power into the site's bus ``net_kw[t]`` (a list of linear expressions, one per time step, rather
than an ``Expression`` component: the balance rows are then flat sums, which Pyomo builds and
hands to HiGHS faster), its overnight capital ``capex_krw``, its yearly costs
``annual_krw`` (O&M, energy, revenue as a negative cost) and the life of its assets
``life_years``; ``results(block, data)`` extracts sizes, hourly series and costs. The model adds
what couples the blocks:

    sum_k net_k,t + U_t = L_t                                     (energy balance, every step)
    sum_t w_t (I_t + U_t) - S_ss <= (1 - tau) E_base + sum_f (1 - tau_p) E_f y_f
                                                                  (self-sufficiency and pilot share)
    sum_t w_t PV_t + S_re >= E_base + sum_f E_f y_f               (RE100, when asked)
    X_t <= PV_t                                                   (only local PV is exported, where
                                                                   export can earn more than import costs)

and the objective, the sum of the blocks' cost terms:

    annualized cost:  min sum_k (CRF(r, life_k) + lambda) capex_k + annual_k
    NPV:              min sum_k (RF(r, life_k, N) + lambda) capex_k + AF(r, N) annual_k   (= -NPV)

with CRF the capital recovery factor, AF = 1/CRF(r, N) the annuity factor over the analysis
period N and RF the present value of buying the asset again at the end of each life within N.
``lambda`` (``budget_price``, a mutable parameter, 0 by default) is the price of the cluster's
shared capital budget that :mod:`pvcluster.sizing.cluster` sets when it decomposes the cluster.

| symbol | meaning                                  | name in code                         | unit    |
|--------|------------------------------------------|--------------------------------------|---------|
| L_t    | load always served (not pilot loads)     | ``SiteData.load_kw``                 | kW      |
| E_base | its annual energy                        | ``SiteData.annual(load_kw)``         | kWh     |
| tau    | self-sufficiency target                  | ``self_sufficiency_target_fraction`` | -       |
| tau_p  | pilot share of enrolled energy from PV   | ``pilot_pv_share_fraction``          | -       |
| w_t    | hours step t stands for                  | ``TimeGrid.weights``                 | h       |
| U_t, S | unserved load and requirement shortfalls | elastic model only                   | kW, kWh |

U_t and S exist only in the *elastic* model that diagnoses an infeasible case; the normal
model has neither, so it is infeasible exactly when a requirement cannot be met. Unserved load
costs ten times more than a shortfall, so the diagnosis blames the requirement when the
requirement is what cannot be met.
"""

from __future__ import annotations

from types import ModuleType

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from pvcluster.sizing import curtailment, grid, pilot, pv, storage
from pvcluster.sizing.data import SiteData, annuity_factor, capital_recovery_factor, replacement_factor

#: Cost of a kWh of unserved load or requirement shortfall in the elastic model (KRW/kWh);
#: far above any tariff so slack is used only where nothing else can meet the requirement.
ELASTIC_PENALTY_KRW_PER_KWH = 1.0e6

OBJECTIVES = ("annualized_cost", "npv")

# PAUSE_GC: models are built with Python's cyclic garbage collector paused (Pyomo's ``PauseGC``,
# as Pyomo's own file writers and model observer do): a village's hourly year creates some
# 400,000 small objects, and each collection on the way walks every live object of the process
# again. Pausing cut a village's build from 0.8 s to 0.26 s; the collector runs again afterwards.


TECHNOLOGIES: dict[str, ModuleType] = {t.NAME: t for t in (pv, storage, grid, curtailment, pilot)}


def technologies_for(s: SiteData) -> tuple[ModuleType, ...]:
    """The site's technology blocks, from its (the scenario's) list; pilot only with candidates."""
    return tuple(TECHNOLOGIES[name] for name in s.technologies if name != "pilot" or s.pilot)


def cost_factors(s: SiteData, life_years: float, objective: str) -> tuple[float, float]:
    """(factor on capex, factor on annual cost) of a block for the chosen objective."""
    r = s.discount_rate_fraction
    if objective == "npv":
        return replacement_factor(r, life_years, s.analysis_years), annuity_factor(r, s.analysis_years)
    return capital_recovery_factor(r, life_years), 1.0


def _daily_sums(m: pyo.Block, name: str, term) -> pyo.Expression:
    """The annual sum of ``term(t)`` through one variable per day (24 steps each).

    A single year-long row (8760 nonzeros) is a dense row that makes IPX slow on multi-site
    models; daily partial sums keep every row short at the cost of 365 columns and rows.
    """
    days = range((len(m.T) + 23) // 24)
    var = pyo.Var(days)
    m.add_component(name, var)
    m.add_component(f"{name}_definition", pyo.Constraint(days, rule=lambda m, d: var[d] == pyo.quicksum(
        term(t) for t in range(24 * d, min(24 * d + 24, len(m.T))))))
    return pyo.quicksum(var[d] for d in days)


def build_site_block(m: pyo.Block, s: SiteData, *, elastic: bool = False, objective: str = "annualized_cost",
                     technologies: tuple[ModuleType, ...] | None = None) -> None:
    """Declare one site on block ``m``: time steps, technology blocks, balance and requirements.

    Sets ``m.cost_krw`` (the site's objective terms without the budget price) and
    ``m.capex_krw`` (its overnight capital, which the shared budget limits).
    """
    s.check()
    technologies = technologies or technologies_for(s)
    m.T = pyo.RangeSet(0, s.steps - 1)
    m.technologies = [tech.NAME for tech in technologies]
    for tech in technologies:
        block = pyo.Block()
        m.add_component(tech.NAME, block)
        tech.build(block, s)
    blocks = [getattr(m, tech.NAME) for tech in technologies]
    load = s.load_kw
    w = s.time.weights

    if elastic:
        m.unserved_kw = pyo.Var(m.T, within=pyo.NonNegativeReals)
        m.shortfall_kwh = pyo.Var(["self_sufficiency", "re100"], within=pyo.NonNegativeReals)
    m.balance = pyo.Constraint(m.T, rule=lambda m, t: pyo.quicksum(b.net_kw[t] for b in blocks)
                               + (m.unserved_kw[t] if elastic else 0.0) == float(load[t]))
    if hasattr(m, "grid") and hasattr(m, "pv") and float(s.export_price_krw_per_kwh.max()) > 0 and \
            float(s.export_price_krw_per_kwh.max()) >= float(s.import_price_krw_per_kwh.min()):
        # Only local PV may be exported; else buying at a low tariff hour and selling at SMP + REC
        # would pay. (Not needed where export always earns less than import costs.)
        m.export_from_pv = pyo.Constraint(m.T, rule=lambda m, t: m.grid.export_kw[t] <= m.pv.net_kw[t])
    base_kwh = s.annual(load)
    pilot_block = getattr(m, "pilot", None)
    pilot_terms = [(pilot_block.energy_kwh[f], pilot_block.enrolled[f]) for f in pilot_block.F] if pilot_block else []
    tau, tau_p = s.self_sufficiency_target_fraction, s.pilot_pv_share_fraction
    if hasattr(m, "grid") and (tau > 0 or (pilot_terms and tau_p > 0)):
        imported = _daily_sums(m, "import_day_kwh", lambda t: float(w[t]) * (
            m.grid.import_kw[t] + (m.unserved_kw[t] if elastic else 0.0)))
        m.self_sufficiency = pyo.Constraint(
            expr=imported - (m.shortfall_kwh["self_sufficiency"] if elastic else 0.0)
            <= (1.0 - tau) * base_kwh + pyo.quicksum((1.0 - tau_p) * e * y for e, y in pilot_terms))
    if s.re100 and hasattr(m, "pv"):
        generated = _daily_sums(m, "pv_day_kwh", lambda t: float(w[t]) * m.pv.net_kw[t])
        m.re100 = pyo.Constraint(expr=generated + (m.shortfall_kwh["re100"] if elastic else 0.0)
                                 >= base_kwh + pyo.quicksum(e * y for e, y in pilot_terms))
    terms = []
    for b in blocks:
        f_capex, f_annual = cost_factors(s, b.life_years, objective)
        terms.append(f_capex * b.capex_krw + f_annual * b.annual_krw)
    cost = pyo.quicksum(terms)
    if elastic:
        cost = cost + ELASTIC_PENALTY_KRW_PER_KWH * (
            10.0 * pyo.quicksum(float(w[t]) * m.unserved_kw[t] for t in m.T)
            + m.shortfall_kwh["self_sufficiency"] + m.shortfall_kwh["re100"])
    m.cost_krw = pyo.Expression(expr=cost)
    m.capex_krw = pyo.Expression(expr=pyo.quicksum(b.capex_krw for b in blocks))


def build_site_model(s: SiteData, *, elastic: bool = False, objective: str = "annualized_cost",
                     technologies: tuple[ModuleType, ...] | None = None) -> pyo.ConcreteModel:
    """One site as its own model; ``budget_price`` (KRW per KRW of capex) prices the shared budget."""
    with PauseGC():  # see PAUSE_GC
        m = pyo.ConcreteModel(name=s.name)
        build_site_block(m, s, elastic=elastic, objective=objective, technologies=technologies)
        m.budget_price = pyo.Param(initialize=0.0, mutable=True)
        m.objective = pyo.Objective(expr=m.cost_krw + m.budget_price * m.capex_krw, sense=pyo.minimize)
    return m


def build_cluster_model(sites: list[SiteData], budget_krw: float, *, objective: str = "annualized_cost",
                        elastic: bool = False) -> pyo.ConcreteModel:
    """All sites in one model, coupled by ``sum_s capex_s <= budget`` (the monolithic reference)."""
    with PauseGC():  # see PAUSE_GC
        m = pyo.ConcreteModel(name="cluster")
        m.S = pyo.Set(initialize=[s.name for s in sites], ordered=True)
        m.site = pyo.Block(m.S)
        for s in sites:
            build_site_block(m.site[s.name], s, elastic=elastic, objective=objective)
    total_capex = pyo.quicksum(m.site[s.name].capex_krw for s in sites)
    if budget_krw > 0:
        if elastic:
            m.budget_excess_krw = pyo.Var(within=pyo.NonNegativeReals)
        m.budget = pyo.Constraint(expr=total_capex - (m.budget_excess_krw if elastic else 0.0) <= budget_krw)
    cost = pyo.quicksum(m.site[s.name].cost_krw for s in sites)
    if elastic and budget_krw > 0:
        cost = cost + 10.0 * m.budget_excess_krw  # over budget costs more than any capex it buys
    m.objective = pyo.Objective(expr=cost, sense=pyo.minimize)
    return m
