"""Polysilicon plant economics: hand-checkable capex, cash cost, break-even prices, provenance."""

from __future__ import annotations

import json
import tomllib
from types import SimpleNamespace

import numpy as np
import pytest

from pvcluster.facts import read_fact
from pvcluster.finance.polysilicon import (FACTS, break_even_price_krw_per_kg, capex_krw, cash_cost_per_kg,
                                           demand_kw, electricity_kwh_per_kg, evaluate_polysilicon,
                                           flat_tou_tariff_krw_per_kwh, labour_fte, npv_at_electricity_price,
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


def test_grid_tariff_fact_reproduces_the_tou_derivation(facts):
    m = _values("market_korea.toml")
    # hand: summer (10x95.7 + 8x121.5 + 6x155.0)/24 = 119.125; spring/autumn 103.95; winter 120.308
    # (92 x 119.125 + 153 x 103.95 + 120 x 120.308) / 365 = 113.153, + 9 climate + 5 fuel = 127.153
    flat = flat_tou_tariff_krw_per_kwh(m["industrial_tou_summer_krw_per_kwh"],
                                       m["industrial_tou_spring_autumn_krw_per_kwh"],
                                       m["industrial_tou_winter_krw_per_kwh"],
                                       m["tou_band_by_hour_summer_spring_autumn"], m["tou_band_by_hour_winter"],
                                       m["climate_environment_charge_krw_per_kwh"]
                                       + m["fuel_cost_adjustment_krw_per_kwh"])
    assert flat == pytest.approx(127.153, abs=1e-3)
    assert facts.grid_energy_tariff_krw_per_kwh == pytest.approx(flat, abs=0.05)  # the fact is rounded to 0.1
    assert facts.grid_demand_charge_krw_per_kw_month == m["industrial_demand_charge_krw_per_kw_month"]


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
    assert (cash_cost_per_kg(1000, "fbr", facts).total_krw_per_kg
            < cash_cost_per_kg(1000, "siemens", facts).total_krw_per_kg)


def test_output_ramps_up_then_runs_at_utilisation(facts):
    out = output_t(1000, facts)
    assert len(out) == 20
    np.testing.assert_allclose(out[:3], [1000 * 0.85 * 0.5, 1000 * 0.85 * 0.8, 850.0])
    assert np.all(out[2:] == 850.0)


def test_cash_cost_breakdown_by_hand(facts):
    c = cash_cost_per_kg(1000, "siemens", facts, grid_tariff_krw_per_kwh=120.0)
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
    half = cash_cost_per_kg(1000, "siemens", facts, grid_tariff_krw_per_kwh=120.0, pv_share_fraction=0.5,
                            ppa_price_krw_per_kwh=80.0)
    assert half.electricity_krw_per_kg == pytest.approx(6000.0)


def test_project_streams_match_the_cash_cost(facts):
    p = polysilicon_project(1000, "siemens", facts, price_krw_per_kg=30000.0, discount_rate_fraction=0.05)
    c = cash_cost_per_kg(1000, "siemens", facts)
    full = -1  # last operating year, at full output
    opex = sum(np.asarray(v, dtype=float)[full] for v in p.opex_krw.values())
    assert opex == pytest.approx(c.total_krw_per_kg * 850_000.0)
    assert p.revenue_krw["polysilicon"][0] == pytest.approx(30000.0 * 425_000.0)  # ramp-up year 1
    assert p.capex_schedule_fractions == (0.4, 0.6) and p.construction_years == 2


# --- results -------------------------------------------------------------------------------------

def test_break_even_price_gives_zero_npv(facts, korean_tax):
    kwargs = dict(discount_rate_fraction=0.045, tax=korean_tax)
    price = break_even_price_krw_per_kg(1000, "siemens", facts, **kwargs)
    assert price is not None
    npv = evaluate_project(polysilicon_project(1000, "siemens", facts, price_krw_per_kg=price, **kwargs)).npv_krw
    capex = capex_krw(1000, "siemens", facts)
    assert abs(npv) < 1e-6 * capex  # brentq's tolerance on the price, times the revenue it moves
    # above the cash cost (it must also pay back the capex)
    assert price > cash_cost_per_kg(1000, "siemens", facts).total_krw_per_kg
    r = evaluate_polysilicon(1000, "siemens", facts, **kwargs)
    assert r.break_even_price_krw_per_kg == pytest.approx(price)
    assert r.break_even_price_usd_per_kg == pytest.approx(price / 1400)


def test_npv_falls_linearly_with_electricity_price_without_tax(facts):
    # no tax: dNPV/dp = -sum_k E_k / (1 + r)^(c + k - 1), E_k = output_k x 60 kWh/kg
    r, price = 0.05, 40000.0
    kwargs = dict(discount_rate_fraction=r, tax=Tax(), price_krw_per_kg=price)
    kwh = output_t(1000, facts) * 1000 * 60
    t = 2 + np.arange(len(kwh))  # two construction years, flows at the end of each year
    slope = -float(np.sum(kwh / (1 + r) ** t))
    a = npv_at_electricity_price(1000, "siemens", facts, 100.0, **kwargs)
    b = npv_at_electricity_price(1000, "siemens", facts, 150.0, **kwargs)
    assert (b - a) / 50.0 == pytest.approx(slope, rel=1e-9)


def test_npv_decreases_with_electricity_price_and_crosses_zero_where_reported(facts, korean_tax):
    r = evaluate_polysilicon(1000, "siemens", facts, discount_rate_fraction=0.045, tax=korean_tax,
                             scenarios=(), prices_usd_per_kg={"test": 35.0})
    s = r.scenarios["test"]
    npvs = s.npv_by_electricity_price["npv_krw"].to_numpy()
    assert np.all(np.diff(npvs) < 0)
    p0 = s.break_even_electricity_price_krw_per_kwh
    assert p0 is not None
    assert abs(npv_at_electricity_price(1000, "siemens", facts, p0, price_krw_per_kg=35.0 * 1400,
                                        discount_rate_fraction=0.045, tax=korean_tax)) < 1e-6 * r.capex_krw
    prices = s.npv_by_electricity_price["electricity_price_krw_per_kwh"].to_numpy()
    # the table changes sign between the neighbouring prices of the reported crossing
    assert np.all(npvs[prices < p0] > 0) and np.all(npvs[prices > p0] < 0)


def test_ppa_share_one_at_grid_price_equals_grid_only(facts, korean_tax):
    kwargs = dict(discount_rate_fraction=0.045, tax=korean_tax, price_krw_per_kg=35000.0)
    grid = evaluate_project(polysilicon_project(1000, "siemens", facts, **kwargs)).npv_krw
    ppa = evaluate_project(polysilicon_project(1000, "siemens", facts, pv_share_fraction=1.0,
                                               ppa_price_krw_per_kwh=facts.grid_energy_tariff_krw_per_kwh,
                                               **kwargs)).npv_krw
    assert ppa == pytest.approx(grid, rel=1e-12)
    cheaper = evaluate_project(polysilicon_project(1000, "siemens", facts, pv_share_fraction=0.5,
                                                   ppa_price_krw_per_kwh=90.0, **kwargs)).npv_krw
    assert cheaper > grid


def test_plant_that_never_covers_cash_costs_has_no_irr(facts, korean_tax):
    r = evaluate_polysilicon(1000, "siemens", facts, discount_rate_fraction=0.045, tax=korean_tax,
                             scenarios=("low",))
    low = r.scenarios["low"]
    assert low.price_krw_per_kg == pytest.approx(5.0 * 1400)
    assert low.price_krw_per_kg < r.cash_cost.total_krw_per_kg
    assert np.all(low.project.table["project_cash_flow_krw"] <= 0)
    assert low.irr_fraction is None and low.npv_krw < 0
    assert low.break_even_electricity_price_krw_per_kwh is None  # not even free power saves it


def test_summary_is_json_ready_with_units(facts, korean_tax):
    r = evaluate_polysilicon(1000, "fbr", facts, discount_rate_fraction=0.045, tax=korean_tax,
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
        cash_cost_per_kg(1000, "siemens", facts, pv_share_fraction=0.5)


def test_labour_intensity_matches_the_jobs_facts(facts):
    jobs = _values("jobs_korea.toml")
    assert facts.labour_fte_per_1000_t == jobs["polysilicon_fte_per_1000_t_per_year"]
