"""The cost layer: hand values of the annualization, and the agreement it exists for - a project
whose yearly margin is the LP's annualized cost has a finance NPV of zero."""

from __future__ import annotations

import numpy as np
import pytest

from pvcluster.costs import (Annualization, AssetCosts, capital_recovery_factor, marginal_tax_rate, pv_costs,
                             storage_costs)
from pvcluster.finance.project import Project, Tax, evaluate_project


def test_capex_factor_without_tax_is_the_crf():
    a = Annualization(0.05, operating_years=20, construction_years=1)
    assert a.capex_factor() == pytest.approx(capital_recovery_factor(0.05, 20), rel=1e-12)


def test_capex_factor_with_tax_by_hand():
    # r = 10 %, N = 2, c = 1, depreciation 2 years, no inflation, tau = 20 %:
    # A = 1/1.1 + 1/1.21 = 1.735537; TS = 0.5/1.1 + 0.5/1.21 = 0.867769
    # K = (1 - 0.2 x 0.867769) / (0.8 x 1.735537) = 0.595238
    a = Annualization(0.10, operating_years=2, construction_years=1, tax_rate_fraction=0.2, depreciation_years=2)
    assert a.annuity == pytest.approx(1.735537, rel=1e-6)
    assert a.capex_factor() == pytest.approx(0.595238, rel=1e-5)


def test_inflation_erodes_the_tax_shield():
    flat = Annualization(0.045, 25, 1, 0.0, 0.2, 20).capex_factor()
    inflated = Annualization(0.045, 25, 1, 0.02, 0.2, 20).capex_factor()
    assert inflated > flat  # depreciation is fixed in nominal KRW


@pytest.mark.parametrize("inflation", [0.0, 0.02])
def test_margin_equal_to_the_annualized_cost_gives_zero_npv(inflation):
    # The agreement between sizing and finance in one number: capex X with yearly costs O and a
    # revenue R = K X + O (the LP's annualized cost) has NPV 0 in the cash-flow engine, after tax with
    # straight-line depreciation, at a flat tax rate (no brackets crossed, no losses carried).
    a = Annualization(0.045, operating_years=25, construction_years=1, inflation_fraction_per_year=inflation,
                      tax_rate_fraction=0.209, depreciation_years=20)
    x, o = 1.0e9, 2.0e7
    r = a.capex_factor() * x + o
    p = Project("p", capex_krw=x, operating_years=25, construction_years=1, revenue_krw={"r": np.full(25, r)},
                opex_krw={"o": np.full(25, o)}, inflation_fraction_per_year=inflation, discount_rate_fraction=0.045,
                tax=Tax(rates_fraction=(0.209,), depreciation_years=20, loss_carryforward_years=None))
    assert abs(evaluate_project(p).npv_krw) < 1e-9 * x


def test_one_off_costs_spread_over_the_annuity():
    # a cost of 1,000 in operating year 2 of 2 at 10 %: 1000 / 1.21 / 1.735537 = 476.19 a year
    a = Annualization(0.10, operating_years=2)
    costs = AssetCosts(0.0, {}, {"replacement": (2, 1000.0)})
    assert costs.lp_coefficient(a)[1] == pytest.approx(1000 / 1.21 / 1.735537, rel=1e-6)
    np.testing.assert_allclose(costs.streams(3.0, 2)["replacement"], [0.0, 3000.0])


def test_pv_and_storage_cost_records_match_finance_streams():
    pv = pv_costs(1.0e6, 0.015, 7390.0, 95500.0, 12, 1.2, land_lease_krw_per_kwp_year=5000.0)
    s = pv.streams(10.0, 25)
    assert s["om"][0] == pytest.approx(150000.0) and s["insurance_and_tax"][0] == pytest.approx(73900.0)
    assert s["land_lease"][0] == pytest.approx(50000.0)
    assert s["inverter_replacement"].nonzero()[0].tolist() == [11]
    assert s["inverter_replacement"][11] == pytest.approx(10 * 95500.0 / 1.2)  # inverters per kW AC
    st = storage_costs(280000.0, 0.02, 15, 25)
    assert st.one_off_krw_per_unit == {"storage_replacement": (16, 280000.0)}  # once, after its 15 years
    assert storage_costs(280000.0, 0.02, 25, 25).one_off_krw_per_unit == {}


def test_marginal_tax_rate_by_bracket():
    thresholds, rates = (200e6, 20e9, 300e9), (0.09, 0.19, 0.21, 0.24)
    assert marginal_tax_rate(-5e6, thresholds, rates, 0.1) == pytest.approx(0.099)
    assert marginal_tax_rate(1e8, thresholds, rates, 0.1) == pytest.approx(0.099)
    assert marginal_tax_rate(3e8, thresholds, rates, 0.1) == pytest.approx(0.209)
