"""The scenario's polysilicon plant as a cluster project (see :mod:`.polysilicon` for the model).

The plant is the ``[[facilities]]`` entry ``[polysilicon] facility`` names; its capacity,
technology and electricity supply come from the scenario. With ``electricity = "ppa"`` the
plant buys the share of the industrial complex's load that the complex's PV serves, at
``ppa_price_krw_per_kwh`` (0 = that PV project's real LCOE). All three selling-price
scenarios are priced; the chosen ``price_scenario`` is the one the portfolio carries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pvcluster.finance import polysilicon as poly
from pvcluster.finance.pv_project import common_terms


@dataclass
class PolysiliconLink:
    project: object
    result: object  # ProjectResult of the chosen price scenario
    model: object  # PolysiliconResult (all scenarios)
    manufacturing: dict
    summary: dict
    electricity_table: object


def _pv_share(sizing) -> float:
    site = sizing.sites.get("industrial_complex") if sizing is not None else None
    if site is None:
        return 0.0
    h = site.hourly
    load = float(np.sum(h["load_kw"]))
    served = float(np.sum(h["pv_generation_kw"] - h["grid_export_kw"] - h["pv_curtailed_kw"]))
    return float(np.clip(served / load, 0.0, 1.0)) if load > 0 else 0.0


def build(scenario, demand, results, sizing=None) -> PolysiliconLink | None:
    s = scenario.polysilicon
    spec = next((f for f in scenario.facilities if f.name == s.facility), None)
    if spec is None or not spec.capacity_t_per_year:
        return None
    facts = scenario.facts.polysilicon
    terms = common_terms(scenario)
    share, ppa = 0.0, None
    if s.electricity == "ppa":
        share = _pv_share(sizing)
        pv = results.get("industrial_complex_pv")
        ppa = s.ppa_price_krw_per_kwh or (pv.lcoe_real_krw_per_kwh if pv is not None else None)
        if ppa is None:
            share, ppa = 0.0, None
    kwargs = dict(discount_rate_fraction=terms["discount_rate_fraction"], tax=terms["tax"], pv_share_fraction=share,
                  ppa_price_krw_per_kwh=ppa, inflation_fraction_per_year=terms["inflation_fraction_per_year"],
                  base_year=terms["base_year"], name=spec.name)
    model = poly.evaluate_polysilicon(spec.capacity_t_per_year, s.technology, facts, **kwargs)
    chosen = model.scenarios[s.price_scenario]
    price_krw_per_kg = chosen.price_krw_per_kg
    project = poly.polysilicon_project(spec.capacity_t_per_year, s.technology, facts,
                                       price_krw_per_kg=price_krw_per_kg, **kwargs)
    result = chosen.project
    t = result.table
    real = (1.0 + project.inflation_fraction_per_year) ** t["year_index"].to_numpy(dtype=float)
    output = np.zeros(len(t))
    output[project.construction_years:] = model.output_t
    manufacturing = dict(manufacturing_capacity_t_per_year=spec.capacity_t_per_year,
                         manufacturing_output_t_by_year=output,
                         manufacturing_sales_krw_by_year=(t["revenue_krw"] / real).to_numpy())
    summary = {"facility": spec.name, "price_scenario": s.price_scenario, "electricity": s.electricity,
               "pv_share_fraction": share, "ppa_price_krw_per_kwh": ppa, **model.to_summary()}
    table = chosen.npv_by_electricity_price if hasattr(chosen, "npv_by_electricity_price") else None
    return PolysiliconLink(project, result, model, manufacturing, summary, table)
