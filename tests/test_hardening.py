"""Issue 15, case by case: every crash, silent acceptance and late failure reported in "Why" is
reproduced here and ends cleanly - exit 2 (input error) or 3 (infeasible) naming the file and key,
never an internal error (exit 1) or a traceback. Data safety and killed runs are in ``test_safety``,
mutated scenarios in ``test_fuzz``, measured loads in ``test_measured_loads``.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest
import tomli_w
from weatherfiles import LAT, LON, sample_frame, write_csv, write_epw

from pvcluster.cli import main
from pvcluster.resources import data_root

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TOML = data_root() / "models" / "yeongwol.toml"
DEFAULT = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
FAST = ["--set", "sizing.periods=\"typical_days\"", "--set", "weather.ensemble_years=0"]
GREENSBORO_TMY3 = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"


def _exit(args, capsys) -> tuple[int, str]:
    code = main([*args, "-q"])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    return code, err


def _scenario(tmp_path: Path, edit) -> Path:
    """The default scenario with ``edit(doc)`` applied, written next to the packaged one's inputs."""
    doc = copy.deepcopy(DEFAULT)
    edit(doc)
    path = tmp_path / "scenario.toml"
    text = tomli_w.dumps(doc).replace('"inputs/', f'"{data_root()}/inputs/')
    path.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------- scenario structure


def test_a_scenario_file_that_is_not_utf8(tmp_path, capsys):
    path = tmp_path / "latin1.toml"
    text = DEFAULT_TOML.read_text(encoding="utf-8").replace("[inputs]", "# Yeongwol-gun, é\n[inputs]", 1)
    path.write_bytes(text.encode("latin-1", errors="replace"))
    code, err = _exit(["validate", str(path)], capsys)
    assert code == 2 and str(path) in err and "UTF-8" in err


@pytest.mark.parametrize("array", ["villages", "facilities"])
@pytest.mark.parametrize("value", [{"name": "x"}, 5, "nammyeon"])
def test_an_array_of_tables_given_as_a_table_or_a_scalar(tmp_path, capsys, array, value):
    path = _scenario(tmp_path, lambda d: d.__setitem__(array, value))
    code, err = _exit(["validate", str(path)], capsys)
    assert code == 2 and f"{array}:" in err and "array of tables" in err


def test_an_empty_village_and_missing_names_and_types(tmp_path, capsys):
    def edit(d):
        d["villages"][0] = {}
        del d["villages"][1]["name"]
        del d["facilities"][0]["type"]
    code, err = _exit(["validate", str(_scenario(tmp_path, edit))], capsys)
    assert code == 2
    for key in ("villages.0.name", "villages.0.households", "villages.1.name", "facilities.0.type"):
        assert f"{key}:" in err, key


def test_a_typo_in_an_inputs_key(tmp_path, capsys):
    def edit(d):
        d["inputs"]["markt"] = d["inputs"].pop("market")
    code, err = _exit(["validate", str(_scenario(tmp_path, edit))], capsys)
    assert code == 2 and "inputs.markt" in err and "market" in err


def test_a_path_too_long_for_the_file_system(capsys):
    code, err = _exit(["validate", "--set", "weather.source=\"file\"", "--set", f"weather.file=\"{'w' * 5000}\""], capsys)
    assert code == 2 and "weather.file" in err


def test_a_roof_inventory_path_cannot_escape_with_dotdot(capsys):
    code, err = _exit(["validate", "--set", "villages.0.buildings_file=\"../../../etc/passwd\""], capsys)
    assert code == 2 and "villages.0.buildings_file" in err and ".." in err


# ------------------------------------------------------------------------------- references


def test_fund_and_polysilicon_names_must_exist(tmp_path, capsys):
    def edit(d):
        d["fund"]["projects"] = ["nammyeon_pv", "moon_base_pv"]
        d["polysilicon"]["facility"] = "polysilcon_plant"
    code, err = _exit(["validate", str(_scenario(tmp_path, edit))], capsys)
    assert code == 2
    assert "fund.projects" in err and "moon_base_pv" in err
    assert "polysilicon.facility" in err and "polysilicon_plant" in err  # the name it should be


