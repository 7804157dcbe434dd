"""Polysilicon plant economics: hand-checkable capex, cash cost, break-even prices, provenance."""

from __future__ import annotations

import json
import tomllib
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from pvcluster.facts import read_fact
from pvcluster.finance.polysilicon import (FACTS, break_even_price_krw_per_kg, capex_krw, cash_cost_per_kg,
                                           demand_kw, electricity_kwh_per_kg, evaluate_polysilicon,
                                           labour_fte, npv_at_electricity_price,
                                           output_t, polysilicon_project, tax_from_costs)
from pvcluster.finance.project import Tax, evaluate_project
from pvcluster.resources import data_root
from pvcluster.schema import Context

INPUT = data_root() / "inputs" / "polysilicon_korea.toml"


def _values(name: str) -> dict:
    raw = tomllib.loads((data_root() / "inputs" / name).read_text(encoding="utf-8"))
    return {k: v["value"] for k, v in raw.items()}


@pytest.fixture(scope="module")
def facts():
    return SimpleNamespace(**_values("polysilicon_korea.toml"))


@pytest.fixture(scope="module")
def korean_tax(facts):
    return tax_from_costs(SimpleNamespace(**_values("costs_korea.toml")), int(facts.depreciation_years))


#: Grid prices for the hand cases: 120 KRW/kWh, and 6,490 KRW/kW a month on the nameplate load of a
#: 1,000 t/yr Siemens plant (1,000 t x 60 kWh/kg / 8,760 h = 6,849 kW). In a run they come from the bill
#: of the plant's meter (tests/test_finance.py checks that link).
PEAK_KW = 1000 * 1000 * 60 / 8760
GRID = dict(grid_tariff_krw_per_kwh=120.0, grid_basic_krw_per_year=12 * 6490 * PEAK_KW)


def _with(facts, **changes):
    return SimpleNamespace(**{**vars(facts), **changes})


# --- inputs --------------------------------------------------------------------------------------

def test_toml_has_provenance_and_every_declared_fact():
    raw = tomllib.loads(INPUT.read_text(encoding="utf-8"))
    assert set(raw) == set(FACTS), (set(raw) ^ set(FACTS))
    ctx = Context(where=str(INPUT))
    for key, entry in raw.items():
        assert "assumption" in entry or ("source" in entry and isinstance(entry.get("year"), int)), key
        assert "unit" in entry, key
        read_fact(key, entry, FACTS[key], ctx)  # bounds and provenance, as the loader checks them
    assert ctx.problems == []


def test_reused_demand_facts_match_the_facility_catalogue(facts):
    poly = tomllib.loads((data_root() / "inputs" / "facilities_korea.toml").read_text())["polysilicon"]
    assert facts.siemens_electricity_kwh_per_kg == poly["electricity_kwh_per_kg"]["value"]
    assert facts.utilisation_fraction == poly["utilisation_fraction"]["value"]


# --- pure helpers --------------------------------------------------------------------------------

def test_capex_of_1000t_siemens_plant_equals_fact_times_capacity(facts):
    at_1000 = _with(facts, capex_korea_reference_capacity_t=1000.0)
    assert capex_krw(1000, "siemens", at_1000) == pytest.approx(100e6 * 1000)  # KRW 100 bn per 1,000 t
    # at the reference size the scaling drops out; below it the per-tonne cost rises
    assert capex_krw(4000, "siemens", facts) == pytest.approx(facts.siemens_capex_korea_krw_per_t_per_year * 4000)
    assert capex_krw(1000, "siemens", facts) == pytest.approx(100e6 * 4000 * 0.25 ** 0.8)  # 131.95 bn
    assert capex_krw(1000, "siemens", facts) / 1000 > facts.siemens_capex_korea_krw_per_t_per_year
    # global basis: USD 11.5 per kg/yr x 1000 kg/t x 1400 KRW/USD at 150,000 t
    assert capex_krw(150000, "siemens", facts, "global") == pytest.approx(11.5 * 1000 * 1400 * 150000)


def test_fbr_uses_less_electricity_labour_and_capex(facts):
    assert electricity_kwh_per_kg("siemens", facts) == 60.0
    assert electricity_kwh_per_kg("fbr", facts) == pytest.approx(60.0 * 0.35)
    assert capex_krw(1000, "fbr", facts) == pytest.approx(0.7 * capex_krw(1000, "siemens", facts))
    assert labour_fte(1000, "fbr", facts) == pytest.approx(0.7 * labour_fte(1000, "siemens", facts))
    assert (cash_cost_per_kg(1000, "fbr", facts, **GRID).total_krw_per_kg
            < cash_cost_per_kg(1000, "siemens", facts, **GRID).total_krw_per_kg)


