"""Grid block: import at the retail tariff, export at the market price, within connection limits.

Equations (t in hours):

    0 <= I_t <= I_max,   0 <= X_t <= X_max            (connection limits)
    net_t = I_t - X_t                                  (power into the site's bus)
    cost = sum_t (p_imp,t * I_t - p_exp,t * X_t)

| symbol  | meaning              | name in code                  | unit    |
|---------|----------------------|-------------------------------|---------|
| I_t     | grid import          | ``import_kw``                 | kW      |
| X_t     | grid export          | ``export_kw``                 | kW      |
| p_imp,t | import energy price  | ``import_price_krw_per_kwh``  | KRW/kWh |
| p_exp,t | export energy price  | ``export_price_krw_per_kwh``  | KRW/kWh |
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from pvcluster.sizing.data import SiteData

NAME = "grid"


def build(b: pyo.Block, s: SiteData) -> None:
    T = b.model().T
    b.import_kw = pyo.Var(T, bounds=(0.0, s.import_limit_kw))
    b.export_kw = pyo.Var(T, bounds=(0.0, s.export_limit_kw))
    b.net_kw = pyo.Expression(T, rule=lambda b, t: b.import_kw[t] - b.export_kw[t])
    pi, pe = s.import_price_krw_per_kwh, s.export_price_krw_per_kwh
    b.cost_krw = pyo.Expression(expr=pyo.quicksum(
        float(pi[t]) * b.import_kw[t] - float(pe[t]) * b.export_kw[t] for t in T))


def results(b: pyo.Block, s: SiteData) -> dict:
    T = b.model().T
    imp = np.array([pyo.value(b.import_kw[t]) for t in T])
    exp = np.array([pyo.value(b.export_kw[t]) for t in T])
    return {
        "hourly": {"grid_import_kw": imp, "grid_export_kw": exp},
        "sizes": {},
        "cost_krw_per_year": pyo.value(b.cost_krw),
        "import_cost_krw_per_year": float(imp @ s.import_price_krw_per_kwh),
        "export_revenue_krw_per_year": float(exp @ s.export_price_krw_per_kwh),
    }