def test_a_project_start_year_outside_the_project_years(tmp_path, capsys):
    def edit(d):
        d["projects"][0]["start_year"] = 1990
        d["projects"][1]["start_year"] = 2200
    code, err = _exit(["validate", str(_scenario(tmp_path, edit))], capsys)
    assert code == 2 and "projects.0.start_year" in err and "projects.1.start_year" in err


# ---------------------------------------------------------------------------------- weather


def _weather_args(path: Path) -> list[str]:
    return ["--set", "weather.source=\"file\"", "--set", f"weather.file=\"{path}\"", *FAST]


@pytest.mark.parametrize("where, said", [
    ({"lat": 123.0}, "latitude -90..90"),
    ({"lat": float("nan")}, "found latitude nan"),
    ({"lat": 36.10, "lon": -79.94, "tz": -5.0}, "km away"),
])
def test_weather_file_location_is_checked_against_the_site(tmp_path, capsys, where, said):
    path = write_epw(tmp_path / "w.epw", sample_frame(), **where)
    code, err = _exit(["validate", *_weather_args(path)], capsys)
    assert code == 2 and str(path) in err and said in err


def test_a_greensboro_tmy3_does_not_run_as_yeongwol(tmp_path, capsys):
    code, err = _exit(["run", "--out", str(tmp_path / "o"), *_weather_args(GREENSBORO_TMY3)], capsys)
    assert code == 2 and "latitude/longitude" in err and "time zone" in err
    assert not (tmp_path / "o").exists()


def test_a_weather_file_near_the_site_runs_with_a_note_of_its_distance(tmp_path, capsys):
    from pvcluster.scenario import load_scenario
    from pvcluster.weather import build_weather

    path = write_epw(tmp_path / "w.epw", sample_frame(), lat=LAT + 0.2, lon=LON)  # ~22 km north
    scenario = load_scenario(overrides=["weather.source=\"file\"", f"weather.file=\"{path}\"",
                                        "weather.ensemble_years=0"])
    notes = " ".join(build_weather(scenario).notes)
    assert "22.1 km from the site" in notes  # 0.1987 deg of latitude x 111.2 km


def _broken_weather_files(tmp_path: Path) -> dict[str, Path]:
    """The kinds of broken weather file of the readers' tests, each written at the site."""
    f = sample_frame()
    out = {}

    def csv(name, frame, **kw):
        out[name] = write_csv(tmp_path / f"{name}.csv", frame, **kw)

    csv("missing_ghi", f.drop(columns=["ghi"]))
    csv("gap", f.drop(f.index[1000:1010]))
    holes = f.copy()
    holes.iloc[[10, 20], 0] = np.nan
    csv("nan", holes)
    negative = f.copy()
    negative.iloc[4000, 1] = -60.0
    csv("negative_irradiance", negative)
    csv("kw_per_m2", f.assign(ghi=f.ghi / 1000, dni=f.dni / 1000, dhi=f.dhi / 1000))
    csv("times_1000", f.assign(ghi=f.ghi * 1000, dni=f.dni * 1000, dhi=f.dhi * 1000))
    csv("kelvin", f.assign(temp_air=f.temp_air + 273.15))
    csv("duplicated_rows", pd.concat([f.iloc[:51], f.iloc[50:]]))
    csv("8759_rows", f.iloc[:-1])
    csv("two_years", sample_frame(pd.date_range("2019-01-01", "2020-12-31 23:00", freq="h", tz="Etc/GMT-9")))
    csv("no_light", f.assign(ghi=0.0, dni=0.0, dhi=0.0))
    truncated = write_epw(tmp_path / "truncated.epw", f)
    truncated.write_bytes(truncated.read_bytes()[:300_000])
    out["truncated"] = truncated
    (tmp_path / "empty.csv").write_bytes(b"")
    out["empty"] = tmp_path / "empty.csv"
    (tmp_path / "garbage.epw").write_bytes(np.random.default_rng(1).bytes(50_000))
    out["garbage"] = tmp_path / "garbage.epw"
    return out


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def test_validate_rejects_every_broken_weather_file_as_the_run_does(tmp_path, capsys):
    for name, path in _broken_weather_files(tmp_path).items():
        code, validate_err = _exit(["validate", *_weather_args(path)], capsys)
        assert code == 2 and str(path) in validate_err, (name, validate_err)
        code, run_err = _exit(["run", "--out", str(tmp_path / f"out_{name}"), *_weather_args(path)], capsys)
        assert code == 2, (name, run_err)
        assert _error_lines(run_err) == _error_lines(validate_err), name
        assert not (tmp_path / f"out_{name}").exists()


