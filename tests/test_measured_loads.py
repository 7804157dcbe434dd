"""Measured loads (issue 15): a facility's metered load from a CSV, hourly or 15-minute, kW or kWh.

The reader (``pvcluster.demand.measured``) is tested on small files written here; the scenario keys
(``load_file``, ``load_file_unit``, ``load_file_column``) through ``load_scenario`` and
``build_demand``; the example (``examples/measured_load.toml``) end to end through the command line.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pvcluster.calendar import hourly_index
from pvcluster.demand import build_demand
from pvcluster.demand.measured import MAX_KW, SPIKE_FACTOR, day_map, measured_kw, read_load_file
from pvcluster.errors import InputError
from pvcluster.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "measured_load.toml"
EXAMPLE_CSV = ROOT / "examples" / "factory_load_15min.csv"
IDX = hourly_index(2025, "Asia/Seoul")


def stamps(year: int = 2025, minutes: int = 60, suffix: str = "+09:00", years: int = 1) -> list[str]:
    """ISO 8601 timestamps of every step of ``years`` calendar years (29 February included)."""
    index = pd.date_range(f"{year}-01-01 00:00", f"{year + years - 1}-12-31 23:59", freq=f"{minutes}min")
    return list(index.strftime("%Y-%m-%dT%H:%M") + suffix)


def values(n: int, seed: int = 1) -> np.ndarray:
    """A load between 50 and 150 (well inside the 20 x median bound), 3 decimals."""
    return np.round(50.0 + 100.0 * np.random.default_rng(seed).random(n), 3)


def write(path: Path, data, times: list[str] | None = None, column: str = "kw", header: bool = True,
          comment: str | None = "test data") -> Path:
    lines = [f"# {comment}"] if comment else []
    if header:
        lines.append(f"time,{column}" if times is not None else column)
    texts = [v if isinstance(v, str) else repr(float(v)) for v in data]
    lines += [f"{t},{v}" for t, v in zip(times, texts)] if times is not None else texts
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def problems_of(path: Path, unit: str = "kw", **kwargs):
    with pytest.raises(InputError) as info:
        read_load_file(path, IDX, unit, **kwargs)
    for problem in info.value.problems:
        assert problem.where == str(path)  # every problem names the file
    return info.value.problems


# ------------------------------------------------------------------------------- good files


def test_hourly_kw_with_timestamps_is_read_as_is(tmp_path):
    v = values(8760)
    m = read_load_file(write(tmp_path / "h.csv", v, stamps()), IDX, "kw")
    np.testing.assert_allclose(m.kw, v, rtol=0, atol=1e-12)
    assert (m.steps, m.step_minutes, m.year, m.column) == (8760, 60, 2025, "kw")
    assert m.annual_kwh == pytest.approx(v.sum(), rel=1e-12)
    assert m.notes == ()


def test_hourly_kwh_without_timestamps_is_the_model_year(tmp_path):
    v = values(8760)
    m = read_load_file(write(tmp_path / "h.csv", v, column="energy_kwh"), IDX, "kwh")
    np.testing.assert_allclose(m.kw, v, rtol=0, atol=1e-12)  # kWh in an hour = mean kW
    assert m.year is None and "no timestamp column" in m.notes[0]
    # without a header line as well
    m2 = read_load_file(write(tmp_path / "bare.csv", v, header=False, comment=None), IDX, "kwh")
    np.testing.assert_array_equal(m2.kw, m.kw)
    assert m2.column == "column 1"


def test_15_minute_kw_becomes_hourly_means(tmp_path):
    q = values(35040)
    m = read_load_file(write(tmp_path / "q.csv", q, stamps(minutes=15)), IDX, "kw")
    np.testing.assert_allclose(m.kw, q.reshape(-1, 4).mean(axis=1), rtol=1e-12)
    assert (m.steps, m.step_minutes) == (35040, 15)
    assert any("15-minute steps averaged" in n for n in m.notes)


def test_15_minute_file_gives_the_hourly_energy_of_its_quarters(tmp_path):
    """A 15-minute kWh file, the same in kW, and the hourly file of its sums: one hourly load."""
    quarter_kwh = values(35040, seed=2) / 4.0
    hourly_kwh = quarter_kwh.reshape(-1, 4).sum(axis=1)
    a = read_load_file(write(tmp_path / "q_kwh.csv", quarter_kwh, column="kwh"), IDX, "kwh")  # no timestamps
    b = read_load_file(write(tmp_path / "q_kw.csv", quarter_kwh * 4.0, stamps(minutes=15)), IDX, "kw")
    c = read_load_file(write(tmp_path / "h_kwh.csv", hourly_kwh, stamps()), IDX, "kwh")
    for m in (a, b, c):
        np.testing.assert_allclose(m.kw, hourly_kwh, rtol=1e-12)  # kW of each hour = its kWh
        assert m.annual_kwh == pytest.approx(quarter_kwh.sum(), rel=1e-12)


def test_naive_timestamps_are_in_the_scenario_time_zone(tmp_path):
    v = values(8760)
    aware = read_load_file(write(tmp_path / "a.csv", v, stamps()), IDX, "kw")
    naive = read_load_file(write(tmp_path / "n.csv", v, stamps(suffix="")), IDX, "kw", timezone="Asia/Seoul")
    np.testing.assert_array_equal(aware.kw, naive.kw)


def test_utc_timestamps_are_moved_to_local_time(tmp_path):
    v = values(8760)
    m = read_load_file(write(tmp_path / "utc.csv", v, stamps(suffix="Z")), IDX, "kw")
    # 2025-06-01 03:00 UTC is 12:00 in Korea
    utc_row = pd.Timestamp("2025-06-01 03:00") - pd.Timestamp("2025-01-01")
    local = IDX.get_loc(pd.Timestamp("2025-06-01 12:00", tz="Asia/Seoul"))
    assert m.kw[local] == v[int(utc_row / pd.Timedelta(hours=1))]
    assert any("UTC+00:00 converted" in n for n in m.notes)
    assert any("wrapped around" in n for n in m.notes)  # 9 h of 2026 (local) go to 1 January 00-09 h
    assert m.kw.sum() == pytest.approx(v.sum(), rel=1e-12)


def test_named_column_among_several(tmp_path):
    v = values(8760)
    path = tmp_path / "two.csv"
    rows = [f"{t},{a},{b}" for t, a, b in zip(stamps(), v, 2 * v)]
    path.write_text("timestamp,meter_a_kw,meter_b_kw\n" + "\n".join(rows) + "\n", encoding="utf-8")
    m = read_load_file(path, IDX, "kw", column="meter_b_kw")
    np.testing.assert_allclose(m.kw, 2 * v)
    problems = problems_of(path, key="facilities.4.load_file")  # no column named: which one?
    assert problems[0].key == "facilities.4.load_file_column"
    assert "meter_a_kw" in problems[0].found and "meter_b_kw" in problems[0].found


def test_leap_day_is_dropped_with_a_note(tmp_path):
    t = stamps(2024)  # 8784 hours
    v = values(len(t))
    m = read_load_file(write(tmp_path / "leap.csv", v, t), IDX, "kw")
    assert m.steps == 8760 and len(m.kw) == 8760
    assert any("dropped 24 steps of 29 February (2024)" in n for n in m.notes)


# ------------------------------------------------------------------------------- year shift


@pytest.mark.parametrize("year", [2023, 2024, 2026, 2014])
def test_another_year_is_shifted_by_day_of_week(tmp_path, year):
    """A measured Monday stays a Monday: every day of the model year takes a measured day of its weekday."""
    t = pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq="h")
    v = 10.0 * (1 + t.day_of_week.to_numpy()) + t.hour.to_numpy() / 100.0  # weekday and hour readable
    m = read_load_file(write(tmp_path / "y.csv", v, list(t.strftime("%Y-%m-%dT%H:%M+09:00"))), IDX, "kw")
    factor = m.annual_kwh / v[~((t.month == 2) & (t.day == 29))].sum()
    assert factor == pytest.approx(1.0, rel=1e-12)  # the file's energy (29 Feb dropped)
    assert m.kw.sum() == pytest.approx(m.annual_kwh, rel=1e-12)  # kept after the shift
    scale = m.kw[0] / (10.0 * (1 + IDX[0].day_of_week))
    weekday = np.round(m.kw / scale / 10.0 - 1.0 - IDX.hour.to_numpy() / 1000.0).astype(int)
    np.testing.assert_array_equal(weekday, IDX.day_of_week.to_numpy())
    np.testing.assert_allclose((m.kw / scale) % 10.0, IDX.hour.to_numpy() / 100.0, atol=1e-9)  # hours in place
    if year != 2025:
        assert any(f"the file's year {year} is not the model's calendar year 2025" in n for n in m.notes)


def test_day_map_stays_near_the_date_and_uses_each_day_at_most_twice():
    days = pd.DatetimeIndex(IDX[::24].tz_localize(None))
    d = np.arange(365)
    for year in range(2015, 2031):
        source = day_map(days, year)
        jumps = source - d
        wrapped = np.abs(jumps) > 180  # taken 52 weeks away, from the other end of the measured year
        assert np.abs(jumps[~wrapped]).max() <= 6  # 3 days, or up to 6 around a dropped 29 February
        assert np.all((d[wrapped] < 3) & (source[wrapped] > 357) | (d[wrapped] > 361) & (source[wrapped] < 7))
        assert np.abs(jumps[~wrapped][(d[~wrapped] < 50) | (d[~wrapped] > 70)]).max() <= 3
        assert np.bincount(source, minlength=365).max() <= 2
        dates = pd.Timestamp(year, 1, 1) + pd.to_timedelta(source + (source >= 59) * (year % 4 == 0), unit="D")
        np.testing.assert_array_equal(dates.day_of_week, days.day_of_week)


# ------------------------------------------------------------------------------- broken files


def _broken(kind: str, tmp_path: Path) -> tuple[Path, str, str, dict]:
    """A broken file; the key and a word of the problem expected; read_load_file's keyword arguments."""
    t, v = stamps(), [repr(float(x)) for x in values(8760)]
    kwargs = {}
    if kind == "gap":
        del t[1000], v[1000]
        key, word = "time", "2025-02-11 16:00"  # the missing hour
    elif kind == "duplicate":
        t.insert(1001, t[1000])
        v.insert(1001, v[1000])
        key, word = "time", "duplicated timestamp"
    elif kind == "nan":
        v[2000] = "NaN"
        key, word = "kw", "empty or NaN"
    elif kind == "empty":
        v[2000] = ""
        key, word = "kw", "empty or NaN"
    elif kind == "negative":
        v[2000] = "-5"
        key, word = "kw", "negative"
    elif kind == "beyond_physical":
        v[2000] = "2e6"
        key, word = "kw", "above"
    elif kind == "spike":
        v[2000] = str(SPIKE_FACTOR * 100.0 * 1.5)  # the median is about 100
        key, word = "kw", "above"
    elif kind == "not_a_number":
        v[2000] = "abc"
        key, word = "kw", "not a number"
    elif kind == "two_years":
        t = stamps(2024, years=2)
        v = [repr(float(x)) for x in values(len(t))]
        key, word = "time", "repeat a day and time"
    elif kind == "rows_8759":
        t, v = None, v[:8759]
        key, word = "facilities.3.load_file", "8759 data rows"
        kwargs["key"] = "facilities.3.load_file"
    elif kind == "wrong_column":
        kwargs.update(column="kwh", key="facilities.3.load_file")
        key, word = "facilities.3.load_file_column", "'kwh'"
    elif kind == "hour_ending":
        t = stamps()[1:] + ["2026-01-01T00:00+09:00"]
        key, word = "time", "end of each step"
    elif kind == "partial_year":
        t, v = t[:4000], v[:4000]
        key, word = "time", "4760 steps missing"
    else:
        raise ValueError(kind)
    return write(tmp_path / f"{kind}.csv", v, t), key, word, kwargs


