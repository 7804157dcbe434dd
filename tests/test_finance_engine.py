"""The cash-flow engine (finance/project.py, finance/debt.py): hand-checkable cases."""

from __future__ import annotations

import numpy as np
import pytest

from pvcluster.finance import debt as debtlib
from pvcluster.finance.cashflow import corporate_tax, declining_balance_depreciation
from pvcluster.finance.project import (Debt, FinanceInputError, Project, Tax, check_project, covenant_problems,
                                       evaluate_project)


def _p(**kw) -> Project:
    base = dict(name="p", capex_krw=1000.0, operating_years=2, revenue_krw={"sales": 700.0},
                energy_kwh=np.array([10.0, 10.0]), discount_rate_fraction=0.10)
    base.update(kw)
    return Project(**base)


def test_annuity_schedule_by_hand():
    # 1,000 at 10 % over 2 years: payment 1000 x 0.1 / (1 - 1.1^-2) = 576.19
    s = debtlib.repayment_schedule(1000.0, 0.10, 2, 0, "annuity")
    np.testing.assert_allclose(s.interest_krw, [100.0, 52.381], atol=1e-3)
    np.testing.assert_allclose(s.debt_service_krw, [576.190, 576.190], atol=1e-3)
    np.testing.assert_allclose(s.principal_paid_krw.sum(), 1000.0)


def test_equal_principal_with_grace_by_hand():
    # 900 at 10 %, tenor 4 with 1 grace year: interest only, then 300 a year
    s = debtlib.repayment_schedule(900.0, 0.10, 4, 1, "equal_principal")
    np.testing.assert_allclose(s.principal_paid_krw, [0, 300, 300, 300])
    np.testing.assert_allclose(s.interest_krw, [90, 90, 60, 30])


def test_sculpted_principal_by_hand():
    # CFADS 130 a year, DSCR 1.3 -> service 100; at 0 % the loan is 200, at 10 % 100/1.1 + 100/1.21
    assert debtlib.sculpted_principal(np.array([130.0, 130.0]), 1.3, 0.0, 2, 0) == pytest.approx(200.0)
    assert debtlib.sculpted_principal(np.array([130.0, 130.0]), 1.3, 0.1, 2, 0) == pytest.approx(173.5537, abs=1e-4)


def test_two_year_project_without_debt_or_tax():
    r = evaluate_project(_p())
    np.testing.assert_allclose(r.table["project_cash_flow_krw"], [-1000, 700, 700])
    assert r.npv_krw == pytest.approx(-1000 + 700 / 1.1 + 700 / 1.21)
    # IRR: 1000 y^2 = 700 y + 700 with y = 1 + x -> y = (700 + sqrt(700^2 + 4 x 1000 x 700)) / 2000
    assert r.irr_fraction == pytest.approx((700 + (700**2 + 2.8e6) ** 0.5) / 2000 - 1, abs=1e-9)
    # LCOE without debt or tax: capex over discounted energy
    assert r.lcoe_real_krw_per_kwh == pytest.approx(1000 / (10 / 1.1 + 10 / 1.21))
    assert r.debt_krw == 0 and r.min_dscr is None and r.llcr is None


def test_two_year_project_with_debt_by_hand():
    # half the capex borrowed at 10 % over 2 years: service 288.095 a year
    r = evaluate_project(_p(debt=Debt(gearing_fraction=0.5, rate_fraction=0.10, tenor_years=2)))
    service = 500 * 0.1 / (1 - 1.1 ** -2)
    np.testing.assert_allclose(r.table["equity_cash_flow_krw"], [-500, 700 - service, 700 - service])
    assert r.min_dscr == pytest.approx(700 / service)
    assert r.llcr == pytest.approx((700 / 1.1 + 700 / 1.21) / 500)
    # the unlevered project flow does not change with debt
    np.testing.assert_allclose(r.table["project_cash_flow_krw"], [-1000, 700, 700])


def test_interest_is_deducted_from_tax():
    # 20 % flat tax, straight-line depreciation over 2 years (500 a year), interest 50 then 26.19
    tax = Tax(rates_fraction=(0.2,), depreciation_years=2, loss_carryforward_years=None)
    r = evaluate_project(_p(tax=tax, debt=Debt(gearing_fraction=0.5, rate_fraction=0.10, tenor_years=2)))
    interest = np.array([50.0, 50.0 - (288.0952 - 50.0) * 0.1])
    np.testing.assert_allclose(r.table["tax_krw"][1:], 0.2 * (700 - 500 - interest), atol=1e-3)
    # without the loan: 0.2 x (700 - 500) = 40 a year
    np.testing.assert_allclose(r.table["tax_krw"][1:], 40 - 0.2 * interest, atol=1e-3)


