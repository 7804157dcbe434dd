"""Fund structure: calls as needed, fees and the European waterfall on tiny cases worked out by hand.

Amounts are the fund's nominal KRW (every money column and summary key ends in ``_nominal_krw``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from pvcluster.finance.cashflow import irr
from pvcluster.finance.fund import (STEPS, FundTerms, Tranche, allocate_pro_rata, capital_calls, catch_up_zone,
                                    check_fund_inputs, management_fees, run_fund)

# 100 (1.08^5 - 1): the 8 % pref compounded over five years on 100 of capital
PREF_5Y = 100 * (1.08 ** 5 - 1)  # 46.932808


def textbook(proceeds_year5: float, catch_up: float = 1.0, **kw):
    """LP 90 + GP 10, all called and invested at t = 0, one distribution at t = 5, no fee."""
    terms = FundTerms(hurdle_fraction=0.08, carry_fraction=0.20, catch_up_fraction=catch_up,
                      management_fee_fraction=0.0, investment_period_years=5, call_schedule_fractions=(1.0,))
    tranches = [Tranche("private_lp", 90.0), Tranche("gp", 10.0, role="gp")]
    return run_fund(terms, tranches, [100, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, proceeds_year5], **kw)


def steps(result, name):
    return result.tranches[name].step_totals_nominal_krw()


def test_textbook_waterfall_by_hand():
    # 200 back at t = 5:
    # (1) return of capital 100: LP 90, GP 10
    # (2) pref 100 (1.08^5 - 1) = 46.932808: LP 42.239527, GP 4.693281 (pro rata to capital)
    # (3) 100 % catch-up X with X = 0.2 (46.932808 + X)  ->  X = 46.932808 / 4 = 11.733202 to the GP
    # (4) left 200 - 100 - 46.932808 - 11.733202 = 41.333990: carry 20 % = 8.266798 to the GP,
    #     80 % = 33.067192 pro rata: LP 29.760473, GP 3.306719
    # carry = 11.733202 + 8.266798 = 20 = 20 % of the profit of 100
    # LP: 90 + 42.239527 + 29.760473 = 162 = 90 x 1.8 (keeps 80 % of its profit); IRR 1.8^(1/5) - 1
    # GP: 10 + 4.693281 + 3.306719 + 20 = 38
    r = textbook(200.0)
    t = r.table.loc[5]
    assert t["return_of_capital_nominal_krw"] == pytest.approx(100.0)
    assert t["preferred_return_nominal_krw"] == pytest.approx(PREF_5Y)
    assert PREF_5Y == pytest.approx(46.932808, abs=1e-6)
    assert t["catch_up_nominal_krw"] == pytest.approx(PREF_5Y / 4) == pytest.approx(11.733202, abs=1e-6)
    assert t["carried_interest_nominal_krw"] == pytest.approx(8.266798, abs=1e-6)
    assert t["lp_split_nominal_krw"] == pytest.approx(33.067192, abs=1e-6)
    assert r.carry_nominal_krw == pytest.approx(20.0)
    assert r.fees_nominal_krw == 0.0

    lp, gp = steps(r, "private_lp"), steps(r, "gp")
    assert lp == pytest.approx({"return_of_capital": 90.0, "preferred_return": 42.239527, "catch_up": 0.0,
                                "carried_interest": 0.0, "lp_split": 29.760473}, abs=1e-6)
    assert gp == pytest.approx({"return_of_capital": 10.0, "preferred_return": 4.693281, "catch_up": 11.733202,
                                "carried_interest": 8.266798, "lp_split": 3.306719}, abs=1e-6)
    lp_r, gp_r = r.tranches["private_lp"], r.tranches["gp"]
    assert lp_r.distributions_nominal_krw.sum() == pytest.approx(162.0)
    assert gp_r.distributions_nominal_krw.sum() == pytest.approx(38.0)
    assert lp_r.irr_fraction == pytest.approx(1.8 ** 0.2 - 1)
    assert gp_r.irr_fraction == pytest.approx(3.8 ** 0.2 - 1)
    assert lp_r.tvpi == pytest.approx(1.8) and lp_r.dpi == pytest.approx(1.8)
    assert gp_r.tvpi_multiple == pytest.approx(3.8)
    # cash is conserved: everything distributable is distributed
    assert r.table["distributions_nominal_krw"].sum() == pytest.approx(200.0)


def test_proceeds_below_hurdle_give_no_carry():
    # 130 back: capital 100, then pref 30 < 46.93 owed; nothing reaches catch-up or split
    r = textbook(130.0)
    assert r.carry_nominal_krw == 0.0
    assert r.table["preferred_return_nominal_krw"].sum() == pytest.approx(30.0)
    assert r.tranches["private_lp"].distributions_nominal_krw.sum() == pytest.approx(90 + 27)  # 90 % of 130
    assert r.tranches["gp"].distributions_nominal_krw.sum() == pytest.approx(10 + 3)


def test_partial_catch_up_when_cash_runs_out():
    # 150 back: capital 100, pref 46.932808, the remaining 3.067192 all to the GP as catch-up
    # (it would need 11.733202 for a full catch-up), nothing to the split
    r = textbook(150.0)
    t = r.table.loc[5]
    assert t["catch_up_gp_nominal_krw"] == pytest.approx(150 - 100 - PREF_5Y) == pytest.approx(3.067192, abs=1e-6)
    assert t["carried_interest_nominal_krw"] == 0.0 and t["lp_split_nominal_krw"] == 0.0
    assert r.carry_nominal_krw == pytest.approx(3.067192, abs=1e-6)
    assert r.tranches["private_lp"].distributions_nominal_krw.sum() == pytest.approx(90 + 0.9 * PREF_5Y)


def test_fifty_percent_catch_up():
    # q = 50 %: in the zone the GP gets half, the LPs (pro rata, GP's interest included) the other half.
    # X: 0.5 X = 0.2 (46.932808 + X)  ->  X = 0.2 x 46.932808 / 0.3 = 31.288539
    #    GP 15.644269; LPs 15.644269 (LP 14.079842, GP interest 1.564427)
    # left 200 - 146.932808 - 31.288539 = 21.778653: carry 4.355731, LPs 17.422922 (LP 15.680630)
    # GP carry 15.644269 + 4.355731 = 20 (the catch-up completes); LP again 162
    r = textbook(200.0, catch_up=0.5)
    t = r.table.loc[5]
    assert t["catch_up_nominal_krw"] == pytest.approx(31.288539, abs=1e-6)
    assert t["catch_up_gp_nominal_krw"] == pytest.approx(15.644269, abs=1e-6)
    assert t["catch_up_lp_nominal_krw"] == pytest.approx(15.644269, abs=1e-6)
    assert t["carried_interest_nominal_krw"] == pytest.approx(4.355731, abs=1e-6)
    assert r.carry_nominal_krw == pytest.approx(20.0)
    lp = steps(r, "private_lp")
    assert lp["catch_up"] == pytest.approx(14.079842, abs=1e-6)
    assert lp["lp_split"] == pytest.approx(15.680630, abs=1e-6)
    assert r.tranches["private_lp"].distributions_nominal_krw.sum() == pytest.approx(162.0)


def test_catch_up_and_pref_across_two_distribution_years():
    # LP 100, GP with no commitment, h = 10 %, k = 20 %, q = 100 %; 100 in at t = 0, 60 back at t = 1, 100 at t = 2
    # t = 1: hurdle account A = 110, unreturned U = 100; 60 all return of capital -> U = 40, A = 50
    # t = 2: A = 50 x 1.1 = 55; capital 40 -> A = 15; pref 15; profit 15 -> catch-up 0.2 x 15 / 0.8 = 3.75;
    #        left 100 - 40 - 15 - 3.75 = 41.25: carry 8.25, LP 33
    # LP gets 60 and 88 = 148; the GP 12 = 20 % of the profit of 60
    terms = FundTerms(hurdle_fraction=0.10, carry_fraction=0.20, catch_up_fraction=1.0,
                      management_fee_fraction=0.0, investment_period_years=1, call_schedule_fractions=(1.0,))
    r = run_fund(terms, [Tranche("lp", 100.0), Tranche("manager", 0.0, role="gp")], [100, 0, 0], [0, 60, 100])
    t = r.table
    assert t["return_of_capital_nominal_krw"].tolist() == pytest.approx([0, 60, 40])
    assert t["preferred_return_nominal_krw"].tolist() == pytest.approx([0, 0, 15])
    assert t["catch_up_gp_nominal_krw"].tolist() == pytest.approx([0, 0, 3.75])
    assert t["carried_interest_nominal_krw"].tolist() == pytest.approx([0, 0, 8.25])
    assert r.tranches["lp"].distributions_nominal_krw.tolist() == pytest.approx([0, 60, 88])
    assert r.carry_nominal_krw == pytest.approx(12.0)
    gp = r.tranches["manager"]
    assert gp.irr_fraction is None  # no contributions: no sign change, no IRR
    assert gp.tvpi_multiple is None and gp.dpi_multiple is None  # nothing paid in: no multiple


def _public_private(first_loss=False, cap=None):
    return [Tranche("central_government", 40.0, public=True, first_loss=first_loss, return_cap_fraction=cap),
            Tranche("private_lp", 60.0)]


NO_CARRY = dict(carry_fraction=0.0, catch_up_fraction=0.0, management_fee_fraction=0.0,
                investment_period_years=0, call_schedule_fractions=(1.0,))


def test_first_loss_tranche_absorbs_the_loss_before_others():
    # 100 in at t = 0, 80 back at t = 3 (a loss of 20)
    # pari passu: private 60 % of 80 = 48, central 32
    # first loss: private gets its 60 back first (IRR 0), central the remaining 20 (loses 20 of 40)
    terms = FundTerms(hurdle_fraction=0.08, **NO_CARRY)
    flows = ([100, 0, 0, 0], [0, 0, 0, 80])
    pari = run_fund(terms, _public_private(), *flows)
    junior = run_fund(terms, _public_private(first_loss=True), *flows)
    assert pari.tranches["private_lp"].distributions_nominal_krw.sum() == pytest.approx(48.0)
    assert junior.tranches["private_lp"].distributions_nominal_krw.sum() == pytest.approx(60.0)
    assert junior.tranches["central_government"].distributions_nominal_krw.sum() == pytest.approx(20.0)
    assert junior.tranches["private_lp"].irr_fraction == pytest.approx(0.0, abs=1e-9)
    assert pari.tranches["private_lp"].irr_fraction == pytest.approx(0.8 ** (1 / 3) - 1)
    assert junior.tranches["central_government"].irr_fraction == pytest.approx(0.5 ** (1 / 3) - 1)


def test_first_loss_tranche_gets_its_pref_after_the_others():
    # 100 in at t = 0, 105 back at t = 1, h = 8 %: capital 60 + 40, then pref owed 4.8 (private), 3.2 (central)
    # first loss: private's 4.8 first, central gets the remaining 0.2
    # pari passu: the 5 are shared pro rata to pref owed: private 3.0, central 2.0
    terms = FundTerms(hurdle_fraction=0.08, **NO_CARRY)
    junior = run_fund(terms, _public_private(first_loss=True), [100, 0], [0, 105])
    pari = run_fund(terms, _public_private(), [100, 0], [0, 105])
    assert steps(junior, "private_lp")["preferred_return"] == pytest.approx(4.8)
    assert steps(junior, "central_government")["preferred_return"] == pytest.approx(0.2)
    assert steps(pari, "private_lp")["preferred_return"] == pytest.approx(3.0)
    assert steps(pari, "central_government")["preferred_return"] == pytest.approx(2.0)


def test_capped_public_return_sends_the_excess_to_the_uncapped():
    # central 50 capped at 5 %, private 50; 100 in at t = 0, 200 back at t = 2, no hurdle, no carry
    # pari passu: 100 each; capped: central 50 x 1.05^2 = 55.125 (IRR exactly 5 %), private 144.875
    terms = FundTerms(hurdle_fraction=0.0, **NO_CARRY)
    tranches = [Tranche("central_government", 50.0, public=True, return_cap_fraction=0.05),
                Tranche("private_lp", 50.0)]
    r = run_fund(terms, tranches, [100, 0, 0], [0, 0, 200])
    assert r.tranches["central_government"].distributions_nominal_krw.sum() == pytest.approx(55.125)
    assert r.tranches["central_government"].irr_fraction == pytest.approx(0.05)
    assert r.tranches["private_lp"].distributions_nominal_krw.sum() == pytest.approx(144.875)
    assert r.residual_nominal_krw == pytest.approx(0.0)
    # with an 8 % hurdle above the 5 % cap: central's pref stops at 5.125 (of 8.32 owed), private gets its
    # pref 50 (1.08^2 - 1) = 8.32 and everything above; the totals are the same
    r8 = run_fund(FundTerms(hurdle_fraction=0.08, **NO_CARRY), tranches, [100, 0, 0], [0, 0, 200])
    assert steps(r8, "central_government")["preferred_return"] == pytest.approx(5.125)
    assert steps(r8, "private_lp")["preferred_return"] == pytest.approx(8.32)
    assert r8.tranches["private_lp"].distributions_nominal_krw.sum() == pytest.approx(144.875)


def _yeongwol_tranches(first_loss=False, cap=None):
    return [Tranche("central_government", 30.0, public=True, first_loss=first_loss, return_cap_fraction=cap),
            Tranche("gangwon_province", 10.0, public=True), Tranche("yeongwol_county", 10.0, public=True),
            Tranche("policy_bank", 20.0, public=True), Tranche("private_lp", 28.0),
            Tranche("gp", 2.0, role="gp")]


@pytest.mark.parametrize("proceeds, option", [(80.0, "first_loss"), (200.0, "cap")])
def test_private_irr_rises_with_first_loss_or_capped_public_tranche(proceeds, option):
    # six tranches, 1 % fee, 90 invested at t = 0, proceeds at t = 5: a loss (80) or a gain (200)
    terms = FundTerms(hurdle_fraction=0.08, carry_fraction=0.20, catch_up_fraction=1.0,
                      management_fee_fraction=0.01, investment_period_years=5, call_schedule_fractions=(1.0,))
    flows = ([90, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, proceeds])
    pari = run_fund(terms, _yeongwol_tranches(), *flows)
    option_kw = {"first_loss": True} if option == "first_loss" else {"cap": 0.02}
    helped = run_fund(terms, _yeongwol_tranches(**option_kw), *flows)
    assert helped.tranches["private_lp"].irr_fraction > pari.tranches["private_lp"].irr_fraction + 0.005
    assert helped.tranches["central_government"].irr_fraction < pari.tranches["central_government"].irr_fraction
    for r in (pari, helped):  # conservation: all distributable cash reaches a tranche
        t = r.table
        assert t["distributions_nominal_krw"].sum() == pytest.approx(
            t["distributable_nominal_krw"].sum() + t["idle_cash_returned_nominal_krw"].sum())
        # called as needed: 90 + 1 fee at t0, 1 a year to t4, then 0.9 of fee at t5 (1 % of 90); 4.1 never called
        assert t["contributions_nominal_krw"].tolist() == pytest.approx([91, 1, 1, 1, 1, 0.9])
        assert t["idle_cash_returned_nominal_krw"].sum() == 0.0
        assert r.to_summary()["uncalled_commitment_nominal_krw"] == pytest.approx(4.1)


def test_management_fee_arithmetic():
    # K = 100, f = 2 %, investment period 2 years, investments 40 + 40, proceeds 30 (t=2), 100 (t=3)
    # fees: t0, t1 on commitments: 2, 2; t2 on net invested 80 - 0 = 80: 1.6; t3 on 80 - 30 = 50: 1.0 -> 6.6
    # a fixed schedule calls 50 + 50: reserve 50 - 42 = 8; 8 + 50 - 42 = 16; 16 - 1.6 = 14.4; 14.4 - 1.0 = 13.4,
    # paid back at t = 3 as return of capital beside the waterfall; distributable 30 at t2, 100 at t3;
    # with no hurdle or carry the LP gets 30 + 100 + 13.4 = 143.4 for 100
    terms = FundTerms(hurdle_fraction=0.0, carry_fraction=0.0, catch_up_fraction=0.0, management_fee_fraction=0.02,
                      investment_period_years=2, call_schedule_fractions=(0.5, 0.5), call_mode="schedule")
    r = run_fund(terms, [Tranche("lp", 100.0)], [40, 40, 0, 0], [0, 0, 30, 100])
    t = r.table
    assert t["management_fee_nominal_krw"].tolist() == pytest.approx([2, 2, 1.6, 1.0])
    assert r.fees_nominal_krw == pytest.approx(6.6)
    assert t["contributions_nominal_krw"].tolist() == pytest.approx([50, 50, 0, 0])
    assert t["cash_reserve_nominal_krw"].tolist() == pytest.approx([8, 16, 14.4, 13.4])
    assert t["deployed_capital_nominal_krw"].tolist() == pytest.approx([42, 42, 1.6, 1.0])
    assert t["distributable_nominal_krw"].tolist() == pytest.approx([0, 0, 30, 100])
    assert t["idle_cash_returned_nominal_krw"].tolist() == pytest.approx([0, 0, 0, 13.4])
    assert t["distributions_nominal_krw"].tolist() == pytest.approx([0, 0, 30, 113.4])
    assert r.tranches["lp"].dpi == pytest.approx(1.434)
    # the same fund called as needed: 42, 42, 1.6, 1.0 = 86.6 called, 13.4 never called, nothing idle;
    # the LP gets 130 for 86.6
    needed = run_fund(FundTerms(hurdle_fraction=0.0, carry_fraction=0.0, catch_up_fraction=0.0,
                                management_fee_fraction=0.02, investment_period_years=2),
                      [Tranche("lp", 100.0)], [40, 40, 0, 0], [0, 0, 30, 100])
    t = needed.table
    assert t["contributions_nominal_krw"].tolist() == pytest.approx([42, 42, 1.6, 1.0])
    assert t["uncalled_commitment_nominal_krw"].tolist() == pytest.approx([58, 16, 14.4, 13.4])
    assert t["cash_reserve_nominal_krw"].tolist() == [0, 0, 0, 0]
    assert needed.tranches["lp"].dpi == pytest.approx(130 / 86.6)

    # once the called cash is spent, the fee comes out of that year's proceeds:
    # K = 100 all called at t0, 98 invested + fee 2 = 100; t1 fee 2 % of 98 = 1.96 from proceeds 10 -> 8.04;
    # t2 fee 2 % of (98 - 10) = 1.76 from 120 -> 118.24
    terms1 = FundTerms(hurdle_fraction=0.0, carry_fraction=0.0, catch_up_fraction=0.0, management_fee_fraction=0.02,
                       investment_period_years=1, call_schedule_fractions=(1.0,))
    r1 = run_fund(terms1, [Tranche("lp", 100.0)], [98, 0, 0], [0, 10, 120])
    assert r1.table["management_fee_nominal_krw"].tolist() == pytest.approx([2, 1.96, 1.76])
    assert r1.table["uses_from_proceeds_nominal_krw"].tolist() == pytest.approx([0, 1.96, 1.76])
    assert r1.table["distributable_nominal_krw"].tolist() == pytest.approx([0, 8.04, 118.24])
    fees = management_fees(0.02, 1, 100.0, np.array([98, 0, 0]), np.array([0, 10, 120]))
    assert fees == pytest.approx([2, 1.96, 1.76])


def test_fees_are_manager_income_and_investor_contributions():
    # textbook fund with a 1 % fee over 5 years on commitments (5) plus 1 % of 95 net invested at t = 5 (0.95)
    terms = FundTerms(hurdle_fraction=0.08, carry_fraction=0.20, catch_up_fraction=1.0,
                      management_fee_fraction=0.01, investment_period_years=5, call_schedule_fractions=(1.0,))
    r = run_fund(terms, [Tranche("private_lp", 90.0), Tranche("gp", 10.0, role="gp")], [95, 0, 0, 0, 0, 0],
                 [0, 0, 0, 0, 0, 200])
    assert r.fees_nominal_krw == pytest.approx(5.95)
    assert r.table["manager_income_nominal_krw"].sum() == pytest.approx(5.95 + r.carry_nominal_krw)
    # investors paid in the full 100 (fees included): 95 + 1 at t0, then 1 a year uses up the called cash by t4;
    # the t5 fee of 0.95 comes out of the proceeds, so 200 - 0.95 = 199.05 is distributed
    assert r.table["contributions_nominal_krw"].sum() == pytest.approx(100.0)
    assert r.table["distributions_nominal_krw"].sum() == pytest.approx(199.05)
    assert r.to_summary()["management_fees_nominal_krw"] == pytest.approx(5.95)


def test_irr_is_none_when_a_tranche_never_gets_anything_back():
    r = textbook(0.0)
    lp = r.tranches["private_lp"]
    assert lp.distributions_nominal_krw.sum() == 0.0
    assert lp.irr_fraction is None  # all outflows: no IRR, never a made-up number
    assert lp.tvpi == 0.0 and lp.dpi == 0.0
    assert r.irr_fraction is None
    assert r.to_summary()["tranches"]["private_lp"]["irr_fraction"] is None


def test_tvpi_and_dpi_with_a_terminal_nav():
    # 100 realized at t = 5 and 100 of NAV left: realized, LP 90 + 10 GP capital back (DPI 1.0 each);
    # a hypothetical liquidation of the NAV through the waterfall gives the 200-case totals (LP 162, GP 38)
    r = textbook(100.0, terminal_nav_nominal_krw=100.0)
    lp, gp = r.tranches["private_lp"], r.tranches["gp"]
    assert lp.dpi == pytest.approx(1.0) and gp.dpi == pytest.approx(1.0)
    assert lp.nav_nominal_krw == pytest.approx(72.0) and gp.nav_nominal_krw == pytest.approx(28.0)
    assert lp.tvpi == pytest.approx(1.8) and gp.tvpi == pytest.approx(3.8)
    assert lp.irr_fraction == pytest.approx(1.8 ** 0.2 - 1)  # the NAV counts as a terminal value
    assert r.carry_nominal_krw == 0.0  # realized carry only
    s = r.to_summary()
    assert s["dpi_multiple"] == pytest.approx(1.0) and s["tvpi_multiple"] == pytest.approx(2.0)


def test_input_checks_list_every_problem_at_once():
    terms = FundTerms(hurdle_fraction=8.0, carry_fraction=0.2, catch_up_fraction=0.1, management_fee_fraction=-0.01,
                      investment_period_years=5, call_schedule_fractions=(0.7, 0.6), call_mode="later")
    tranches = [Tranche("central_government", -10.0, public=True),
                Tranche("private_lp", 50.0, first_loss=True),
                Tranche("gp_a", 1.0, role="gp"), Tranche("gp_b", 1.0, role="gp"),
                Tranche("county", 5.0, public=True, return_cap_fraction=1.5),
                Tranche("county", 5.0, role="partner")]
    problems = check_fund_inputs(terms, tranches)
    text = "\n".join(problems)
    for expected in ("hurdle_fraction", "percent", "management_fee_fraction", "catch_up_fraction",
                     "sum of at most 1", "call_mode", "commitment_krw: expected >= 0",
                     "first-loss tranche must be public", "at most one GP", "return_cap_fraction",
                     "'county': name used 2 times", "role"):
        assert expected in text, expected
    assert len(problems) >= 11
    # a schedule that calls less than the commitments is a valid cap; a fixed schedule needs fractions
    assert check_fund_inputs(FundTerms(call_schedule_fractions=(0.5, 0.4)), [Tranche("gp", 1.0, role="gp")]) == []
    assert any("call_mode 'schedule'" in p for p in check_fund_inputs(FundTerms(call_mode="schedule"),
                                                                       [Tranche("gp", 1.0, role="gp")]))
    with pytest.raises(ValueError, match="sum of at most 1") as excinfo:
        run_fund(terms, tranches, [100], [0])
    assert "at most one GP" in str(excinfo.value)  # the error lists all problems, not the first


def test_input_checks_on_arrays_and_funding():
    terms = FundTerms(hurdle_fraction=0.08, carry_fraction=0.0, catch_up_fraction=0.0, management_fee_fraction=0.02,
                      investment_period_years=2, call_schedule_fractions=(1.0,))
    lp = [Tranche("lp", 100.0)]
    assert check_fund_inputs(terms, lp, [90, 0, 0], [0, 0, 120]) == []
    # 100 called (all there is), 100 invested + 2 fee at t = 0 with no proceeds: a shortfall of 2 in year 0 and
    # again in year 1 (the fee on commitments, nothing left to call); year 2's fee comes out of the 120 of proceeds
    problems = check_fund_inputs(terms, lp, [100, 0, 0], [0, 0, 120])
    assert len(problems) == 2
    assert "year 0" in problems[0] and "by 2 KRW" in problems[0] and "year 1" in problems[1]
    problems = check_fund_inputs(terms, lp, [100, -1], [0, 0, 5])
    assert any("negative" in p for p in problems)
    problems = check_fund_inputs(terms, lp, [100, 0], [0, 0, 5])
    assert any("same number of years" in p for p in problems)
    problems = check_fund_inputs(terms, [Tranche("lp", 100.0)], [100], [0], terminal_nav_nominal_krw=-1)
    assert any("terminal_nav_nominal_krw" in p for p in problems)
    # carry without a GP, and a fixed call schedule longer than the fund (as a cap it may be longer)
    problems = check_fund_inputs(FundTerms(call_schedule_fractions=(0.5, 0.5), call_mode="schedule"), lp, [90], [100])
    assert any("no tranche has role 'gp'" in p for p in problems)
    assert any("2 years of calls" in p for p in problems)
    capped = FundTerms(carry_fraction=0.0, call_schedule_fractions=(0.5, 0.5))
    assert not any("years of calls" in p for p in check_fund_inputs(capped, lp, [40], [100]))


def test_allocate_pro_rata_water_filling_and_catch_up_zone():
    # 10 to weights 1:1:2 with the first limited to 1: 1 to it, the other 9 split 1:2 -> 3, 6
    assert allocate_pro_rata(10.0, [1, 1, 2], [1, np.inf, np.inf]) == pytest.approx([1, 3, 6])
    # more cash than all limits: everyone at its limit, the rest stays unallocated
    assert allocate_pro_rata(10.0, [1, 1], [2, 3]) == pytest.approx([2, 3])
    assert allocate_pro_rata(0.0, [1, 1], [2, 3]) == pytest.approx([0, 0])
    assert catch_up_zone(46.932808, 0.0, 0.2, 1.0) == pytest.approx(11.733202)
    assert catch_up_zone(50.0, 20.0, 0.2, 1.0) == 0.0  # already caught up
    assert catch_up_zone(50.0, 0.0, 0.2, 0.0) == 0.0  # no catch-up


def test_summary_is_json_ready():
    s = textbook(200.0).to_summary()
    text = json.dumps(s)
    assert "carried_interest_nominal_krw" in text
    assert s["tranches"]["private_lp"]["irr_fraction"] == pytest.approx(1.8 ** 0.2 - 1)
    assert s["steps_nominal_krw"]["return_of_capital"] == pytest.approx(100.0)


def test_plot_waterfall_writes_png(tmp_path):
    from pvcluster.report.fund_figures import plot_waterfall

    terms = FundTerms(management_fee_fraction=0.01, call_schedule_fractions=(1.0,))
    r = run_fund(terms, _yeongwol_tranches(first_loss=True), [90, 0, 0, 0, 0, 0], [0, 0, 5, 10, 20, 150])
    path = plot_waterfall(r, tmp_path / "fund_waterfall.png")
    assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a tranche with no IRR is labelled, not given a number
    path = plot_waterfall(textbook(0.0), tmp_path / "nothing_back.png")
    assert path.stat().st_size > 1000



# --- capital called as needed; idle cash earns no pref and no carry ---------------------------

def test_fund_calls_only_what_investments_and_fees_need():
    # LP 90 + GP 10 = 100 committed; 2 % fee on commitments for 2 years, then on net invested capital
    # investments 30, 20, 0, 0; proceeds 0, 0, 10, 80
    # fees: 2, 2, 2 % x 50 = 1.0, 2 % x (50 - 10) = 0.8
    # calls = investments + fees: 32, 22, 1.0, 0.8 = 55.8 (LP 90 %: 50.22, GP 5.58); 44.2 never called
    terms = FundTerms(hurdle_fraction=0.08, carry_fraction=0.2, catch_up_fraction=1.0, management_fee_fraction=0.02,
                      investment_period_years=2)
    tranches = [Tranche("private_lp", 90.0), Tranche("gp", 10.0, role="gp")]
    flows = ([30, 20, 0, 0], [0, 0, 10, 80])
    r = run_fund(terms, tranches, *flows)
    t = r.table
    assert t["management_fee_nominal_krw"].tolist() == pytest.approx([2, 2, 1.0, 0.8])
    assert t["contributions_nominal_krw"].tolist() == pytest.approx([32, 22, 1.0, 0.8])
    assert t["deployed_capital_nominal_krw"].tolist() == pytest.approx([32, 22, 1.0, 0.8])
    assert t["uncalled_commitment_nominal_krw"].tolist() == pytest.approx([68, 46, 45, 44.2])
    assert t["cash_reserve_nominal_krw"].tolist() == [0, 0, 0, 0]  # nothing called before it is needed
    assert t["idle_cash_returned_nominal_krw"].sum() == 0.0
    assert t["distributable_nominal_krw"].tolist() == pytest.approx([0, 0, 10, 80])
    lp = r.tranches["private_lp"]
    assert lp.contributions_nominal_krw.tolist() == pytest.approx([28.8, 19.8, 0.9, 0.72])
    assert lp.uncalled_commitment_nominal_krw == pytest.approx(39.78)
    s = r.to_summary()
    assert s["contributions_nominal_krw"] == pytest.approx(55.8)
    assert s["uncalled_commitment_nominal_krw"] == pytest.approx(44.2)
    assert s["tranches"]["gp"]["uncalled_commitment_nominal_krw"] == pytest.approx(4.42)
    # the pure function: as needed, capped by the commitments, or by a schedule cap
    assert capital_calls([32, 22, 1.0, 0.8], 100.0).tolist() == pytest.approx([32, 22, 1.0, 0.8])
    assert capital_calls([70, 50, 5], 100.0).tolist() == pytest.approx([70, 30, 0])
    assert capital_calls([32, 22, 1.0], 100.0, (0.3, 0.1)).tolist() == pytest.approx([30, 10, 0])
    assert capital_calls([32, 22, 1.0], 100.0, (0.3, 0.7), "schedule").tolist() == pytest.approx([30, 70, 0])
    # a schedule cap of 30 % in year 0 leaves the 32 of year 0 short by 2 (no proceeds that year)
    problems = check_fund_inputs(FundTerms(hurdle_fraction=0.08, carry_fraction=0.2, management_fee_fraction=0.02,
                                           investment_period_years=2, call_schedule_fractions=(0.3, 0.7)),
                                 tranches, *flows)
    assert len(problems) == 1 and "year 0" in problems[0] and "by 2 KRW" in problems[0]


# LP 80 + GP 20 = 100 committed, h = 10 %, k = 20 %, 100 % catch-up, no fee;
# 60 invested at t = 0, 30 back at t = 1, 80 at t = 2
SMALL_TERMS = dict(hurdle_fraction=0.10, carry_fraction=0.20, catch_up_fraction=1.0, management_fee_fraction=0.0,
                   investment_period_years=0)
SMALL_TRANCHES = [Tranche("private_lp", 80.0), Tranche("gp", 20.0, role="gp")]


def test_three_year_waterfall_by_hand():
    # calls as needed: 60 at t0 (LP 48, GP 12); 40 of the commitments is never called
    # t = 1: hurdle accounts A = 1.1 x (48, 12) = (52.8, 13.2); the 30 is all return of capital (LP 24, GP 6):
    #        unreturned U = (24, 6), A = (28.8, 7.2)
    # t = 2: A = 1.1 x (28.8, 7.2) = (31.68, 7.92); of the 80:
    #        (1) return of capital 30 (LP 24, GP 6): U = 0, A = (7.68, 1.92)
    #        (2) pref 9.6 (LP 7.68, GP 1.92); profit so far 9.6
    #        (3) catch-up X = 0.2 x 9.6 / (1 - 0.2) = 2.4, all to the GP
    #        (4) left 80 - 30 - 9.6 - 2.4 = 38: carry 7.6, 30.4 pro rata to commitment (LP 24.32, GP 6.08)
    # carry 2.4 + 7.6 = 10 = 20 % of the profit 110 - 60 = 50
    # LP: 48 in, 24 + 56 out; GP tranche: 12 in, 6 + 24 out (6 + 1.92 + 2.4 + 7.6 + 6.08)
    r = run_fund(FundTerms(**SMALL_TERMS), SMALL_TRANCHES, [60, 0, 0], [0, 30, 80])
    t = r.table
    assert t["contributions_nominal_krw"].tolist() == pytest.approx([60, 0, 0])
    assert t["uncalled_commitment_nominal_krw"].tolist() == pytest.approx([40, 40, 40])
    assert t["return_of_capital_nominal_krw"].tolist() == pytest.approx([0, 30, 30])
    assert t["preferred_return_nominal_krw"].tolist() == pytest.approx([0, 0, 9.6])
    assert t["catch_up_gp_nominal_krw"].tolist() == pytest.approx([0, 0, 2.4])
    assert t["catch_up_lp_nominal_krw"].tolist() == pytest.approx([0, 0, 0])
    assert t["carried_interest_nominal_krw"].tolist() == pytest.approx([0, 0, 7.6])
    assert t["lp_split_nominal_krw"].tolist() == pytest.approx([0, 0, 30.4])
    assert t["distributions_nominal_krw"].tolist() == pytest.approx([0, 30, 80])
    assert r.carry_nominal_krw == pytest.approx(10.0)
    assert steps(r, "private_lp") == pytest.approx({"return_of_capital": 48.0, "preferred_return": 7.68,
                                                    "catch_up": 0.0, "carried_interest": 0.0, "lp_split": 24.32})
    assert steps(r, "gp") == pytest.approx({"return_of_capital": 12.0, "preferred_return": 1.92, "catch_up": 2.4,
                                            "carried_interest": 7.6, "lp_split": 6.08})
    lp, gp = r.tranches["private_lp"], r.tranches["gp"]
    assert lp.distributions_nominal_krw.tolist() == pytest.approx([0, 24, 56])
    assert gp.distributions_nominal_krw.tolist() == pytest.approx([0, 6, 24])
    # LP IRR: -48 + 24 x + 56 x^2 = 0 with x = 1 / (1 + r); GP: -12 + 6 x + 24 x^2 = 0
    x_lp = (-24 + (24 ** 2 + 4 * 56 * 48) ** 0.5) / (2 * 56)
    x_gp = (-6 + (6 ** 2 + 4 * 24 * 12) ** 0.5) / (2 * 24)
    assert lp.irr_fraction == pytest.approx(1 / x_lp - 1) == pytest.approx(0.358677, abs=1e-6)
    assert gp.irr_fraction == pytest.approx(1 / x_gp - 1)
    assert lp.tvpi == pytest.approx(80 / 48) and gp.dpi == pytest.approx(30 / 12)
    s = r.to_summary()
    assert s["commitment_nominal_krw"] == 100.0 and s["uncalled_commitment_nominal_krw"] == pytest.approx(40.0)
    assert s["distributions_nominal_krw"] == pytest.approx(110.0)
    assert s["steps_nominal_krw"]["carried_interest"] == pytest.approx(7.6)


def test_idle_called_cash_comes_back_as_capital_without_pref_or_carry():
    # the fund of the three-year case, but a fixed schedule calls all 100 at t = 0: 40 waits idle and is paid
    # back at t = 3 (LP 32, GP 8) as return of capital, with no pref and no carry; the waterfall of the
    # invested 60 is exactly the three-year case's (pref 9.6, carry 10, all paid at t = 2).
    # (Before, the 100 all earned the 10 % hurdle and the idle 40 went through the waterfall at t = 3, where
    # it paid pref 8.8 and the GP's whole carry of 10: 4.7 catch-up + 5.3 split, on the LPs' own cash.)
    flows = ([60, 0, 0, 0], [0, 30, 80, 0])
    needed = run_fund(FundTerms(**SMALL_TERMS), SMALL_TRANCHES, *flows)
    idle = run_fund(FundTerms(**SMALL_TERMS, call_schedule_fractions=(1.0,), call_mode="schedule"),
                    SMALL_TRANCHES, *flows)
    t = idle.table
    assert t["contributions_nominal_krw"].tolist() == pytest.approx([100, 0, 0, 0])
    assert t["cash_reserve_nominal_krw"].tolist() == pytest.approx([40, 40, 40, 40])
    assert t["idle_cash_returned_nominal_krw"].tolist() == pytest.approx([0, 0, 0, 40])
    assert t.loc[3, "return_of_capital_nominal_krw"] == pytest.approx(40.0)
    assert t.loc[3, "distributions_nominal_krw"] == pytest.approx(40.0)
    for step in ("preferred_return", "catch_up", "carried_interest", "lp_split"):
        assert t.loc[3, f"{step}_nominal_krw"] == 0.0, step
    assert t.loc[3, "gp_carry_nominal_krw"] == 0.0
    # carry only on the profit of the invested capital: the same as when called as needed
    assert idle.carry_nominal_krw == pytest.approx(needed.carry_nominal_krw) == pytest.approx(10.0)
    for step in STEPS[1:]:
        assert idle.table[f"{step}_nominal_krw"].sum() == pytest.approx(needed.table[f"{step}_nominal_krw"].sum())
    lp = idle.tranches["private_lp"]
    assert lp.table["idle_cash_returned_nominal_krw"].tolist() == pytest.approx([0, 0, 0, 32])
    assert lp.distributions_nominal_krw.tolist() == pytest.approx([0, 24, 56, 32])
    assert idle.tranches["gp"].distributions_nominal_krw.tolist() == pytest.approx([0, 6, 24, 8])
    # idle cash only lowers the LPs' IRR (a 0 % loan to the fund); their cash flow is the as-needed one plus it
    assert lp.irr_fraction == pytest.approx(irr(np.array([-80, 24, 56, 32])))
    assert lp.irr_fraction < needed.tranches["private_lp"].irr_fraction
    assert idle.to_summary()["idle_cash_returned_nominal_krw"] == pytest.approx(40.0)