BROKEN = ["gap", "duplicate", "nan", "empty", "negative", "beyond_physical", "spike", "not_a_number", "two_years",
          "rows_8759", "wrong_column", "hour_ending", "partial_year"]


@pytest.mark.parametrize("kind", BROKEN)
def test_broken_file_names_file_column_and_timestamp(tmp_path, kind):
    path, key, word, kwargs = _broken(kind, tmp_path)
    problems = problems_of(path, **kwargs)
    hits = [p for p in problems if p.key == key and word in p.found]
    assert hits, [str(p) for p in problems]
    if kind in ("duplicate", "nan", "empty", "negative", "beyond_physical", "spike", "not_a_number"):
        assert "2025-" in hits[0].found and "line " in hits[0].found  # the timestamp as written, and its line


def test_bounds_rule_is_stated():
    assert MAX_KW == 1.0e6 and SPIKE_FACTOR == 20.0


def test_every_problem_of_a_file_at_once(tmp_path):
    t, v = stamps(), [repr(float(x)) for x in values(8760)]
    v[10], v[20], v[30] = "abc", "-1", ""
    del t[5000], v[5000]
    problems = problems_of(write(tmp_path / "many.csv", v, t))
    assert {"not a number", "negative", "empty or NaN", "missing"} <= {
        w for p in problems for w in ("not a number", "negative", "empty or NaN", "missing") if w in p.found}


