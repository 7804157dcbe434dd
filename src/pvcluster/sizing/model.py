"""Assemble a site's sizing LP from its technology blocks.

The model is built from :data:`TECHNOLOGIES`, a list of modules that each own a Pyomo
``Block``: ``build(block, data)`` declares its variables, constraints, ``net_kw[t]`` (power
into the site's bus) and ``cost_krw`` (annualized KRW); ``results(block, data)`` extracts
sizes, hourly series and costs. The model then adds what couples them:

    sum_k net_k,t + U_t >= load_t                                 (energy balance, every hour)
    sum_t (I_t + U_t) - S <= (1 - target) * sum_t load_t          (self-sufficiency target)
    minimize  sum_k cost_k + penalty * (10 * sum_t U_t + S)

U_t (unserved load, ``unserved_kw``) and S (self-sufficiency shortfall, ``shortfall_kwh``)
exist only in the *elastic* model that diagnoses an infeasible case; the normal model has
neither, so it is infeasible exactly when the requirements cannot be met. Unserved load
counts as imported in the target and costs ten times more than a shortfall, so the diagnosis
blames the target when the target is what cannot be met. The balance is an
inequality: its surplus is PV that is curtailed (only PV can produce a surplus, since import,
export and discharge all cost something or earn less than they cost), reported as
``pv_curtailed_kw``. Dropping an explicit curtailment variable removes 8760 columns and rows.
"""

from __future__ import annotations

from types import ModuleType

import pyomo.environ as pyo

from pvcluster.sizing import grid, pv, storage
from pvcluster.sizing.data import SiteData

TECHNOLOGIES: tuple[ModuleType, ...] = (pv, storage, grid)

#: Cost of a kWh of unserved load or self-sufficiency shortfall in the elastic model (KRW/kWh);
#: far above any tariff so slack is used only where nothing else can meet the requirement.
ELASTIC_PENALTY_KRW_PER_KWH = 1.0e6


def build_site_model(s: SiteData, *, elastic: bool = False,
                     technologies: tuple[ModuleType, ...] = TECHNOLOGIES) -> pyo.ConcreteModel:
    s.check()
    m = pyo.ConcreteModel(name=s.name)
    m.T = pyo.RangeSet(0, s.hours - 1)
    m.technologies = [tech.NAME for tech in technologies]
    for tech in technologies:
        block = pyo.Block()
        m.add_component(tech.NAME, block)
        tech.build(block, s)
    blocks = [getattr(m, tech.NAME) for tech in technologies]
    load = s.load_kw

    if elastic:
        m.unserved_kw = pyo.Var(m.T, within=pyo.NonNegativeReals)
        m.shortfall_kwh = pyo.Var(within=pyo.NonNegativeReals)
    m.balance = pyo.Constraint(m.T, rule=lambda m, t: sum(b.net_kw[t] for b in blocks)
                               + (m.unserved_kw[t] if elastic else 0.0) >= float(load[t]))
    if s.self_sufficiency_target_fraction > 0 and hasattr(m, "grid"):
        allowed = (1.0 - s.self_sufficiency_target_fraction) * float(load.sum())
        m.self_sufficiency = pyo.Constraint(
            expr=pyo.quicksum(m.grid.import_kw[t] + (m.unserved_kw[t] if elastic else 0.0) for t in m.T)
            - (m.shortfall_kwh if elastic else 0.0) <= allowed)
    cost = sum(b.cost_krw for b in blocks)
    if elastic:
        cost = cost + ELASTIC_PENALTY_KRW_PER_KWH * (10.0 * pyo.quicksum(m.unserved_kw[t] for t in m.T)
                                                      + m.shortfall_kwh)
    m.objective = pyo.Objective(expr=cost, sense=pyo.minimize)
    return m
