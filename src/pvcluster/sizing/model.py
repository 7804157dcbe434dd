"""Assemble a site's sizing model from its technology blocks, and a cluster of sites.

A site's model is built from a list of technology modules (:func:`technologies_for`), each
owning a Pyomo ``Block``: ``build(block, data)`` declares its variables and constraints, its
power into the site's bus ``net_kw[t]`` (a list of linear expressions, one per time step, rather
than an ``Expression`` component: the balance rows are then flat sums, which Pyomo builds and
hands to HiGHS faster), its overnight capital ``capex_krw`` and its yearly costs ``annual_krw``
(O&M, insurance and taxes, replacements spread over the life, bills, revenue as a negative cost);
``results(block, data)`` extracts sizes, hourly series and costs. The model adds what couples
the blocks:

    sum_k net_k,t + U_t = L_t                                     (energy balance, every step)
    I_g,t <= L_g,t + Ch_t [g host] + sum_f L_f,t y_f [g pilot supply]
                                                                  (a meter buys for its own loads only)
    sum_t w_t (I_t + U_t) - S_ss <= (1 - tau) E_base + sum_f (1 - tau_p) E_f y_f
                                                                  (self-sufficiency and pilot share)
    sum_t w_t PV_t + S_re >= E_base + sum_f E_f y_f               (RE100, or pilot_matching = "annual")
    I_supply,t = 0,  Ch_t <= PV_t                                 (pilot_matching = "hourly")
    X_t <= PV_t                                                   (only local PV is exported, where
                                                                   export can earn more than import costs)

and the objective, the sum of the blocks' cost terms in after-tax annualized KRW a year
(:class:`pvcluster.costs.Annualization`):

    min  (K + lambda) sum_k capex_k + sum_k annual_k              annualized cost
    min  (1 - tau) A [K sum_k capex_k + sum_k annual_k] + lambda sum_k capex_k     "npv": -NPV

with K the capex factor (capital recovery after the tax shield of depreciation), A the annuity
factor of the analysis period and tau the project's marginal tax rate. K is a mutable parameter
(``capex_factor``): the tax rate depends on the project's taxable income, which
:mod:`pvcluster.sizing.solve` finds after a solve and updates. ``lambda`` (``budget_price``,
a mutable parameter, 0 by default) is the price of the cluster's shared capital budget that
:mod:`pvcluster.sizing.cluster` sets when it decomposes the cluster.

| symbol | meaning                                  | name in code                         | unit    |
|--------|------------------------------------------|--------------------------------------|---------|
| L_t    | load always served (not pilot loads)     | ``SiteData.load_kw``                 | kW      |
| L_g,t  | the loads on meter g                     | ``MeterData.load_kw``                | kW      |
| E_base | its annual energy                        | ``SiteData.annual(load_kw)``         | kWh     |
| tau    | self-sufficiency target                  | ``self_sufficiency_target_fraction`` | -       |
| tau_p  | pilot share of enrolled energy from PV   | ``pilot_pv_share_fraction``          | -       |
| w_t    | hours step t stands for                  | ``TimeGrid.weights``                 | h       |
| K      | capex factor                             | ``capex_factor``                     | 1/yr    |
| U_t, S | unserved load and requirement shortfalls | elastic model only                   | kW, kWh |

U_t and S exist only in the *elastic* model that diagnoses an infeasible case; the normal
model has neither, so it is infeasible exactly when a requirement cannot be met. Unserved load
costs ten times more than a shortfall, so the diagnosis blames the requirement when the
requirement is what cannot be met.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

# pyomo.core, not pyomo.environ: the modelling components are the same objects, without the plugins
# (transformations, GDP, DAE, file writers, the solver factory) that environ also imports: a sizing
# worker's imports took 0.49 s against 0.69 s (README, "Levers for the default run")
import pyomo.core as pyo
from pyomo.common.gc_manager import PauseGC

from pvcluster.sizing import curtailment, grid, pilot, pv, storage
from pvcluster.sizing.data import SiteData

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


def cost_factors(s: SiteData, objective: str) -> tuple[float, float]:
    """(factor on capex, factor on the yearly terms) for the chosen objective (tau and K of the site)."""
    a = s.annualization
    scale = a.objective_scale(objective)
    return scale * a.capex_factor(), scale


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
    pilot_block = getattr(m, "pilot", None)
    storage_block = getattr(m, "storage", None)
    if hasattr(m, "grid"):
        _meter_rows(m, s, pilot_block, storage_block)
    if hasattr(m, "grid") and hasattr(m, "pv") and (
            0 < float(s.export_price_krw_per_kwh.max()) * s.export_weight >= _cheapest_import(s) * s.import_weight
            or m.grid.net_metered and len(s.grid_meters) > 1):
        # Only local PV may be exported; else buying at a low tariff hour and selling at SMP + REC
        # (or netting against a dearer month) would pay. (Not needed where export earns less.)
        m.export_from_pv = pyo.Constraint(m.T, rule=lambda m, t: m.grid.export_kw[t] <= m.pv.net_kw[t])
    base_kwh = s.annual(load)
    pilot_terms = [(pilot_block.energy_kwh[f], pilot_block.enrolled[f]) for f in pilot_block.F] if pilot_block else []
    tau, tau_p = s.self_sufficiency_target_fraction, s.pilot_pv_share_fraction
    share_rule = tau > 0 or (pilot_terms and tau_p > 0 and s.pilot_matching == "share")
    if hasattr(m, "grid") and share_rule:
        imported = _daily_sums(m, "import_day_kwh", lambda t: float(w[t]) * (
            m.grid.import_kw[t] + (m.unserved_kw[t] if elastic else 0.0)))
        pilot_share = tau_p if s.pilot_matching == "share" else 0.0
        # the target is a mutable parameter: a study's next case may change it on the built model
        m.self_sufficiency_target = pyo.Param(initialize=tau, mutable=True)
        m.self_sufficiency = pyo.Constraint(
            expr=imported - (m.shortfall_kwh["self_sufficiency"] if elastic else 0.0)
            <= (1.0 - m.self_sufficiency_target) * base_kwh
            + pyo.quicksum((1.0 - pilot_share) * e * y for e, y in pilot_terms))
    annual_match = pilot_terms and s.pilot_matching == "annual"
    if (s.re100 or annual_match) and hasattr(m, "pv"):
        generated = _daily_sums(m, "pv_day_kwh", lambda t: float(w[t]) * m.pv.net_kw[t])
        m.re100 = pyo.Constraint(expr=generated + (m.shortfall_kwh["re100"] if elastic else 0.0)
                                 >= base_kwh + pyo.quicksum(e * y for e, y in pilot_terms))
    if pilot_terms and s.pilot_matching == "hourly" and storage_block is not None and hasattr(m, "pv"):
        cur = getattr(m, "curtailment", None)
        m.charge_from_pv = pyo.Constraint(m.T, rule=lambda m, t: storage_block.charge_kw[t]
                                          <= m.pv.net_kw[t] - (cur.curtailed_kw[t] if cur is not None else 0.0))
    m.capex_factor = pyo.Param(initialize=cost_factors(s, objective)[0], mutable=True)
    annual = pyo.quicksum(b.annual_krw for b in blocks)
    if objective == "npv":  # (1 - tau) A: the tax rate moves it
        m.annual_scale = pyo.Param(initialize=cost_factors(s, objective)[1], mutable=True)
        annual = m.annual_scale * annual
    # For the annualized cost the yearly terms' factor is 1 whatever the tax rate: no parameter, so the
    # objective's yearly terms (a coefficient per hour and meter) are plain numbers to Pyomo, which then
    # neither builds nor re-evaluates a mutable coefficient for each (1.7 s of the industrial complex's
    # sizing, its tax-rate re-solve included).
    cost = m.capex_factor * pyo.quicksum(b.capex_krw for b in blocks) + annual
    if elastic:
        cost = cost + ELASTIC_PENALTY_KRW_PER_KWH * (
            10.0 * pyo.quicksum(float(w[t]) * m.unserved_kw[t] for t in m.T)
            + m.shortfall_kwh["self_sufficiency"] + m.shortfall_kwh["re100"])
    m.cost_krw = pyo.Expression(expr=cost)
    m.capex_krw = pyo.Expression(expr=pyo.quicksum(b.capex_krw for b in blocks))


def _cheapest_import(s: SiteData) -> float:
    """The lowest price a kWh imported through any of the site's meters costs (KRW/kWh, fund and VAT in)."""
    prices = []
    for md in s.grid_meters:
        t = md.terms
        hourly = float(np.min(t.energy_krw_per_kwh)) if len(t.energy_krw_per_kwh) else 0.0
        first = min((float(b[1][0]) for b in t.monthly_blocks), default=0.0) if t.monthly_blocks else 0.0
        prices.append((hourly + first) * t.scale)
    return min(prices, default=0.0)