def test_kwh_file_in_watt_hours_is_out_of_bounds_with_a_hint(tmp_path):
    v = values(8760) * 1000.0 + 2.0e6  # Wh: every value beyond 1 GW
    problems = problems_of(write(tmp_path / "wh.csv", v, stamps(), column="kwh"), unit="kwh")
    assert any("looks like W" in p.found for p in problems)


def test_unit_is_checked(tmp_path):
    with pytest.raises(InputError) as info:
        read_load_file(write(tmp_path / "h.csv", values(8760), stamps()), IDX, "MW", key="facilities.2.load_file")
    assert info.value.problems[0].key == "facilities.2.load_file_unit"


# ------------------------------------------------------------------------------- scaling and the scenario


def test_scaling_to_annual_kwh_keeps_the_shape(tmp_path):
    v = values(8760)
    m = read_load_file(write(tmp_path / "h.csv", v, stamps()), IDX, "kw")
    kw, annual, basis = measured_kw(m, 1.0e6)
    assert kw.sum() == pytest.approx(1.0e6, rel=1e-12) and annual == 1.0e6
    np.testing.assert_allclose(kw / v, 1.0e6 / v.sum(), rtol=1e-12)
    assert basis.startswith("measured: h.csv, 8760 steps of 1 h, scaled to 1,000,000 kWh/yr")
    kw0, annual0, basis0 = measured_kw(m, 0.0)
    np.testing.assert_array_equal(kw0, m.kw)
    assert annual0 == pytest.approx(v.sum()) and "not scaled" in basis0