def test_a_year_without_light_gives_no_energy_rather_than_a_crash():
    from pvcluster.generation.rooftop import RooftopSystem, fixed_tilt_ac_kw_per_kwp
    from pvcluster.scenario import load_scenario
    from pvcluster.weather import build_weather

    weather = build_weather(load_scenario(overrides=["weather.ensemble_years=0"]))
    dark = weather.data.copy()
    dark[["ghi", "dni", "dhi"]] = 0.0
    system = RooftopSystem(gamma_pdc_per_c=-0.0037, dc_loss_fraction=0.1, ac_loss_fraction=0.01, dc_ac_ratio=1.1,
                           inverter_efficiency_fraction=0.96, snowfall_cm=(10.0,) * 12, snow_events=(3.0,) * 12)
    ac = fixed_tilt_ac_kw_per_kwp(dataclasses.replace(weather, data=dark), [30.0], [180.0], system)
    assert ac.shape == (1, 8760) and not ac.any()


# ------------------------------------------------------------------------- other entry points


def test_pv_rejects_an_absurd_capacity_and_a_negative_year(tmp_path, capsys):
    path = write_epw(tmp_path / "w.epw", sample_frame())
    code, err = _exit(["pv", "--weather", str(path), "--capacity-kw", "1e308"], capsys)
    assert code == 2 and "--capacity-kw" in err and "1e+308" in err
    code, err = _exit(["pv", "--weather", str(path), "--year", "-5"], capsys)
    assert code == 2 and "--year" in err and "-5" in err


def test_finance_csv_into_a_missing_folder_onto_a_folder_or_over_a_users_file(tmp_path, capsys):
    project = str(ROOT / "examples" / "village_pv_project.toml")
    code, err = _exit(["finance", project, "--csv", str(tmp_path / "missing" / "cf.csv")], capsys)
    assert code == 2 and "--csv" in err and "no folder" in err
    code, err = _exit(["finance", project, "--csv", str(tmp_path)], capsys)
    assert code == 2 and "a folder" in err
    mine = tmp_path / "mine.csv"
    mine.write_text("my,own,data\n")
    code, err = _exit(["finance", project, "--csv", str(mine)], capsys)
    assert code == 2 and "did not write" in err and mine.read_text() == "my,own,data\n"
    ours = tmp_path / "cf.csv"
    assert _exit(["finance", project, "--csv", str(ours)], capsys)[0] == 0
    assert _exit(["finance", project, "--csv", str(ours)], capsys)[0] == 0  # its own file: rewritten
    assert ours.read_text().startswith("year_index,calendar_year,")


def test_a_finance_input_error_is_an_input_error(tmp_path, capsys):
    from pvcluster.errors import PvclusterError
    from pvcluster.finance.project import FinanceInputError

    assert issubclass(FinanceInputError, PvclusterError) and FinanceInputError.exit_code == 2
    text = (ROOT / "examples" / "village_pv_project.toml").read_text(encoding="utf-8")
    path = tmp_path / "p.toml"
    path.write_text(text.replace("price_krw_per_kwh = 203.66", "price_krw_per_kwh = 1.0"), encoding="utf-8")
    code, err = _exit(["finance", str(path)], capsys)  # no cash flow to serve the sculpted debt
    assert code == 2 and "debt.dscr_target" in err and str(path) in err