def test_output_ramps_up_then_runs_at_utilisation(facts):
    # the ramp-up is the facility's (the scenario's [[facilities]] entry), not a fact of the plant model
    assert "ramp_up_fractions" not in FACTS and not hasattr(facts, "ramp_up_fractions")
    out = output_t(1000, facts, ramp_up_fractions=(0.3, 0.7, 0.9))
    assert len(out) == 20
    np.testing.assert_allclose(out[:4], [1000 * 0.85 * 0.3, 1000 * 0.85 * 0.7, 1000 * 0.85 * 0.9, 850.0])
    assert np.all(out[3:] == 850.0)
    assert np.all(output_t(1000, facts) == 850.0)  # no ramp-up listed: full output from the first year
    with pytest.raises(ValueError, match="ramp_up_fractions"):
        output_t(1000, facts, ramp_up_fractions=(1.5,))


def test_cash_cost_breakdown_by_hand(facts):
    c = cash_cost_per_kg(1000, "siemens", facts, **GRID)
    kg = 850_000.0  # 1,000 t x 0.85
    assert c.electricity_krw_per_kg == pytest.approx(60 * 120.0)  # 7,200
    peak_kw = 1000 * 1000 * 60 / 8760  # 6,849 kW
    assert demand_kw(1000, 60) == pytest.approx(peak_kw)
    assert c.demand_charge_krw_per_kg == pytest.approx(12 * 6490 * peak_kw / kg)  # 627.6
    assert c.feedstock_krw_per_kg == pytest.approx(1400 * (1.15 * 2.0 + 0.8))  # 4,340
    assert c.labour_krw_per_kg == pytest.approx(93.75 * 65e6 / kg)  # 7,169
    assert c.maintenance_krw_per_kg == pytest.approx(0.03 * 100e6 * 4000 * 0.25 ** 0.8 / kg)  # 4,657
    assert c.total_krw_per_kg == pytest.approx(7200 + 627.6 + 4340 + 7169.1 + 4657.0, abs=1.0)
    assert c.total_usd_per_kg == pytest.approx(c.total_krw_per_kg / 1400)
    # half the power from PV at 80 KRW/kWh: 60 x (0.5 x 80 + 0.5 x 120) = 6,000
    half = cash_cost_per_kg(1000, "siemens", facts, **GRID, pv_share_fraction=0.5,
                            ppa_price_krw_per_kwh=80.0)
    assert half.electricity_krw_per_kg == pytest.approx(6000.0)


def test_project_streams_match_the_cash_cost(facts):
    p = polysilicon_project(1000, "siemens", facts, price_krw_per_kg=30000.0, discount_rate_fraction=0.05,
                            ramp_up_fractions=(0.3, 0.7, 0.9), **GRID)
    c = cash_cost_per_kg(1000, "siemens", facts, **GRID)
    full = -1  # last operating year, at full output
    opex = sum(np.asarray(v, dtype=float)[full] for v in p.opex_krw.values())
    assert opex == pytest.approx(c.total_krw_per_kg * 850_000.0)
    assert p.revenue_krw["polysilicon"][0] == pytest.approx(30000.0 * 255_000.0)  # ramp-up year 1: 30 %
    assert p.capex_schedule_fractions == (0.4, 0.6) and p.construction_years == 2


def test_plant_starts_operating_in_the_facility_start_year(facts):
    # base year 2025, two construction years (fact): start 2027 needs no idle years; start 2029 two idle
    # years (2025-26, zero capex), construction 2027-28 (40 % / 60 %), first output 2029; 2026 is too early
    kwargs = dict(price_krw_per_kg=30000.0, discount_rate_fraction=0.05, base_year=2025, ramp_up_fractions=(0.3,),
                  **GRID)
    default = evaluate_project(polysilicon_project(1000, "siemens", facts, **kwargs))
    at_2027 = evaluate_project(polysilicon_project(1000, "siemens", facts, start_year=2027, **kwargs))
    assert at_2027.npv_krw == default.npv_krw
    assert at_2027.table.loc[at_2027.table["operating_year"] == 1, "calendar_year"].item() == 2027
    late = polysilicon_project(1000, "siemens", facts, start_year=2029, **kwargs)
    assert late.construction_years == 4 and late.capex_schedule_fractions == (0.0, 0.0, 0.4, 0.6)
    t = evaluate_project(late).table.set_index("calendar_year")
    assert t.index[t["operating_year"] > 0][0] == 2029
    capex = t["capex_krw"]
    assert (capex.loc[2025:2026] == 0).all() and (capex.loc[2027:2028] > 0).all() and (capex.loc[2029:] == 0).all()
    assert t.loc[2029, "revenue_krw"] == pytest.approx(30000.0 * 255_000.0)  # ramp-up year 1 in 2029, real = nominal
    with pytest.raises(ValueError, match="start_year: expected a year >= 2027"):
        polysilicon_project(1000, "siemens", facts, start_year=2026, **kwargs)


