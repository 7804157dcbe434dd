"""Sizing: hand-solvable cases for each block, the cluster decomposition, typical days, diagnoses."""

from __future__ import annotations

import numpy as np
import pytest

from pvcluster.errors import InfeasibleError
from pvcluster.market import rec_weight
from pvcluster.sizing import PilotCandidate, PVSegment, SiteData, SolverSettings, capital_recovery_factor, solve_site
from pvcluster.sizing.cluster import solve_decomposed, solve_monolithic
from pvcluster.sizing.data import annuity_factor, replacement_factor
from pvcluster.sizing.periods import TimeGrid, typical_days
from pvcluster.sizing.storage import remove_simultaneous

SETTINGS = SolverSettings(solver="ipm", time_limit_s=60)


def site(load=(0.0, 0.0, 10.0), prices=(100.0, 100.0, 300.0), pv=None, pv_max=0.0, pv_capex=1.0, **kw) -> SiteData:
    n = len(load)
    segments = (PVSegment("roofs", np.asarray(pv, dtype=float), pv_max, pv_capex, 0.0),) if pv is not None else ()
    base = dict(name="t", load_kw=np.asarray(load, dtype=float), segments=segments,
                storage_energy_capex_krw_per_kwh=10.0, storage_power_capex_krw_per_kw=0.0,
                storage_fixed_om_fraction=0.0, storage_life_years=1.0, storage_round_trip_efficiency_fraction=1.0,
                import_price_krw_per_kwh=np.asarray(prices, dtype=float), export_price_krw_per_kwh=np.zeros(n),
                import_limit_kw=1e4, export_limit_kw=0.0, pv_life_years=1.0, pilot_life_years=1.0)
    base.update(kw)
    for key in ("export_price_krw_per_kwh", "import_price_krw_per_kwh"):
        base[key] = np.asarray(base[key], dtype=float)
    return SiteData(**base)


def test_crf_annuity_and_replacement_hand_values():
    # r = 5 %, n = 2: 0.05 * 1.1025 / 0.1025 = 0.537805
    assert capital_recovery_factor(0.05, 2) == pytest.approx(0.537805, rel=1e-6)
    assert capital_recovery_factor(0.0, 4) == 0.25
    assert annuity_factor(0.0, 25) == pytest.approx(25.0)
    # a 15-year battery over 25 years at 10 %: bought at 0 and at 15: 1 + 1.1^-15 = 1.239392
    assert replacement_factor(0.10, 15, 25) == pytest.approx(1 + 1.1 ** -15, rel=1e-9)


# --- storage ------------------------------------------------------------------------------

def test_three_hour_storage_arbitrage_lossless():
    # Load 10 kWh in hour 3 when import costs 300; 100 in hours 1-2. Storage costs 10 per kWh
    # of capacity: buy 10 kWh at 100, store, discharge. Cost = 10*100 + 10*10 = 1,100 (vs 3,000).
    sol = solve_site(site(), SETTINGS)
    assert sol.objective_krw == pytest.approx(1100.0, rel=1e-6)
    assert sol.sizes["storage_energy_kwh"] == pytest.approx(10.0, rel=1e-6)
    assert sol.hourly["storage_discharge_kw"][2] == pytest.approx(10.0, rel=1e-6)
    assert sol.capex_krw == pytest.approx(100.0, rel=1e-6)


def test_three_hour_storage_arbitrage_with_losses():
    # Round trip 0.81 (0.9 each way): charge 10 / 0.81 = 12.3457 kWh at 100 = 1,234.57;
    # stored 0.9 * 12.3457 = 11.111 kWh of capacity at 10 = 111.11; total 1,345.68.
    sol = solve_site(site(storage_round_trip_efficiency_fraction=0.81), SETTINGS)
    assert sol.objective_krw == pytest.approx(1345.679, rel=1e-5)
    assert sol.sizes["storage_energy_kwh"] == pytest.approx(11.1111, rel=1e-4)


def test_minimum_state_of_charge_needs_more_capacity():
    # 10 kWh usable with 20 % kept in reserve: 12.5 kWh of nameplate at 10 = 125; 1,000 of energy
    sol = solve_site(site(storage_min_soc_fraction=0.2), SETTINGS)
    assert sol.sizes["storage_energy_kwh"] == pytest.approx(12.5, rel=1e-6)
    assert sol.objective_krw == pytest.approx(1125.0, rel=1e-6)
    assert sol.hourly["storage_soc_kwh"].min() == pytest.approx(2.5, rel=1e-6)


def test_storage_not_built_when_spread_does_not_pay():
    sol = solve_site(site(storage_energy_capex_krw_per_kwh=250.0), SETTINGS)
    assert sol.objective_krw == pytest.approx(3000.0, rel=1e-6)
    assert sol.sizes["storage_energy_kwh"] == pytest.approx(0.0, abs=1e-6)


def test_optional_minimum_storage_size():
    # The best battery is 10 kWh. With a 40 kWh minimum it costs 400 and the energy 1,000:
    # 1,400 still beats no storage (3,000).
    sol = solve_site(site(storage_min_energy_kwh=40.0, storage_max_energy_kwh=1e4), SETTINGS)
    assert sol.sizes["storage_energy_kwh"] == pytest.approx(40.0, rel=1e-6)
    assert sol.objective_krw == pytest.approx(1400.0, rel=1e-6)
    # with a 250 kWh minimum (2,500 + 1,000 = 3,500) it does not pay
    sol = solve_site(site(storage_min_energy_kwh=250.0, storage_max_energy_kwh=1e4), SETTINGS)
    assert sol.sizes["storage_energy_kwh"] == pytest.approx(0.0, abs=1e-6)
    assert sol.objective_krw == pytest.approx(3000.0, rel=1e-6)


def test_simultaneous_charge_and_discharge_is_removed_keeping_the_state_of_charge():
    eta = 0.9
    ch, dis, surplus = remove_simultaneous(np.array([5.0, 0.0, 2.0]), np.array([1.0, 3.0, 4.0]), eta)
    assert (np.minimum(ch, dis) == 0).all()
    np.testing.assert_allclose(eta * ch - dis / eta, eta * np.array([5.0, 0.0, 2.0]) - np.array([1.0, 3.0, 4.0]) / eta)
    # hour 1: dSOC = 4.5 - 1.111 = 3.389 -> charge 3.765; the bus keeps 5 - 1 - 3.765 = 0.235 kW more
    assert surplus[0] == pytest.approx(5.0 - 1.0 - (4.5 - 1.0 / 0.9) / 0.9)
    assert surplus[1] == 0.0


def test_solved_dispatch_never_charges_and_discharges_in_one_hour():
    rng = np.random.default_rng(3)
    n = 96
    pv = np.clip(np.sin(np.linspace(0, 8 * np.pi, n)), 0, None)
    s = site(load=5 + rng.random(n) * 5, prices=100 + 200 * (np.arange(n) % 24 >= 17), pv=pv, pv_max=50.0,
             pv_capex=300.0, storage_round_trip_efficiency_fraction=0.85, export_price_krw_per_kwh=np.full(n, 50.0),
             export_limit_kw=5.0)
    sol = solve_site(s, SETTINGS)
    h = sol.hourly
    assert np.minimum(h["storage_charge_kw"], h["storage_discharge_kw"]).max() < 1e-9
    balance = (h["pv_generation_kw"] - h["pv_curtailed_kw"] + h["storage_discharge_kw"] + h["grid_import_kw"]
               - h["storage_charge_kw"] - h["grid_export_kw"])
    np.testing.assert_allclose(balance, h["load_kw"], atol=1e-6)


# --- PV and grid --------------------------------------------------------------------------

def test_pv_sized_against_import_price():
    # One hour, load 10 kW, cf 0.5: PV costs 100 per kWp-year, import 300 per kWh.
    # 20 kWp covers the load for 2,000 < 3,000; the area limit of 50 kWp does not bind.
    s = site(load=[10.0], prices=[300.0], pv=[0.5], pv_max=50.0, pv_capex=100.0,
             storage_energy_capex_krw_per_kwh=1e6)
    sol = solve_site(s, SETTINGS)
    assert sol.sizes["pv_capacity_kwp"] == pytest.approx(20.0, rel=1e-6)
    assert sol.objective_krw == pytest.approx(2000.0, rel=1e-6)


def test_demand_charge_makes_storage_shave_the_peak():
    # Two January hours, load 0 then 10, energy 100/kWh, demand charge 100/kW-month, storage
    # 10/kWh: import e then 10 - e; peak max(e, 10 - e) is least at e = 5:
    # 1,000 + 100 * 5 + 10 * 5 = 1,550 (without storage 2,000).
    s = site(load=[0.0, 10.0], prices=[100.0, 100.0], demand_charge_krw_per_kw_month=100.0)
    sol = solve_site(s, SETTINGS)
    assert sol.objective_krw == pytest.approx(1550.0, rel=1e-6)
    assert sol.sizes["grid_peak_import_kw"] == pytest.approx(5.0, rel=1e-6)
    assert sol.extra["bill_krw_per_year"] == pytest.approx(1000.0 + 500.0, rel=1e-6)  # energy + demand charge


def test_only_local_pv_is_exported():
    # Export pays 200, import costs 100: without the rule the site would buy to sell.
    s = site(load=[1.0, 1.0], prices=[100.0, 100.0], pv=[0.0, 1.0], pv_max=0.0,
             export_price_krw_per_kwh=[200.0, 200.0], export_limit_kw=100.0, storage_energy_capex_krw_per_kwh=1e6)
    sol = solve_site(s, SETTINGS)
    assert sol.hourly["grid_export_kw"].max() == pytest.approx(0.0, abs=1e-9)
    assert sol.objective_krw == pytest.approx(200.0, rel=1e-6)


def test_self_sufficiency_forces_pv():
    # Two hours, load 10 each, PV only in hour 1 (cf 1). Target 0.5 with PV dearer than import:
    # 10 kWp serve hour 1 exactly.
    s = site(load=[10.0, 10.0], prices=[100.0, 100.0], pv=[1.0, 0.0], pv_max=100.0, pv_capex=500.0,
             storage_energy_capex_krw_per_kwh=1e6, self_sufficiency_target_fraction=0.5)
    sol = solve_site(s, SETTINGS)
    assert sol.sizes["pv_capacity_kwp"] == pytest.approx(10.0, rel=1e-6)
    assert sol.hourly["grid_import_kw"].sum() == pytest.approx(10.0, rel=1e-6)