def test_out_in_a_read_only_folder(tmp_path, capsys, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() == 0:  # root may write anyway: the permission check sees what a user would
        import pvcluster.report.writer as writer

        real = os.access
        monkeypatch.setattr(writer.os, "access", lambda p, mode: False if Path(p) == locked else real(p, mode))
    try:
        code, err = _exit(["run", "--out", str(locked / "o"), *FAST], capsys)
    finally:
        locked.chmod(0o700)
    assert code == 2 and f"no permission to write in {locked}" in err and not (locked / "o").exists()


# --------------------------------------------------------------------------------- sizing


def test_a_load_above_the_grid_limit_fails_before_sizing(capsys):
    code, err = _exit(["validate", "--set", "industrial_complex.grid_import_limit_kw=10"], capsys)
    assert code == 3 and "grid_import_limit_kw" in err and "industrial_complex" in err


def test_a_10000_household_village_beyond_its_grid_limit_fails_before_the_expensive_stages(tmp_path, capsys,
                                                                                           monkeypatch):
    # 10,000 households (generated roofs) behind a 1 MW import limit: net metering caps their PV at
    # 1 MW, so the night and most of the day are short. It fails after the first year's generation,
    # before the weather ensemble and the sizing (benchmarks/scaling.py times it: a few seconds)
    import pvcluster.generation
    import pvcluster.sizing

    def never(*args, **kwargs):
        raise AssertionError("an expensive stage ran")

    monkeypatch.setattr(pvcluster.generation, "with_exceedance", never)
    monkeypatch.setattr(pvcluster.sizing, "build_sizing", never)
    big = ["--set", "villages.0.households=10000", "--set", 'villages.0.buildings_file=""',
           "--set", "villages.0.household_contract_kw=10", "--set", "villages.0.grid_import_limit_kw=1000"]
    code, err = _exit(["run", "--out", str(tmp_path / "o"), *big], capsys)
    assert code == 3 and "grid_import_limit_kw = 1000 kW" in err and "net_metering_max_kw = 1000 kW" in err
    assert "'nammyeon'" in err and "Traceback" not in err and not (tmp_path / "o").exists()
    code, err = _exit(["validate", *big], capsys)
    assert code == 3 and "grid_import_limit_kw = 1000 kW" in err


def test_typical_day_infeasibility_is_stated_in_hours_of_the_real_year():
    from pvcluster.sizing.data import SiteData
    from pvcluster.sizing.periods import typical_days
    from pvcluster.sizing.solve import SolverSettings, diagnose

    hours = np.arange(8760)
    load = 10.0 + 2.0 * np.sin(2 * np.pi * hours / 24) + np.sin(2 * np.pi * hours / 8760)  # always above 5 kW
    grid, idx = typical_days([load], 6)
    assert grid.steps == 6 * 24
    s = SiteData(name="t", load_kw=load[idx], segments=(), storage_energy_capex_krw_per_kwh=1e9,
                 storage_power_capex_krw_per_kw=0.0, storage_fixed_om_fraction=0.0, storage_life_years=1.0,
                 storage_round_trip_efficiency_fraction=1.0, import_price_krw_per_kwh=np.full(len(idx), 100.0),
                 export_price_krw_per_kwh=np.zeros(len(idx)), import_limit_kw=5.0, export_limit_kw=0.0,
                 pv_life_years=1.0, pilot_life_years=1.0, time=grid)
    message = diagnose(s, SolverSettings())
    unserved_kwh = float(grid.weights @ (load[idx] - 5.0))
    assert "8,760 hours of the year" in message
    assert f"{unserved_kwh:,.0f} kWh a year" in message
    assert abs(unserved_kwh - (load - 5.0).sum()) < 0.02 * (load - 5.0).sum()  # typical days stand for the year


def test_a_capital_budget_with_re100_runs_and_clips_solver_noise(tmp_path):
    import pvcluster

    results = pvcluster.run(overrides=["sizing.capital_budget_krw=3e9", "villages.0.re100=true",
                                       "villages.1.re100=true", "sizing.periods=\"typical_days\"",
                                       "weather.ensemble_years=0"], sensitivity=False)
    total_capex = sum(s.capex_krw for s in results.sizing.sites.values())
    assert total_capex <= 3e9 * (1 + 1e-6)
    for site in results.sizing.sites.values():
        for value in (site.pv.new_capacity_kwp, site.storage.energy_kwh, site.storage.power_kw):
            assert value == 0.0 or value > 1e-6  # no -0 or 1e-9 from the solver
    fund = results.summary["finance"]["fund"]
    assert fund["projects"] and set(fund["projects"]) | set(fund["projects_not_built"]) == set(DEFAULT["fund"]["projects"])
