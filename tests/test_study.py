"""Studies: the study file's validation, the designs (SALib), the statistics, and a study's cases equal
to separate runs; resume; Dask (a real scheduler and two workers on localhost) in test_study_dask."""

from __future__ import annotations

import math
import textwrap
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from pvcluster.cli import main
from pvcluster.errors import InputError
from pvcluster.study import load_study, run_study
from pvcluster.study.engine import first_stage, glob_regex, stage_of
from pvcluster.study.sampling import design
from pvcluster.study.spec import ParameterSpec, StudySpec

FAST = '''
[overrides]
"sizing.periods" = "typical_days"
"weather.ensemble_years" = 0
'''


def _study(tmp_path, text: str, name: str = "study.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _spec(method: str, params, samples: int = 100, seed: int = 1, correlation=(), outputs=("y",)) -> StudySpec:
    return StudySpec(path=None, scenario_path=None, method=method, samples=samples, seed=seed, design="fixed",
                     weather_years=False, delta_fraction=0.1, outputs=tuple(outputs), correlation=tuple(correlation),
                     batch_cases=0, overrides=(), parameters=tuple(params))


# ------------------------------------------------------------------------------------ the study file

def test_every_problem_of_a_study_file_is_listed_with_did_you_mean(tmp_path, capsys):
    path = _study(tmp_path, '''
        method = "monte_carl"
        sampels = 10
        [[parameters]]
        key = "overrides.market.smp_krw_per_kwh"
        distribution = "uniform"
        low = 120.0
        high = 100.0
        [[parameters]]
        key = "overides.market.rec_price_krw_per_rec"
        distribution = "normal"
        ''')
    assert main(["study", str(path), "-q"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'monte_carlo'" in err and "did you mean 'samples'" in err
    assert "Traceback" not in err and str(path) in err


def test_distribution_bounds_and_parameter_keys_are_checked(tmp_path):
    path = _study(tmp_path, '''
        method = "lhs"
        [[parameters]]
        key = "overrides.market.smp_krw_per_kwh"
        distribution = "uniform"
        low = 120.0
        high = 100.0
        [[parameters]]
        key = "overrides.market.smp_krw_per_kwhh"
        distribution = "normal"
        mean = 1.0
        sd = 0.1
        [[parameters]]
        key = "plant.capacity_kwpp"
        distribution = "normal"
        mean = 1.0
        sd = 0.1
        ''' + FAST)
    with pytest.raises(InputError) as info:
        load_study(path)
    keys = [p.key for p in info.value.problems]
    assert "parameters.0.high" in keys
    found = " ".join(p.found for p in info.value.problems)
    # the misspelt fact and setting are named once the distributions are right
    path.write_text(path.read_text().replace("high = 100.0", "high = 140.0"))
    with pytest.raises(InputError) as info:
        load_study(path)
    found = " ".join(f"{p.key} {p.expected} {p.found}" for p in info.value.problems)
    assert "smp_krw_per_kwhh" in found and "did you mean 'market.smp_krw_per_kwh'" in found
    assert "capacity_kwpp" in found and "did you mean 'capacity_kwp'" in found


def test_a_fixed_design_refuses_what_changes_the_sizing(tmp_path):
    path = _study(tmp_path, '''
        method = "monte_carlo"
        [[parameters]]
        key = "sizing.capital_budget_krw"
        distribution = "uniform"
        low = 1e9
        high = 2e9
        ''' + FAST)
    with pytest.raises(InputError) as info:
        load_study(path)
    (problem,) = info.value.problems
    assert problem.key == "parameters.0.key" and "resize" in problem.expected and "sizing" in problem.found


def test_stages_of_keys():
    assert stage_of("overrides.market.smp_krw_per_kwh") == "sizing"
    assert stage_of("overrides.polysilicon.krw_per_usd") == "finance"
    assert stage_of("overrides.climate.ghi_kwh_per_m2_month") == "weather"
    assert stage_of("villages.0.self_sufficiency_target_fraction") == "sizing"
    assert stage_of("villages.0.households") == "generation"
    assert stage_of("plant.capex_krw") == "finance" and stage_of("plant.gcr") == "generation"
    assert stage_of("facilities.2.annual_kwh") == "demand"
    assert first_stage([]) == "finance"
    assert first_stage(["finance.contract", "sizing.capital_budget_krw"]) == "sizing"


def test_every_scenario_section_and_fact_kind_has_a_stage():
    from pvcluster.facts import FACT_FILES
    from pvcluster.scenario import SCENARIO_SCHEMA
    from pvcluster.study.engine import FACT_STAGE, SECTION_STAGE

    assert set(SCENARIO_SCHEMA.fields) <= set(SECTION_STAGE)  # a new section must be placed
    assert set(FACT_FILES) <= set(FACT_STAGE)


def test_output_globs_stay_within_a_segment():
    assert glob_regex("finance.*.npv_krw").match("finance.county_pv.npv_krw")
    assert not glob_regex("finance.*.npv_krw").match("finance.portfolio.by_level.L1.npv_krw")
    assert glob_regex("finance.**.npv_krw").match("finance.portfolio.by_level.L1.npv_krw")


# -------------------------------------------------------------------------------------- the designs

def test_rank_correlation_is_what_was_asked():
    params = [ParameterSpec("a", "a", distribution="normal", mean=0.0, sd=1.0),
              ParameterSpec("b", "b", distribution="triangular", low=0.0, mode=1.0, high=4.0),
              ParameterSpec("c", "c", distribution="uniform", low=-1.0, high=1.0)]
    target = ((1.0, 0.6, -0.3), (0.6, 1.0, 0.0), (-0.3, 0.0, 1.0))
    for method in ("monte_carlo", "lhs"):
        table = design(_spec(method, params, samples=1000, seed=7, correlation=target), {})
        rho = table.rank(axis=0).corr().to_numpy()
        np.testing.assert_allclose(rho, np.asarray(target), atol=0.05)
        # the marginals are kept: the triangular's mean (0 + 1 + 4) / 3
        assert table["b"].mean() == pytest.approx(5.0 / 3.0, abs=0.05)


def test_grid_oat_sobol_and_morris_designs():
    p = [ParameterSpec("x", "x", values=(1.0, 2.0, 3.0)), ParameterSpec("s", "s", values=("p50", "p90_1yr"))]
    assert len(design(replace(_spec("grid", p)), {})) == 6
    oat = design(_spec("oat", p), {"x": 2.0, "s": "p50"})
    assert len(oat) == 1 + 3 + 2 and oat.iloc[0].tolist() == [2.0, "p50"]
    u = [ParameterSpec(k, k, distribution="uniform", low=0.0, high=1.0) for k in ("a", "b", "c")]
    assert len(design(_spec("sobol", u, samples=8), {})) == 8 * (3 + 2)
    assert len(design(_spec("morris", u, samples=5), {})) == 5 * (3 + 1)


def test_sobol_indices_of_the_ishigami_function_through_the_study_machinery():
    # Y = sin x1 + 7 sin^2 x2 + 0.1 x3^4 sin x1, x ~ U(-pi, pi): S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437
    params = [ParameterSpec(f"x{i}", f"x{i}", distribution="uniform", low=-math.pi, high=math.pi) for i in (1, 2, 3)]

    def ishigami(v):
        return {"y": math.sin(v["x1"]) + 7 * math.sin(v["x2"]) ** 2 + 0.1 * v["x3"] ** 4 * math.sin(v["x1"])}

    run = run_study(_spec("sobol", params, samples=2048, seed=3), model=ishigami)
    idx = run.stats["indices"]["y"]
    for name, s1, st in (("x1", 0.3139, 0.5576), ("x2", 0.4424, 0.4424), ("x3", 0.0, 0.2437)):
        assert abs(idx[name]["S1"] - s1) <= idx[name]["S1_conf"], (name, idx[name])
        assert abs(idx[name]["ST"] - st) <= idx[name]["ST_conf"], (name, idx[name])


def test_monte_carlo_of_a_linear_model_has_the_analytic_mean_and_variance():
    # y = 3 a - 2 b + 5 with a ~ N(10, 2), b ~ U(0, 6): mean 35 - 6 = 29, variance 9 x 4 + 4 x 3 = 48
    params = [ParameterSpec("a", "a", distribution="normal", mean=10.0, sd=2.0),
              ParameterSpec("b", "b", distribution="uniform", low=0.0, high=6.0)]
    n = 4000
    run = run_study(_spec("monte_carlo", params, samples=n, seed=11), model=lambda v: {"y": 3 * v["a"] - 2 * v["b"] + 5})
    d = run.stats["outputs"]["y"]
    assert abs(d["mean"] - 29.0) <= 3.5 * math.sqrt(48.0 / n)
    assert abs(d["sd"] ** 2 - 48.0) <= 3.5 * 48.0 * math.sqrt(2.0 / (n - 1))  # chi-square: var of s^2


# ------------------------------------------------------------------------------- on the real chain

def test_monte_carlo_of_the_farm_npv_is_linear_in_its_income(tmp_path):
    # the farm's NPV is linear in its income per hectare within one tax bracket: its mean and standard
    # deviation follow from two evaluations and the input's distribution
    import pvcluster
    from pvcluster.finance import build_finance

    key = "overrides.finance.agrivoltaic_farm_income_krw_per_ha_year"
    path = _study(tmp_path, f'''
        method = "monte_carlo"
        samples = 60
        seed = 5
        outputs = ["finance.energy_station_farm.npv_krw"]
        [[parameters]]
        key = "{key}"
        distribution = "normal"
        mean = 14.0e6
        sd = 1.0e6
        ''' + FAST)
    run = run_study(load_study(path), workers=1)
    assert (run.cases["status"] == "ok").all()
    r = pvcluster.run(overrides={"sizing.periods": "typical_days", "weather.ensemble_years": 0}, sensitivity=False)
    npv = {x: build_finance(r.scenario.with_facts({key[10:]: x}), r.generation, r.demand, r.sizing)
           .projects["energy_station_farm"].npv_krw for x in (13e6, 15e6)}
    slope = (npv[15e6] - npv[13e6]) / 2e6
    intercept = npv[15e6] - slope * 15e6
    x = run.cases[f"in:{key}"].to_numpy()
    y = run.cases["out:finance.energy_station_farm.npv_krw"].to_numpy()
    np.testing.assert_allclose(y, intercept + slope * x, rtol=1e-8)  # linear, case by case
    d = run.stats["outputs"]["finance.energy_station_farm.npv_krw"]
    n = len(x)
    assert abs(d["mean"] - (intercept + slope * 14e6)) <= 3.5 * abs(slope) * 1e6 / math.sqrt(n)
    assert abs(d["sd"] - abs(slope) * 1e6) <= 3.5 * abs(slope) * 1e6 / math.sqrt(2 * (n - 1))


def test_oat_swings_equal_separate_runs(tmp_path):
    import pvcluster

    path = _study(tmp_path, '''
        method = "oat"
        outputs = ["finance.*.npv_krw", "finance.portfolio.total_npv_krw"]
        [[parameters]]
        key = "overrides.polysilicon.krw_per_usd"
        values = [1250.0, 1550.0]
        ''' + FAST)
    run = run_study(load_study(path), workers=1)
    base = {"sizing.periods": "typical_days", "weather.ensemble_years": 0}
    for level, case in ((1250.0, 1), (1550.0, 2)):
        separate = pvcluster.run(overrides={**base, "overrides.polysilicon.krw_per_usd": level}, sensitivity=False)
        row = run.cases.set_index("case").loc[case]
        for k in run.base.output_keys:
            expected = _flat(separate.summary)[k]
            assert row[f"out:{k}"] == pytest.approx(expected, rel=1e-6, abs=1.0), k
    swing = run.stats["tornado"]["finance.portfolio.total_npv_krw"]["parameters"][0]
    assert swing["swing"] == pytest.approx(abs(swing["high"] - swing["low"]))


def test_a_resized_grid_case_equals_a_separate_run(tmp_path):
    import pvcluster

    path = _study(tmp_path, '''
        method = "grid"
        outputs = ["finance.*.npv_krw", "sizing.sites.*.pv_new_capacity_kwp"]
        [[parameters]]
        key = "villages.1.self_sufficiency_target_fraction"
        values = [0.2, 0.5]
        ''' + FAST)
    spec = load_study(path)
    assert spec.design == "resize"
    run = run_study(spec, workers=1)
    assert (run.cases["status"] == "ok").all(), run.cases["message"].tolist()
    separate = pvcluster.run(overrides={"sizing.periods": "typical_days", "weather.ensemble_years": 0,
                                        "villages.1.self_sufficiency_target_fraction": 0.5}, sensitivity=False)
    row = run.cases.set_index("case").loc[1]
    flat = _flat(separate.summary)
    for k in run.base.output_keys:
        if k.startswith("finance.") and flat.get(k) is not None:
            assert row[f"out:{k}"] == pytest.approx(flat[k], rel=1e-6, abs=1.0), k


def test_an_infeasible_case_is_a_row_not_the_end_of_the_study(tmp_path):
    path = _study(tmp_path, '''
        method = "grid"
        outputs = ["finance.portfolio.total_npv_krw"]
        [[parameters]]
        key = "industrial_complex.grid_import_limit_kw"
        values = [20000.0, 10.0]
        ''' + FAST)
    run = run_study(load_study(path), workers=1)
    status = run.cases.set_index("case")["status"]
    assert status[0] == "ok" and status[1] == "infeasible"
    assert "grid_import_limit_kw" in run.cases.set_index("case").loc[1, "message"]


def test_a_resumed_study_equals_an_uninterrupted_one(tmp_path, monkeypatch):
    import pvcluster.study.engine as engine

    path = _study(tmp_path, '''
        method = "lhs"
        samples = 12
        batch_cases = 3
        outputs = ["finance.nammyeon_pv.npv_krw", "finance.energy_station.npv_krw"]
        [[parameters]]
        key = "overrides.market.smp_krw_per_kwh"
        distribution = "uniform"
        low = 100.0
        high = 140.0
        ''' + FAST)
    spec = load_study(path)
    whole = run_study(spec, tmp_path / "whole", workers=1)
    real = engine._prepare  # every case is prepared, whether it is priced alone or with its batch
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 7:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_prepare", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_study(spec, tmp_path / "resumed", workers=1)
    parts = sorted((tmp_path / "resumed" / "parts").glob("*.parquet"))
    assert len(parts) == 2  # two batches of 3 were written before the interruption
    monkeypatch.setattr(engine, "_prepare", real)
    resumed = run_study(spec, tmp_path / "resumed", workers=1, resume=True)
    drop = ["seconds"]
    pd.testing.assert_frame_equal(resumed.cases.drop(columns=drop), whole.cases.drop(columns=drop))
    for name in ("cases.parquet", "study.json", "report.html"):
        assert (tmp_path / "resumed" / name).is_file()


def test_a_study_never_writes_over_a_users_folder(tmp_path, capsys):
    path = _study(tmp_path, '''
        method = "oat"
        outputs = ["finance.portfolio.total_npv_krw"]
        [[parameters]]
        key = "overrides.polysilicon.krw_per_usd"
        ''' + FAST)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert main(["study", str(path), "--out", str(mine), "--workers", "1", "-q"]) == 2
    assert "did not write" in capsys.readouterr().err and (mine / "notes.txt").read_text() == "keep"


def _flat(summary: dict) -> dict:
    from pvcluster.compare import flatten

    return flatten(summary)


def test_cases_that_differ_downstream_share_their_upstream_stages(tmp_path, monkeypatch):
    import pvcluster.demand

    real, calls = pvcluster.demand.build_demand, []
    monkeypatch.setattr(pvcluster.demand, "build_demand", lambda *a, **k: calls.append(1) or real(*a, **k))
    path = _study(tmp_path, '''
        method = "grid"
        outputs = ["finance.portfolio.total_npv_krw"]
        [[parameters]]
        key = "demand.design_year"
        values = [2028, 2034]
        [[parameters]]
        key = "villages.1.self_sufficiency_target_fraction"
        values = [0.3, 0.5]
        ''' + FAST)
    run = run_study(load_study(path), workers=1)
    assert (run.cases["status"] == "ok").all()
    assert len(calls) == 1 + 2  # the base case, then once per design year (not once per case)
    npv = run.cases.set_index("case")["out:finance.portfolio.total_npv_krw"]
    assert npv[0] != npv[2]  # the design year changes the loads, so the answer


# ------------------------------------------------------------------- the review's cases (issue 16)

def test_study_file_refusals(tmp_path):
    def problems(text):
        with pytest.raises(InputError) as info:
            load_study(_study(tmp_path, text + FAST))
        return " | ".join(f"{p.key}: {p.expected}; {p.found}" for p in info.value.problems)

    # a fixed design keeps loads: households change them
    assert "villages.1.households" in problems('''
        method = "lhs"
        [[parameters]]
        key = "villages.1.households"
        distribution = "discrete"
        values = [40, 400]
        ''')
    # a tornado reads one input at a time: no weather years
    assert "weather_years" in problems('''
        method = "oat"
        weather_years = true
        [[parameters]]
        key = "overrides.polysilicon.krw_per_usd"
        ''')
    # a base value of 0 cannot swing by a share of itself
    assert "non-zero" in problems('''
        method = "oat"
        [[parameters]]
        key = "overrides.market.smp_real_change_fraction_per_year"
        ''')
    # a rank correlation needs more cases than parameters
    assert "samples" in problems('''
        method = "lhs"
        samples = 3
        correlation = [[1.0, 0.5], [0.5, 1.0]]
        [[parameters]]
        key = "overrides.market.smp_krw_per_kwh"
        distribution = "uniform"
        low = 100.0
        high = 130.0
        [[parameters]]
        key = "overrides.market.rec_price_krw_per_rec"
        distribution = "uniform"
        low = 60000.0
        high = 80000.0
        ''')
    # every grid level is checked, not only the first
    assert "parameters.0.key" in problems('''
        method = "grid"
        [[parameters]]
        key = "demand.design_year"
        values = [2030, 1800]
        ''')


def test_keys_read_before_their_section_belong_to_the_earlier_stage():
    assert stage_of("finance.analysis_years") == "generation"  # the plant's years, the demand's, the sizing's
    assert stage_of("finance.construction_years") == "generation"
    assert stage_of("overrides.costs.pv_degradation_fraction_per_year") == "generation"
    assert stage_of("finance.debt_sizing_energy") == "finance"


def test_an_oat_of_a_setting_without_values_swings_its_base_value(tmp_path):
    spec = load_study(_study(tmp_path, '''
        method = "oat"
        outputs = ["finance.energy_station_farm.npv_krw"]
        [[parameters]]
        key = "plant.farm_area_ha"
        ''' + FAST))
    run = run_study(spec, workers=1)
    levels = run.stats["tornado"]["finance.energy_station_farm.npv_krw"]["parameters"][0]["levels"]
    base = run.base.scenario.plant.farm_area_ha
    assert levels == pytest.approx([0.9 * base, 1.1 * base]) and (run.cases["status"] == "ok").all()


def test_integer_levels_stay_integers(tmp_path):
    run = run_study(load_study(_study(tmp_path, '''
        method = "grid"
        outputs = ["finance.portfolio.total_npv_krw"]
        [[parameters]]
        key = "demand.design_year"
        values = [2028, 2032]
        ''' + FAST)), workers=1)
    assert (run.cases["status"] == "ok").all(), run.cases["message"].tolist()


def test_morris_levels_stay_inside_the_distribution():
    p = [ParameterSpec("n", "n", distribution="normal", mean=100.0, sd=10.0),
         ParameterSpec("u", "u", distribution="uniform", low=0.0, high=1.0)]
    table = design(_spec("morris", p, samples=6), {})
    # the grid's 4 levels are the centres of 4 equal-probability bins: 1/8 .. 7/8, never the 1e-12 tails
    from scipy import stats
    assert table["n"].min() == pytest.approx(stats.norm.ppf(0.125, 100, 10)) and table["n"].max() < 112.0
    assert sorted(set(np.round(table["u"], 6))) == [0.125, 0.375, 0.625, 0.875]


def test_a_fixed_design_tests_each_case_on_the_base_cases_loans(tmp_path):
    spec = load_study(_study(tmp_path, '''
        method = "oat"
        outputs = ["finance.nammyeon_pv.debt_nominal_krw", "finance.nammyeon_pv.min_dscr",
                   "finance.nammyeon_pv.npv_krw"]
        [[parameters]]
        key = "overrides.market.retail_tariff_real_change_fraction_per_year"
        values = [-0.02, 0.02]
        ''' + FAST))
    run = run_study(spec, workers=1)
    c = run.cases.set_index("case")
    debt, dscr = "out:finance.nammyeon_pv.debt_nominal_krw", "out:finance.nammyeon_pv.min_dscr"
    base = _flat(run.base.summary)
    assert c.loc[0, debt] == pytest.approx(base["finance.nammyeon_pv.debt_nominal_krw"], rel=1e-9)
    assert c.loc[0, dscr] == pytest.approx(base["finance.nammyeon_pv.min_dscr"], rel=1e-9)  # the base: unchanged
    for case in (1, 2):
        assert c.loc[case, debt] == pytest.approx(c.loc[0, debt], rel=1e-9)  # the loan stays as closed
    # and its cover moves with the cash flow: below the 1.3 target when the savings fall (re-sized, the
    # loan would keep 1.3 in every case)
    assert c.loc[1, dscr] < c.loc[0, dscr] < c.loc[2, dscr] and c.loc[1, dscr] < 1.3


def test_a_study_varying_the_stated_uncertainty_moves_p90_and_the_lenders_loan(tmp_path):
    import pvcluster

    common = {"sizing.periods": "typical_days", "weather.ensemble_years": 3,
              "finance.debt_sizing_energy": "p90_1yr"}
    spec = load_study(_study(tmp_path, '''
        method = "grid"
        outputs = ["generation.energy_station.p90_mwh", "finance.nammyeon_pv.debt_nominal_krw"]
        [overrides]
        "sizing.periods" = "typical_days"
        "weather.ensemble_years" = 3
        "finance.debt_sizing_energy" = "p90_1yr"
        [[parameters]]
        key = "overrides.pv.model_uncertainty_fraction"
        values = [0.15]
        '''))
    run = run_study(spec, workers=1)
    separate = _flat(pvcluster.run(overrides={**common, "overrides.pv.model_uncertainty_fraction": 0.15},
                                   sensitivity=False).summary)
    row = run.cases.iloc[0]
    for k in run.base.output_keys:
        assert row[f"out:{k}"] == pytest.approx(separate[k], rel=1e-6), k
    assert row["out:generation.energy_station.p90_mwh"] < _flat(run.base.summary)["generation.energy_station.p90_mwh"]


def test_a_resized_case_checks_its_meters_as_a_run_does(tmp_path):
    run = run_study(load_study(_study(tmp_path, '''
        method = "grid"
        outputs = ["finance.portfolio.total_npv_krw"]
        [[parameters]]
        key = "villages.1.household_contract_kw"
        values = [1.0]
        ''' + FAST)), workers=1)
    assert run.cases.loc[0, "status"] == "input_error" and "contract" in run.cases.loc[0, "message"]


def test_resume_refuses_a_folder_of_the_same_study_with_other_outputs(tmp_path):
    text = '''
        method = "oat"
        outputs = ["finance.portfolio.total_npv_krw"]
        [[parameters]]
        key = "overrides.polysilicon.krw_per_usd"
        ''' + FAST
    run_study(load_study(_study(tmp_path, text)), tmp_path / "out", workers=1)
    other = load_study(_study(tmp_path, text.replace('"finance.portfolio.total_npv_krw"',
                                                     '"finance.energy_station.npv_krw"'), "other.toml"))
    with pytest.raises(InputError, match="other inputs or outputs"):
        run_study(other, tmp_path / "out", workers=1, resume=True)


def test_resized_cases_reuse_built_site_models_with_the_same_answers(tmp_path, monkeypatch):
    from pvcluster.study import engine

    path = _study(tmp_path, '''
        method = "grid"
        outputs = ["finance.*.npv_krw", "sizing.capex_krw", "sizing.sites.*.self_sufficiency_fraction"]
        [[parameters]]
        key = "sizing.capital_budget_krw"
        values = [0.0, 6.0e9]
        [[parameters]]
        key = "villages.1.self_sufficiency_target_fraction"
        values = [0.3, 0.5]
        ''' + FAST)
    reused = run_study(load_study(path), workers=1)
    monkeypatch.setattr(engine, "REUSE_MODELS", False)
    fresh = run_study(load_study(path), workers=1)
    assert (reused.cases["status"] == "ok").all() and (fresh.cases["status"] == "ok").all()
    cache = reused.base.model_cache
    assert cache.reused >= 3 * 4 - 1 and fresh.base.models is None  # only the changed target's first build
    a, b = reused.cases.set_index("case"), fresh.cases.set_index("case")
    for k in reused.base.output_keys:
        np.testing.assert_allclose(a[f"out:{k}"].astype(float), b[f"out:{k}"].astype(float), rtol=1e-6, atol=1.0,
                                   err_msg=k)
    assert a["out:sizing.sites.green_village.self_sufficiency_fraction"].round(6).tolist()[:2] == [0.3, 0.5]
    # warm_start: HiGHS restarts from the last case's basis; the same optimum (sizes, capex), though a
    # degenerate dispatch may differ, and with it finance slightly
    monkeypatch.setattr(engine, "REUSE_MODELS", True)
    text = path.read_text().replace('method = "grid"', 'method = "grid"\nwarm_start = true')
    warm_spec = load_study(_study(tmp_path, text, "warm.toml"))
    assert warm_spec.warm_start and warm_spec.sha256 != load_study(path).sha256
    hot = run_study(warm_spec, workers=1)
    assert hot.base.model_cache.warm and hot.base.model_cache.reused >= 11
    c = hot.cases.set_index("case")
    for k in reused.base.output_keys:
        rtol = 1e-6 if k.startswith("sizing.") else 1e-3
        np.testing.assert_allclose(c[f"out:{k}"].astype(float), b[f"out:{k}"].astype(float), rtol=rtol, atol=1.0,
                                   err_msg=k)


def test_the_base_case_may_use_the_scenarios_sizing_processes_the_cases_do_not(tmp_path):
    from pvcluster.study.engine import build_base, make_bundle
    from pvcluster.study.runner import _scenario_processes

    path = _study(tmp_path, '''
        method = "grid"
        outputs = ["finance.portfolio.total_npv_krw"]
        [[parameters]]
        key = "sizing.capital_budget_krw"
        values = [0.0]
        ''' + FAST)
    spec = load_study(path)
    assert _scenario_processes(spec) == 2  # the default scenario's
    base = build_base(make_bundle(None, spec.overrides + ("sizing.processes=1",)), spec.outputs, processes=2)
    assert base.scenario.sizing.processes == 1  # what the cases size with


def test_finance_only_cases_priced_together_equal_each_alone():
    # a batch's cases that price the base case's records are priced side by side (build_finances); a bad
    # case keeps its own row and the weather-year case runs alone
    from pvcluster.study.engine import base_records_only, build_base, evaluate_batch, evaluate_case, make_bundle

    bundle = make_bundle(None, ('sizing.periods="typical_days"', "weather.ensemble_years=0", "sizing.processes=1"))
    outputs = ("finance.*.npv_krw", "finance.*.equity_irr_fraction", "finance.*.min_dscr",
               "finance.portfolio.total_npv_krw")
    base = build_base(bundle, outputs)
    rows = [(0, {"overrides.market.smp_krw_per_kwh": 100.0}, None),
            (1, {"overrides.market.smp_krw_per_kwh": 130.0, "overrides.finance.debt_rate_fraction": 0.06},
             None),
            (2, {"overrides.market.smp_krw_per_kwh": -5.0}, None),  # no valid price: an input error
            (3, {"overrides.costs.building_pv_capex_krw_per_kwp": 1.9e6}, None),
            (4, {"overrides.market.smp_krw_per_kwh": 110.0}, None)]
    assert all(base_records_only("fixed", values, year) for _, values, year in rows)
    assert not base_records_only("fixed", {"overrides.market.smp_krw_per_kwh": 1.0}, 2003)
    together = evaluate_batch(bundle, base, "fixed", rows)
    for (case, values, year), row in zip(rows, together):
        alone = evaluate_case(bundle, base, "fixed", values, year)
        assert row["case"] == case and (row["status"], row["message"]) == (alone["status"], alone["message"])
        assert row["outputs"] == alone["outputs"]
    assert [r["status"] for r in together] == ["ok", "ok", "input_error", "ok", "ok"]
    assert together[0]["outputs"] != together[4]["outputs"]
