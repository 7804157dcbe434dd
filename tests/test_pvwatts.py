"""The PVWatts-like model: hand-checkable stages, the cross-check with PVWatts v8 in PySAM, the CLI.

The cross-check runs the harness of ``benchmarks/pvwatts_crosscheck.py`` (same systems, same pvlib
TMY files, same PySAM configuration), so the test and the printed benchmark cannot drift apart.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pvcluster.cli import main
from pvcluster.generation import pvwatts as pw
from pvcluster.generation.pvwatts import PVWattsSystem, simulate

ROOT = Path(__file__).resolve().parents[1]


def _load_crosscheck():
    spec = importlib.util.spec_from_file_location("pvwatts_crosscheck", ROOT / "benchmarks" / "pvwatts_crosscheck.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


xc = _load_crosscheck()


@pytest.fixture(scope="module")
def greensboro():
    """723170TYA.CSV (Greensboro NC, TMY3), normalized: 8760 hour-beginning rows of 2023."""
    return xc.load_site("723170TYA.CSV")


# ---------------------------------------------------------------------------------------------
# Cross-check with PVWatts v8 (PySAM)
# ---------------------------------------------------------------------------------------------
#
# Tolerances. The acceptance criteria of issue 3 are 1 % on annual energy and 3 % on every month:
# the monthly bound is wider because a month holds a twelfth of the energy, so the same absolute
# hourly differences (sunrise hours, low-sun hours) weigh more, and winter months have little
# energy. Those bounds would not catch a model that silently dropped one stage (leaving out the
# spectral modifier moves months by -1.2 % to +0.9 %, the cover model's quirk by 2 %), so a second,
# tight guard holds the agreement we measured with nrel-pysam 7.1.1 (annual <= 0.01 %, months
# <= 0.05 %) with a margin for other machines and pvlib/PySAM patch releases: 0.1 % and 0.25 %.
# If a PySAM release changes PVWatts v8 (ssc already changed how it applies the spectral modifier
# between revisions), the tight guard fails first: re-read ssc and update pvwatts.py.
ANNUAL_ACCEPT_PCT, MONTHLY_ACCEPT_PCT = 1.0, 3.0
ANNUAL_GUARD_PCT, MONTHLY_GUARD_PCT = 0.1, 0.25

# The 'file' route (hourly file, sunrise/sunset-hour adjustment) on a subset of systems keeps the
# test file under ~15 s; the benchmark runs every system on both routes.
FILE_ROUTE_CASES = ("fixed 35 S", "fixed 30 SW (225)", "1-axis N-S, backtrack, gcr 0.35",
                    "1-axis N-S, no backtrack, gcr 0.35")
CROSSCHECKS = ([(case, name, "table") for case in xc.CASES for name in xc.FILES]
               + [(case, name, "file") for case in FILE_ROUTE_CASES for name in xc.FILES])


@pytest.mark.parametrize("case, name, route", CROSSCHECKS)
def test_agrees_with_pvwatts_v8_in_pysam(case, name, route):
    pytest.importorskip("PySAM.Pvwattsv8")
    row = xc.crosscheck(case, name, route)
    monthly = np.abs(row["monthly_diff_pct"])
    assert abs(row["annual_diff_pct"]) <= ANNUAL_ACCEPT_PCT, row
    assert monthly.max() <= MONTHLY_ACCEPT_PCT, row
    assert abs(row["annual_diff_pct"]) <= ANNUAL_GUARD_PCT, row
    assert monthly.max() <= MONTHLY_GUARD_PCT, row


def test_same_hours_as_pysam(greensboro):
    """Hour by hour, not only in sums: AC within 0.5 % of the AC rating in every hour."""
    pytest.importorskip("PySAM.Pvwattsv8")
    system = xc.CASES["1-axis N-S, no backtrack, gcr 0.35"]
    ours = simulate(greensboro.data, greensboro.latitude_deg, greensboro.longitude_deg, greensboro.altitude_m,
                    system, sunrise_sunset_adjust=False)
    sam = xc.run_pysam(greensboro, system, "table")
    assert np.abs(ours.ac_kw.to_numpy() - sam["ac_kw"]).max() <= 0.005 * system.ac_capacity_kw


# ---------------------------------------------------------------------------------------------
# Hand-checkable stages
# ---------------------------------------------------------------------------------------------

def test_dc_at_normal_incidence_and_25c_is_capacity_times_irradiance_less_losses():
    """DC = capacity x G/1000 x (1 - losses) at normal incidence, 25 C, no spectral shift.

    The cover passes beam at normal incidence unchanged (ssc caps the modifier at 1), and the CEC
    parameters of the 'standard' module reproduce its datasheet Pmax at STC: 0.2 % covers the fit.
    """
    capacity_kw, losses = 250.0, 0.1408
    g = pw.cover_transmitted_irradiance(aoi=0.0, surface_tilt=20.0, poa_beam=1000.0, poa_sky_diffuse=0.0,
                                        poa_ground_diffuse=0.0)
    assert g == pytest.approx(1000.0)
    dc_kw = capacity_kw * pw.module_dc_per_kwp(np.array([g]), 25.0)[0] * (1 - losses)
    assert dc_kw == pytest.approx(capacity_kw * 1.0 * (1 - losses), rel=2e-3)
    # half the irradiance gives about half the power (CEC: within 2 % at 500 W/m2)
    half = pw.module_dc_per_kwp(np.array([500.0]), 25.0)[0]
    assert half == pytest.approx(0.5, rel=0.02)


def test_module_temperature_coefficient_is_about_minus_0_37_percent_per_c():
    p25, p45 = pw.module_dc_per_kwp(np.array([1000.0, 1000.0]), np.array([25.0, 45.0]))
    gamma = (p45 / p25 - 1.0) / 20.0
    assert -0.0045 < gamma < -0.0033  # PVWatts' 'standard' module: -0.37 %/C


def test_inverter_clips_at_ac_rating_and_is_linear_below():
    ac_kw, eta = 100.0, 0.96
    dc_rated = ac_kw / eta
    pso = pw._INVERTER_PSO_FRACTION * ac_kw
    ac = pw.inverter_ac_kw(np.array([0.0, 0.1, dc_rated / 2, dc_rated, 1.3 * dc_rated]), ac_kw, eta)
    assert ac[0] == 0.0 and ac[1] == 0.0  # below the self-consumption threshold: off, never negative
    assert ac[2] == pytest.approx(ac_kw * (dc_rated / 2 - pso) / (dc_rated - pso))
    assert ac[3] == pytest.approx(ac_kw)  # rated DC in, rated AC out: efficiency 0.96
    assert ac[4] == pytest.approx(ac_kw)  # clipped


def test_flat_plane_sees_beam_on_horizontal_and_all_of_the_diffuse():
    """On a horizontal plane Perez's circumsolar and horizon terms cancel: sky diffuse = DHI."""
    zen = np.array([20.0, 50.0, 80.0])
    poa = pw.plane_of_array(np.zeros(3), np.full(3, 180.0), zen, zen, np.full(3, 150.0),
                            dni=np.array([800.0, 600.0, 200.0]), dhi=np.array([100.0, 150.0, 60.0]),
                            albedo=np.full(3, 0.2))
    np.testing.assert_allclose(poa["poa_beam"], [800 * np.cos(np.radians(20)), 600 * np.cos(np.radians(50)),
                                                 200 * np.cos(np.radians(80))])
    np.testing.assert_allclose(poa["poa_sky_diffuse"], [100.0, 150.0, 60.0])
    np.testing.assert_allclose(poa["poa_ground_diffuse"], 0.0)


