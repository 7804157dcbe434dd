"""Finance: hand-checkable cash flows, NPV, IRR, LCOE and Korean tax brackets."""

from __future__ import annotations

import numpy as np
import pytest

from pvcluster.finance import PVProject, evaluate
from pvcluster.finance.cashflow import bracket_tax, corporate_tax, irr, lcoe, npv, payback_year


def test_two_year_npv_hand_value():
    # -100 now, +60 after one and two years at 10 %: -100 + 54.545 + 49.587 = 4.132
    assert npv(0.10, [-100, 60, 60]) == pytest.approx(4.1322, abs=1e-4)


def test_irr_known_and_missing():
    assert irr([-100, 110]) == pytest.approx(0.10)
    assert irr([-100, 60, 60]) == pytest.approx(0.130662, abs=1e-6)  # root of 100(1+r)^2 = 60(1+r) + 60
    assert irr([100, 50]) is None  # no sign change: no IRR
    assert irr([-100, -50]) is None


def test_lcoe_hand_value():
    # 1,000 at t = 0, then 100 kWh in each of two years, r = 0: 1000 / 200 = 5 per kWh
    assert lcoe(0.0, [1000, 0, 0], [0, 100, 100]) == pytest.approx(5.0)
    assert lcoe(0.1, [1000, 0], [0, 0]) is None


def test_payback():
    assert payback_year([-100, 60, 60]) == 2
    assert payback_year([-100, 10]) is None


def test_korean_brackets_hand_value():
    thresholds, rates = [200e6, 20e9, 300e9], [0.09, 0.19, 0.21, 0.24]
    # 300 M: 200 M x 9 % + 100 M x 19 % = 37 M; with local tax (10 % of CIT) 40.7 M
    assert bracket_tax(300e6, thresholds, rates) == pytest.approx(37e6)
    assert corporate_tax(np.array([300e6]), thresholds, rates, 0.1)[0] == pytest.approx(40.7e6)
    # a loss is carried forward: -100 M then +300 M is taxed on 200 M
    tax = corporate_tax(np.array([-100e6, 300e6]), thresholds, rates, 0.0)
    assert tax[0] == 0 and tax[1] == pytest.approx(18e6)


def _project(**kw):
    base = dict(name="p", capex_krw=1000.0, first_year_energy_kwh=10.0, degradation_fraction_per_year=0.0,
                price_krw_per_kwh=60.0, other_revenue_krw_per_year=0.0, fixed_om_krw_per_year=0.0,
                analysis_years=2, construction_years=1, discount_rate_fraction=0.1,
                tax_thresholds_krw=(1e12,), tax_rates_fraction=(0.0, 0.0), local_income_tax_fraction_of_cit=0.0,
                depreciation_years=2, base_year=2025)
    base.update(kw)
    return PVProject(**base)


def test_two_year_project_cash_flow_by_hand():
    r = evaluate(_project())
    # capex 1000 at t0, revenue 600 in each of two operating years, no tax:
    np.testing.assert_allclose(r.table["net_cash_flow_krw"], [-1000, 600, 600])
    assert r.npv_krw == pytest.approx(-1000 + 600 / 1.1 + 600 / 1.21)
    assert r.lcoe_krw_per_kwh == pytest.approx(1000 / (10 / 1.1 + 10 / 1.21))
    assert r.table["discounted_cash_flow_krw"].sum() == pytest.approx(r.npv_krw)


def test_project_with_tax_and_degradation():
    # 20 % flat tax, straight-line depreciation 500 a year: taxable = 600 - 500 = 100, tax 20
    r = evaluate(_project(tax_thresholds_krw=(), tax_rates_fraction=(0.2,), degradation_fraction_per_year=0.5))
    np.testing.assert_allclose(r.table["energy_kwh"], [0, 10, 5])
    np.testing.assert_allclose(r.table["tax_krw"], [0, 20, 0])  # year 2: 300 - 500 < 0, no tax
    assert r.irr_fraction is None or r.irr_fraction < 0


def test_energy_station_default(scenario, generation):
    from pvcluster.finance import build_finance

    f = build_finance(scenario, generation)
    r = f.projects["energy_station"]
    p = f.inputs["energy_station"]
    # price = SMP + REC / 1000 x forest weight 0.7 = 117.26 + 72 x 0.7 = 167.66 KRW/kWh
    assert p.price_krw_per_kwh == pytest.approx(167.66)
    assert p.capex_krw == pytest.approx(39000 * 1344500 * 1.10)
    assert r.irr_fraction is not None and 0.0 < r.irr_fraction < 0.3
    assert len(r.table) == 26
