"""PV block: the capacity of each PV segment of a site (roof classes, public roofs, plant extension).

Equations (g in segments, t in time steps):

    P_exist,g <= P_g <= P_max,g                        (capacity within the segment's area limit)
    net_t = sum_g L cf_g,t * P_g                       (AC power into the site's bus)
    capex = sum_g c_g * (P_g - P_exist,g)              (new capacity only)
    annual = sum_g y_g * P_g                           (yearly costs of all capacity)
    sum_g P_g <= P_net                                 (when the site net-meters: the scheme's size limit)

L levelizes degradation over the life (the output of an average year of the life relative to the
first, discounted; REopt does the same): sum_k (1 - d)^(k-1) v^t / sum_k v^t. y_g holds every
yearly cost finance charges a kWp (O&M, insurance and taxes, land lease, and the inverter
replacement spread over the life; :class:`pvcluster.costs.AssetCosts`).

| symbol   | meaning                               | name in code                          | unit       |
|----------|---------------------------------------|---------------------------------------|------------|
| P_g      | installed DC capacity of segment g    | ``capacity_kwp[g]``                   | kWp        |
| P_max,g  | area limit (usable roof or land area) | ``PVSegment.max_kwp``                 | kWp        |
| cf_g,t   | AC output per kWp                     | ``PVSegment.kw_per_kwp``              | kW/kWp     |
| c_g      | overnight capital cost                | ``PVSegment.capex_krw_per_kwp``       | KRW/kWp    |
| y_g      | yearly costs per kWp                  | ``PVSegment.asset_costs``             | KRW/kWp/yr |
| L        | levelized output factor               | ``SiteData.pv_output_factor``         | -          |
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo

from pvcluster.sizing.data import SiteData

NAME = "pv"


def _cf(segment) -> np.ndarray:
    """AC per kWp with values under 1e-4 set to 0 (HiGHS drops such tiny coefficients anyway)."""
    return np.where(segment.kw_per_kwp < 1e-4, 0.0, segment.kw_per_kwp)


def build(b: pyo.Block, s: SiteData) -> None:
    T = b.parent_block().T
    segs = s.segments
    b.G = pyo.Set(initialize=range(len(segs)), ordered=True)
    b.capacity_kwp = pyo.Var(b.G, bounds=lambda b, g: (segs[g].existing_kwp, max(segs[g].max_kwp, segs[g].existing_kwp)))
    cf = [_cf(g) * s.pv_output_factor for g in segs]
    b.net_kw = [pyo.quicksum(float(cf[g][t]) * b.capacity_kwp[g] for g in b.G if cf[g][t] != 0.0) for t in T]
    b.capex_krw = pyo.Expression(expr=pyo.quicksum(
        segs[g].capex_krw_per_kwp * (b.capacity_kwp[g] - segs[g].existing_kwp) for g in b.G))
    yearly = [segs[g].asset_costs.lp_coefficient(s.annualization)[1] for g in range(len(segs))]
    b.annual_krw = pyo.Expression(expr=pyo.quicksum(yearly[g] * b.capacity_kwp[g] for g in b.G))
    if np.isfinite(s.net_metering_max_kw) and any(md.terms.net_metering for md in s.meters):
        b.net_metering_size = pyo.Constraint(expr=pyo.quicksum(b.capacity_kwp[g] for g in b.G) <= s.net_metering_max_kw)


def results(b: pyo.Block, s: SiteData) -> dict:
    caps = {g.name: pyo.value(b.capacity_kwp[i]) for i, g in enumerate(s.segments)}
    gen = sum((caps[g.name] * _cf(g) * s.pv_output_factor for g in s.segments), np.zeros(s.steps))  # as balanced
    total = sum(caps.values())
    existing = sum(g.existing_kwp for g in s.segments)
    return {
        "hourly": {"pv_generation_kw": gen},
        "sizes": {"pv_capacity_kwp": total, "pv_new_capacity_kwp": total - existing,
                  **{f"pv_{name}_kwp": cap for name, cap in caps.items()}},
    }