def test_single_axis_tracker_faces_the_sun_within_its_limits():
    # sun due east 60 deg up: a horizontal N-S tracker turns 30 deg east and sees it head on
    geo = pw.orientation([30.0], [90.0], "single-axis", 0.0, 180.0, max_angle_deg=45, backtrack=False)
    assert geo["rotation"][0] == pytest.approx(-30.0, abs=1e-6)
    assert geo["aoi"][0] == pytest.approx(0.0, abs=1e-6)
    # sun 10 deg up in the east: true tracking wants 80 deg, the limit holds it at 45
    low = pw.orientation([80.0], [90.0], "single-axis", 0.0, 180.0, max_angle_deg=45, backtrack=False)
    assert low["rotation"][0] == pytest.approx(-45.0)
    # backtracking at gcr 0.3: 80 - acos(cos 80 / 0.3) = 25.4 deg (Anderson & Mikofski)
    bt = pw.orientation([80.0], [90.0], "single-axis", 0.0, 180.0, max_angle_deg=45, backtrack=True, gcr=0.3)
    assert bt["rotation"][0] == pytest.approx(-(80 - np.degrees(np.arccos(np.cos(np.radians(80)) / 0.3))), abs=1e-6)


def test_fixed_row_shading_follows_the_shadow_geometry():
    """Shaded share of a row = 1 - pitch / (side (cos b + sin b / tan a)) for a sun straight ahead."""
    lay = pw.layout(5000.0, "fixed", "open_rack", gcr=0.5)  # long rows: no end effects (g = 0)
    assert lay.strings_along_row > 1
    tilt, elevation = 30.0, 10.0
    f = pw.fixed_rack_beam_shade_fraction([tilt], [180.0], [90.0 - elevation], [180.0], lay)[0]
    t, a = np.radians(tilt), np.radians(elevation)
    assert f == pytest.approx(1 - 2.0 / (np.cos(t) + np.sin(t) / np.tan(a)))
    # the sun behind the rows, or high enough, casts no shadow on the next row
    assert pw.fixed_rack_beam_shade_fraction([tilt], [180.0], [30.0], [180.0], lay)[0] == 0.0
    assert pw.fixed_rack_beam_shade_fraction([tilt], [180.0], [60.0], [0.0], lay)[0] == 0.0


