"""Finance stage: Korean PV projects, the cluster portfolio, the fund and the project-file CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from pathlib import Path

from pvcluster.cli import main
from pvcluster.finance.cashflow import bracket_tax, corporate_tax, irr, lcoe, npv, payback_year
from pvcluster.finance.project import evaluate_project
from pvcluster.finance.pv_project import energy_price_krw_per_kwh, plant_project

ROOT = Path(__file__).resolve().parents[1]


def test_two_year_npv_hand_value():
    # -100 now, +60 after one and two years at 10 %: -100 + 54.545 + 49.587 = 4.132
    assert npv(0.10, [-100, 60, 60]) == pytest.approx(4.1322, abs=1e-4)


def test_irr_known_and_missing():
    assert irr([-100, 110]) == pytest.approx(0.10)
    assert irr([-100, 60, 60]) == pytest.approx(0.130662, abs=1e-6)  # root of 100(1+r)^2 = 60(1+r) + 60
    assert irr([100, 50]) is None  # no sign change: no IRR
    assert irr([-100, -50]) is None


def test_lcoe_and_payback_hand_values():
    assert lcoe(0.0, [1000, 0, 0], [0, 100, 100]) == pytest.approx(5.0)
    assert lcoe(0.1, [1000, 0], [0, 0]) is None
    assert payback_year([-100, 60, 60]) == 2
    assert payback_year([-100, 10]) is None


def test_korean_brackets_hand_value():
    thresholds, rates = [200e6, 20e9, 300e9], [0.09, 0.19, 0.21, 0.24]
    # 300 M: 200 M x 9 % + 100 M x 19 % = 37 M; with local tax (10 % of CIT) 40.7 M
    assert bracket_tax(300e6, thresholds, rates) == pytest.approx(37e6)
    assert corporate_tax(np.array([300e6]), thresholds, rates, 0.1)[0] == pytest.approx(40.7e6)


def test_energy_station_new_build_price_and_contract():
    from pvcluster.scenario import load_scenario

    new = load_scenario(overrides=['plant.valuation="new_build"', "weather.ensemble_years=0"])
    p = plant_project(new, 50e6)
    # spot: SMP + REC / 1000 x forest weight 0.7 (rule of 2022 on, for a 2026 start) = 117.26 + 72 x 0.7
    assert p.revenue_krw["electricity"][0] == pytest.approx(50e6 * 167.66)
    assert p.capex_krw == pytest.approx(39000 * 1344500 * 1.10)
    assert p.construction_years == 1 and p.operating_years == 25
    assert p.opex_krw["inverter_replacement"].nonzero()[0].tolist() == [11]  # operating year 12
    # insurance per kWp DC: 7,390 x 39,000; inverters per kW AC: 95,500 x 39,000 / 1.2
    assert p.opex_krw["insurance_and_tax"][0] == pytest.approx(7390 * 39000)
    assert p.opex_krw["inverter_replacement"][11] == pytest.approx(95500 * 39000 / 1.2)
    # fixed price (SMP + 1 REC = 155.269) for 20 years: SMP + (155.269 - SMP) x 0.7, then spot
    years = np.arange(2026, 2051)
    price = energy_price_krw_per_kwh(_with_contract(new, "fixed_price"), 0.7, years)
    assert price[0] == pytest.approx(117.26 + (155.269 - 117.26) * 0.7)
    assert price[19] == price[0] and price[20] == pytest.approx(167.66)


def test_energy_station_as_built(scenario):
    # commercial operation 2014, valued from 2025: 11 years run, 25 - 11 = 14 left; REC weight 0.7 of the
    # 2010 rule for forest land; energy degraded 0.5 %/yr for 11 years; capex sunk, its tax depreciation
    # (95 bn over 20 years from 2014) runs on for 9 years
    p = plant_project(scenario, 50e6)
    assert p.capex_krw == 0.0 and p.construction_years == 0 and p.operating_years == 14
    assert p.energy_kwh[0] == pytest.approx(50e6 * 0.995 ** 11)
    assert p.revenue_krw["electricity"][0] == pytest.approx(50e6 * 0.995 ** 11 * (117.26 + 72 * 0.7))
    np.testing.assert_allclose(p.existing_depreciation_krw, [95e9 / 20] * 9 + [0.0] * 5)
    assert p.opex_krw["inverter_replacement"].nonzero()[0].tolist() == [0]  # its year 12 is 2025
    r = evaluate_project(p)
    assert r.table["calendar_year"].iloc[0] == 2025 and r.table["capex_krw"].sum() == 0.0
    assert r.irr_fraction is None  # no investment ahead: a forward value has no IRR


def _with_contract(scenario, contract):
    class View:
        def __init__(self, s):
            self._s = s

        def __getattr__(self, name):
            if name == "finance":
                f = dict(self._s.settings["finance"])
                f["contract"] = contract
                return type("F", (), f)
            return getattr(self._s, name)

    return View(scenario)


@pytest.fixture(scope="module")
def finance_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("fin") / "run"
    assert main(["run", "--out", str(out), "-q", "--set", "sizing.periods=typical_days"]) == 0
    return json.loads((out / "summary.json").read_text()), out


def test_portfolio_rolls_up_every_project(finance_run):
    s, out = finance_run
    fin = s["finance"]
    projects = {k: v for k, v in fin.items() if isinstance(v, dict) and "level" in v}
    assert {"energy_station", "polysilicon_plant", "energy_graduate_school", "free_land_for_institutes",
            "energy_experience_hall_program", "county_pv"} <= set(projects)
    by_level = fin["portfolio"]["by_level"]
    assert set(by_level) == {"L1", "L2", "L3", "L4"}
    for key in ("capex_krw", "npv_krw", "job_years"):
        total = sum(v[key] for v in projects.values() if key in v) if key != "job_years" else \
            sum(v["jobs_total_job_years"] for v in projects.values())
        assert sum(v[key] for v in by_level.values()) == pytest.approx(total, rel=1e-6)
        assert sum(v[key] for v in fin["portfolio"]["by_function"].values()) == pytest.approx(total, rel=1e-6)
    assert fin["energy_graduate_school"]["function"] == "rnd" and fin["free_land_for_institutes"]["level"] == "L4"
    # a non-energy project sells no electricity: no LCOE, no IRR (all flows negative)
    assert fin["energy_graduate_school"]["lcoe_krw_per_kwh"] is None
    assert fin["energy_graduate_school"]["irr_fraction"] is None and not fin["energy_graduate_school"]["irr_exists"]
    # the Energy Station valued as built, its farm a project of its own
    assert fin["energy_station"]["capex_krw"] == 0.0 and "as built" in fin["energy_station"]["note"]
    assert fin["energy_station_farm"]["first_year_revenue_nominal_krw"] > 0
    basis = fin["energy_station_basis"]
    assert basis["valuation"] == "as_built" and basis["commercial_operation_year"] == 2014
    assert basis["remaining_life_years"] == 14 and basis["rec_weight"] == 0.7 and basis["whole_life_irr_fraction"] is None


def test_energy_station_debt_meets_its_dscr():
    from pvcluster.scenario import load_scenario

    new = load_scenario(overrides=['plant.valuation="new_build"', "weather.ensemble_years=0"])
    p = plant_project(new, 53e6)
    r = evaluate_project(p)
    # sculpted to DSCR 1.3 but capped at 80 % gearing: the cap binds, so the cover stays above 1.3
    assert 0 < r.debt_krw <= 0.8 * p.capex_krw * (1 + 1e-9) and r.min_dscr >= 1.3 - 1e-6
    assert r.equity_irr_fraction > r.irr_fraction > 0
    assert r.lcoe_nominal_krw_per_kwh > r.lcoe_real_krw_per_kwh > 0


def test_jobs_and_polysilicon_and_fund_in_summary(finance_run):
    s, out = finance_run
    jobs = s["finance"]["jobs"]
    assert jobs["total_job_years"] == pytest.approx(
        jobs["direct_construction_job_years"] + jobs["direct_om_job_years"]
        + jobs["direct_manufacturing_job_years"] + jobs["indirect_job_years"], rel=1e-9)
    assert sum(jobs["by_level_job_years"].values()) == pytest.approx(jobs["total_job_years"], rel=1e-6)
    poly = s["finance"]["polysilicon"]
    assert set(poly["scenarios"]) == {"low", "mid", "high"}
    assert poly["break_even_price_usd_per_kg"] > 0
    fund = s["finance"]["fund"]
    assert set(fund["tranches"]) == {"central_government", "gangwon_province", "yeongwol_county", "policy_bank",
                                     "private_lps", "general_partner"}
    # the capped county tranche never earns more than its cap
    assert fund["tranches"]["yeongwol_county"]["irr_fraction"] <= 0.03 + 1e-9
    # first-loss public tranches earn less than the private LPs they protect
    assert fund["tranches"]["central_government"]["irr_fraction"] <= fund["tranches"]["private_lps"]["irr_fraction"]
    html = (out / "report.html").read_text()
    assert "Cluster portfolio" in html and "Fund" in html and "Jobs" in html


PROJECT = """
[project]
name = "p"
operating_years = 2
capex_krw = 1000.0
discount_rate_fraction = 0.1