def test_dscr_sculpting_keeps_the_target_every_repayment_year():
    p = _p(operating_years=10, energy_kwh=np.full(10, 10.0), revenue_krw={"sales": np.linspace(200, 150, 10)},
           opex_krw={"om": 20.0}, tax=Tax(rates_fraction=(0.2,), depreciation_years=10),
           debt=Debt(sizing="dscr", gearing_fraction=1.0, dscr_target=1.35, rate_fraction=0.06, tenor_years=8))
    r = evaluate_project(p)
    cover = r.table["dscr"].dropna()
    assert len(cover) == 8
    np.testing.assert_allclose(cover, 1.35, rtol=1e-6)
    assert r.table["debt_balance_krw"].iloc[-1] == pytest.approx(0.0, abs=1e-6)
    # the loan is the service discounted at the debt rate
    service = r.table["debt_service_krw"].to_numpy()[1:9]
    assert r.debt_krw == pytest.approx(np.sum(service / 1.06 ** np.arange(1, 9)), rel=1e-9)


def test_debt_sculpted_on_a_lenders_case_is_tested_on_the_projects_own_cash_flow():
    # no tax, no interest, 2 repayment years, DSCR 1.25: the loan is sum(CFADS) / 1.25. On P50 revenue of 100
    # a year: 160. Sized on a P90 year of 90 (revenue x 0.9): 144, and the P50 cash flow covers its service
    # 72 a year by 100 / 72 = 1.3889
    terms = dict(sizing="dscr", gearing_fraction=1.0, dscr_target=1.25, rate_fraction=0.0, tenor_years=2)
    base = dict(operating_years=2, energy_kwh=np.full(2, 10.0), revenue_krw={"sales": 100.0}, opex_krw={})
    p50 = evaluate_project(_p(**base, debt=Debt(**terms)))
    p90 = evaluate_project(_p(**base, debt=Debt(**terms, sizing_revenue_krw={"sales": np.full(2, 90.0)})))
    assert p50.debt_krw == pytest.approx(160.0) and p90.debt_krw == pytest.approx(144.0)
    assert p90.min_dscr == pytest.approx(100.0 / 72.0) and p50.min_dscr == pytest.approx(1.25)
    assert p90.npv_krw == pytest.approx(p50.npv_krw)  # the project's own cash flow is the same
    bad = _p(**base, debt=Debt(**terms, sizing_revenue_krw={"sale": 90.0}))
    assert [k for k, _, _ in check_project(bad)] == ["debt.sizing_revenue_krw"]


def test_capitalised_interest_during_construction():
    # two construction years, 600 borrowed as 300 + 300: interest 30 on the first draw is capitalised
    p = _p(construction_years=2, debt=Debt(gearing_fraction=0.6, rate_fraction=0.10, tenor_years=2))
    r = evaluate_project(p)
    assert r.debt_krw == pytest.approx(630.0)


def test_inflation_leaves_the_real_npv_unchanged_without_tax_or_debt():
    a = evaluate_project(_p(operating_years=5, energy_kwh=np.full(5, 10.0)))
    b = evaluate_project(_p(operating_years=5, energy_kwh=np.full(5, 10.0), inflation_fraction_per_year=0.03))
    assert b.npv_krw == pytest.approx(a.npv_krw)
    assert b.lcoe_real_krw_per_kwh == pytest.approx(a.lcoe_real_krw_per_kwh)
    # the nominal LCOE is higher: energy discounted at the nominal rate
    assert b.lcoe_nominal_krw_per_kwh > b.lcoe_real_krw_per_kwh
    assert b.irr_fraction == pytest.approx((1 + a.irr_fraction) * 1.03 - 1)


def test_escalation_from_year_one():
    r = evaluate_project(_p(operating_years=3, energy_kwh=(), escalation_fraction_per_year={"sales": 0.1}))
    np.testing.assert_allclose(r.table["revenue_krw"], [0, 700, 770, 847])


