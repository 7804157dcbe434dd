"""PV block: the PV capacity to install and its curtailment.

Equations (t in hours):

    P_exist <= P_pv <= P_max                          (capacity bounds)
    net_t = P_pv * cf_t                               (power into the site's bus)
    C_t = surplus of the site's balance (an inequality, see model.py) (curtailment)
    cost = (CRF_pv * c_pv + om_pv) * (P_pv - P_exist) + om_pv * P_exist

| symbol  | meaning                              | name in code                  | unit        |
|---------|--------------------------------------|-------------------------------|-------------|
| P_pv    | installed PV capacity (DC)           | ``capacity_kwp``              | kWp         |
| cf_t    | AC output per kWp                    | ``SiteData.pv_kw_per_kwp``    | kW/kWp      |
| C_t     | curtailed PV power (balance surplus) | ``pv_curtailed_kw`` (results) | kW          |
| c_pv    | overnight capital cost               | ``pv_capex_krw_per_kwp``      | KRW/kWp     |
| om_pv   | fixed O&M                            | ``pv_fixed_om_krw_per_kwp_year`` | KRW/kWp/yr |
| CRF_pv  | capital recovery factor              | ``pv_crf``                    | 1/yr        |
"""

from __future__ import annotations

import pyomo.environ as pyo

from pvcluster.sizing.data import SiteData

NAME = "pv"


def build(b: pyo.Block, s: SiteData) -> None:
    T = b.model().T
    b.capacity_kwp = pyo.Var(bounds=(s.pv_existing_kwp, s.pv_max_kwp), initialize=s.pv_existing_kwp)
    cf = s.pv_kw_per_kwp
    b.net_kw = pyo.Expression(T, rule=lambda b, t: float(cf[t]) * b.capacity_kwp)
    annual = s.pv_crf * s.pv_capex_krw_per_kwp + s.pv_fixed_om_krw_per_kwp_year
    b.cost_krw = pyo.Expression(
        expr=annual * (b.capacity_kwp - s.pv_existing_kwp) + s.pv_fixed_om_krw_per_kwp_year * s.pv_existing_kwp)


def results(b: pyo.Block, s: SiteData) -> dict:
    cap = pyo.value(b.capacity_kwp)
    return {
        "hourly": {"pv_generation_kw": cap * s.pv_kw_per_kwp},
        "sizes": {"pv_capacity_kwp": cap, "pv_new_capacity_kwp": cap - s.pv_existing_kwp},
        "cost_krw_per_year": pyo.value(b.cost_krw),
    }
