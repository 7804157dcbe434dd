"""Sizing: hand-solvable LPs for each block, and the infeasibility diagnosis."""

from __future__ import annotations

import numpy as np
import pytest

from pvcluster.errors import InfeasibleError
from pvcluster.sizing import SiteData, SolverSettings, capital_recovery_factor, rec_weight, solve_site

SETTINGS = SolverSettings(solver="ipm", time_limit_s=60)


def site(**kw) -> SiteData:
    n = len(kw.get("load_kw", [0, 0, 10]))
    base = dict(name="t", load_kw=np.array([0.0, 0.0, 10.0]), pv_kw_per_kwp=np.zeros(n), pv_existing_kwp=0.0,
                pv_max_kwp=0.0, pv_capex_krw_per_kwp=1.0, pv_fixed_om_krw_per_kwp_year=0.0, pv_crf=1.0,
                storage_energy_capex_krw_per_kwh=10.0, storage_power_capex_krw_per_kw=0.0,
                storage_fixed_om_fraction=0.0, storage_crf=1.0, storage_round_trip_efficiency_fraction=1.0,
                import_price_krw_per_kwh=np.array([100.0, 100.0, 300.0]),
                export_price_krw_per_kwh=np.zeros(n), import_limit_kw=1e4, export_limit_kw=0.0)
    base.update(kw)
    return SiteData(**{k: (np.asarray(v, dtype=float) if k in ("load_kw", "pv_kw_per_kwp",
                       "import_price_krw_per_kwh", "export_price_krw_per_kwh") else v) for k, v in base.items()})


def test_crf_hand_value():
    # r = 5 %, n = 2: 0.05 * 1.1025 / 0.1025 = 0.537805
    assert capital_recovery_factor(0.05, 2) == pytest.approx(0.537805, rel=1e-6)
    assert capital_recovery_factor(0.0, 4) == 0.25


def test_three_hour_storage_arbitrage_lossless():
    # Load 10 kWh in hour 3 when import costs 300; 100 in hours 1-2. Storage costs 10 per kWh
    # of capacity: buy 10 kWh at 100, store, discharge. Cost = 10*100 + 10*10 = 1,100 (vs 3,000).
    sol = solve_site(site(), SETTINGS)
    assert sol.objective_krw_per_year == pytest.approx(1100.0, rel=1e-6)
    assert sol.sizes["storage_energy_kwh"] == pytest.approx(10.0, rel=1e-6)
    assert sol.hourly["storage_discharge_kw"][2] == pytest.approx(10.0, rel=1e-6)


def test_three_hour_storage_arbitrage_with_losses():
    # Round trip 0.81 (0.9 each way): charge 10 / 0.81 = 12.3457 kWh at 100 = 1,234.57;
    # stored 0.9 * 12.3457 = 11.111 kWh of capacity at 10 = 111.11; total 1,345.68.
    sol = solve_site(site(storage_round_trip_efficiency_fraction=0.81), SETTINGS)
    assert sol.objective_krw_per_year == pytest.approx(1345.679, rel=1e-5)
    assert sol.sizes["storage_energy_kwh"] == pytest.approx(11.1111, rel=1e-4)


def test_storage_not_built_when_spread_does_not_pay():
    sol = solve_site(site(storage_energy_capex_krw_per_kwh=250.0), SETTINGS)
    assert sol.objective_krw_per_year == pytest.approx(3000.0, rel=1e-6)
    assert sol.sizes["storage_energy_kwh"] == pytest.approx(0.0, abs=1e-6)


def test_pv_sized_against_import_price():
    # One hour, load 10 kW, cf 0.5: PV costs 100 per kWp-year, import 300 per kWh.
    # 20 kWp covers the load for 2,000 < 3,000; the area limit of 50 kWp does not bind.
    s = site(load_kw=[10.0], pv_kw_per_kwp=[0.5], pv_max_kwp=50.0, pv_capex_krw_per_kwp=100.0,
             import_price_krw_per_kwh=[300.0], export_price_krw_per_kwh=[0.0],
             storage_energy_capex_krw_per_kwh=1e6)
    sol = solve_site(s, SETTINGS)
    assert sol.sizes["pv_capacity_kwp"] == pytest.approx(20.0, rel=1e-6)
    assert sol.objective_krw_per_year == pytest.approx(2000.0, rel=1e-6)


def test_self_sufficiency_forces_pv_and_curtailment_is_reported():
    # Two hours, load 10 each, PV only in hour 1 (cf 1). Target 0.5 with PV dearer than import:
    # 10 kWp serve hour 1 exactly; with a target of 1.0 and no storage it is impossible.
    s = site(load_kw=[10.0, 10.0], pv_kw_per_kwp=[1.0, 0.0], pv_max_kwp=100.0, pv_capex_krw_per_kwp=500.0,
             import_price_krw_per_kwh=[100.0, 100.0], export_price_krw_per_kwh=[0.0, 0.0],
             storage_energy_capex_krw_per_kwh=1e6, self_sufficiency_target_fraction=0.5)
    sol = solve_site(s, SETTINGS)
    assert sol.sizes["pv_capacity_kwp"] == pytest.approx(10.0, rel=1e-6)
    assert sol.hourly["grid_import_kw"].sum() == pytest.approx(10.0, rel=1e-6)


def test_impossible_self_sufficiency_is_diagnosed():
    s = site(load_kw=[10.0, 10.0], pv_kw_per_kwp=[1.0, 0.0], pv_max_kwp=5.0, pv_capex_krw_per_kwp=500.0,
             import_price_krw_per_kwh=[100.0, 100.0], export_price_krw_per_kwh=[0.0, 0.0],
             storage_energy_capex_krw_per_kwh=1e6, self_sufficiency_target_fraction=0.9)
    with pytest.raises(InfeasibleError) as info:
        solve_site(s, SETTINGS)
    message = str(info.value)
    # storage could shift PV, but only 5 kWh/day of PV exist: 5 / 20 = 0.25 is the most achievable
    assert "self_sufficiency_target_fraction = 0.9 cannot be met" in message
    assert "at most 0.250" in message and "relax the target by 0.650" in message


def test_import_limit_too_small_is_diagnosed():
    # 30 kWh of load in three hours, at most 4 kW from the grid and no PV: 18 kWh cannot be served
    s = site(load_kw=[10.0, 10.0, 10.0], import_limit_kw=4.0)
    with pytest.raises(InfeasibleError, match="grid_import_limit_kw"):
        solve_site(s, SETTINGS)


def test_rec_weight_tiers():
    class M:
        rec_weight_land_small, rec_weight_land_medium, rec_weight_land_large = 1.2, 1.0, 0.7
        rec_weight_building_small, rec_weight_building_large, rec_weight_forest = 1.5, 1.0, 0.7
    # 39 MW on land: (100*1.2 + 2900*1.0 + 36000*0.7) / 39000 = 0.723590
    assert rec_weight(M, "land", 39000) == pytest.approx(0.723590, rel=1e-5)
    assert rec_weight(M, "land", 50) == 1.2
    assert rec_weight(M, "building", 5000) == pytest.approx((3000 * 1.5 + 2000 * 1.0) / 5000)
    assert rec_weight(M, "forest", 39000) == 0.7