def _meter_rows(m: pyo.Block, s: SiteData, pilot_block, storage_block) -> None:
    """A meter buys only for its own loads: the host meter also for the storage's charging, the
    pilot supply meter for the enrolled facilities (skipped when the site has one meter)."""
    meters = s.grid_meters
    for g, md in enumerate(meters):
        dm = getattr(m.grid, f"demand_{g}", None)
        if not (md.pilot_supply and pilot_block is not None and dm is not None):
            continue
        months = list(dm.demand_kw.index_set())
        if md.contract_follows_enrollment:  # contract = sum of the enrolled facilities' peaks
            share = s.tariff_rules.demand_floor_fraction_of_contract if s.tariff_rules is not None else 0.0
            dm.floor_of_enrolled = pyo.Constraint(months, rule=lambda dm, mo: dm.demand_kw[mo] >= share * pyo.quicksum(
                s.pilot[f].contract_kw * pilot_block.enrolled[f] for f in pilot_block.F))
        elif md.terms.demand_floor_kw > 0:  # a given contract, billed once any facility is enrolled
            floor = md.terms.demand_floor_kw
            dm.floor_if_enrolled = pyo.Constraint(months, list(pilot_block.F),
                                                  rule=lambda dm, mo, f: dm.demand_kw[mo] >= floor * pilot_block.enrolled[f])
    if len(meters) == 1:
        return
    g_imp = m.grid.imp
    rows = [g for g, md in enumerate(meters) if md.host or md.pilot_supply]
    if not rows:
        return

    def rule(m, g, t):
        md = meters[g]
        rhs = float(md.load_kw[t])
        if md.host and storage_block is not None:
            rhs = rhs + storage_block.charge_kw[t]
        if md.pilot_supply and pilot_block is not None:
            rhs = rhs - pilot_block.net_kw[t]  # the pilot block's net_kw is minus the enrolled load
        if isinstance(rhs, float):
            return pyo.Constraint.Skip if rhs >= s.import_limit_kw else g_imp[g, t] <= rhs
        return g_imp[g, t] <= rhs
    m.meter_own_load = pyo.Constraint(rows, m.T, rule=rule)


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
        m.budget_krw = pyo.Param(initialize=budget_krw, mutable=True)  # a study's next case may change it
        m.budget = pyo.Constraint(expr=total_capex - (m.budget_excess_krw if elastic else 0.0) <= m.budget_krw)
    cost = pyo.quicksum(m.site[s.name].cost_krw for s in sites)
    if elastic and budget_krw > 0:
        cost = cost + 10.0 * m.budget_excess_krw  # over budget costs more than any capex it buys
    m.objective = pyo.Objective(expr=cost, sense=pyo.minimize)
    return m