def test_re100_needs_generation_equal_to_demand():
    # 20 kWh of load; cf 1 in hour 1 only; PV at 50 is dearer than import at 100 + nothing:
    # RE100 asks for 20 kWh of PV a year: 20 kWp (10 used, 10 curtailed or exported).
    s = site(load=[10.0, 10.0], prices=[100.0, 100.0], pv=[1.0, 0.0], pv_max=100.0, pv_capex=150.0,
             storage_energy_capex_krw_per_kwh=1e6, re100=True)
    sol = solve_site(s, SETTINGS)
    assert sol.sizes["pv_capacity_kwp"] == pytest.approx(20.0, rel=1e-6)
    assert sol.hourly["pv_curtailed_kw"][0] == pytest.approx(10.0, rel=1e-6)


def test_impossible_self_sufficiency_is_diagnosed():
    s = site(load=[10.0, 10.0], prices=[100.0, 100.0], pv=[1.0, 0.0], pv_max=5.0, pv_capex=500.0,
             storage_energy_capex_krw_per_kwh=1e6, self_sufficiency_target_fraction=0.9)
    with pytest.raises(InfeasibleError) as info:
        solve_site(s, SETTINGS)
    message = str(info.value)
    # only 5 kWh of PV exist: 5 / 20 = 0.25 is the most achievable
    assert "self_sufficiency_target_fraction = 0.9 cannot be met" in message
    assert "at most 0.250" in message and "relax the target by 0.650" in message


def test_import_limit_too_small_is_diagnosed():
    s = site(load=[10.0, 10.0, 10.0], prices=[1.0, 1.0, 1.0], import_limit_kw=4.0)
    with pytest.raises(InfeasibleError, match="grid_import_limit_kw"):
        solve_site(s, SETTINGS)


def test_precheck_bounds_the_self_sufficiency_and_re100_targets():
    from pvcluster.sizing import least_import_kwh, precheck

    # load 10 kW in 4 steps (40 kWh); PV up to 8 kWp x [2, 2, 0, 0] kW/kWp = 16, 16, 0, 0 kW:
    # deficits 0, 0, 10, 10 (20 kWh), surplus 6, 6 (12 kWh); a store at round trip 0.81 returns 9.72 kWh:
    # imports >= 20 - 9.72 = 10.28 kWh, self-sufficiency <= 1 - 10.28 / 40 = 0.743
    base = dict(load=[10.0] * 4, prices=[1.0] * 4, pv=[2.0, 2.0, 0.0, 0.0], pv_max=8.0,
                storage_round_trip_efficiency_fraction=0.81)
    assert least_import_kwh(site(**base)) == pytest.approx(10.28, rel=1e-12)
    assert least_import_kwh(site(**base, allow_storage=False)) == pytest.approx(20.0, rel=1e-12)
    with pytest.raises(InfeasibleError, match=r"self_sufficiency_target_fraction = 0.75 cannot be met.*at most 0.743"):
        precheck({"t": site(**base, self_sufficiency_target_fraction=0.75)})
    precheck({"t": site(**base, self_sufficiency_target_fraction=0.74)})  # the bound cannot rule it out
    sol = solve_site(site(**base, self_sufficiency_target_fraction=0.74), SETTINGS)  # and the LP meets it
    assert sol.hourly["grid_import_kw"].sum() <= 0.26 * 40 + 1e-6
    with pytest.raises(InfeasibleError):  # the bound is tight here: the LP cannot do better either
        solve_site(site(**base, self_sufficiency_target_fraction=0.745), SETTINGS)
    # RE100: 32 kWh of PV at most against 40 kWh of load
    with pytest.raises(InfeasibleError, match=r"re100 cannot be met.*at most 32 kWh"):
        precheck({"t": site(**base, re100=True)})
    precheck({"t": site(**{**base, "pv_max": 10.0}, re100=True)})
    # targets only where the full-year LP enforces them: not on a site left unsized, nor on typical days
    precheck({"t": site(**base, self_sufficiency_target_fraction=0.75, re100=True)}, targets=set())
    # without storage the imports are at least the 20 kWh of deficits: self-sufficiency <= 0.5, so a
    # higher target needs storage, and the sizing skips its LP without storage
    from pvcluster.sizing import target_needs_storage

    assert not target_needs_storage(site(**base, self_sufficiency_target_fraction=0.5))
    assert target_needs_storage(site(**base, self_sufficiency_target_fraction=0.51))
    assert not target_needs_storage(site(**base))  # no target


def test_targets_are_checked_on_the_sites_the_full_year_sizes():
    from pvcluster.scenario import load_scenario
    from pvcluster.sizing import precheck_run

    # green_village at a 0.95 target with 50 kWp of roofs: at most 0.349 (see test_cli)
    impossible = ["villages.1.self_sufficiency_target_fraction=0.95", "villages.1.max_rooftop_kwp=50"]
    sites = {"green_village": _green_village_year(impossible)}
    with pytest.raises(InfeasibleError, match="at most 0.349"):
        precheck_run(load_scenario(overrides=impossible), sites)
    precheck_run(load_scenario(overrides=impossible + ["villages.1.size=false"]), sites)  # not sized: no target
    precheck_run(load_scenario(overrides=impossible + ["sizing.periods=typical_days"]), sites)  # another LP


def _green_village_year(overrides):
    from pvcluster.demand import build_demand
    from pvcluster.generation import build_generation
    from pvcluster.scenario import load_scenario
    from pvcluster.sizing import site_inputs
    from pvcluster.weather import build_weather

    scenario = load_scenario(overrides=overrides + ["weather.ensemble_years=0"])
    weather = build_weather(scenario)
    demand = build_demand(scenario, weather)
    return site_inputs(scenario, build_generation(scenario, weather, exceedance=False), demand)["green_village"]


def test_precheck_counts_storage_losses_and_grid_headroom():
    from pvcluster.sizing import precheck

    # limit 5 kW; load 10 kW in steps 1-2 (5 kW short each), 0 in step 0 with 4 kW of PV: spare
    # 4 + 5 (grid headroom) = 9 kWh, short 2 x 5 = 10 kWh
    base = dict(load=[0.0, 10.0, 10.0], prices=[1.0, 1.0, 1.0], pv=[1.0, 0.0, 0.0], pv_max=4.0, import_limit_kw=5.0)
    with pytest.raises(InfeasibleError, match=r"need 10 kWh.*9 kWh to spare.*round trip of 1") as info:
        precheck({"t": site(**base)})
    assert "raise grid_import_limit_kw to at least 10 kW" in str(info.value)
    precheck({"t": site(**{**base, "pv_max": 5.0})})  # 10 kWh to spare: the bound cannot rule it out
    sol = solve_site(site(**{**base, "pv_max": 5.0}, pv_capex=1.0), SETTINGS)  # and the LP agrees
    assert sol.sizes["storage_energy_kwh"] == pytest.approx(10.0, rel=1e-6)
    # the same spare energy through a lossy store does not cover the need
    with pytest.raises(InfeasibleError, match="round trip of 0.81"):
        precheck({"t": site(**{**base, "pv_max": 5.0}, storage_round_trip_efficiency_fraction=0.81)})
    with pytest.raises(InfeasibleError):
        solve_site(site(**{**base, "pv_max": 5.0}, storage_round_trip_efficiency_fraction=0.81), SETTINGS)


def test_rec_weight_tiers():
    from pvcluster.market import RecRule

    m = RecRule("r", 2018, 2021, "marginal", {"land": (1.2, 1.0, 0.7), "building": (1.5, 1.0), "forest": (0.7,)},
                {"land": (100.0, 3000.0), "building": (3000.0,), "forest": ()}, {})
    # 39 MW on land: (100*1.2 + 2900*1.0 + 36000*0.7) / 39000 = 0.723590
    assert rec_weight(m, "land", 39000) == pytest.approx(0.723590, rel=1e-5)
    assert rec_weight(m, "land", 50) == 1.2
    assert rec_weight(m, "building", 5000) == pytest.approx((3000 * 1.5 + 2000 * 1.0) / 5000)
    assert rec_weight(m, "forest", 39000) == 0.7
    whole = RecRule("w", 2012, 2014, "whole", {"land": (1.2, 1.0), "building": (1.5,), "forest": (0.7,)},
                    {"land": (30.0,), "building": (), "forest": ()}, {})
    assert rec_weight(whole, "land", 20) == 1.2 and rec_weight(whole, "land", 39000) == 1.0


# --- public pilot demand ------------------------------------------------------------------

def _pilot_site(retrofit, share=0.0, pv_max=0.0):
    # one hour: the hall uses 10 kWh; the pilot pays 150/kWh, the grid costs 100/kWh: margin 500
    return site(load=[0.0], prices=[100.0], pv=[1.0], pv_max=pv_max, pv_capex=120.0,
                pilot=(PilotCandidate("hall", np.array([10.0]), 150.0, retrofit),), pilot_pv_share_fraction=share,
                storage_energy_capex_krw_per_kwh=1e6)


def test_facility_enrolled_only_when_the_pilot_tariff_pays_for_its_retrofit():
    sol = solve_site(_pilot_site(retrofit=400.0), SETTINGS)
    assert sol.extra["enrolled"] == ["hall"]
    assert sol.objective_krw == pytest.approx(1000.0 + 400.0 - 1500.0, rel=1e-6)
    sol = solve_site(_pilot_site(retrofit=600.0), SETTINGS)
    assert sol.extra["enrolled"] == [] and sol.objective_krw == pytest.approx(0.0, abs=1e-6)


def test_pilot_share_needs_local_pv():
    # 50 % of the hall's 10 kWh from PV at 120/kWp (cf 1): 5 kWp cost 600 and save 500 of import.
    # Enrolled: 600 (PV) + 500 (import) + 300 (retrofit) - 1,500 (pilot revenue) = -100 < 0.
    sol = solve_site(_pilot_site(retrofit=300.0, share=0.5, pv_max=100.0), SETTINGS)
    assert sol.extra["enrolled"] == ["hall"] and sol.sizes["pv_capacity_kwp"] == pytest.approx(5.0, rel=1e-6)
    assert sol.objective_krw == pytest.approx(600.0 + 500.0 + 300.0 - 1500.0, rel=1e-6)
    # without PV on the site the share cannot be met, so the hall is not enrolled
    sol = solve_site(_pilot_site(retrofit=300.0, share=0.5, pv_max=0.0), SETTINGS)
    assert sol.extra["enrolled"] == []


# --- objective ----------------------------------------------------------------------------

def test_npv_objective_hand_case():
    # r = 0, analysis 25 years, PV life 25: -NPV = capex + 25 x annual. 20 kWp at 100 = 2,000
    # capex (PV) against 25 x 3,000 of import: 2,000 vs 75,000.
    s = site(load=[10.0], prices=[300.0], pv=[0.5], pv_max=50.0, pv_capex=100.0,
             storage_energy_capex_krw_per_kwh=1e6, pv_life_years=25.0, analysis_years=25)
    sol = solve_site(s, SolverSettings(objective="npv"))
    assert sol.objective_krw == pytest.approx(2000.0, rel=1e-6)
    assert sol.costs_krw_per_year["pv"] == pytest.approx(2000.0 / 25, rel=1e-6)


