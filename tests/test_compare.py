"""Regression checks: pvcluster compare, the golden summary of the default run, the summary's JSON Schema."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from pvcluster.cli import main
from pvcluster.compare import compare, flatten
from pvcluster.summary_schema import SCHEMA, load

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, typical_results):
    """The typical-day run, written; and the same run with the REC price 10 % higher."""
    import pvcluster

    base = tmp_path_factory.mktemp("cmp")
    a = typical_results.write(base / "a")
    b = pvcluster.run(overrides={"sizing.periods": "typical_days", "weather.ensemble_years": 0,
                                 "overrides.market.rec_price_krw_per_rec": 79200.0}, sensitivity=False,
                      out_dir=base / "b")
    del b
    return a, base / "b"


def test_identical_runs_compare_equal(two_runs, capsys):
    a, _ = two_runs
    assert main(["compare", str(a), str(a / "summary.json")]) == 0
    assert capsys.readouterr().out == ""


def test_a_changed_price_shows_every_moved_key_with_both_values(two_runs, capsys):
    a, b = two_runs
    assert main(["compare", str(a), str(b), "--rtol", "1e-6", "--keys", "finance.*.npv_krw"]) == 4
    out = capsys.readouterr().out
    assert "finance.county_pv.npv_krw: A " in out and ", B " in out and "relative" in out
    assert "finance.energy_graduate_school.npv_krw" not in out  # no REC in it: unchanged
    assert main(["compare", str(a), str(b), "--keys", "demand.*", "weather.*"]) == 0  # upstream of the price


def test_broken_input_is_exit_2_naming_the_file(tmp_path, capsys):
    bad = tmp_path / "summary.json"
    bad.write_text("{not json")
    assert main(["compare", str(bad), str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "Traceback" not in err
    assert main(["compare", str(tmp_path), str(tmp_path), "--rtol", "-1"]) == 2


def test_tolerances_by_glob():
    a = {"x": {"npv_krw": 100.0, "irr_fraction": 0.1}, "s": "same"}
    b = {"x": {"npv_krw": 100.5, "irr_fraction": 0.1000001}, "s": "same"}
    assert [d.key for d in compare(a, b)] == ["x.irr_fraction", "x.npv_krw"]
    assert compare(a, b, tolerances={"x.npv_krw": (1e-2, 0.0), "*.irr_fraction": (1e-5, 0.0)}) == []
    assert [d.reason for d in compare({"a": 1}, {"b": 1})] == ["missing in B", "missing in A"]


# --- the golden summary ----------------------------------------------------------------------

def _golden_tolerances() -> dict:
    raw = tomllib.loads((GOLDEN / "tolerances.toml").read_text(encoding="utf-8"))
    return {t["keys"]: (t["rtol"], t["atol"]) for t in raw["tolerance"]}


def test_default_run_matches_the_golden_summary(default_run):
    golden = json.loads((GOLDEN / "yeongwol_summary.json").read_text(encoding="utf-8"))
    run = json.loads((default_run / "summary.json").read_text(encoding="utf-8"))
    differences = compare(run, golden, rtol=0.0, atol=0.0, tolerances=_golden_tolerances())
    assert not differences, "\n".join(str(d) for d in differences[:30])


def test_the_golden_check_fails_when_a_result_moves_beyond_tolerance():
    golden = json.loads((GOLDEN / "yeongwol_summary.json").read_text(encoding="utf-8"))
    moved = json.loads(json.dumps(golden))
    moved["finance"]["county_pv"]["npv_krw"] *= 1 + 1e-4  # beyond the 1e-5 of NPVs
    moved["sizing"]["sites"]["nammyeon"]["pv_new_capacity_kwp"] += 1.0
    keys = [d.key for d in compare(moved, golden, rtol=0.0, atol=0.0, tolerances=_golden_tolerances())]
    assert keys == ["finance.county_pv.npv_krw", "sizing.sites.nammyeon.pv_new_capacity_kwp"]


def test_every_golden_key_has_an_explained_tolerance():
    golden = flatten(json.loads((GOLDEN / "yeongwol_summary.json").read_text(encoding="utf-8")))
    import fnmatch

    patterns = list(_golden_tolerances())
    assert patterns[-1] == "*"  # a default for everything else
    assert all(any(fnmatch.fnmatchcase(k, p) for p in patterns) for k in golden)


# --- the published schema --------------------------------------------------------------------

def test_packaged_schema_is_the_modules_and_the_default_run_validates(default_run):
    assert load() == json.loads(json.dumps(SCHEMA))
    summary = json.loads((default_run / "summary.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load()).validate(summary)
    broken = json.loads(json.dumps(summary))
    broken["finance"]["county_pv"]["npv_krw"] = "a lot"
    del broken["sizing"]["sites"]["county"]["capex_krw"]
    errors = list(jsonschema.Draft202012Validator(load()).iter_errors(broken))
    assert len(errors) == 2