def _facility_index(scenario, name: str) -> int:
    return next(i for i, f in enumerate(scenario.facilities) if f.name == name)


@pytest.fixture(scope="module")
def example():
    scenario = load_scenario(EXAMPLE, ["weather.ensemble_years=0"])
    from pvcluster.weather import build_weather

    weather = build_weather(scenario)
    return scenario, weather, build_demand(scenario, weather)


def test_example_scenario_reads_the_measured_factories(example):
    _, weather, demand = example
    load = demand.loads["agro_food_factories"]
    direct = read_load_file(EXAMPLE_CSV, weather.index, "kw")
    np.testing.assert_allclose(demand.reference_kw["agro_food_factories"].to_numpy(), direct.kw, rtol=1e-12)
    assert load.reference_annual_kwh == pytest.approx(direct.annual_kwh, rel=1e-12)
    assert load.basis.startswith("measured: factory_load_15min.csv, 35040 steps of 15 min, not scaled")
    assert (load.load_class, load.type, load.tariff) == ("industry", "factory_two_shift", "industrial_eul_high_a_2")
    # year factors as for a modelled load: from 2026, growing 1 % a year
    factors = demand.year_factors["agro_food_factories"]
    assert factors.loc[2025] == 0.0 and factors.loc[2026] == 1.0
    assert factors.loc[2030] == pytest.approx(1.01 ** 4)


def test_annual_kwh_scales_the_measured_load(example):
    scenario, weather, demand = example
    i = _facility_index(scenario, "agro_food_factories")
    scaled = build_demand(load_scenario(EXAMPLE, ["weather.ensemble_years=0", f"facilities.{i}.annual_kwh=3.0e6"]),
                          weather)
    kw = scaled.reference_kw["agro_food_factories"].to_numpy()
    assert kw.sum() == pytest.approx(3.0e6, rel=1e-12)
    ratio = kw / demand.reference_kw["agro_food_factories"].to_numpy()
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)  # the measured shape
    assert "scaled to 3,000,000 kWh/yr" in scaled.loads["agro_food_factories"].basis