# --- cluster ------------------------------------------------------------------------------

def _village(name, price, seed, n=96):
    rng = np.random.default_rng(seed)
    pv = np.clip(np.sin(np.linspace(-np.pi / 2, 7.5 * np.pi, n)), 0, None)
    return site(load=3 + rng.random(n) * 4, prices=np.full(n, price), pv=pv, pv_max=40.0, pv_capex=4000.0,
                name=name, storage_energy_capex_krw_per_kwh=2000.0, storage_round_trip_efficiency_fraction=0.9,
                pv_life_years=20.0, storage_life_years=10.0, discount_rate_fraction=0.05)


def test_decomposition_reaches_the_monolithic_optimum_under_a_binding_budget():
    sites = [_village("a", 300.0, 1), _village("b", 220.0, 2), _village("c", 260.0, 3)]
    free = solve_decomposed(sites, 0.0, SETTINGS, processes=1)
    budget = 0.5 * free.capex_krw  # binds
    mono = solve_monolithic(sites, budget, SETTINGS)
    deco = solve_decomposed(sites, budget, SETTINGS, processes=1)
    assert deco.capex_krw == pytest.approx(budget, rel=1e-9)
    assert deco.objective_krw == pytest.approx(mono.objective_krw, rel=1e-6)
    assert deco.budget_price == pytest.approx(mono.budget_price, rel=1e-4)
    assert deco.objective_krw > free.objective_krw
    # the blended dispatch still balances every site, every hour
    for name, sol in deco.sites.items():
        h = sol.hourly
        balance = (h["pv_generation_kw"] - h["pv_curtailed_kw"] + h["storage_discharge_kw"] + h["grid_import_kw"]
                   - h["storage_charge_kw"] - h["grid_export_kw"])
        np.testing.assert_allclose(balance, h["load_kw"], atol=1e-6)


def test_workers_take_sites_as_they_fall_idle_and_keep_them_for_the_budget_prices():
    # three sites on two workers: the first round hands each site to the next idle worker, which keeps
    # its model for the binding budget's later prices
    sites = [_village("a", 300.0, 1), _village("b", 220.0, 2), _village("c", 260.0, 3)]
    budget = 0.5 * solve_decomposed(sites, 0.0, SETTINGS, processes=1).capex_krw
    one = solve_decomposed(sites, budget, SETTINGS, processes=1)
    two = solve_decomposed(sites, budget, SETTINGS, processes=2)
    assert two.iterations == one.iterations > 2
    assert two.objective_krw == pytest.approx(one.objective_krw, rel=1e-12)
    assert set(two.sites) == {"a", "b", "c"} and set(two.timings) == {"a", "b", "c"}


def test_decomposition_in_worker_processes_matches_in_process():
    sites = [_village("a", 300.0, 1), _village("b", 220.0, 2)]
    one = solve_decomposed(sites, 0.0, SETTINGS, processes=1)
    two = solve_decomposed(sites, 0.0, SETTINGS, processes=2)
    assert two.objective_krw == pytest.approx(one.objective_krw, rel=1e-12)
    np.testing.assert_allclose(two.sites["b"].hourly["grid_import_kw"], one.sites["b"].hourly["grid_import_kw"])


# --- typical days -------------------------------------------------------------------------

def test_typical_days_grid_accounts_for_every_day():
    rng = np.random.default_rng(0)
    hours = np.arange(8760)
    load = 10 + 3 * np.sin(2 * np.pi * hours / 24) + rng.random(8760)
    pv = np.clip(np.sin(2 * np.pi * (hours % 24 - 6) / 24), 0, None) * (1 + 0.3 * np.sin(2 * np.pi * hours / 8760))
    grid, idx = typical_days([load, pv], 12, peak_profile=load)
    assert grid.steps == 12 * 24 and grid.weights.sum() == pytest.approx(8760)
    assert len(grid.day_to_period) == 365 and set(grid.day_to_period) == set(range(12))
    assert np.argmax(load.reshape(365, 24).sum(axis=1)) in grid.period_days  # the peak day is kept
    np.testing.assert_array_equal(idx.reshape(12, 24)[:, 0] // 24, grid.period_days)
    # every month's steps are the typical days that stand for some of its days
    assert sum(len(m) for m in grid.month_steps) >= grid.steps
    expanded = grid.expand(load[idx])
    assert len(expanded) == 8760
    assert np.allclose(expanded.reshape(365, 24)[grid.period_days], load.reshape(365, 24)[grid.period_days])


def test_typical_days_storage_close_to_full_year():
    rng = np.random.default_rng(5)
    hours = np.arange(8760)
    cloud = np.repeat(rng.uniform(0.3, 1.0, 365), 24)
    pv = np.clip(np.sin(2 * np.pi * (hours % 24 - 6) / 24), 0, None) * cloud
    load = 4 + 3 * ((hours % 24) >= 18) + rng.random(8760)
    full = site(load=load, prices=np.full(8760, 250.0), pv=pv, pv_max=40.0, pv_capex=3000.0,
                storage_energy_capex_krw_per_kwh=1500.0, storage_round_trip_efficiency_fraction=0.9,
                pv_life_years=20.0, storage_life_years=10.0, discount_rate_fraction=0.05,
                export_price_krw_per_kwh=np.full(8760, 90.0), export_limit_kw=100.0)
    grid, idx = typical_days([load, pv], 24, peak_profile=load)
    small = full.on_grid(grid, idx)
    a = solve_site(full, SETTINGS)
    b = solve_site(small, SETTINGS)
    assert b.objective_krw == pytest.approx(a.objective_krw, rel=0.02)
    assert len(b.hourly["storage_soc_kwh"]) == 8760 and b.hourly["storage_soc_kwh"].min() >= -1e-6
    assert b.hourly["storage_soc_kwh"].max() <= b.sizes["storage_energy_kwh"] * (1 + 1e-6) + 1e-6


def test_full_year_grid_months():
    grid = TimeGrid.full_year(8760)
    assert [len(m) for m in grid.month_steps][:2] == [744, 672] and grid.is_full_year


def test_model_is_assembled_from_the_listed_technologies():
    sol = solve_site(site(technologies=("pv", "grid", "curtailment")), SETTINGS)  # no storage block
    assert sol.objective_krw == pytest.approx(3000.0, rel=1e-6)
    assert sol.sizes["storage_energy_kwh"] == 0.0 and not sol.hourly["storage_charge_kw"].any()
    assert set(sol.costs_krw_per_year) == {"pv", "grid", "curtailment"}


def test_scenario_technology_list_is_checked():
    from pvcluster.errors import InputError
    from pvcluster.scenario import load_scenario

    with pytest.raises(InputError) as info:
        load_scenario(overrides=['sizing.technologies=["pv", "storge", "curtailment"]'])
    text = str(info.value)
    assert "did you mean 'storage'" in text and "without grid" in text


# --- speed paths (issue 5): the fast Pyomo -> HiGHS transfer, typical-day features and rescaling --

def _lp_arrays(h):
    import scipy.sparse as sp

    lp = h.getLp()
    a = lp.a_matrix_
    shape = (lp.num_row_, lp.num_col_)
    parts = (np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_))
    matrix = sp.csr_matrix(parts, shape=shape) if "Rowwise" in str(a.format_) else sp.csc_matrix(parts, shape=shape)
    return ([np.asarray(x) for x in (lp.col_cost_, lp.col_lower_, lp.col_upper_, lp.row_lower_, lp.row_upper_)],
            matrix.toarray())


def test_fast_transfer_passes_the_same_lp_as_pyomos_interface():
    import pyomo.environ as pyo
    from pyomo.contrib.solver.common.factory import SolverFactory

    from pvcluster.sizing.highs import PersistentHighs, linear_row

    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3), bounds=(0, 10))
    m.y = pyo.Var(bounds=(-1, None))
    m.p = pyo.Param(initialize=2.0, mutable=True)
    m.e = pyo.Expression(expr=2 * m.x[0] - m.x[1] / 4)  # a named expression in a row
    m.eq = pyo.Constraint(expr=m.e + m.x[0] + 3 == m.y)  # repeated variable, constant moved to the bounds
    m.le = pyo.Constraint(expr=m.x[1] <= m.x[2] - 0.5 * m.y)
    m.rng = pyo.Constraint(expr=pyo.inequality(-1.0, -(m.x[0] + m.x[2]), 4.0))
    m.mut = pyo.Constraint(expr=m.p * m.x[2] >= 1.0)  # mutable coefficient: Pyomo's own code
    # columns of every kind: binary, integer in a range, fixed, free, a bound that is a mutable parameter
    # (Pyomo's own bound handling), nonnegative without bounds
    m.b = pyo.Var(within=pyo.Binary)
    m.i = pyo.Var(within=pyo.Integers, bounds=(-3, 7))
    m.f = pyo.Var(bounds=(0, 5))
    m.f.fix(2.5)
    m.free = pyo.Var()
    m.q = pyo.Var(bounds=(m.p, 9.0))
    m.n = pyo.Var(within=pyo.NonNegativeReals)
    m.kinds = pyo.Constraint(expr=m.b + m.i + m.f + m.free + m.q + m.n <= 20.0)
    m.obj = pyo.Objective(expr=m.x[0] + m.x[1] + m.x[2] + m.y + m.free)
    assert linear_row(m.mut) is None and linear_row(m.eq) is not None
    lb, ub, coefs, _, named = linear_row(m.eq)
    assert lb == ub == -3.0 and sorted(coefs.values()) == [-1.0, -0.25, 3.0] and list(named.values()) == [m.e]
    ours, theirs = PersistentHighs(), SolverFactory("highs")
    ours.set_instance(m)
    theirs.set_instance(m)
    (a_vectors, a_matrix), (b_vectors, b_matrix) = _lp_arrays(ours._solver_model), _lp_arrays(theirs._solver_model)
    for a, b in zip(a_vectors, b_vectors):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a_matrix, b_matrix)
    np.testing.assert_array_equal(ours._solver_model.getLp().integrality_, theirs._solver_model.getLp().integrality_)
    assert [ours._vars[i][1:] for i in ours._vars] == [theirs._vars[i][1:] for i in theirs._vars]
    assert list(ours._pyomo_var_to_solver_var_map.items()) == list(theirs._pyomo_var_to_solver_var_map.items())
    assert set(ours._mutable_bounds) == set(theirs._mutable_bounds) == {id(m.q)}
    m.p.set_value(3.0)  # the mutable bound follows its parameter through Pyomo's helper
    ours.update_parameters()
    assert ours._solver_model.getLp().col_lower_[ours._pyomo_var_to_solver_var_map[id(m.q)]] == 3.0
    assert ours._pending_rows == [m.eq, m.le, m.rng, m.mut, m.kinds]  # Pyomo's own row (m.mut) is left pending too
    _assert_same_uses(ours, theirs)


