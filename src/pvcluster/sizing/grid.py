"""Grid block: import through each KEPCO meter behind the site's PV, export at the market price.

The site's meters and their cost terms come from the market's tariff records
(:func:`pvcluster.market.lp_terms`): the same records bill the meters in finance, so the LP
prices a kWh as KEPCO bills it. Equations (g meters, t time steps with weights w_t, m months with
step weights w_m,t, k blocks):

    0 <= I_g,t                                          import through meter g
    sum_g I_g,t <= I_max,  0 <= X_t <= X_max           connection limits
    net_t = sum_g I_g,t - X_t                           power into the site's bus
    energy_g = sum_t w_t e_g,t I_g,t                    hourly energy charges (time of use, seasonal)
    Q_g,m = sum_t w_m,t I_g,t [- sum_t w_m,t X_t - S_m-1 + S_m] >= 0   monthly energy [net metering]
    block cost = p_1 Q_g,m + sum_k>1 (p_k - p_k-1) e_g,m,k,  e_g,m,k >= Q_g,m - u_k-1,  e >= 0
                                                        (residential blocks, or net-metered energy;
                                                         convex as the prices rise block by block)
    P_g,m >= I_g,t  (mid and peak steps of month m)      the month's peak
    R_g >= P_g,j  (j in the billing-demand months)       the 12-month ratchet
    D_g,m >= P_g,m,  D_g,m >= R_g,  D_g,m >= floor_g     billing demand
    cost_g = scale_g (energy_g + sum_m,k p_m,k b_g,m,k + c_g sum_m D_g,m + fixed_g)
    annual = W_imp sum_g cost_g - W_exp sum_t w_t p_exp,t X_t

The rows that tie a meter's import to its own load (a meter cannot buy for another meter) need
the storage and pilot blocks, so :mod:`pvcluster.sizing.model` adds them.

| symbol  | meaning                                  | name in code                          | unit      |
|---------|------------------------------------------|---------------------------------------|-----------|
| I_g,t   | import through meter g                   | ``imp[g, t]``                         | kW        |
| X_t     | grid export                              | ``export_kw``                         | kW        |
| e_g,t   | energy charge plus climate and fuel      | ``MeterTerms.energy_krw_per_kwh``     | KRW/kWh   |
| Q_g,m   | billed energy of the month               | ``blocks_g.billed_kwh[m]``            | kWh       |
| e       | energy above a block's lower bound       | ``blocks_g.excess_kwh[m, k]``         | kWh       |
| u_k     | upper bound of block k (all meters)      | ``MeterTerms.monthly_blocks``         | kWh       |
| S_m     | net-metering surplus carried out of m    | ``surplus_kwh[m]``                    | kWh       |
| P, R, D | month's peak, ratchet, billing demand    | ``peak_kw``, ``ratchet_kw``, ``demand_kw`` | kW   |
| c_g     | basic charge per kW of billing demand    | ``MeterTerms.demand_rate_krw_per_kw_month`` | KRW/kW/month |
| scale_g | fund, and VAT where the payer bears it   | ``MeterTerms.scale``                  | -         |
| p_exp,t | export price                             | ``SiteData.export_price_krw_per_kwh`` | KRW/kWh   |
| W       | weights of the price paths               | ``import_weight``, ``export_weight``  | -         |
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo

from pvcluster.sizing.data import SiteData
from pvcluster.sizing.expressions import value

NAME = "grid"


def build(b: pyo.Block, s: SiteData) -> None:
    T = b.parent_block().T
    w = s.time.weights
    meters = s.grid_meters
    G = range(len(meters))
    b.G = pyo.Set(initialize=list(G), ordered=True)
    single = len(meters) == 1
    loads = [np.asarray(md.load_kw, dtype=float) for md in meters]
    hourly_match = s.pilot_matching == "hourly"

    def bounds(b, g, t):
        md = meters[g]
        if md.pilot_supply and hourly_match:  # enrolled facilities take no grid energy at all
            return 0.0, 0.0
        if single or md.host or md.pilot_supply:
            return 0.0, s.import_limit_kw  # rows in model.py tie these to their loads
        return 0.0, min(float(loads[g][t]), s.import_limit_kw)

    b.imp = pyo.Var(b.G, T, bounds=bounds)
    b.export_kw = pyo.Var(T, bounds=(0.0, s.export_limit_kw))
    b.import_kw = [pyo.quicksum(b.imp[g, t] for g in G) if not single else b.imp[0, t] for t in T]
    b.net_kw = [b.import_kw[t] - b.export_kw[t] for t in T]
    if not single:
        b.import_limit = pyo.Constraint(T, rule=lambda b, t: b.import_kw[t] <= s.import_limit_kw)
    months = [m for m in range(12) if len(s.time.month_steps[m])]
    month_w = {m: s.time.month_weights(m) for m in months}
    costs = []
    b.net_metered = any(md.terms.net_metering for md in meters)
    if b.net_metered:
        b.surplus_kwh = pyo.Var(months, within=pyo.NonNegativeReals)
    for g, md in enumerate(meters):
        t_ = md.terms
        terms = []
        e = np.asarray(t_.energy_krw_per_kwh, dtype=float)
        nz = np.flatnonzero(e != 0.0)
        if len(nz):
            terms.append(pyo.quicksum(float(w[t] * e[t]) * b.imp[g, int(t)] for t in nz))
        if t_.monthly_blocks is not None:
            # Convex blocks as the first block's price on every kWh plus, for each higher block, the price
            # step on the energy above its threshold: p_1 Q + sum_k (p_k - p_k-1) max(0, Q - u_k-1). The first
            # price sits on the hourly imports (and, netted, on exports and the carried surplus), so every
            # import has a cost of its own; with all of it in monthly block variables IPX took 2-3x longer.
            blk = pyo.Block()
            b.add_component(f"blocks_{g}", blk)
            first = {m: float(t_.monthly_blocks[m][1][0]) for m in months}
            p1 = sum(month_w[m] * first[m] for m in months)  # per step: weighted first prices
            nz1 = np.flatnonzero(p1 != 0.0)
            terms.append(pyo.quicksum(float(p1[t]) * b.imp[g, int(t)] for t in nz1))
            imp_day = _day_sums(blk, "import_day_kwh", lambda t, g=g: b.imp[g, t], len(T))
            exp_day = None
            prev = {m: months[i - 1] if i > 0 else None for i, m in enumerate(months)}
            if t_.net_metering:
                exp_day = _day_sums(blk, "export_day_kwh", lambda t: b.export_kw[t], len(T))
                terms.append(-pyo.quicksum(float(p1[t]) * b.export_kw[int(t)] for t in nz1))
                terms.append(pyo.quicksum(first[m] * (b.surplus_kwh[m] - (b.surplus_kwh[prev[m]]
                                                                         if prev[m] is not None else 0.0))
                                          for m in months))

            def billed(m):
                days = [(d, float(month_w[m][24 * d])) for d in range(len(imp_day)) if month_w[m][24 * d] > 0]
                expr = pyo.quicksum(wd * imp_day[d] for d, wd in days)
                if exp_day is not None:
                    expr = expr - pyo.quicksum(wd * exp_day[d] for d, wd in days) \
                        + b.surplus_kwh[m] - (b.surplus_kwh[prev[m]] if prev[m] is not None else 0.0)
                return expr
            blk.billed_kwh = pyo.Expression(months, rule=lambda blk, m: billed(m))
            if exp_day is not None:
                blk.billed_nonnegative = pyo.Constraint(months, rule=lambda blk, m: blk.billed_kwh[m] >= 0.0)
            steps = []  # (month, block k >= 1, threshold u_k-1, price step)
            for m in months:
                widths, prices = t_.monthly_blocks[m]
                thresholds = np.cumsum(widths)[:-1]
                steps += [(m, k, float(thresholds[k - 1]), float(prices[k] - prices[k - 1]))
                          for k in range(1, len(prices))]
            blk.excess_kwh = pyo.Var([(m, k) for m, k, _, _ in steps], within=pyo.NonNegativeReals)
            blk.excess = pyo.Constraint([(m, k) for m, k, _, _ in steps], rule=lambda blk, m, k: blk.excess_kwh[m, k]
                                        >= blk.billed_kwh[m] - next(u for mm, kk, u, _ in steps if (mm, kk) == (m, k)))
            terms.append(pyo.quicksum(dp * blk.excess_kwh[m, k] for m, k, _, dp in steps))
        if t_.demand_rate_krw_per_kw_month > 0:
            dm = pyo.Block()
            b.add_component(f"demand_{g}", dm)
            dmonths = [m for m in months if len(t_.demand_steps[m])]
            dm.peak_kw = pyo.Var(dmonths, within=pyo.NonNegativeReals)
            pairs = [(m, int(t)) for m in dmonths for t in t_.demand_steps[m]]
            dm.peak = pyo.Constraint(pairs, rule=lambda dm, m, t, g=g: dm.peak_kw[m] >= b.imp[g, t])
            # a pilot supply meter exists only once a facility is enrolled: model.py adds its floor as
            # demand_kw >= floor x y_f for every candidate f
            floor = 0.0 if md.pilot_supply and s.pilot else t_.demand_floor_kw
            dm.demand_kw = pyo.Var(months, bounds=(floor, None))
            dm.own = pyo.Constraint(dmonths, rule=lambda dm, m: dm.demand_kw[m] >= dm.peak_kw[m])
            ratchet = [m - 1 for m in t_.billing_demand_months if (m - 1) in dmonths]
            if ratchet:
                dm.ratchet_kw = pyo.Var(within=pyo.NonNegativeReals)
                dm.ratchet_from = pyo.Constraint(ratchet, rule=lambda dm, j: dm.ratchet_kw >= dm.peak_kw[j])
                dm.ratchet = pyo.Constraint(months, rule=lambda dm, m: dm.demand_kw[m] >= dm.ratchet_kw)
            terms.append(t_.demand_rate_krw_per_kw_month * pyo.quicksum(dm.demand_kw[m] for m in months))
        costs.append((t_.scale, terms))
    b.fixed_krw = pyo.Param(b.G, initialize=lambda b, g: float(meters[g].terms.fixed_krw_per_year), mutable=True)
    bill = pyo.quicksum(scale * (pyo.quicksum(terms) + b.fixed_krw[g]) for g, (scale, terms) in enumerate(costs))
    pe = s.export_price_krw_per_kwh
    nz = np.flatnonzero(pe != 0.0) if not b.net_metered else np.zeros(0, dtype=int)
    revenue = pyo.quicksum(float(w[t] * pe[t]) * b.export_kw[int(t)] for t in nz) if len(nz) else 0.0
    b.bill_krw = pyo.Expression(expr=bill)
    b.export_revenue_krw = pyo.Expression(expr=revenue)
    b.annual_krw = pyo.Expression(expr=s.import_weight * b.bill_krw - s.export_weight * b.export_revenue_krw)
    b.capex_krw = pyo.Expression(expr=0.0)


def _day_sums(blk: pyo.Block, name: str, term, steps: int) -> list:
    """One variable per day (24 steps) equal to the day's sum of ``term(t)``; returns them by day."""
    days = range((steps + 23) // 24)
    var = pyo.Var(days)
    blk.add_component(name, var)
    blk.add_component(f"{name}_definition", pyo.Constraint(days, rule=lambda blk, d: var[d] == pyo.quicksum(
        term(t) for t in range(24 * d, min(24 * d + 24, steps)))))
    return [var[d] for d in days]


def _finite(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def results(b: pyo.Block, s: SiteData) -> dict:
    T = b.parent_block().T
    meters = s.grid_meters
    imports = {md.name: np.array([pyo.value(b.imp[g, t]) for t in T]) for g, md in enumerate(meters)}
    exp = np.array([pyo.value(b.export_kw[t]) for t in T])
    netted = next((md.name for md in meters if md.terms.net_metering), None)
    if netted is not None:
        # Through a net-metered meter an hour's import and export cost the same (the first block's
        # price on both, one monthly net): the LP is indifferent to any simultaneous pair, so a solver
        # returns one of many equal optima. The meter sees only their difference: net them. Every
        # cost stays (monthly nets, the first-price terms cancel, peaks only fall) and every row holds
        # (all are upper bounds on imports and exports), so the result is one optimum, the physical one.
        both = np.minimum(imports[netted], exp)
        imports[netted] = imports[netted] - both
        exp = exp - both
    imp = sum(imports.values())
    return {
        "hourly": {"grid_import_kw": imp, "grid_export_kw": exp},
        "sizes": {"grid_peak_import_kw": float(imp.max()) if len(imp) else 0.0},
        "imports_by_meter_kw": imports,
        "bill_krw_per_year": float(value(b.bill_krw)),
        "export_revenue_krw_per_year": float(value(b.export_revenue_krw)),
    }
