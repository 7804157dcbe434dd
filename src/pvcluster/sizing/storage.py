"""Storage block: battery energy and power sized separately, with hourly dispatch.

Equations (t in hours, t-1 of the first hour is the last hour: cyclic state of charge):

    E_t = E_{t-1} + eta * Ch_t - Dis_t / eta          (state of charge balance, eta = sqrt(RTE))
    0 <= E_t <= E_cap                                  (energy capacity)
    0 <= Ch_t <= P_cap,  0 <= Dis_t <= P_cap           (power capacity)
    net_t = Dis_t - Ch_t                               (power into the site's bus)
    cost = (CRF_st + om_st) * (c_E * E_cap + c_P * P_cap)

| symbol | meaning                        | name in code                          | unit     |
|--------|--------------------------------|---------------------------------------|----------|
| E_cap  | energy capacity                | ``energy_kwh``                        | kWh      |
| P_cap  | power capacity                 | ``power_kw``                          | kW       |
| E_t    | state of charge                | ``soc_kwh``                           | kWh      |
| Ch_t   | charging power                 | ``charge_kw``                         | kW       |
| Dis_t  | discharging power              | ``discharge_kw``                      | kW       |
| RTE    | round-trip efficiency          | ``storage_round_trip_efficiency_fraction`` | -   |
| c_E    | energy capital cost            | ``storage_energy_capex_krw_per_kwh``  | KRW/kWh  |
| c_P    | power capital cost             | ``storage_power_capex_krw_per_kw``    | KRW/kW   |
"""

from __future__ import annotations

import math

import numpy as np
import pyomo.environ as pyo

from pvcluster.sizing.data import SiteData

NAME = "storage"


def build(b: pyo.Block, s: SiteData) -> None:
    T = b.model().T
    n = len(T)
    eta = math.sqrt(s.storage_round_trip_efficiency_fraction)
    b.energy_kwh = pyo.Var(within=pyo.NonNegativeReals)
    b.power_kw = pyo.Var(within=pyo.NonNegativeReals)
    b.soc_kwh = pyo.Var(T, within=pyo.NonNegativeReals)
    b.charge_kw = pyo.Var(T, within=pyo.NonNegativeReals)
    b.discharge_kw = pyo.Var(T, within=pyo.NonNegativeReals)
    b.soc_balance = pyo.Constraint(T, rule=lambda b, t: b.soc_kwh[t] == b.soc_kwh[(t - 1) % n]
                                   + eta * b.charge_kw[t] - b.discharge_kw[t] / eta)
    b.soc_limit = pyo.Constraint(T, rule=lambda b, t: b.soc_kwh[t] <= b.energy_kwh)
    b.charge_limit = pyo.Constraint(T, rule=lambda b, t: b.charge_kw[t] <= b.power_kw)
    b.discharge_limit = pyo.Constraint(T, rule=lambda b, t: b.discharge_kw[t] <= b.power_kw)
    b.net_kw = pyo.Expression(T, rule=lambda b, t: b.discharge_kw[t] - b.charge_kw[t])
    annual = s.storage_crf + s.storage_fixed_om_fraction
    b.cost_krw = pyo.Expression(expr=annual * (s.storage_energy_capex_krw_per_kwh * b.energy_kwh
                                                + s.storage_power_capex_krw_per_kw * b.power_kw))


def results(b: pyo.Block, s: SiteData) -> dict:
    T = b.model().T
    return {
        "hourly": {
            "storage_charge_kw": np.array([pyo.value(b.charge_kw[t]) for t in T]),
            "storage_discharge_kw": np.array([pyo.value(b.discharge_kw[t]) for t in T]),
            "storage_soc_kwh": np.array([pyo.value(b.soc_kwh[t]) for t in T]),
        },
        "sizes": {"storage_energy_kwh": pyo.value(b.energy_kwh), "storage_power_kw": pyo.value(b.power_kw)},
        "cost_krw_per_year": pyo.value(b.cost_krw),
    }