# --- results -------------------------------------------------------------------------------------

def test_break_even_price_gives_zero_npv(facts, korean_tax):
    kwargs = dict(discount_rate_fraction=0.045, tax=korean_tax, **GRID)
    price = break_even_price_krw_per_kg(1000, "siemens", facts, **kwargs)
    assert price is not None
    npv = evaluate_project(polysilicon_project(1000, "siemens", facts, price_krw_per_kg=price, **kwargs)).npv_krw
    capex = capex_krw(1000, "siemens", facts)
    assert abs(npv) < 1e-6 * capex  # brentq's tolerance on the price, times the revenue it moves
    # above the cash cost (it must also pay back the capex)
    assert price > cash_cost_per_kg(1000, "siemens", facts, **GRID).total_krw_per_kg
    r = evaluate_polysilicon(1000, "siemens", facts, **kwargs)
    assert r.break_even_price_krw_per_kg == pytest.approx(price)
    assert r.break_even_price_usd_per_kg == pytest.approx(price / 1400)


def test_npv_falls_linearly_with_electricity_price_without_tax(facts):
    # no tax: dNPV/dp = -sum_k E_k / (1 + r)^(c + k - 1), E_k = output_k x 60 kWh/kg
    r, price = 0.05, 40000.0
    kwargs = dict(discount_rate_fraction=r, tax=Tax(), price_krw_per_kg=price, **GRID)
    kwh = output_t(1000, facts) * 1000 * 60
    t = 2 + np.arange(len(kwh))  # two construction years, flows at the end of each year
    slope = -float(np.sum(kwh / (1 + r) ** t))
    a = npv_at_electricity_price(1000, "siemens", facts, 100.0, **kwargs)
    b = npv_at_electricity_price(1000, "siemens", facts, 150.0, **kwargs)
    assert (b - a) / 50.0 == pytest.approx(slope, rel=1e-9)


def test_npv_decreases_with_electricity_price_and_crosses_zero_where_reported(facts, korean_tax):
    r = evaluate_polysilicon(1000, "siemens", facts, discount_rate_fraction=0.045, tax=korean_tax, **GRID,
                             scenarios=(), prices_usd_per_kg={"test": 35.0})
    s = r.scenarios["test"]
    npvs = s.npv_by_electricity_price["npv_krw"].to_numpy()
    assert np.all(np.diff(npvs) < 0)
    p0 = s.break_even_electricity_price_krw_per_kwh
    assert p0 is not None
    assert abs(npv_at_electricity_price(1000, "siemens", facts, p0, price_krw_per_kg=35.0 * 1400,
                                        discount_rate_fraction=0.045, tax=korean_tax,
                                        grid_basic_krw_per_year=GRID["grid_basic_krw_per_year"])) < 1e-6 * r.capex_krw
    prices = s.npv_by_electricity_price["electricity_price_krw_per_kwh"].to_numpy()
    # the table changes sign between the neighbouring prices of the reported crossing
    assert np.all(npvs[prices < p0] > 0) and np.all(npvs[prices > p0] < 0)


def test_ppa_share_one_at_grid_price_equals_grid_only(facts, korean_tax):
    kwargs = dict(discount_rate_fraction=0.045, tax=korean_tax, price_krw_per_kg=35000.0, **GRID)
    grid = evaluate_project(polysilicon_project(1000, "siemens", facts, **kwargs)).npv_krw
    ppa = evaluate_project(polysilicon_project(1000, "siemens", facts, pv_share_fraction=1.0,
                                               ppa_price_krw_per_kwh=GRID["grid_tariff_krw_per_kwh"],
                                               **kwargs)).npv_krw
    assert ppa == pytest.approx(grid, rel=1e-12)
    cheaper = evaluate_project(polysilicon_project(1000, "siemens", facts, pv_share_fraction=0.5,
                                                   ppa_price_krw_per_kwh=90.0, **kwargs)).npv_krw
    assert cheaper > grid


def test_plant_that_never_covers_cash_costs_has_no_irr(facts, korean_tax):
    r = evaluate_polysilicon(1000, "siemens", facts, discount_rate_fraction=0.045, tax=korean_tax, **GRID,
                             scenarios=("low",))
    low = r.scenarios["low"]
    assert low.price_krw_per_kg == pytest.approx(5.0 * 1400)
    assert low.price_krw_per_kg < r.cash_cost.total_krw_per_kg
    assert np.all(low.project.table["project_cash_flow_krw"] <= 0)
    assert low.irr_fraction is None and low.npv_krw < 0
    assert low.break_even_electricity_price_krw_per_kwh is None  # not even free power saves it