[[revenue]]
name = "sales"
amount_krw_per_year = 700.0

[tax]
rates_fraction = [0.0]
"""


def test_finance_cli_two_year_project_json(tmp_path, capsys):
    path = tmp_path / "p.toml"
    path.write_text(PROJECT)
    assert main(["finance", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["npv_krw"] == pytest.approx(-1000 + 700 / 1.1 + 700 / 1.21)
    assert [row["project_cash_flow_krw"] for row in data["table"]] == pytest.approx([-1000, 700, 700])


def test_finance_cli_example_runs(capsys):
    assert main(["finance", str(ROOT / "examples" / "village_pv_project.toml")]) == 0
    out = capsys.readouterr().out
    assert "minimum DSCR" in out and "1.300" in out


def test_finance_cli_bad_inputs_listed_without_traceback(tmp_path, capsys):
    bad = PROJECT.replace("amount_krw_per_year = 700.0", "amount_krw_per_year = 700.0\nprice_krw_per_kwh = -5.0")
    bad += "\n[debt]\nrate_fraction = 0.05\ntenor_years = 30\ngrace_years = 0\n"
    path = tmp_path / "bad.toml"
    path.write_text(bad)
    assert main(["finance", str(path)]) == 2
    err = capsys.readouterr().err
    assert "revenue.0.price_krw_per_kwh" in err and "Traceback" not in err
    path.write_text(PROJECT + "\n[debt]\nrate_fraction = 0.05\ntenor_years = 30\n")
    assert main(["finance", str(path)]) == 2
    err = capsys.readouterr().err
    assert "debt.tenor_years" in err and "at most the operating life of 2 years" in err


def test_finance_cli_unreachable_dscr(tmp_path, capsys):
    text = PROJECT.replace("700.0", "0.0") + "\n[debt]\nsizing = 'dscr'\nrate_fraction = 0.05\ntenor_years = 2\n"
    path = tmp_path / "dscr.toml"
    path.write_text(text)
    assert main(["finance", str(path)]) == 2
    assert "debt.dscr_target" in capsys.readouterr().err


def test_irr_reported_as_missing_not_invented(tmp_path, capsys):
    path = tmp_path / "p.toml"
    path.write_text(PROJECT.replace("700.0", "0.0"))
    assert main(["finance", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["irr_fraction"] is None and not math.isnan(data["npv_krw"])


def test_an_existing_asset_holds_its_working_capital_already():
    from pvcluster.finance.project import Project, Tax

    base = dict(name="p", capex_krw=0.0, operating_years=3, construction_years=0,
                revenue_krw={"r": np.full(3, 1200.0)}, working_capital_fraction_of_revenue=0.1,
                discount_rate_fraction=0.0, tax=Tax())

    new = evaluate_project(Project(**base)).table["working_capital_change_krw"].tolist()
    old = evaluate_project(Project(**base, existing_working_capital=True)).table["working_capital_change_krw"].tolist()
    assert new == pytest.approx([120.0, 0.0, -120.0])  # built up in year 1, released at the end
    assert old == pytest.approx([0.0, 0.0, -120.0])  # already held: only released


def test_ad_hoc_temporary_holidays_are_ordinary_days_for_kepco():
    import pandas as pd

    from pvcluster.market import TariffRules, tariff_calendar

    # 2025-01-27 (a Monday) was a temporary public holiday; 2025-06-03 (election day) a statutory one
    index = pd.DatetimeIndex(["2025-01-27 10:00", "2025-06-03 14:00"], tz="Asia/Seoul")
    cal = tariff_calendar(index, TariffRules(band_by_hour=np.full((3, 24), 2, dtype=int)))
    assert cal.band.tolist() == [2, 0]


def test_settled_years_are_memoized_by_content(typical_results):
    # the cases of a fixed-design study that change prices, not tariffs or energy, settle the same years
    from dataclasses import replace

    from pvcluster.finance import pv_project
    from pvcluster.market import TariffRules, tariff_calendar

    r = typical_results
    site = r.sizing.sites["green_village"]
    rules = TariffRules.from_facts(r.scenario.facts.market)
    calendar = tariff_calendar(r.demand.hourly_kw.index, rules)
    meters = pv_project.priced_meters(r.scenario, site.grid.meters)
    factors = 0.995 ** np.arange(3)
    pv_project._BILLS.clear()
    a = pv_project.settle_years(meters, site.dispatch, site.baseline, factors, calendar, rules)
    b = pv_project.settle_years(meters, site.dispatch, site.baseline, factors.copy(), calendar, rules)
    assert b is a and len(pv_project._BILLS) == 1  # equal content: taken back
    for k, f in enumerate(factors):  # each year as the market bills it, and its exports and energy
        project, base = pv_project.scale_pv(site.dispatch, f), pv_project.scale_pv(site.baseline, f)
        assert a.bills_krw[k] == pytest.approx(pv_project.site_bills_krw(meters, project, calendar, rules), rel=1e-12)
        assert a.baseline_bills_krw[k] == pytest.approx(pv_project.site_bills_krw(meters, base, calendar, rules),
                                                        rel=1e-12)
        np.testing.assert_array_equal(a.added_export_kw[k], project.export_kw - base.export_kw)
        assert a.pv_kwh[k] == pytest.approx(project.pv_kw.sum(), rel=1e-12)
    dearer = {n: (replace(m, tariff=replace(m.tariff, block_basic_krw_per_month=tuple(2 * v for v in m.tariff.block_basic_krw_per_month)))
                  if m is not None and m.tariff.kind == "blocks" else m) for n, m in meters.items()}
    c = pv_project.settle_years(dearer, site.dispatch, site.baseline, factors, calendar, rules)
    assert len(pv_project._BILLS) == 2 and np.all(c.baseline_bills_krw > a.baseline_bills_krw)  # billed again
    # a dispatch's digest is memoized by identity: a copy with the same content is the same entry, a copy
    # with one hour changed is another
    import copy
    same = copy.deepcopy(site.dispatch)
    assert pv_project.settle_years(meters, same, site.baseline, factors, calendar, rules) is a
    other = copy.deepcopy(site.dispatch)
    other.export_kw[np.argmax(other.export_kw)] *= 0.5
    d = pv_project.settle_years(meters, other, site.baseline, factors, calendar, rules)
    assert d is not a and len(pv_project._BILLS) == 3 and d.added_export_kw.sum() < a.added_export_kw.sum()


def test_a_project_the_engine_cannot_evaluate_fails_its_own_case_only():
    # cases priced side by side (build_finances): one case's project that raises in the engine (an escalation
    # that is not a number) is that case's error; the cases priced with it get their results
    from pvcluster.finance import _lockstep
    from pvcluster.finance.project import Project

    good = Project(name="good", capex_krw=100.0, operating_years=3, revenue_krw={"s": 60.0})
    bad = Project(name="bad", capex_krw=100.0, operating_years=3, revenue_krw={"s": 60.0},
                  escalation_fraction_per_year={"s": float("nan")})
    with pytest.raises(Exception) as alone:
        evaluate_project(bad)

    def case(project):
        result = yield project
        return result

    out = _lockstep([case(good), case(bad), case(good)])
    assert out[0].npv_krw == out[2].npv_krw == evaluate_project(good).npv_krw
    assert type(out[1]) is type(alone.value)
