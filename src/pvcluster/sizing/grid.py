"""Grid block: import at the KEPCO tariff, export at the market price, within connection limits.

Equations (t in time steps with weights w_t, m in months):

    0 <= I_t <= I_max,   0 <= X_t <= X_max             (connection limits)
    net_t = I_t - X_t                                   (power into the site's bus)
    Pk_m >= I_t  for every step t of month m            (monthly peak, where the tariff has a demand charge)
    annual = sum_t w_t (p_imp,t I_t - p_exp,t X_t) + 12-month sum of c_dem * Pk_m

The import price is the tariff's energy charge in each hour: flat for residential customers,
time-of-use (light, mid and peak load hours by season) for industrial and general service.
The export price is SMP plus the REC price times the installation's REC weight.

| symbol  | meaning                       | name in code                        | unit         |
|---------|-------------------------------|-------------------------------------|--------------|
| I_t     | grid import                   | ``import_kw``                       | kW           |
| X_t     | grid export                   | ``export_kw``                       | kW           |
| Pk_m    | monthly peak import           | ``peak_kw``                         | kW           |
| p_imp,t | import energy charge          | ``import_price_krw_per_kwh``        | KRW/kWh      |
| p_exp,t | export price                  | ``export_price_krw_per_kwh``        | KRW/kWh      |
| c_dem   | demand (basic) charge         | ``demand_charge_krw_per_kw_month``  | KRW/kW/month |
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from pvcluster.sizing.data import SiteData

NAME = "grid"


def build(b: pyo.Block, s: SiteData) -> None:
    T = b.parent_block().T
    w = s.time.weights
    b.import_kw = pyo.Var(T, bounds=(0.0, s.import_limit_kw))
    b.export_kw = pyo.Var(T, bounds=(0.0, s.export_limit_kw))
    b.net_kw = [b.import_kw[t] - b.export_kw[t] for t in T]
    pi, pe = s.import_price_krw_per_kwh, s.export_price_krw_per_kwh
    energy = pyo.quicksum(float(w[t] * pi[t]) * b.import_kw[t] - float(w[t] * pe[t]) * b.export_kw[t] for t in T)
    if s.demand_charge_krw_per_kw_month > 0:
        months = [m for m in range(12) if len(s.time.month_steps[m])]
        b.M = pyo.Set(initialize=months, ordered=True)
        b.peak_kw = pyo.Var(b.M, within=pyo.NonNegativeReals)
        pairs = [(m, int(t)) for m in months for t in s.time.month_steps[m]]
        b.peak = pyo.Constraint(pairs, rule=lambda b, m, t: b.peak_kw[m] >= b.import_kw[t])
        energy = energy + s.demand_charge_krw_per_kw_month * pyo.quicksum(b.peak_kw[m] for m in b.M)
    b.annual_krw = pyo.Expression(expr=energy)
    b.capex_krw = pyo.Expression(expr=0.0)
    b.life_years = s.pv_life_years


def results(b: pyo.Block, s: SiteData) -> dict:
    T = b.parent_block().T
    imp = np.array([pyo.value(b.import_kw[t]) for t in T])
    exp = np.array([pyo.value(b.export_kw[t]) for t in T])
    peaks = [pyo.value(b.peak_kw[m]) for m in b.M] if hasattr(b, "peak_kw") else []
    return {
        "hourly": {"grid_import_kw": imp, "grid_export_kw": exp},
        "sizes": {"grid_peak_import_kw": float(imp.max()) if len(imp) else 0.0},
        "import_energy_cost_krw_per_year": s.annual(imp * s.import_price_krw_per_kwh),
        "demand_charge_krw_per_year": s.demand_charge_krw_per_kw_month * float(sum(peaks)),
        "export_revenue_krw_per_year": s.annual(exp * s.export_price_krw_per_kwh),
    }
