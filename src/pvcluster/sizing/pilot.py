"""Public pilot demand block: which candidate public facilities the pilot program enrolls.

An enrolled facility's load is served by the site under the pilot contract: the site meets the
load hour by hour, is paid the pilot tariff for all of it, and pays a one-off retrofit
(metering, controls, protection). The site's model then requires local PV (directly or through
storage) to cover at least a share of the enrolled energy (see model.py). A facility that is not
enrolled stays a plain KEPCO customer, outside the site.

Equations (f in candidates, t in time steps with weights w_t):

    y_f in {0, 1}                                        (enrollment)
    net_t = - sum_f y_f * L_f,t                          (enrolled load taken off the site's bus)
    capex = sum_f R_f * y_f
    annual = - sum_f y_f * p_f * E_f,   E_f = sum_t w_t L_f,t

| symbol | meaning                       | name in code                | unit    |
|--------|-------------------------------|-----------------------------|---------|
| y_f    | facility f is enrolled        | ``enrolled[f]``             | -       |
| L_f,t  | the facility's load           | ``PilotCandidate.load_kw``  | kW      |
| p_f    | pilot tariff                  | ``tariff_krw_per_kwh``      | KRW/kWh |
| R_f    | one-off retrofit cost         | ``retrofit_krw``            | KRW     |
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo

from pvcluster.sizing.data import SiteData

NAME = "pilot"


def build(b: pyo.Block, s: SiteData) -> None:
    T = b.parent_block().T
    cands = s.pilot
    b.F = pyo.Set(initialize=range(len(cands)), ordered=True)
    if s.pilot_enrollment is None:
        b.enrolled = pyo.Var(b.F, within=pyo.Binary)
    else:  # decided already (see SiteModel): constants, so the site's model stays a fast LP
        b.enrolled = pyo.Param(b.F, initialize=lambda b, f: float(s.pilot_enrollment[f]))
    b.net_kw = [-pyo.quicksum(float(cands[f].load_kw[t]) * b.enrolled[f] for f in b.F if cands[f].load_kw[t] != 0.0
                              and (s.pilot_enrollment is None or s.pilot_enrollment[f])) for t in T]
    b.energy_kwh = {f: s.annual(cands[f].load_kw) for f in range(len(cands))}
    b.capex_krw = pyo.Expression(expr=pyo.quicksum(cands[f].retrofit_krw * b.enrolled[f] for f in b.F))
    b.annual_krw = pyo.Expression(expr=-pyo.quicksum(
        cands[f].tariff_krw_per_kwh * b.energy_kwh[f] * b.enrolled[f] for f in b.F))


def results(b: pyo.Block, s: SiteData) -> dict:
    enrolled = [c.name for f, c in enumerate(s.pilot) if pyo.value(b.enrolled[f]) > 0.5]
    served = sum((c.load_kw for f, c in enumerate(s.pilot) if pyo.value(b.enrolled[f]) > 0.5), np.zeros(s.steps))
    revenue = sum(c.tariff_krw_per_kwh * b.energy_kwh[f] for f, c in enumerate(s.pilot) if c.name in enrolled)
    return {
        "hourly": {"pilot_load_kw": served},
        "sizes": {"pilot_enrolled_count": float(len(enrolled))},
        "enrolled": enrolled,
        "pilot_revenue_krw_per_year": float(revenue),
        "pilot_energy_kwh": float(sum(b.energy_kwh[f] for f, c in enumerate(s.pilot) if c.name in enrolled)),
    }