def test_diffuse_derates():
    # a flat array sees the whole sky; steeper rows and closer rows see less of it
    f = pw.sky_diffuse_shade_factor(np.array([0.0, 20.0, 40.0]), gcr=0.4)
    assert f[0] == 1.0 and 1.0 > f[1] > f[2] > 0.8
    assert pw.sky_diffuse_shade_factor(np.array([30.0]), 0.2)[0] > pw.sky_diffuse_shade_factor(np.array([30.0]), 0.6)[0]
    # the cover: diffuse through plain glass relative to ssc's coated-glass reference (measured 0.964)
    sky_only = pw.cover_transmitted_irradiance(0.0, 0.0, 0.0, 100.0, 0.0)
    assert float(sky_only) == pytest.approx(96.40, abs=0.05)


def test_south_beats_north_and_east_leads_west(greensboro):
    site = greensboro
    run = lambda az: simulate(site.data, site.latitude_deg, site.longitude_deg, site.altitude_m,  # noqa: E731
                              PVWattsSystem(10.0, 30.0, az))
    south, north, east, west = run(180.0), run(0.0), run(90.0), run(270.0)
    assert south.annual_mwh > 1.3 * north.annual_mwh  # 36 N: a north-facing 30 deg roof loses a lot
    morning = east.hourly["solar_azimuth"].to_numpy() < 180.0  # before solar noon (clock noon is not)
    assert east.ac_kw[morning].sum() > 1.5 * west.ac_kw[morning].sum()  # diffuse light reaches both
    assert west.ac_kw[~morning].sum() > 1.5 * east.ac_kw[~morning].sum()
    assert run(360.0).annual_mwh == pytest.approx(north.annual_mwh)  # 360 is north


def test_result_sums_and_ratios(greensboro):
    system = PVWattsSystem(40.0, 25.0, 180.0, tracking="fixed", dc_ac_ratio=1.3)
    r = simulate(greensboro.data, greensboro.latitude_deg, greensboro.longitude_deg, greensboro.altitude_m, system)
    assert len(r.ac_kw) == 8760 and r.ac_kw.index.equals(greensboro.data.index)
    assert sum(r.monthly_mwh) == pytest.approx(r.annual_mwh)
    assert r.specific_yield_kwh_per_kwp == pytest.approx(1000 * r.annual_mwh / 40.0)
    assert r.capacity_factor_fraction == pytest.approx(r.annual_mwh * 1000 / (40.0 * 8760))
    assert r.ac_kw.max() <= system.ac_capacity_kw + 1e-9 and r.ac_kw.min() >= 0.0
    night = r.hourly["sun_up"].to_numpy() == 0
    assert (r.ac_kw.to_numpy()[night] == 0).all()