def _assert_same_uses(ours, theirs) -> None:
    """Pyomo's bookkeeping of which constraints use each variable, the same in both interfaces: the same
    truth values (asked without filling the fast transfer's lazy records), then the same records in order."""
    def records(solver, filled: bool) -> dict:  # by name: the two may hold two copies of one model
        return {solver._vars[i][0].name: ([c.name for c in cons] if filled else bool(cons), len(sos),
                                          None if obj is None else obj.name)
                for i, (cons, sos, obj) in solver._referenced_variables.items()}

    pending = list(ours._pending_rows)
    assert list(records(ours, False).items()) == list(records(theirs, False).items())
    assert ours._pending_rows == pending  # asking whether a variable is used filled nothing
    assert list(records(ours, True).items()) == list(records(theirs, True).items())
    assert ours._pending_rows == [] and not ours._pending_vars


def test_fast_transfer_fills_pyomos_record_of_each_variables_rows_only_when_read():
    """The fast transfer leaves Pyomo's record of the constraints using each variable for later: reading
    it, removing a constraint or fixing a variable fills it, exactly as Pyomo's own interface keeps it."""
    import pyomo.environ as pyo
    from pyomo.contrib.solver.common.factory import SolverFactory

    from pvcluster.sizing.highs import PersistentHighs

    def model():
        m = pyo.ConcreteModel()
        m.x = pyo.Var(range(4), bounds=(0, 10))
        m.free = pyo.Var()  # in the objective only
        m.a = pyo.Constraint(expr=m.x[0] + 2 * m.x[1] >= 1)
        m.b = pyo.Constraint(expr=m.x[1] - m.x[2] == 0.5)
        m.c = pyo.Constraint(expr=pyo.inequality(0, m.x[2] + m.x[0] + 0 * m.x[3], 4))
        m.obj = pyo.Objective(expr=m.x[0] + m.x[1] + m.x[2] + m.free ** 2)
        return m

    m, n = model(), model()
    ours, theirs = PersistentHighs(), SolverFactory("highs")
    ours.set_instance(m)
    theirs.set_instance(n)
    assert ours._pending_rows == [m.a, m.b, m.c]  # nothing read yet
    _assert_same_uses(ours, theirs)
    m.d, n.d = (pyo.Constraint(expr=k.x[3] + k.x[0] <= 9) for k in (m, n))  # a new row: pending again
    ours.add_constraints([m.d])
    theirs.add_constraints([n.d])
    assert ours._pending_rows == [m.d]
    ours.remove_constraints([m.a])  # a removal fills first, then drops the row from its variables' records
    theirs.remove_constraints([n.a])
    assert ours._pending_rows == []
    _assert_same_uses(ours, theirs)


def test_fast_value_is_pyomos_value():
    """``expressions.value`` gives Pyomo's float exactly, on every node a site's model builds, and Pyomo's
    error for a variable without a value."""
    import math

    import pyomo.environ as pyo
    from pyomo.common.errors import PyomoException

    from pvcluster.sizing.expressions import value

    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(4))
    m.y = pyo.Var()
    m.p = pyo.Param(initialize=0.37, mutable=True)
    m.fixed = pyo.Var(initialize=2.5)
    m.fixed.fix()
    for i, v in enumerate((0.1, 1e8, -0.3, 7.0 / 3.0)):
        m.x[i].value = v
    m.y.value = 1e-3
    m.e = pyo.Expression(expr=pyo.quicksum(0.1 * (i + 1) * m.x[i] for i in range(4)) + 0.7)
    m.zero = pyo.Var(range(2), initialize=0.0)
    m.nothing = pyo.Expression(expr=pyo.quicksum([]))  # an int 0 as stored
    m.minus_zero = pyo.Expression(expr=pyo.quicksum(-3.0 * m.zero[i] for i in range(2)))  # -0.0 + -0.0
    terms = {
        "sum of monomials": m.e,
        "nested named": 3.0 * (m.e - m.y) / 7.0,
        "parameter": m.p * pyo.quicksum(m.x[i] for i in range(4)) + m.p,
        "negation and fixed": -(m.fixed * m.y) + m.fixed,
        "division": (m.x[0] + m.x[2]) / m.p,
        "number": pyo.quicksum([1.0, 2.0]),
        "empty named": m.nothing,
        "sum of negative zeros": m.minus_zero,
    }
    for name, expr in terms.items():
        ours, theirs = value(expr), pyo.value(expr)
        assert (ours, type(ours), math.copysign(1.0, ours)) == (theirs, type(theirs), math.copysign(1.0, theirs)), \
            name
    m.x[0].value = None
    for expr in (m.e, m.x[0]):
        with pytest.raises((PyomoException, ValueError)):
            value(expr)


def test_fast_value_is_pyomos_value_on_random_expressions():
    """Fuzzed (hypothesis): random trees of the nodes a site's model builds (sums, monomials, products and
    quotients by numbers and a mutable parameter, negations, named expressions, fixed variables), at random
    values with signed zeros, give Pyomo's own value: the same number, type and sign."""
    import math

    import pyomo.environ as pyo
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pvcluster.sizing.expressions import value

    numbers = st.one_of(st.integers(-5, 5), st.sampled_from([0.0, -0.0]),
                        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
    divisors = st.one_of(st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3), st.integers(1, 7))

    @settings(max_examples=150, deadline=None)
    @given(st.data())
    def check(data):
        m = pyo.ConcreteModel()
        m.x = pyo.Var(range(4))
        for i in range(4):
            m.x[i].value = data.draw(numbers)
        m.x[3].fix()
        m.p = pyo.Param(initialize=data.draw(divisors), mutable=True)
        named = iter(range(100))

        def tree(depth: int):
            kinds = ["number", "variable", "monomial"] + (["sum", "product", "negation", "division", "named"]
                                                          if depth < 4 else [])
            kind = data.draw(st.sampled_from(kinds))
            if kind == "number":
                return data.draw(numbers)
            x = m.x[data.draw(st.integers(0, 3))]
            if kind == "variable":
                return x
            if kind == "monomial":
                return data.draw(numbers) * x
            if kind == "sum":
                return pyo.quicksum(tree(depth + 1) for _ in range(data.draw(st.integers(0, 4))))
            if kind == "product":
                factor = m.p if data.draw(st.booleans()) else data.draw(numbers)
                return factor * tree(depth + 1)
            if kind == "negation":
                return -tree(depth + 1)
            if kind == "division":
                return tree(depth + 1) / (m.p if data.draw(st.booleans()) else data.draw(divisors))
            e = pyo.Expression(expr=tree(depth + 1))
            m.add_component(f"e{next(named)}", e)
            return e

        expr = tree(0)
        ours, theirs = value(expr), pyo.value(expr)
        assert type(ours) is type(theirs) and ours == theirs and math.copysign(1, ours) == math.copysign(1, theirs), \
            (str(expr), ours, theirs)

    check()


def test_fast_transfer_keeps_persistent_updates_working():
    import pyomo.environ as pyo

    from pvcluster.sizing.highs import PersistentHighs

    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.NonNegativeReals)
    m.y = pyo.Var(within=pyo.NonNegativeReals)
    m.p = pyo.Param(initialize=1.0, mutable=True)
    m.c = pyo.Constraint(expr=m.x + m.y >= 4)
    m.obj = pyo.Objective(expr=m.p * m.x + 2 * m.y)
    solver = PersistentHighs()

    def solve():
        solver.solve(m, load_solutions=True)
        return pyo.value(m.obj)

    assert solve() == pytest.approx(4.0)  # all x
    m.p.set_value(3.0)
    assert solve() == pytest.approx(8.0)  # a new cost: all y
    m.y.setub(1.0)
    assert solve() == pytest.approx(2.0 + 9.0)  # a new bound: 1 y, 3 x
    m.x.fix(0.5)  # a fixed variable in a row already sent: the row is re-sent with it as a constant
    m.y.setub(None)
    assert solve() == pytest.approx(1.5 + 7.0)
    m.x.unfix()
    m.d = pyo.Constraint(expr=m.x >= 2)  # a new row
    assert solve() == pytest.approx(6.0 + 4.0)


@pytest.mark.parametrize("algorithm", ["simplex", "pdlp-vertex"])
def test_our_solves_run_without_highspys_interrupt_callbacks(algorithm):
    """Pyomo turns highspy's interrupt handling on before every run, which calls back into Python at each
    simplex, IPX and crossover iteration; pvcluster's interface runs HiGHS with it off, and none fires."""
    import pyomo.environ as pyo

    from pvcluster.sizing.highs import PersistentHighs

    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(30), within=pyo.NonNegativeReals)
    m.c = pyo.Constraint(range(29), rule=lambda m, i: m.x[i] + 2 * m.x[i + 1] >= 1 + i % 3)
    m.obj = pyo.Objective(expr=sum((1 + i % 4) * m.x[i] for i in range(30)))
    solver = PersistentHighs()
    solver.set_instance(m)
    h = solver._solver_model
    fired = []
    h.cbSimplexInterrupt += lambda event: fired.append(event)  # a callback of the caller's own stays
    res = solver.solve(m, solver_options={"solver": algorithm})
    assert str(res.termination_condition).endswith("convergenceCriteriaSatisfied")
    assert h.HandleKeyboardInterrupt is False and h.HandleUserInterrupt is False
    assert len(h.cbSimplexInterrupt.callbacks) == 1 and len(h.cbIpmInterrupt.callbacks) == 0
    if algorithm == "simplex":
        assert fired  # the caller's callback still ran


def test_fast_primals_give_pyomos_values():
    import pyomo.environ as pyo
    from pyomo.contrib.solver.common.factory import SolverFactory

    from pvcluster.sizing.highs import PersistentHighs

    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3), bounds=(0, 10))
    m.c = pyo.Constraint(expr=m.x[0] + 2 * m.x[1] >= 4)
    m.d = pyo.Constraint(expr=m.x[1] - m.x[2] <= -1)
    m.obj = pyo.Objective(expr=3 * m.x[0] + m.x[1] + m.x[2])
    ours, theirs = PersistentHighs(), SolverFactory("highs")
    a = ours.solve(m, load_solutions=False).solution_loader.get_vars()
    b = theirs.solve(m, load_solutions=False).solution_loader.get_vars()
    assert len(a) == len(b) == 3 and set(map(id, a)) == set(map(id, b))
    for v, value in a.items():
        assert v in a and a[v] == pytest.approx(b[v], abs=1e-9)
    some = ours.solve(m, load_solutions=False).solution_loader.get_vars([m.x[2]])
    assert list(some.keys()) == [m.x[2]] and some[m.x[2]] == pytest.approx(b[m.x[2]], abs=1e-9)
    ours.solve(m)  # load_solutions: the values reach the model
    assert [pyo.value(m.x[i]) for i in range(3)] == pytest.approx([b[m.x[i]] for i in range(3)], abs=1e-9)


