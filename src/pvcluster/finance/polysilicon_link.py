"""The scenario's polysilicon plant as a cluster project (see :mod:`.polysilicon` for the model).

The plant is the ``[[facilities]]`` entry ``[polysilicon] facility`` names; its capacity,
technology and electricity supply come from the scenario. With ``electricity = "ppa"`` the
plant buys the share of the industrial complex's load that the complex's PV serves, at
``ppa_price_krw_per_kwh`` (0 = that PV project's real LCOE). All three selling-price
scenarios are priced; the chosen ``price_scenario`` is the one the portfolio carries.

One plant, one timeline: the facility entry's ``ramp_up_fractions`` and ``start_year`` drive
both the demand stage (its load's year factors) and this model (output u_k in operating year k,
first operating year = ``start_year``, which for the demand stage means the base year when it is
0). A plant whose first operating year leaves less than the ``construction_years`` fact after
the base year (so also ``start_year = 0``) is an input error: it would have to be built before
the cash flows start, and the demand would run it before the finance could.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pvcluster.errors import InputError, Problem
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
    load = float(np.sum(site.served_load_kw))
    served = float(np.sum(site.pv.generation_kw - site.grid.export_kw - site.pv.curtailed_kw))
    return float(np.clip(served / load, 0.0, 1.0)) if load > 0 else 0.0


def grid_prices(scenario, demand, facility: str) -> tuple[float, float]:
    """The plant's KEPCO prices from the bill of its own meter at full operation (pvcluster.market):
    (energy, climate and fuel charges with the fund, per kWh; the basic charge with the fund, per year).
    A business recovers VAT, so none is counted."""
    from pvcluster.market import Meter, TariffRules, bill, tariff_calendar

    load = demand.loads[facility]
    meter = Meter(facility, scenario.tariffs[load.tariff], load.contract_kw, 1, "", load.bears_vat, False)
    rules = TariffRules.from_facts(scenario.facts.market)
    kw = demand.reference_kw[facility]
    table = bill(meter, kw.to_numpy(), tariff_calendar(kw.index, rules), rules)
    scale = rules.scale(meter.bears_vat)
    kwh = float(table["import_kwh"].sum())
    energy = float((table["energy_krw"] + table["climate_fuel_krw"]).sum()) * scale
    return (energy / kwh if kwh > 0 else 0.0), float(table["basic_krw"].sum()) * scale


def build(scenario, demand, results, sizing=None, details: bool = True) -> PolysiliconLink | None:
    """The polysilicon plant as a project of the cluster. ``details=False``: its chosen price scenario
    only, without the electricity-price curve and break-even prices (see evaluate_polysilicon)."""
    s = scenario.polysilicon
    index, spec = next(((i, f) for i, f in enumerate(scenario.facilities) if f.name == s.facility), (None, None))
    if spec is None or not spec.capacity_t_per_year:
        return None
    facts = scenario.facts.polysilicon
    terms = common_terms(scenario)
    base = terms["base_year"]
    start_year = spec.start_year or base  # as the demand stage reads it (0 = the base year)
    try:
        poly.construction_delay_years(facts, base, start_year)
    except ValueError as err:
        c = int(round(facts.construction_years))
        found = str(spec.start_year) if spec.start_year else f"0 (the base year {base})"
        raise InputError(Problem(str(scenario.path), f"facilities.{index}.start_year",
                                 f"a first operating year >= {base + c} for the polysilicon plant {spec.name!r} "
                                 f"(base year {base} + {c} construction years, inputs polysilicon "
                                 f"construction_years)", found)) from err
    share, ppa = 0.0, None
    if s.electricity == "ppa":
        share = _pv_share(sizing)
        pv = results.get("industrial_complex_pv")
        ppa = s.ppa_price_krw_per_kwh or (pv.lcoe_real_krw_per_kwh if pv is not None else None)
        if ppa is None:
            share, ppa = 0.0, None
    grid, basic = grid_prices(scenario, demand, spec.name)
    kwargs = dict(discount_rate_fraction=terms["discount_rate_fraction"], tax=terms["tax"], pv_share_fraction=share,
                  grid_tariff_krw_per_kwh=grid, grid_basic_krw_per_year=basic,
                  ppa_price_krw_per_kwh=ppa, inflation_fraction_per_year=terms["inflation_fraction_per_year"],
                  base_year=terms["base_year"], ramp_up_fractions=tuple(spec.ramp_up_fractions or ()),
                  start_year=start_year, name=spec.name)
    model = poly.evaluate_polysilicon(spec.capacity_t_per_year, s.technology, facts, details=details,
                                      **({} if details else {"scenarios": (s.price_scenario,)}), **kwargs)
    chosen = model.scenarios[s.price_scenario]
    price_krw_per_kg = chosen.price_krw_per_kg
    project = poly.polysilicon_project(spec.capacity_t_per_year, s.technology, facts,
                                       price_krw_per_kg=price_krw_per_kg, **kwargs)
    result = chosen.project
    t = result.columns
    real = (1.0 + project.inflation_fraction_per_year) ** np.asarray(t["year_index"], dtype=float)
    output = np.zeros(len(real))
    output[project.construction_years:] = model.output_t
    manufacturing = dict(manufacturing_capacity_t_per_year=spec.capacity_t_per_year,
                         manufacturing_output_t_by_year=output,
                         manufacturing_sales_krw_by_year=np.asarray(t["revenue_krw"]) / real)
    summary = {"facility": spec.name, "price_scenario": s.price_scenario, "electricity": s.electricity,
               "pv_share_fraction": share, "ppa_price_krw_per_kwh": ppa, **model.to_summary()}
    table = chosen.npv_by_electricity_price if hasattr(chosen, "npv_by_electricity_price") else None
    return PolysiliconLink(project, result, model, manufacturing, summary, table)
