"""Scenario loading and validation: every problem at once, named by file, key, expected, found."""

from __future__ import annotations

import pytest

from pvcluster.errors import InputError
from pvcluster.scenario import load_scenario, parse_override
from pvcluster.schema import Context, Field, Table, validate


def test_default_scenario_loads(scenario):
    assert scenario.scenario.name == "yeongwol"
    assert scenario.plant.capacity_kwp == 39000.0
    assert len(scenario.villages) == 2
    assert scenario.facts.market.smp_krw_per_kwh == pytest.approx(117.26)
    assert set(scenario.input_paths) == {"climate", "market", "costs", "demand", "pv", "rooftops",
                                         "facilities", "finance", "jobs", "polysilicon", "tariffs", "rec_weights"}


def _write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_four_problems_reported_in_one_error(tmp_path, default_text):
    text = (default_text
            .replace("base_year = 2025", 'base_year = "2025"')                 # wrong type
            .replace("capacity_kwp = 39000.0", "capacity_kwp = -5.0")           # negative capacity
            .replace("dc_ac_ratio = 1.2", "dc_ac_ratio = 1.2\nazimth_deg = 180.0")  # unknown key
            .replace('market = "inputs/market_korea.toml"', 'market = "inputs/no_such_file.toml"'))
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert len(problems) == 4, info.value.format()
    by_key = {p.key: p for p in problems}
    assert "integer" in by_key["scenario.base_year"].expected and "'2025'" in by_key["scenario.base_year"].found
    assert "> 0" in by_key["plant.capacity_kwp"].expected and "-5" in by_key["plant.capacity_kwp"].found
    assert "did you mean 'axis_azimuth_deg'?" in by_key["plant.azimth_deg"].found
    assert "no_such_file.toml" in by_key["inputs.market"].found
    assert all(p.where == str(path) for p in problems)


def test_toml_syntax_error_names_the_line(tmp_path, default_text):
    lines = default_text.splitlines()
    lines[9] = "seed = = 1"
    path = _write(tmp_path, "\n".join(lines))
    with pytest.raises(InputError) as info:
        load_scenario(path)
    message = info.value.format()
    assert f"{path}:10" in message and "line 10" in message


def test_missing_scenario_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_scenario(tmp_path / "nope.toml")


def test_override_is_validated_and_named():
    with pytest.raises(InputError) as info:
        load_scenario(overrides=["plant.capacity_kwp=-1", "plant.gcr=0.4"])
    (problem,) = info.value.problems
    assert problem.where == "--set plant.capacity_kwp=-1" and problem.key == "plant.capacity_kwp"


def test_override_changes_value_and_indexes_arrays():
    s = load_scenario(overrides=["plant.capacity_kwp=40000", "villages.1.households=12",
                                 "weather.synthetic_year=random"])
    assert s.plant.capacity_kwp == 40000.0
    assert s.villages[1].households == 12
    assert s.weather.synthetic_year == "random"


def test_override_bad_index_and_syntax():
    with pytest.raises(InputError) as info:
        load_scenario(overrides=["villages.7.households=1", "no equals sign"])
    keys = {p.key for p in info.value.problems}
    assert "villages.7" in keys and "no equals sign" in keys


def test_fact_override_in_scenario(tmp_path, default_text):
    path = _write(tmp_path, default_text + "\n[overrides.market]\nsmp_krw_per_kwh = 100.0\n")
    s = load_scenario(path)
    assert s.facts.market.smp_krw_per_kwh == 100.0
    assert s.facts.provenance()["market"]["smp_krw_per_kwh"]["provenance"] == "scenario override"
    bad = _write(tmp_path, default_text + "\n[overrides.market]\nsmp_krw_per_kw = -1\n", "bad.toml")
    with pytest.raises(InputError, match="did you mean 'smp_krw_per_kwh'"):
        load_scenario(bad)


def test_fact_without_provenance_is_rejected(tmp_path, default_text):
    from pvcluster.resources import data_root

    market = (data_root() / "inputs" / "market_korea.toml").read_text(encoding="utf-8")
    market = market.replace('source = "Official 2023 national grid emission factor', 'note = "no source')
    mpath = _write(tmp_path, market, "market.toml")
    spath = _write(tmp_path, default_text.replace('"inputs/market_korea.toml"', f'"{mpath}"'))
    with pytest.raises(InputError) as info:
        load_scenario(spath)
    (problem,) = info.value.problems
    assert problem.key == "grid_emission_factor_t_per_mwh" and "provenance" in problem.expected


def test_unknown_module_gets_a_suggestion():
    with pytest.raises(InputError) as err:
        load_scenario(overrides=["plant.module=Canadian_Solar_Inc__CS6X_300"])
    text = str(err.value)
    assert "plant.module" in text and "CEC database" in text and "did you mean" in text


def test_missing_roof_inventory_file_is_named(tmp_path, default_text):
    path = _write(tmp_path, default_text.replace('"inputs/buildings_nammyeon.csv"', '"nowhere.csv"'))
    with pytest.raises(InputError, match="villages.0.buildings_file"):
        load_scenario(path)


def test_duplicate_village_names(tmp_path, default_text):
    path = _write(tmp_path, default_text.replace('name = "green_village"', 'name = "nammyeon"'))
    with pytest.raises(InputError, match="already used"):
        load_scenario(path)


def test_weather_file_required_when_source_is_file():
    with pytest.raises(InputError, match="weather file"):
        load_scenario(overrides=["weather.source=file"])


def test_choice_suggests_close_value():
    with pytest.raises(InputError, match="did you mean 'synthetic'"):
        load_scenario(overrides=["weather.source=synthetc"])


def test_schema_bounds_and_types_hand_cases():
    schema = Table({"a": Field("number", ge=0), "b": Field("integer", default=3), "c": Field("bool"),
                    "d": Field("number_list", length=2, gt=0)})
    ctx = Context(where="x.toml")
    out = validate({"a": True, "c": 1, "d": [1, 0]}, schema, ctx)
    assert out is not None
    assert [p.key for p in ctx.problems] == ["a", "c", "d[1]"]
    ctx = Context(where="x.toml")
    out = validate({"a": 1, "c": False, "d": [1, 2]}, schema, ctx)
    assert not ctx.problems and out.b == 3 and out.d == (1.0, 2.0)


def test_parse_override_types():
    assert parse_override("a.b=1.5") == (["a", "b"], 1.5)
    assert parse_override("a=true") == (["a"], True)
    assert parse_override("a=hello") == (["a"], "hello")
    assert parse_override('a="quoted"') == (["a"], "quoted")


def test_timezone_with_daylight_saving_is_rejected():
    with pytest.raises(InputError, match="without daylight saving"):
        load_scenario(overrides=["site.timezone=Europe/Berlin"])
    with pytest.raises(InputError, match="site.timezone"):
        load_scenario(overrides=["site.timezone=Mars/Olympus"])


def test_left_out_optional_path_means_no_file(tmp_path, default_text):
    text = default_text.replace('buildings_file = "inputs/buildings_nammyeon.csv"', "")
    path = _write(tmp_path, text)
    s = load_scenario(path)
    assert s.villages[0].buildings_file is None  # the roof generator draws the village's roofs