def test_branch_and_bound_by_bounds_matches_the_hand_solution_on_several_candidates():
    # three halls, margins 500 - retrofit: 100 (enrol), -50 (not), 300 (enrol)
    pilot = tuple(PilotCandidate(name, np.array([10.0]), 150.0, retrofit)
                  for name, retrofit in (("a", 400.0), ("b", 550.0), ("c", 200.0)))
    s = site(load=[0.0], prices=[100.0], pv=[1.0], pv_max=0.0, pv_capex=120.0, pilot=pilot,
             storage_energy_capex_krw_per_kwh=1e6)
    sol = solve_site(s, SETTINGS)
    assert sol.extra["enrolled"] == ["a", "c"]
    assert sol.objective_krw == pytest.approx(-100.0 - 300.0, rel=1e-6)


def _two_sites(n_days=365):
    hours = np.arange(24 * n_days)
    flat = site(load=5 + np.sin(hours), prices=np.full(len(hours), 120.0), name="village")
    tou = np.where((hours % 24 >= 10) & (hours % 24 < 18), 200.0, 80.0) + 50.0 * ((hours // 24) % 7 == 0)
    industry = site(load=np.full(len(hours), 10.0), prices=tou, name="industry")
    return {"village": flat, "industry": industry}


def test_clustering_uses_every_sites_own_prices():
    from pvcluster.sizing import clustering_features

    sites = _two_sites()
    features, total = clustering_features(sites)
    tou = sites["industry"].import_price_krw_per_kwh
    # the industry's time-of-use price is a feature; the flat tariffs and constant loads are not
    assert any(np.allclose(f, tou - tou.min()) for f in features)
    assert not any(np.allclose(f, sites["village"].import_price_krw_per_kwh) for f in features)
    assert not any(np.ptp(f) == 0 for f in features)
    np.testing.assert_allclose(total, sites["village"].load_kw + sites["industry"].load_kw)
    # with the price as a feature, no typical day mixes Sundays (dearer) with other days
    grid, hours = typical_days(features, 8, peak_profile=total)
    sunday = (np.arange(365) % 7 == 0)
    for k in range(grid.periods):
        assert len(set(sunday[grid.day_to_period == k])) == 1


def test_typical_days_rescaled_to_the_years_energy():
    rng = np.random.default_rng(1)
    hours = np.arange(8760)
    pv = np.clip(np.sin(2 * np.pi * (hours % 24 - 6) / 24), 0, None) * np.repeat(rng.uniform(0.2, 1, 365), 24)
    s = site(load=4 + rng.random(8760), prices=np.full(8760, 100.0), pv=pv, pv_max=10.0,
             pilot=(PilotCandidate("hall", 1 + rng.random(8760), 150.0, 1.0),))
    grid, idx = typical_days([s.load_kw, pv], 6, peak_profile=s.load_kw)
    plain, scaled = s.on_grid(grid, idx), s.on_grid(grid, idx, rescale=True)
    for a_year, a_plain, a_scaled in ((s.load_kw, plain.load_kw, scaled.load_kw),
                                      (pv, plain.segments[0].kw_per_kwp, scaled.segments[0].kw_per_kwp),
                                      (s.pilot[0].load_kw, plain.pilot[0].load_kw, scaled.pilot[0].load_kw)):
        assert scaled.annual(a_scaled) == pytest.approx(a_year.sum(), rel=1e-12)
        ratio = a_scaled / np.where(a_plain == 0, 1.0, a_plain)
        assert np.ptp(ratio[a_plain > 0]) < 1e-12  # one factor per series: the days keep their shape
    np.testing.assert_array_equal(scaled.import_price_krw_per_kwh, plain.import_price_krw_per_kwh)


def test_auto_solver_is_pdlp_on_the_year_and_simplex_on_typical_days():
    from pvcluster.sizing.solve import SiteModel, first_algorithm

    rng = np.random.default_rng(2)
    hours = np.arange(8760)
    pv = np.clip(np.sin(2 * np.pi * (hours % 24 - 6) / 24), 0, None)
    s = site(load=4 + rng.random(8760), prices=np.full(8760, 100.0), pv=pv, pv_max=10.0)
    grid, idx = typical_days([s.load_kw, pv], 4, peak_profile=s.load_kw)
    small = s.on_grid(grid, idx)
    assert first_algorithm(s) == "pdlp"
    assert first_algorithm(small) == "simplex"
    # "auto" is resolved per site, and an explicit choice is kept
    assert SiteModel(small, SolverSettings()).settings.solver == "simplex"
    assert SiteModel(small, SolverSettings(solver="ipm")).settings.solver == "ipm"
    # the algorithm changes the time, not the optimum
    costs = [SiteModel(small, SolverSettings(solver=a)).solve()[1] for a in ("auto", "ipm", "pdlp")]
    assert costs[0] == pytest.approx(costs[1], rel=1e-9) and costs[2] == pytest.approx(costs[1], rel=1e-9)
    year = {a: SiteModel(s, SolverSettings(solver=a)) for a in ("auto", "ipm")}
    cost = {a: model.solve()[1] for a, model in year.items()}
    assert cost["auto"] == pytest.approx(cost["ipm"], rel=1e-9)
    from pvcluster.sizing.highs import PersistentHighs

    if isinstance(year["auto"].solver, PersistentHighs):  # Pyomo's own interface (CI's fallback step) runs IPX
        assert year["auto"].solver.pdlp_steps == ["pdlp", "crossover", "simplex"]  # no fallback to IPX


def _covering_lp(highspy, infeasible: bool = False):
    """min c'x, A x >= b, 0 <= x <= 5, with a sparse random A, left to the solver (presolve off);
    ``infeasible``: one row no x can meet."""
    rng = np.random.default_rng(3)
    m, n = 60, 120
    a = rng.random((m, n)) * (rng.random((m, n)) < 0.2)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")
    h.addCols(n, 1 + rng.random(n), np.zeros(n), np.full(n, 5.0), 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
              np.zeros(0))
    for i in range(m):
        idx = np.flatnonzero(a[i])
        need = 1e3 if infeasible and i == 7 else 1 + rng.random()
        h.addRow(need, highspy.kHighsInf, len(idx), idx.astype(np.int32), a[i, idx])
    return h


def _ipx_objective(highspy) -> float:
    ipx = _covering_lp(highspy)
    ipx.setOptionValue("solver", "ipm")
    ipx.setOptionValue("run_crossover", "on")
    ipx.run()
    return ipx.getInfo().objective_function_value


def test_pdlp_vertex_ends_on_the_optimal_vertex_ipx_finds():
    import highspy

    from pvcluster.sizing.highs import pdlp_vertex

    h, steps = _covering_lp(highspy), []
    h.setOptionValue("simplex_strategy", 4)  # a primal re-solve's setting: the last step is dual all the same
    pdlp_vertex(h, steps)
    assert steps == ["pdlp", "crossover", "simplex"]
    assert h.getOptionValue("simplex_strategy")[1] == 4  # and the setting is given back
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal and h.getBasis().valid
    assert h.getInfo().objective_function_value == pytest.approx(_ipx_objective(highspy), rel=1e-9)
    assert h.getInfo().max_primal_infeasibility < 1e-9  # a vertex, not PDLP's approximate point


def test_pdlp_vertex_falls_back_to_ipx(monkeypatch):
    import highspy

    from pvcluster.sizing import highs

    monkeypatch.setattr(highs, "PDLP_ITERATIONS", 5)  # PDLP stops at its limit, and HiGHS keeps no point
    h, steps = _covering_lp(highspy), []
    highs.pdlp_vertex(h, steps)
    assert steps == ["pdlp", "ipm"]
    assert h.getInfo().objective_function_value == pytest.approx(_ipx_objective(highspy), rel=1e-9)
    monkeypatch.undo()
    h, steps = _covering_lp(highspy, infeasible=True), []  # PDLP cannot prove infeasibility; IPX does
    highs.pdlp_vertex(h, steps)
    assert steps[-1] == "ipm" and h.getModelStatus() == highspy.HighsModelStatus.kInfeasible


def test_pdlp_is_ipx_on_pyomos_own_interface():
    from pyomo.contrib.solver.solvers.highs import Highs

    from pvcluster.sizing.highs import PDLP, PersistentHighs
    from pvcluster.sizing.solve import solver_options

    settings = SolverSettings(solver="pdlp")
    assert solver_options(settings, False, solver=PersistentHighs())["solver"] == PDLP
    assert solver_options(settings, False, solver=Highs()) == {"random_seed": 0, "solver": "ipm", "run_crossover": "on"}


def test_prestarted_workers_are_taken_by_the_sizing_given_back_and_stopped_at_the_end(monkeypatch):
    import multiprocessing as mp

    from pvcluster import processes
    from pvcluster.sizing import cluster

    monkeypatch.setattr(processes, "usable_cores", lambda: 4)  # room for the three (see give_back)
    sites = list(_two_sites(n_days=2).values())
    with cluster.prestarted_workers(3, warm=("json",)):  # a later use named: the sizing gives them back
        started = [proc for _, proc in cluster._SPARE]
        assert len(started) == 3 and all(p.is_alive() for p in started)
        both = cluster.solve_decomposed(sites, 0.0, SETTINGS, processes=2)
        assert len(cluster._SPARE) == 3  # the sizing took two of them and gave them back, idle
        assert sorted(p.pid for _, p in cluster._SPARE) == sorted(p.pid for p in started)
        alone = cluster.solve_decomposed(sites, 0.0, SETTINGS, processes=1)
    assert both.objective_krw == pytest.approx(alone.objective_krw, rel=1e-9)
    assert cluster._SPARE == [] and not any(p.is_alive() for p in started)  # none outlives the block
    assert not [p for p in mp.active_children() if p in started]


def test_a_sizing_in_a_process_that_may_not_start_workers_runs_here(monkeypatch):
    # a daemonic process (a Dask worker) may not have children: its sizing runs in it, the same optimum
    from pvcluster import processes
    from pvcluster.sizing import cluster

    sites = list(_two_sites(n_days=2).values())
    alone = cluster.solve_decomposed(sites, 0.0, SETTINGS, processes=1)
    monkeypatch.setattr(processes, "can_start_workers", lambda: False)
    monkeypatch.setattr(processes, "spawn_worker", lambda *a: pytest.fail("a worker was started"))
    here = cluster.solve_decomposed(sites, 0.0, SETTINGS, processes=2)
    assert here.objective_krw == pytest.approx(alone.objective_krw, rel=1e-12)


def test_sites_start_longest_first_by_the_guess_of_their_solve_time(scenario, generation, demand):
    # the default scenario's measured times: green_village 6.1-6.6 s (its LP holds the storage: the target
    # needs it), the industrial complex 3.4 s (two meters with demand charges), the county 3.1 s, nammyeon
    # 2.0 s (its LP without storage is certified); the guess starts the two longest first, nammyeon last
    from dataclasses import replace

    from pvcluster.sizing import site_inputs
    from pvcluster.sizing.cluster import _weight
    from pvcluster.sizing.solve import SolverSettings

    z = scenario.sizing
    settings = SolverSettings(z.solver, z.time_limit_s, z.mip_gap_fraction, z.objective, z.pilot_screening_days)
    sites = site_inputs(scenario, generation, demand)
    order = sorted(sites, key=lambda n: -_weight(sites[n], settings))
    assert set(order[:2]) == {"green_village", "industrial_complex"} and order[-1] == "nammyeon"
    green = sites["green_village"]
    assert _weight(green, settings) > _weight(replace(green, self_sufficiency_target_fraction=0.0), settings)


def test_worker_that_dies_at_start_gives_an_error_not_a_hang(tmp_path):
    # A script without a main guard re-runs itself in each spawned worker, which then fails
    # before reading its sites. With a year of data in the Process arguments start() used to
    # block for ever on the full pipe; now the parent reports the dead worker.
    import subprocess
    import sys

    script = tmp_path / "no_guard.py"
    script.write_text("\n".join([
        "import numpy as np",
        "from pvcluster.sizing import PVSegment, SiteData, SolverSettings",
        "from pvcluster.sizing.cluster import solve_decomposed",
        "n = 8760",
        "def one(name):",
        "    return SiteData(name=name, load_kw=np.full(n, 5.0), segments=(PVSegment('r', np.full(n, 0.2), 10.0, 1.0, 0.0),),",
        "                    storage_energy_capex_krw_per_kwh=10.0, storage_power_capex_krw_per_kw=0.0,",
        "                    storage_fixed_om_fraction=0.0, storage_life_years=1.0,",
        "                    storage_round_trip_efficiency_fraction=1.0, import_price_krw_per_kwh=np.full(n, 100.0),",
        "                    export_price_krw_per_kwh=np.zeros(n), import_limit_kw=1e4, export_limit_kw=0.0,",
        "                    pv_life_years=1.0, pilot_life_years=1.0)",
        "solve_decomposed([one('a'), one('b')], 0.0, SolverSettings(), processes=2)",
        "print('solved')",
    ]), encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode != 0
    assert "main__':` guard" in run.stderr
    assert "solved" not in run.stdout


def test_pilot_screening_on_typical_days_matches_branch_and_bound_on_the_year():
    from pvcluster.sizing.solve import SiteModel

    hours = np.arange(8760)
    summer = ((hours // 24 >= 151) & (hours // 24 < 243)).astype(float)  # June to August
    # margins over the grid price of 100: hall 50 x 8,760 = 438,000 against a 300,000 retrofit
    # (enrolled); gym the same margin against 600,000 (not); pool 50 x 3 x 2,208 = 331,200
    # against 250,000 (enrolled, though it runs only in summer)
    cands = (PilotCandidate("hall", np.full(8760, 1.0), 150.0, 300_000.0),
             PilotCandidate("gym", np.full(8760, 1.0), 150.0, 600_000.0),
             PilotCandidate("pool", 3.0 * summer, 150.0, 250_000.0))
    s = site(load=np.full(8760, 2.0), prices=np.full(8760, 100.0), pilot=cands,
             storage_energy_capex_krw_per_kwh=1e6, discount_rate_fraction=0.0)
    screened = SiteModel(s, SolverSettings(screening_days=6))
    exact = SiteModel(s, SolverSettings(screening_days=0))
    assert screened.screening["enrolled"] == ["hall", "pool"] and exact.screening is None
    assert exact.integer and not screened.integer  # the year is an LP once enrollment is fixed
    costs = [m.solve()[1] for m in (screened, exact)]
    assert costs[0] == pytest.approx(costs[1], rel=1e-9)
    assert costs[1] == pytest.approx(2 * 100 * 8760 + 300_000 - 438_000 + 250_000 - 331_200, rel=1e-9)
    assert exact.solution().extra["enrolled"] == ["hall", "pool"]


def _hall_and_pool_site() -> SiteData:
    """A full-year site whose screening enrolls both candidates: the hall all year, the pool in summer
    (see the test above)."""
    hours = np.arange(8760)
    summer = ((hours // 24 >= 151) & (hours // 24 < 243)).astype(float)
    cands = (PilotCandidate("hall", np.full(8760, 1.0), 150.0, 300_000.0),
             PilotCandidate("pool", 3.0 * summer, 150.0, 250_000.0))
    return site(load=np.full(8760, 2.0), prices=np.full(8760, 100.0), pilot=cands,
                storage_energy_capex_krw_per_kwh=1e6, discount_rate_fraction=0.0)


def test_a_sizing_on_workers_clusters_the_screening_days_here_and_the_worker_uses_them(monkeypatch):
    # the coordinator clusters a screened site's typical days in its own process (where scipy imports
    # without Pyomo's import hook) and sends them with the site's data; the worker's screening takes them
    # as they are (it clusters nothing) and decides the same enrollment as clustering there
    from dataclasses import replace

    from pvcluster.sizing import cluster, periods
    from pvcluster.sizing.data import pilot_screening_periods, screens_pilot
    from pvcluster.sizing.solve import SiteModel

    s = _hall_and_pool_site()
    settings = SolverSettings(screening_days=6)
    assert screens_pilot(s, settings) and not screens_pilot(s, replace(settings, screening_days=0))
    grid, steps = pilot_screening_periods(s, settings)
    sent = []
    monkeypatch.setattr(cluster._processes, "take_worker", lambda spare_only=False: sent.append(1) or (_Conn(), None))
    pool = cluster._Pool([s, replace(s, name="u", pilot=())], settings, processes=2)
    ahead = {x.name: x.screening_periods for x in pool.order}
    assert ahead["u"] is None and np.array_equal(ahead["t"][1], steps)
    assert np.array_equal(ahead["t"][0].weights, grid.weights) and np.array_equal(ahead["t"][0].period_days, grid.period_days)
    clustered = []
    monkeypatch.setattr(periods, "typical_days", lambda *a, **k: clustered.append(1) or pytest.fail("clustered again"))
    there = SiteModel(next(x for x in pool.order if x.name == "t"), settings)
    assert not clustered and there.screening["enrolled"] == ["hall", "pool"]


def test_a_sizing_on_workers_screens_a_pilot_site_first_on_an_idle_worker(monkeypatch):
    # the screening is a job of its own, sent before any site, and the site is sized later (here on the other
    # worker, or the same) with the enrollment it decided, reported as the site's own: the same answer as
    # the screening inside the site's model in this process
    from dataclasses import replace

    from pvcluster.sizing import cluster

    s = _hall_and_pool_site()
    sites = [s, replace(s, name="u", pilot=(), load_kw=np.full(8760, 3.0))]
    settings = SolverSettings(screening_days=6)
    sent = []
    send = cluster._Pool._send
    monkeypatch.setattr(cluster._Pool, "_send", lambda self, conn, message: sent.append(message) or send(self, conn, message))
    two = solve_decomposed(sites, 0.0, settings, processes=2)
    jobs = [(command, args[0]) for command, args in sent if command in ("screen", "add_and_solve")]
    assert [(command, x.name) for command, x in jobs][0] == ("screen", "t") and len(jobs) == 3
    sized = next(x for command, x in jobs if command == "add_and_solve" and x.name == "t")
    assert sized.pilot_enrollment == (True, True) and sized.pilot_screening["enrolled"] == ["hall", "pool"]
    one = solve_decomposed(sites, 0.0, settings, processes=1)
    assert two.objective_krw == pytest.approx(one.objective_krw, rel=1e-12)
    reported = [x.sites["t"].extra["pilot_screening"] for x in (two, one)]
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in reported][0] == \
        {k: v for k, v in reported[1].items() if k != "seconds"}
    assert two.sites["t"].extra["enrolled"] == ["hall", "pool"]


def test_a_site_screened_ahead_keeps_the_data_as_given():
    # a model built from data screened on another worker reports that screening, and its input is the data
    # before screening (what a study's next case compares its target against)
    from dataclasses import replace

    from pvcluster.sizing.solve import SiteModel, screened_enrollment

    hours = np.arange(8760)
    cands = (PilotCandidate("hall", np.full(8760, 1.0), 150.0, 300_000.0),
             PilotCandidate("gym", np.full(8760, 1.0), 150.0, 600_000.0))
    s = site(load=np.full(8760, 2.0) + (hours % 24 == 12), prices=np.full(8760, 100.0), pilot=cands,
             storage_energy_capex_krw_per_kwh=1e6, discount_rate_fraction=0.0)
    settings = SolverSettings(screening_days=6)
    enrolled, info = screened_enrollment(s, settings)
    assert enrolled == (True, False) and info["enrolled"] == ["hall"]
    ahead = SiteModel(replace(s, pilot_enrollment=enrolled, pilot_screening=info), settings)
    here = SiteModel(s, settings)
    assert ahead.screening is info
    assert ahead.input.pilot_enrollment is None and ahead.input.pilot_screening is None
    assert ahead.data.pilot_enrollment == here.data.pilot_enrollment == (True, False)
    assert ahead.solve()[1] == pytest.approx(here.solve()[1], rel=1e-12)


class _Conn:
    """A worker's pipe that answers every message "ok" (for a pool that starts no process)."""

    def send(self, message) -> None:
        pass

    def poll(self, timeout=None) -> bool:
        return True

    def recv(self):
        return ("ok", None)


def test_typical_days_when_the_year_has_fewer_distinct_days_than_asked():
    # two kinds of day only: asking for 6 typical days gives 2 (+ the peak day), every day weighed
    hours = np.arange(8760)
    summer = ((hours // 24 >= 151) & (hours // 24 < 243)).astype(float)
    load = 2.0 + summer
    grid, idx = typical_days([load], 6, peak_profile=load)
    assert grid.periods <= 3
    assert grid.weights.sum() == pytest.approx(8760)
    np.testing.assert_allclose(np.dot(grid.weights, load[idx]), load.sum())


# --- pilot matching --------------------------------------------------------------------------

def _matching_site(matching: str, storage_capex: float):
    """Two hours: PV only in hour 1; an enrolled facility takes 10 kW in hour 2 and pays 170/kWh; the
    site buys grid energy for it through its supply meter at 100/kWh."""
    from pvcluster.market import MeterTerms
    from pvcluster.sizing import MeterData

    terms = MeterTerms("supply", 1, 1.0, np.array([100.0, 100.0]), None, 0.0, tuple(np.zeros(0, int) for _ in range(12)),
                       (), 0.0, 0.0, False, np.ones(2, dtype=bool))
    supply = MeterData("supply", np.zeros(2), terms, host=True, pilot_supply=True)
    return site(load=[0.0, 0.0], prices=[100.0, 100.0], pv=[1.0, 0.0], pv_max=100.0, pv_capex=1.0,
                storage_energy_capex_krw_per_kwh=storage_capex, meters=(supply,), pilot_matching=matching,
                pilot=(PilotCandidate("lights", np.array([0.0, 10.0]), 170.0, 0.0, 10.0),))


def test_pilot_share_matching_resells_grid_energy():
    from pvcluster.sizing import pilot_margin

    sol = solve_site(_matching_site("share", 10.0), SETTINGS)
    assert sol.extra["enrolled"] == ["lights"]
    # buying 10 kWh at 100 beats storing PV at 10 per kWh of capacity plus 1 per kWp: 1,000 < 100 + 10
    assert sol.hourly["grid_import_kw"][1] == pytest.approx(10.0) or sol.sizes["storage_energy_kwh"] > 0
    margin = pilot_margin(_matching_site("share", 10.0), sol)
    assert margin["enrolled_kwh"] == pytest.approx(10.0)
    assert margin["from_grid_kwh"] + margin["from_local_pv_kwh"] == pytest.approx(10.0)


def test_pilot_hourly_matching_serves_the_facility_from_pv_and_storage_only():
    from pvcluster.sizing import pilot_margin

    s = _matching_site("hourly", 10.0)
    sol = solve_site(s, SETTINGS)
    assert sol.extra["enrolled"] == ["lights"]
    assert sol.hourly["grid_import_kw"].max() == pytest.approx(0.0, abs=1e-9)
    assert sol.sizes["storage_energy_kwh"] == pytest.approx(10.0, rel=1e-6)  # charged from PV in hour 1
    assert sol.hourly["storage_discharge_kw"][1] == pytest.approx(10.0, rel=1e-6)
    assert pilot_margin(s, sol)["from_grid_kwh"] == pytest.approx(0.0, abs=1e-9)
    # with storage out of reach, hourly matching leaves the facility out: the grid cannot serve it
    dear = solve_site(_matching_site("hourly", 1e5), SETTINGS)
    assert dear.extra["enrolled"] == []


def test_pyomo_fallback_interface_gives_the_same_optimum(monkeypatch):
    from pvcluster.sizing.highs import FALLBACK_ENV, PersistentHighs, fast_transfer_status, solver_interface

    fast = solve_site(site(), SETTINGS)
    monkeypatch.setenv(FALLBACK_ENV, "1")
    used, why = fast_transfer_status()
    assert not used and FALLBACK_ENV in why and not isinstance(solver_interface(), PersistentHighs)
    slow = solve_site(site(), SETTINGS)
    assert slow.objective_krw == pytest.approx(fast.objective_krw, rel=1e-9)


def test_fast_transfer_only_on_the_tested_pyomo_release(monkeypatch):
    import pyomo.version

    from pvcluster.sizing import highs

    monkeypatch.delenv(highs.FALLBACK_ENV, raising=False)  # CI runs this file with the fallback forced too
    monkeypatch.setattr(pyomo.version, "version_info", (6, 99, 0, "final", 0))
    used, why = highs.fast_transfer_status()
    assert not used and "not a release the fast transfer was tested with" in why


# --- storage pricing: the year first without storage, kept when duality proves it optimal ---------

@pytest.mark.parametrize("storage_capex, builds", [(1000.0, False), (10.0, True)])
def test_storage_pricing_keeps_the_optimum_without_storage_only_when_it_is_one(storage_capex, builds, monkeypatch):
    from pvcluster.sizing.highs import FALLBACK_ENV
    from pvcluster.sizing.solve import SiteModel

    monkeypatch.delenv(FALLBACK_ENV, raising=False)  # the pricing needs the version-checked interface

    # hour 3 costs 300 against 100: a kWh of storage saves 200 a cycle, so at 10 per kWh it pays
    # (test_three_hour_storage_arbitrage_lossless: cost 1,100 against 3,000), at 1,000 it does not
    s = site(storage_energy_capex_krw_per_kwh=storage_capex)
    priced = SiteModel(s, SETTINGS)
    assert priced.price_storage
    tc, cost, _ = priced.solve()
    plain = SiteModel(s, SolverSettings(solver="ipm", time_limit_s=60, storage_pricing=False))
    assert not plain.price_storage
    monkeypatch.setenv(FALLBACK_ENV, "1")  # Pyomo's own interface: no pricing, the same optimum
    fallback = SiteModel(s, SETTINGS)
    assert not fallback.price_storage and fallback.solve()[1] == pytest.approx(plain.solve()[1], rel=1e-9)
    _, plain_cost, _ = plain.solve()
    assert cost == pytest.approx(plain_cost, rel=1e-9)
    assert cost == pytest.approx(1100.0 if builds else 3000.0, rel=1e-9)
    assert (priced.storage_certified == 0) == builds  # certified only where no storage pays
    assert (priced.solution().sizes["storage_energy_kwh"] > 0) == builds



def test_daily_cycle_cost_hand_values():
    # eta 0.9, s_min 0.1: P = 0.9 / (0.9 + 0.9) = 0.5, E = eta P / 0.9 = 0.5. Day 1 (steps 0-2), per kW of P:
    # charge at 0, hold eta at 0 (soc cost 1), discharge eta^2 at 1: 5 + 0.9 - 8.1 = -2.2 (the cheapest pair;
    # 0 -> 2: 5 + 0.9 + 0 = 5.9; 1 -> 2: 1 + 0 + 0 = 1). Day 2's best pair costs 2 + 0: it stays idle.
    from pvcluster.sizing.storage import daily_cycle_cost

    s = site(storage_round_trip_efficiency_fraction=0.81, storage_min_soc_fraction=0.1)
    charge = np.array([5.0, 1.0, 4.0, 2.0, 2.0, 2.0])
    discharge = np.array([3.0, -10.0, 0.0, 0.0, 0.0, 1.0])
    soc = np.array([1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert daily_cycle_cost(charge, discharge, soc, 3.0, 4.0, s, steps_per_day=3) == pytest.approx(0.5 * (3 + 4 - 2.2))
    assert daily_cycle_cost(charge, discharge, soc, 0.0, 0.0, s, steps_per_day=3) == pytest.approx(-1.1)
    # no day pays: only the capacities' costs, P + E = 1 split as above
    assert daily_cycle_cost(charge + 20, discharge, soc, 3.0, 4.0, s, steps_per_day=3) == pytest.approx(3.5)


@pytest.mark.parametrize("storage_capex, builds", [(1000.0, False), (10.0, True)])
def test_a_daily_cycle_that_pays_answers_storage_pricing_without_its_lp(storage_capex, builds, monkeypatch):
    # two days, import at 100 for the first 12 hours and 300 for the last 12: a kWh of storage saves 200 a
    # day. At 10 per kWh a daily cycle shows it pays, and the pricing LP is not solved; at 1,000 no cycle
    # pays and the pricing LP certifies the optimum without storage. The same optimum as without pricing.
    import highspy

    from pvcluster.sizing import storage
    from pvcluster.sizing.highs import FALLBACK_ENV
    from pvcluster.sizing.solve import SiteModel

    monkeypatch.delenv(FALLBACK_ENV, raising=False)
    n = 48
    s = site(load=[10.0] * n, prices=([100.0] * 12 + [300.0] * 12) * 2, storage_energy_capex_krw_per_kwh=storage_capex)
    cycles, pricing_runs = [], []
    real_cost, real_run = storage.daily_cycle_cost, highspy.Highs.run
    monkeypatch.setattr(storage, "daily_cycle_cost", lambda *a, **k: cycles.append(real_cost(*a, **k)) or cycles[-1])
    monkeypatch.setattr(highspy.Highs, "run", lambda h: (pricing_runs.append(1) if h.getNumCol() == 3 * n + 2 else None,
                                                         real_run(h))[1])
    priced = SiteModel(s, SETTINGS)
    assert priced.price_storage
    _, cost, _ = priced.solve()
    _, plain_cost, _ = SiteModel(s, SolverSettings(solver="ipm", time_limit_s=60, storage_pricing=False)).solve()
    assert cost == pytest.approx(plain_cost, rel=1e-9)
    assert len(cycles) == 1 and (cycles[0] < 0) == builds
    assert len(pricing_runs) == (0 if builds else 1)
    assert (priced.storage_certified == 0) == builds
    assert (priced.solution().sizes["storage_energy_kwh"] > 0) == builds


def test_a_storage_with_rows_the_daily_cycle_does_not_know_is_priced_by_the_lp(monkeypatch):
    # the daily cycle answers only for the storage rows it is known to meet (storage.CYCLE_ROWS): with one
    # more row in the block (through zero, so the pricing's cone still holds), the pricing LP decides
    import pyomo.core as pyo

    from pvcluster.sizing import storage
    from pvcluster.sizing.highs import FALLBACK_ENV
    from pvcluster.sizing.solve import SiteModel

    monkeypatch.delenv(FALLBACK_ENV, raising=False)
    s = site(load=[10.0] * 48, prices=([100.0] * 12 + [300.0] * 12) * 2)
    cycles = []
    real_cost = storage.daily_cycle_cost
    monkeypatch.setattr(storage, "daily_cycle_cost", lambda *a, **k: cycles.append(1) or real_cost(*a, **k))
    priced = SiteModel(s, SETTINGS)
    st = priced.model.storage
    st.first_charge = pyo.Constraint(expr=st.charge_kw[0] <= 0.5 * st.power_kw)
    _, cost, _ = priced.solve()
    assert not cycles and priced.storage_certified == 0  # the LP said the storage may pay: the whole LP
    assert priced.solution().sizes["storage_energy_kwh"] > 0


@pytest.mark.parametrize("with_storage_krw, rate_fraction", [(1e9, 0.19 * 1.1), (1e8, 0.09 * 1.1)])
def test_a_storage_pricing_that_fails_starts_the_whole_lp_at_its_incomes_tax_rate(with_storage_krw, rate_fraction,
                                                                                   monkeypatch):
    # The LP without storage is not certified where storage pays; the whole LP then starts at the tax
    # rate of the income the LP without storage shows (1e9 KRW: above the first bracket), and the tax
    # iteration checks it against the whole LP's own income. Where that income stays above the bracket,
    # the whole LP is solved once (the iteration from the first bracket solves it twice); where the
    # storage's costs take it back into the first bracket (1e8 KRW), the whole LP is solved again there
    # (the rate it was never solved at is not taken for one it flipped back from): the same rate and
    # optimum as the plain iteration either way.
    import pyomo.environ as pyo

    from pvcluster.costs import Annualization
    from pvcluster.sizing.highs import FALLBACK_ENV
    from pvcluster.sizing.solve import SiteModel

    monkeypatch.delenv(FALLBACK_ENV, raising=False)
    brackets = ((2e8,), (0.09, 0.19), 0.1)  # thresholds (KRW), corporate rates, local share of them
    s = site(annualization=Annualization(discount_rate_fraction=0.05, operating_years=20, tax_rate_fraction=0.099),
             tax=brackets)
    incomes = []

    def income(self):  # a hand-sized site bills no meter: its income is set here, by what it builds
        incomes.append(self.data.annualization.tax_rate_fraction)
        return with_storage_krw if pyo.value(self.model.storage.energy_kwh) > 1e-9 else 1e9
    monkeypatch.setattr(SiteModel, "taxable_income_krw", income)
    priced = SiteModel(s, SETTINGS)
    assert priced.price_storage
    _, cost, _ = priced.solve()
    plain = SiteModel(s, SolverSettings(solver="ipm", time_limit_s=60, storage_pricing=False))
    _, plain_cost, _ = plain.solve()
    assert priced.storage_certified == 0 and priced.solution().sizes["storage_energy_kwh"] > 0
    assert incomes[0] == pytest.approx(0.099)  # read off the LP without storage, at the first rate
    assert priced.data.annualization.tax_rate_fraction == pytest.approx(rate_fraction)
    assert plain.data.annualization.tax_rate_fraction == pytest.approx(rate_fraction)
    assert (priced.solves, plain.solves) == ((1, 2) if rate_fraction > 0.1 else (2, 1))
    assert cost == pytest.approx(plain_cost, rel=1e-9)


def test_a_target_only_storage_meets_skips_the_lp_without_storage(monkeypatch):
    # the 4-step site of the precheck test: without storage at most 0.5 self-sufficient, with it 0.743;
    # at 0.6 the LP without storage is infeasible, so the sizing goes straight to the whole LP
    from pvcluster.sizing.highs import FALLBACK_ENV
    from pvcluster.sizing.solve import SiteModel

    monkeypatch.delenv(FALLBACK_ENV, raising=False)
    base = dict(load=[10.0] * 4, prices=[1.0] * 4, pv=[2.0, 2.0, 0.0, 0.0], pv_max=8.0,
                storage_round_trip_efficiency_fraction=0.81, self_sufficiency_target_fraction=0.6)
    model = SiteModel(site(**base), SETTINGS)
    assert model.price_storage
    tried = []
    real = SiteModel._solve_without_storage
    monkeypatch.setattr(SiteModel, "_solve_without_storage", lambda self, *a: tried.append(1) or real(self, *a))
    tc, cost, _ = model.solve()
    assert not tried and not model.price_storage
    assert model.solution().sizes["storage_energy_kwh"] > 0
    plain = SiteModel(site(**base), SolverSettings(solver="ipm", time_limit_s=60, storage_pricing=False))
    assert cost == pytest.approx(plain.solve()[1], rel=1e-9)
    low = SiteModel(site(**{**base, "self_sufficiency_target_fraction": 0.4}), SETTINGS)
    low.solve()
    assert tried  # a target the bound does not rule out: the LP without storage is tried first


def test_model_cache_reuses_built_models_with_the_same_optimum():
    # A study's cases re-size with other budgets and targets: a site whose data are unchanged, or
    # changed only in its (nonzero) self-sufficiency target, keeps its built model and warm solver.
    from dataclasses import replace

    from pvcluster.sizing import ModelCache

    sites = [_village("a", 300.0, 1), _village("b", 220.0, 2)]
    budget = 0.5 * solve_decomposed(sites, 0.0, SETTINGS, processes=1).capex_krw
    cache = ModelCache()
    for b, tau in [(0.0, 0.0), (budget, 0.0), (0.0, 0.4), (budget, 0.6), (0.0, 0.0)]:
        case = [replace(sites[0], self_sufficiency_target_fraction=tau), sites[1]]
        fresh = solve_decomposed(case, b, SETTINGS, processes=1)
        warm = solve_decomposed(case, b, SETTINGS, processes=1, models=cache)
        assert warm.objective_krw == pytest.approx(fresh.objective_krw, rel=1e-9)
        assert warm.capex_krw == pytest.approx(fresh.capex_krw, rel=1e-6)
        if tau > 0:  # the target holds on the reused model
            h = warm.sites["a"].hourly
            assert h["grid_import_kw"].sum() <= (1 - tau) * h["load_kw"].sum() * (1 + 1e-6)
    # built: a and b, a with a target (0.4 -> 0.6 reuses it), a without one again
    assert (cache.built, cache.reused) == (4, 6)
    assert warm.sites["b"].extra["model_reused"] and "model_reused" not in fresh.sites["b"].extra
    assert len(cache.models) == 2  # only the last sizing's models are kept


def test_a_screened_model_keeps_its_target():
    from dataclasses import replace

    from pvcluster.sizing.solve import SiteModel

    s = replace(_village("a", 300.0, 1), self_sufficiency_target_fraction=0.3)
    m = SiteModel(s, SETTINGS)
    assert m.can_reuse(replace(s, self_sufficiency_target_fraction=0.5))
    m.screening = {"enrolled": []}  # enrollment was screened under the target of 0.3
    assert not m.can_reuse(replace(s, self_sufficiency_target_fraction=0.5))
    assert m.can_reuse(s)


def test_model_cache_reuses_the_monolithic_model_of_a_binding_budget_with_binaries():
    # a minimum storage size makes a binary: a binding budget then sizes the cluster in one model,
    # which the next case of the same structure takes back with its new budget and target
    from dataclasses import replace

    from pvcluster.sizing import ModelCache

    a = replace(_village("a", 300.0, 1), storage_min_energy_kwh=5.0, storage_max_energy_kwh=1e3)
    sites = [a, _village("b", 220.0, 2)]
    capex = solve_decomposed(sites, 0.0, SETTINGS, processes=1).capex_krw
    cache = ModelCache()
    for share, tau in [(0.5, 0.0), (0.6, 0.0), (0.5, 0.3), (0.4, 0.2)]:
        case = [replace(a, self_sufficiency_target_fraction=tau), sites[1]]
        fresh = solve_decomposed(case, share * capex, SETTINGS, processes=1)
        again = solve_decomposed(case, share * capex, SETTINGS, processes=1, models=cache)
        assert fresh.method == again.method == "monolithic"
        assert again.objective_krw == pytest.approx(fresh.objective_krw, rel=1e-9)
        assert again.capex_krw <= share * capex * (1 + 1e-9)
    # reused: both sites and the cluster model in case 2; b in case 3 (a's target appears: a new
    # structure); both sites and the cluster model in case 4 (0.3 -> 0.2 is a new value of the target)
    assert cache.cluster is not None and cache.reused == 3 + 1 + 3


def test_without_a_budget_a_worker_holds_one_model_at_a_time():
    from pvcluster.sizing.cluster import _Sites

    sites = [_village("a", 300.0, 1), _village("b", 220.0, 2)]
    held = _Sites(sites, SETTINGS, one_at_a_time=True)
    assert held.models == {} and set(held.pending) == {"a", "b"}
    out = held.solve(0.0)
    assert set(out) == {"a", "b"} and held.models == {} and held.pending == {}
    assert set(held.solutions(0.0)) == {"a", "b"} and set(held.times()) == {"a", "b"}
    kept = _Sites(sites, SETTINGS)
    kept.solve(0.0)
    for name in ("a", "b"):
        assert held.solutions(0.0)[name].objective_krw == pytest.approx(kept.solutions(0.0)[name].objective_krw,
                                                                          rel=1e-12)


def test_a_reused_model_starts_afresh_as_a_new_one():
    # cold reuse drops HiGHS's basis and the options the last solves set (a budget price's primal
    # simplex strategy would otherwise carry over into the next case's first solve)
    from pvcluster.sizing.solve import SiteModel

    m = SiteModel(_village("a", 300.0, 1), SolverSettings(solver="simplex"))
    m.solve(0.0)
    m.solve(0.05)  # a new price: primal simplex (strategy 4) from the last basis
    h = m.solver._solver_model
    assert h.getOptionValue("simplex_strategy")[-1] == 4
    assert m.reuse() is m and m.solves == 0
    import highspy

    assert h.getOptionValue("simplex_strategy")[-1] == highspy.Highs().getOptionValue("simplex_strategy")[-1] != 4
    assert m.solve(0.0)[1] == pytest.approx(SiteModel(_village("a", 300.0, 1), SolverSettings(solver="simplex"))
                                            .solve(0.0)[1], rel=1e-12)


def test_the_model_cache_keeps_no_more_than_a_default_run_holds():
    from pvcluster.sizing import ModelCache

    sites = [_village("a", 300.0, 1), _village("b", 220.0, 2)]  # 96 steps each
    cache = ModelCache()
    cache.max_steps = 100  # room for one of them only: the sizing keeps none
    solve_decomposed(sites, 0.0, SETTINGS, processes=1, models=cache)
    assert cache.models == {} and cache.built == cache.reused == 0
    cache.max_steps = 192
    solve_decomposed(sites, 0.0, SETTINGS, processes=1, models=cache)
    assert len(cache.models) == 2 and cache.built == 2


def test_has_integers_reads_each_variables_domain():
    import pyomo.core as pyo

    from pvcluster.sizing.solve import has_integers

    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3), within=pyo.NonNegativeReals)
    m.y = pyo.Var(bounds=(0, 5))
    assert not has_integers(m)
    m.x[2].domain = pyo.Binary  # one index made binary (as branch and bound does)
    assert has_integers(m)
    m.x[2].domain = pyo.UnitInterval
    m.z = pyo.Var(within=pyo.NonNegativeIntegers)
    assert has_integers(m)
    m.z.domain = pyo.Reals
    m.b = pyo.Block()
    m.b.w = pyo.Var(within=pyo.Integers)
    assert has_integers(m)
    m.b.deactivate()  # variables of an inactive block do not count
    assert not has_integers(m)