def test_invalid_system_lists_every_problem():
    bad = PVWattsSystem(-1.0, 95.0, 400.0, tracking="dual", gcr=1.0, losses_fraction=1.0, dc_ac_ratio=0.0)
    keys = {p.key for p in bad.problems()}
    assert keys == {"capacity_kw", "tilt_deg", "azimuth_deg", "tracking", "gcr", "losses_fraction", "dc_ac_ratio"}
    assert PVWattsSystem(1.0).problems() == []
    with pytest.raises(ValueError, match="capacity_kw"):
        simulate(pd.DataFrame(), 0.0, 0.0, 0.0, PVWattsSystem(0.0))


# ---------------------------------------------------------------------------------------------
# Command line: pvcluster pv
# ---------------------------------------------------------------------------------------------

TMY3 = str(xc.PVLIB_DATA / "723170TYA.CSV")


def test_cli_pv_prints_a_monthly_table(capsys):
    assert main(["pv", "--weather", TMY3, "--capacity-kw", "100", "--tilt", "30", "-q"]) == 0
    out = capsys.readouterr().out
    assert "Jan" in out and "Dec" in out and "kWh/kWp" in out
    year_line = next(line for line in out.splitlines() if line.startswith("year"))
    assert float(year_line.split()[1]) > 100  # MWh: about 1,370 kWh/kWp at Greensboro


def test_cli_pv_json_matches_the_model(capsys, greensboro):
    argv = ["pv", "--weather", TMY3, "--capacity-kw", "500", "--tilt", "10", "--azimuth", "170",
            "--tracking", "single-axis", "--gcr", "0.35", "--no-backtrack", "--dc-ac-ratio", "1.25",
            "--losses-fraction", "0.12", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["monthly_mwh"]) == 12 and sum(out["monthly_mwh"]) == pytest.approx(out["annual_mwh"])
    assert out["system"] == {**out["system"], "capacity_kw": 500.0, "tilt_deg": 10.0, "azimuth_deg": 170.0,
                             "tracking": "single-axis", "gcr": 0.35, "backtrack": False, "dc_ac_ratio": 1.25,
                             "losses_fraction": 0.12}
    assert out["specific_yield_kwh_per_kwp"] == pytest.approx(1000 * out["annual_mwh"] / 500.0)
    assert out["weather"]["year"] == 2023 and out["weather"]["latitude_deg"] == pytest.approx(36.1)
    expected = simulate(greensboro.data, greensboro.latitude_deg, greensboro.longitude_deg, greensboro.altitude_m,
                        PVWattsSystem(500.0, 10.0, 170.0, tracking="single-axis", gcr=0.35, backtrack=False,
                                      dc_ac_ratio=1.25, losses_fraction=0.12))
    assert out["annual_mwh"] == pytest.approx(expected.annual_mwh, rel=1e-9)


@pytest.mark.parametrize("option, value, expected", [
    ("--capacity-kw", "-5", "positive"),
    ("--capacity-kw", "0", "positive"),
    ("--tilt", "91", "0 (flat) to 90"),
    ("--tilt", "-1", "0 (flat) to 90"),
    ("--azimuth", "361", "0 to 360"),
    ("--gcr", "0", "strictly between 0 and 1"),
    ("--gcr", "1", "strictly between 0 and 1"),
    ("--losses-fraction", "1", "from 0 to below 1"),
    ("--losses-fraction", "-0.1", "from 0 to below 1"),
    ("--dc-ac-ratio", "0", "positive ratio"),
    ("--capacity-kw", "nan", "positive"),
])
def test_cli_pv_bad_option_exits_2_naming_it(capsys, option, value, expected):
    assert main(["pv", "--weather", TMY3, option, value]) == 2
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if option in line)
    assert expected in line and "found" in line and value.lstrip("-").split(".")[0] in line
    assert "Traceback" not in err


def test_cli_pv_missing_or_bad_weather_file_exits_2(capsys, tmp_path):
    assert main(["pv", "--weather", str(tmp_path / "nowhere.epw")]) == 2
    err = capsys.readouterr().err
    assert "nowhere.epw" in err and "no such file" in err and "Traceback" not in err
    junk = tmp_path / "junk.csv"
    junk.write_text("this,is,not\na,weather,file\n")
    assert main(["pv", "--weather", str(junk)]) == 2
    err = capsys.readouterr().err
    assert "junk.csv" in err and "expected" in err and "Traceback" not in err


def test_cli_pv_unparsable_number_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["pv", "--weather", TMY3, "--tilt", "steep"])
    assert exc.value.code == 2
    assert "--tilt" in capsys.readouterr().err