def test_working_capital_is_released_at_the_end():
    r = evaluate_project(_p(operating_years=3, energy_kwh=(), working_capital_fraction_of_revenue=0.1))
    np.testing.assert_allclose(r.table["working_capital_change_krw"], [0, 70, 0, -70])


def test_capital_grant_and_dsra():
    r = evaluate_project(_p(capital_grant_krw=400.0,
                            debt=Debt(gearing_fraction=0.5, rate_fraction=0.0, tenor_years=2, dsra_months=6)))
    # net capex 600, debt 300 repaid 150 a year, reserve 6 months of next year's service (75)
    np.testing.assert_allclose(r.table["dsra_change_krw"], [75, 0, -75])
    np.testing.assert_allclose(r.table["equity_cash_flow_krw"], [-300 - 75, 550, 550 + 75])


def test_loss_carry_forward_expires():
    # a 100 loss kept for one year only: offsets year 1, not year 3
    tax = corporate_tax(np.array([-100.0, 40.0, 0.0, 100.0]), np.array([]), np.array([0.1]), 0.0, 1)
    np.testing.assert_allclose(tax, [0, 0, 0, 10])
    tax = corporate_tax(np.array([-100.0, 40.0, 0.0, 100.0]), np.array([]), np.array([0.1]), 0.0, None)
    np.testing.assert_allclose(tax, [0, 0, 0, 4])


def test_declining_balance_switches_to_straight_line():
    # 1,000 over 4 years at 2/4: 500, 250, then straight line on 250 -> 125, 125
    np.testing.assert_allclose(declining_balance_depreciation(1000.0, 4, 0, 4), [500, 250, 125, 125])


def test_irr_that_does_not_exist_is_none():
    r = evaluate_project(_p(revenue_krw={"sales": 0.0}))
    assert r.irr_fraction is None and r.equity_irr_fraction is None
    assert r.npv_krw == pytest.approx(-1000.0)


def test_bad_numbers_are_all_listed():
    p = _p(opex_krw={"om": -5.0}, debt=Debt(gearing_fraction=1.5, tenor_years=5, grace_years=6),
           tax=Tax(thresholds_krw=(100.0,), rates_fraction=(0.1,)))
    keys = {k for k, _, _ in check_project(p)}
    assert {"opex.om", "debt.gearing_fraction", "debt.tenor_years", "debt.grace_years",
            "tax.rates_fraction"} <= keys
    with pytest.raises(FinanceInputError) as err:
        evaluate_project(p)
    assert "at most the operating life of 2 years" in str(err.value)


def test_unreachable_dscr():
    # the cash flow can never pay interest -> no loan meets any DSCR target
    with pytest.raises(FinanceInputError, match="never positive"):
        evaluate_project(_p(revenue_krw={"sales": 0.0}, opex_krw={"om": 10.0},
                            debt=Debt(sizing="dscr", gearing_fraction=0.8, tenor_years=2)))
    # a gearing-sized loan below its DSCR covenant is named with the year and a fix
    d = Debt(gearing_fraction=0.9, rate_fraction=0.10, tenor_years=2, dscr_target=1.5)
    r = evaluate_project(_p(debt=d))
    problems = covenant_problems(r, d)
    assert problems and "lower the gearing" in problems[0][2]


def _projects_of_a_study() -> list[Project]:
    """Projects as a study's cases price them: one structure with other numbers, a few structures side
    by side (sculpted, geared, given and no debt), a loss carried forward, and one with bad numbers."""
    tax = Tax(thresholds_krw=(200.0,), rates_fraction=(0.1, 0.2), local_fraction_of_cit=0.1,
              depreciation_years=3, loss_carryforward_years=2)
    out = []
    for j in range(6):
        kw = dict(name=f"case{j}", capex_krw=1000.0 * (1 + 0.3 * j), operating_years=6, construction_years=2,
                  revenue_krw={"sales": np.linspace(100.0, 400.0, 6) * (1 + 0.1 * j), "grant": 20.0},
                  opex_krw={"om": 40.0}, escalation_fraction_per_year={"om": 0.01 * j}, tax=tax,
                  inflation_fraction_per_year=0.02, discount_rate_fraction=0.05 + 0.005 * j,
                  energy_kwh=np.full(6, 50.0), working_capital_fraction_of_revenue=0.05)
        out.append(_p(**kw, debt=Debt(sizing="dscr", gearing_fraction=0.8, dscr_target=1.2 + 0.05 * j,
                                     rate_fraction=0.06, tenor_years=4, grace_years=j % 2)))
        out.append(_p(**kw, debt=Debt(gearing_fraction=0.1 * j, rate_fraction=0.06, tenor_years=5,
                                     repayment="equal_principal", dsra_months=6, upfront_fee_fraction=0.01)))
        out.append(_p(**kw, debt=Debt(sizing="dscr", rate_fraction=0.06, tenor_years=4, given_amount_krw=300.0 + j,
                                     given_service_krw=(90.0, 95.0, 100.0, 105.0 + j))))
        out.append(_p(**kw))
    out.append(_p(name="bad", capex_krw=-1.0))
    return out