def test_summary_is_json_ready_with_units(facts, korean_tax):
    r = evaluate_polysilicon(1000, "fbr", facts, discount_rate_fraction=0.045, tax=korean_tax, **GRID,
                             electricity_prices_krw_per_kwh=(50.0, 100.0))
    s = json.loads(json.dumps(r.to_summary()))
    assert set(s["scenarios"]) == {"low", "mid", "high"}
    assert s["capex_krw"] == pytest.approx(0.7 * 100e6 * 4000 * 0.25 ** 0.8)
    assert s["scenarios"]["high"]["npv_krw"] > s["scenarios"]["mid"]["npv_krw"] > s["scenarios"]["low"]["npv_krw"]
    assert s["scenarios"]["mid"]["npv_by_electricity_price"]["electricity_price_krw_per_kwh"] == [50.0, 100.0]


def test_bad_inputs_are_named(facts):
    with pytest.raises(ValueError, match="technology"):
        capex_krw(1000, "czochralski", facts)
    with pytest.raises(ValueError, match="ppa_price_krw_per_kwh"):
        cash_cost_per_kg(1000, "siemens", facts, **GRID, pv_share_fraction=0.5)


def test_labour_intensity_matches_the_jobs_facts(facts):
    jobs = _values("jobs_korea.toml")
    assert facts.labour_fte_per_1000_t == jobs["polysilicon_fte_per_1000_t_per_year"]


# --- the scenario's plant: one ramp-up and one start year for demand and finance -------------------

def _plant_index(scenario) -> int:
    return next(i for i, f in enumerate(scenario.facilities) if f.name == scenario.polysilicon.facility)


def _output_factors(link, spec, facts) -> pd.Series:
    """The finance model's output by calendar year over its full output Q U."""
    years = link.result.table["calendar_year"].to_numpy()
    full = spec.capacity_t_per_year * float(facts.utilisation_fraction)
    return pd.Series(link.manufacturing["manufacturing_output_t_by_year"] / full, index=years)


def test_default_plant_finance_ramp_up_equals_the_demand_year_factors(scenario, demand):
    from pvcluster.finance import polysilicon_link

    spec = scenario.facilities[_plant_index(scenario)]
    assert tuple(spec.ramp_up_fractions) == (0.3, 0.7, 0.9) and spec.start_year == 2027  # models/yeongwol.toml
    link = polysilicon_link.build(scenario, demand, {})
    finance = _output_factors(link, spec, scenario.facts.polysilicon)
    demand_factors = demand.year_factors[spec.name]
    common = finance.index.intersection(demand_factors.index)
    assert len(common) >= 20
    np.testing.assert_allclose(finance.loc[common].to_numpy(), demand_factors.loc[common].to_numpy(), atol=1e-12)
    assert list(finance.loc[2026:2030]) == pytest.approx([0.0, 0.3, 0.7, 0.9, 1.0])
    # the same calendar year starts the plant in both stages, and its sales follow the same ramp
    first = link.result.table.loc[link.result.table["operating_year"] > 0, "calendar_year"].iloc[0]
    assert first == spec.start_year == demand_factors[demand_factors > 0].index[0]
    assert link.summary["full_output_t"] == pytest.approx(spec.capacity_t_per_year * 0.85)


def test_plant_start_year_moves_finance_with_the_demand():
    from pvcluster.demand.growth import facility_factors
    from pvcluster.errors import InputError
    from pvcluster.finance import polysilicon_link
    from pvcluster.scenario import load_scenario

    i = _plant_index(load_scenario())
    later = load_scenario(overrides=[f"facilities.{i}.start_year=2030", f"facilities.{i}.ramp_up_fractions=[0.5]",
                                     "weather.ensemble_years=0"])
    spec = later.facilities[i]
    from pvcluster.demand import build_demand
    from pvcluster.weather import build_weather

    link = polysilicon_link.build(later, build_demand(later, build_weather(later)), {})
    finance = _output_factors(link, spec, later.facts.polysilicon)
    expected = facility_factors(finance.index.to_numpy(), 2030, (0.5,))  # the demand stage's own function
    np.testing.assert_allclose(finance.to_numpy(), expected, atol=1e-12)
    assert finance.index[finance > 0][0] == 2030
    too_early = load_scenario(overrides=[f"facilities.{i}.start_year=2026"])
    with pytest.raises(InputError, match=f"facilities.{i}.start_year"):
        polysilicon_link.build(too_early, None, {})
