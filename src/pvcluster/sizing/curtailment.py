"""Curtailment block: PV power the site can neither use, store nor export.

Equations (t in time steps):

    Cu_t >= 0,   net_t = -Cu_t                          (power taken off the site's bus)

Curtailment costs nothing; since import, export and storage all cost or earn something, only a
PV surplus is ever curtailed. It makes the site's energy balance an equality, so every kWh is
accounted for in ``hourly.csv``.

| symbol | meaning         | name in code     | unit |
|--------|-----------------|------------------|------|
| Cu_t   | curtailed power | ``curtailed_kw`` | kW   |
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo

from pvcluster.sizing.data import SiteData

NAME = "curtailment"


def build(b: pyo.Block, s: SiteData) -> None:
    T = b.parent_block().T
    b.curtailed_kw = pyo.Var(T, within=pyo.NonNegativeReals)
    b.net_kw = [-b.curtailed_kw[t] for t in T]
    b.capex_krw = pyo.Expression(expr=0.0)
    b.annual_krw = pyo.Expression(expr=0.0)


def results(b: pyo.Block, s: SiteData) -> dict:
    T = b.parent_block().T
    return {"hourly": {"pv_curtailed_kw": np.array([pyo.value(b.curtailed_kw[t]) for t in T])}, "sizes": {}}