def test_scenario_keys_are_checked(tmp_path):
    scenario = load_scenario(EXAMPLE)
    i = _facility_index(scenario, "agro_food_factories")
    text = EXAMPLE.read_text(encoding="utf-8").replace('load_file = "factory_load_15min.csv"',
                                                       f'load_file = "{EXAMPLE_CSV.as_posix()}"')
    # no unit
    path = tmp_path / "no_unit.toml"
    path.write_text(text.replace('load_file_unit = "kw"', ""), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert [p.key for p in info.value.problems] == [f"facilities.{i}.load_file_unit"]
    # a unit out of the choices
    with pytest.raises(InputError) as info:
        load_scenario(EXAMPLE, [f"facilities.{i}.load_file_unit=MWh"])
    assert [p.key for p in info.value.problems] == [f"facilities.{i}.load_file_unit"]
    # a file that does not exist
    with pytest.raises(InputError) as info:
        load_scenario(EXAMPLE, [f"facilities.{i}.load_file=no_such_load.csv"])
    assert [p.key for p in info.value.problems] == [f"facilities.{i}.load_file"]
    # a unit and a column without a file
    j = _facility_index(scenario, "county_office")
    with pytest.raises(InputError) as info:
        load_scenario(EXAMPLE, [f"facilities.{j}.load_file_unit=kw", f"facilities.{j}.load_file_column=kw"])
    assert sorted(p.key for p in info.value.problems) == [f"facilities.{j}.load_file_column",
                                                          f"facilities.{j}.load_file_unit"]


def test_measured_load_needs_no_model_size(tmp_path):
    """A measured water treatment plant gives no flow, and annual_kwh may scale a non-profile type."""
    text = EXAMPLE.read_text(encoding="utf-8").replace('load_file = "factory_load_15min.csv"',
                                                       f'load_file = "{EXAMPLE_CSV.as_posix()}"')
    old = "flow_m3_per_day = 10000.0"
    assert old in text
    text = text.replace(old, f'load_file = "{EXAMPLE_CSV.as_posix()}"\nload_file_unit = "kw"\nannual_kwh = 4.0e6\n#')
    path = tmp_path / "measured_water.toml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path, ["weather.ensemble_years=0"])
    from pvcluster.weather import build_weather

    demand = build_demand(scenario, build_weather(scenario))
    load = demand.loads["water_treatment_plant"]
    assert load.reference_annual_kwh == pytest.approx(4.0e6) and load.load_class == "public"
    assert load.pilot_candidate
    # the type's model size is not wanted with a measured load
    i = _facility_index(scenario, "water_treatment_plant")
    with pytest.raises(InputError) as info:
        load_scenario(path, [f"facilities.{i}.flow_m3_per_day=100.0"])
    assert [p.key for p in info.value.problems] == [f"facilities.{i}.flow_m3_per_day"]


def test_every_broken_load_file_of_a_scenario_at_once(tmp_path, example):
    scenario, weather, _ = example
    bad_a = _broken("gap", tmp_path)[0]
    bad_b = _broken("negative", tmp_path)[0]
    i = _facility_index(scenario, "agro_food_factories")
    j = _facility_index(scenario, "county_office")
    broken = load_scenario(EXAMPLE, ["weather.ensemble_years=0", f"facilities.{i}.load_file={bad_a}",
                                     f"facilities.{j}.load_file={bad_b}", f"facilities.{j}.load_file_unit=kw"])
    with pytest.raises(InputError) as info:
        build_demand(broken, weather)
    assert {p.where for p in info.value.problems} == {str(bad_a), str(bad_b)}
    assert f"facilities.{i} (agro_food_factories)" in info.value.headline
    assert f"facilities.{j} (county_office)" in info.value.headline


# ------------------------------------------------------------------------------- the example, end to end


def test_example_csv_is_synthetic_deterministic_and_small(tmp_path):
    assert EXAMPLE_CSV.stat().st_size < 2_000_000
    assert EXAMPLE_CSV.read_text(encoding="utf-8").startswith("# SYNTHETIC, NOT METERED")
    spec = importlib.util.spec_from_file_location("make_factory_load", ROOT / "examples" / "make_factory_load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write(tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == EXAMPLE_CSV.read_bytes()


def test_example_runs_end_to_end(tmp_path):
    from pvcluster.cli import main

    out = tmp_path / "measured"
    assert main(["run", str(EXAMPLE), "--out", str(out), "-q"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    load = summary["demand"]["loads"]["agro_food_factories"]
    assert load["basis"].startswith("measured: factory_load_15min.csv, 35040 steps of 15 min")
    hourly = pd.read_csv(out / "hourly.csv", usecols=["demand_agro_food_factories_kw"])
    assert hourly["demand_agro_food_factories_kw"].sum() / 1000.0 == pytest.approx(load["annual_mwh"], rel=1e-6)


def test_validate_and_run_fail_alike_on_a_broken_load_file(tmp_path, capsys):
    from pvcluster.cli import main

    bad = _broken("not_a_number", tmp_path)[0]
    text = EXAMPLE.read_text(encoding="utf-8").replace('load_file = "factory_load_15min.csv"',
                                                       f'load_file = "{bad.as_posix()}"')
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert main(["validate", str(path)]) == 2
    validate_err = capsys.readouterr().err
    assert str(bad) in validate_err and "abc" in validate_err and "kw" in validate_err
    assert "Traceback" not in validate_err
    assert main(["run", str(path), "--out", str(tmp_path / "never"), "-q", "--set", "weather.ensemble_years=0"]) == 2
    run_err = capsys.readouterr().err
    assert "Traceback" not in run_err
    listed = [line for line in validate_err.splitlines() if line.startswith("  - ")]
    assert listed and listed == [line for line in run_err.splitlines() if line.startswith("  - ")]
    assert not (tmp_path / "never").exists()