def test_projects_priced_together_equal_each_one_alone():
    from pvcluster.finance.project import evaluate_projects, structure

    projects = _projects_of_a_study()
    assert len({structure(p) for p in projects if p.name != "bad"}) < len(projects) - 1  # rows share arrays
    together = evaluate_projects(projects)
    assert isinstance(together[-1], FinanceInputError) and together[-1].problems[0][0] == "capex_krw"
    losses = 0
    for p, r in zip(projects[:-1], together[:-1]):
        try:
            alone = evaluate_project(p)
        except FinanceInputError as err:
            assert isinstance(r, FinanceInputError) and r.problems == err.problems
            continue
        assert r.metrics() == alone.metrics() and r.payback_years == alone.payback_years
        for name, column in alone.columns.items():
            np.testing.assert_array_equal(r.columns[name], column, err_msg=f"{p.name} {name}")
        losses += bool((alone.columns["taxable_income_krw"] < 0).any())
    assert losses  # some case carries a loss forward


def test_rows_of_the_cash_flow_functions_equal_the_functions():
    import numpy_financial as npf

    from pvcluster.finance.cashflow import irr, irr_rows, payback_rows, payback_year

    rng = np.random.default_rng(3)
    flows = rng.normal(50.0, 100.0, (40, 12))
    flows[:, 0] = -rng.uniform(100, 800, 40)
    flows[5, -3:] = 0.0  # trailing zeros: roots at zero
    flows[6] = np.abs(flows[6])  # no sign change: no IRR
    for row, value in zip(flows, irr_rows(flows)):
        expected = npf.irr(row) if (row > 0).any() and (row < 0).any() else None
        assert value == irr(row)
        assert (value is None and (expected is None or not np.isfinite(expected))) or value == expected
    assert payback_rows(flows) == [payback_year(row) for row in flows]
    taxable = rng.normal(0.0, 300.0, (20, 10))
    thresholds, rates = np.array([200.0, 500.0]), np.array([0.1, 0.2, 0.25])
    np.testing.assert_array_equal(corporate_tax(taxable, thresholds, rates, 0.1, 3),
                                  [corporate_tax(row, thresholds, rates, 0.1, 3) for row in taxable])


def test_existing_loans_and_list_terms_priced_together():
    # an as-built asset valued forward with its outstanding loan, twice the same object and once another
    # balance; and a tax given with lists (a group's key must not need hashable terms)
    from pvcluster.finance.project import evaluate_projects

    tax = Tax(thresholds_krw=[200.0], rates_fraction=[0.1, 0.2], loss_carryforward_years=None)
    p = _p(capex_krw=0.0, construction_years=0, operating_years=4, existing_debt_krw=300.0, existing_debt_years=3,
           energy_kwh=np.full(4, 10.0),
           debt=Debt(rate_fraction=0.05, tenor_years=3), tax=tax, existing_depreciation_krw=np.full(4, 50.0))
    q = _p(**{**p.__dict__, "existing_debt_krw": 150.0})
    together = evaluate_projects([p, p, q])
    for project, result in zip((p, p, q), together):
        alone = evaluate_project(project)
        assert result.metrics() == alone.metrics()
        np.testing.assert_array_equal(result.columns["debt_service_krw"], alone.columns["debt_service_krw"])
    # 300 at 5 % over 3 years: an annuity of 300 x 0.05 / (1 - 1.05^-3) = 110.16
    np.testing.assert_allclose(together[0].columns["debt_service_krw"][:3], 110.163, atol=1e-3)
