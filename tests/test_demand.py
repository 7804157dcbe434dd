"""Demand: households with diversity, public facilities, industry, holidays, growth, bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest

from pvcluster.demand import average_household_kw, dark_fraction, household_shapes, profile_kw, village_households_kw
from pvcluster.demand.facilities import outage_mask, polysilicon_annual_kwh, process_kw, water_treatment_annual_kwh
from pvcluster.demand.growth import compound_factors, facility_factors
from pvcluster.demand.heating import heat_demand_kw, heat_pump_cop, heat_pump_kw
from pvcluster.demand.households import coincidence, shaped_weights
from pvcluster.errors import InputError
from pvcluster.resources import data_root
from pvcluster.scenario import load_scenario
from pvcluster.weather import hourly_index
from pvcluster.calendar import day_off_mask, holiday_mask, public_holidays

IDX = hourly_index(2025, "Asia/Seoul")
FLAT = np.ones(24)
LAT, LON = 37.1813, 128.4574


def _day(load: np.ndarray, date: str) -> np.ndarray:
    start = IDX.get_loc(pd.Timestamp(f"{date} 00:00", tz="Asia/Seoul"))
    return load[start:start + 24]


# --- calendar -------------------------------------------------------------------------------

def test_korean_holidays_include_lunar_and_substitute_days():
    days = {str(d): n for d, n in public_holidays(IDX).items()}
    assert "Korean New Year" in days["2025-01-29"]  # Seollal, lunar
    assert "Chuseok" in days["2025-10-06"]  # lunar
    assert "Alternative" in days["2025-03-03"]  # substitute for 1 March, a Saturday
    mask = day_off_mask(IDX)
    # 104 weekend days + 17 holidays that fall on weekdays in 2025
    assert mask.sum() / 24 == 121
    assert holiday_mask(IDX)[IDX.get_loc(pd.Timestamp("2025-10-06 12:00", tz="Asia/Seoul"))]


# --- households -----------------------------------------------------------------------------

def test_average_household_sums_to_annual_input(scenario):
    d = scenario.facts.demand
    load = average_household_kw(IDX, 12 * d.household_kwh_per_month, d.household_month_factors,
                                household_shapes(d))
    assert load.sum() == pytest.approx(12 * 234.9, rel=1e-9)


def test_season_and_day_type_pick_the_right_shape():
    shapes = np.zeros((3, 2, 24))
    for season in range(3):
        shapes[season, 0] = 1 + season  # workday: 1, 2, 3 by season
        shapes[season, 1] = 10 + season  # day off: 10, 11, 12
    w = pd.Series(shaped_weights(IDX, shapes, np.ones(12)), index=IDX)
    assert w["2025-07-15"].eq(1).all()  # a summer Tuesday
    assert w["2025-04-15"].eq(2).all()  # spring Tuesday
    assert w["2025-11-18"].eq(3).all()  # November is winter in KEPCO's calendar
    assert w["2025-07-13"].eq(10).all()  # a summer Sunday
    assert w["2025-10-03"].eq(11).all()  # National Foundation Day, a Friday: day off


def test_public_holiday_looks_like_a_sunday(scenario):
    d = scenario.facts.demand
    home = average_household_kw(IDX, 3000.0, d.household_month_factors, household_shapes(d))
    office_type = scenario.facility_types["county_office"]
    office = profile_kw(IDX, 9e5, office_type.workday_shape, office_type.dayoff_shape, office_type.month_factors)
    # Chuseok Monday and Seollal Wednesday against a Sunday and a workday of the same month
    for holiday, sunday, workday in (("2025-10-06", "2025-10-12", "2025-10-14"),
                                     ("2025-01-29", "2025-01-26", "2025-01-22")):
        for load in (home, office):
            np.testing.assert_allclose(_day(load, holiday), _day(load, sunday), rtol=1e-12)
            assert not np.allclose(_day(load, holiday), _day(load, workday), rtol=0.05)
    # the county office uses far less on a holiday than on a workday
    assert _day(office, "2025-10-06").sum() < 0.4 * _day(office, "2025-10-14").sum()


def test_households_differ_and_are_seeded():
    shapes = np.ones((3, 2, 24))
    args = (IDX, 5, 1000.0, np.ones(12), shapes, 0.35, 1.0, 0.3)
    a = village_households_kw(*args, np.random.default_rng(1))
    b = village_households_kw(*args, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[0], a[1])
    assert a.sum() == pytest.approx(5 * 1000.0)


def test_coincidence_hand_case():
    loads = np.array([[2.0, 0.0, 1.0], [0.0, 2.0, 1.0]])
    c = coincidence(loads)
    # village peak 2 kW (any hour), individual peaks 2 + 2 = 4 kW
    assert c["peak_kw"] == 2.0 and c["sum_of_single_peaks_kw"] == 4.0 and c["coincidence_factor"] == 0.5


def test_fifty_household_peak_well_below_fifty_single_peaks(demand, scenario):
    v = scenario.villages[0]
    assert v.households == 50
    c = demand.household_coincidence[v.name]
    ratio = c["peak_kw"] / (v.households * c["single_peak_kw_mean"])
    # Measured 0.49 on the default seed: hourly noise, routine shifts and sizes spread the peaks.
    assert 0.2 < ratio < 0.6
    assert c["coincidence_factor"] == pytest.approx(ratio)
    print(f"\n50-household coincidence factor: {ratio:.3f} (peak {c['peak_kw']:.1f} kW, "
          f"mean single-household peak {c['single_peak_kw_mean']:.2f} kW)")


# --- annual totals --------------------------------------------------------------------------

def test_reference_annual_totals_equal_inputs(demand, scenario):
    """Every load's reference profile sums to the energy its inputs give, within 0.1 %."""
    d = scenario.facts.demand
    cat = scenario.facility_types
    expected = {
        "nammyeon_households": 50 * 12 * d.household_kwh_per_month,
        "green_village_households": 40 * 12 * d.household_kwh_per_month,
        "nammyeon_hall": cat["village_hall"].annual_kwh,
        "water_treatment_plant": 10000.0 * 365 * 0.35,
        "medical_center": 3.0e6,
        "sports_park": 6.0e5,
        "science_museum": 2.5e5,
        "energy_experience_hall": 1.5e5,
        "energy_graduate_school": 4.0e5,
        "graduate_dormitory": 6.0e4,
        "county_office": 9.0e5,
        "polysilicon_plant": 1000 * 1000 * 60.0 * 0.85,
        "agro_food_factories": 3.0e6,  # the scenario's own annual_kwh overrides the type's 1.5e6
    }
    sums = demand.reference_kw.sum()
    for name, kwh in expected.items():
        assert sums[name] == pytest.approx(kwh, rel=1e-3), name
        assert demand.loads[name].reference_annual_kwh == pytest.approx(kwh, rel=1e-9), name
    # street lights: lamps x 100 W x about 12 dark hours a day (Yeongwol: 4,300-4,400 h a year)
    assert sums["county_street_lights"] == pytest.approx(1500 * 0.1 * 12 * 365, rel=0.03)


def test_design_year_profiles_and_years_follow_growth(demand, scenario):
    f = demand.year_factors
    assert demand.design_year == 2030 and list(f.index) == scenario.horizon_years
    assert list(f.loc[2026:2031, "polysilicon_plant"]) == pytest.approx([0, 0.3, 0.7, 0.9, 1.0, 1.0])
    assert list(f.loc[2026:2028, "energy_graduate_school"]) == pytest.approx([0, 0.6, 1.0])
    assert f.loc[2025, "agro_food_factories"] == 0 and f.loc[2028, "agro_food_factories"] == pytest.approx(1.01 ** 2)
    assert f.loc[2030, "nammyeon_households"] == pytest.approx((0.995 * 1.0027) ** 5)
    np.testing.assert_allclose(demand.hourly_kw.sum(), demand.annual_kwh_by_year.loc[2030], rtol=1e-9)
    np.testing.assert_allclose(demand.site_kw("nammyeon").to_numpy(),
                               demand.hourly_kw[demand.names(site="nammyeon")].sum(axis=1).to_numpy())


def test_facility_factors_hand_cases():
    years = np.arange(2025, 2032)
    np.testing.assert_allclose(facility_factors(years, 2027, (0.5,), 0.1),
                               [0, 0, 0.5, 1.0, 1.1, 1.21, 1.331])
    np.testing.assert_allclose(facility_factors(years, 2025), np.ones(7))
    np.testing.assert_allclose(compound_factors(np.array([2025, 2027]), 2025, -0.1), [1.0, 0.81])


# --- facilities and industry ----------------------------------------------------------------

def test_water_treatment_and_polysilicon_hand_checks():
    assert water_treatment_annual_kwh(1000.0, 0.4) == pytest.approx(146000.0)
    assert polysilicon_annual_kwh(100.0, 50.0, 0.8) == pytest.approx(4.0e6)
    mask = outage_mask(IDX, 14, 213)
    assert mask.sum() == 14 * 24 and IDX[mask][0] == pd.Timestamp("2025-08-01 00:00", tz="Asia/Seoul")
    kw = process_kw(IDX, 8760.0, 10, 360, 0.5)  # a turnaround over New Year wraps to January
    assert kw.sum() == pytest.approx(8760.0)
    assert kw[0] == pytest.approx(kw[-1]) and kw[0] == pytest.approx(0.5 * kw[24 * 100])
    # the flat level: P (8760 - 240) + 0.5 P 240 = 8760
    assert kw[24 * 100] == pytest.approx(8760.0 / (8760 - 120))


def test_polysilicon_plant_is_flat_with_a_turnaround(demand):
    kw = demand.reference_kw["polysilicon_plant"].to_numpy()
    running = kw[~outage_mask(IDX, 14, 213)]
    assert running.min() == pytest.approx(running.max())
    assert kw[outage_mask(IDX, 14, 213)].max() == pytest.approx(0.2 * running.max())


def test_profile_kw_weekday_and_weekend_levels():
    weekday = np.zeros(24)
    weekday[12] = 1
    weekend = np.zeros(24)
    weekend[20] = 1
    load = profile_kw(IDX, 365.0, weekday, weekend, day_off=np.asarray(IDX.day_of_week >= 5))
    sat = IDX.get_loc(pd.Timestamp("2025-01-04 20:00", tz="Asia/Seoul"))
    mon = IDX.get_loc(pd.Timestamp("2025-01-06 12:00", tz="Asia/Seoul"))
    assert load[sat] == pytest.approx(1.0) and load[mon] == pytest.approx(1.0)
    assert load.sum() == pytest.approx(365.0)


def test_street_lights_only_when_sun_is_down():
    dark = dark_fraction(IDX, LAT, LON)
    # independent check at one-minute resolution for the first week of June and of December
    for start in ("2025-06-01", "2025-12-01"):
        minutes = pd.date_range(f"{start} 00:00", periods=7 * 24 * 60, freq="min", tz="Asia/Seoul")
        up = pvlib.solarposition.get_solarposition(minutes, LAT, LON)["zenith"].to_numpy() < 90.833
        hours = minutes.floor("h")
        sun_up_fraction = pd.Series(up, index=hours).groupby(level=0).mean()
        model = pd.Series(dark, index=IDX).loc[sun_up_fraction.index]
        # lamps on only while the sun is down: dark fraction matches minute sampling within 2 min
        np.testing.assert_allclose(model.to_numpy(), 1 - sun_up_fraction.to_numpy(), atol=2 / 60)
        assert (model[sun_up_fraction == 1.0] == 0).all()


def test_built_street_lights_draw_nothing_while_the_sun_is_up(demand):
    lights = demand.reference_kw["county_street_lights"]
    # the sun's apparent elevation at the start, middle and end of every hour
    pos = [pvlib.solarposition.get_solarposition(IDX + pd.Timedelta(minutes=m), LAT, LON)
           ["apparent_elevation"].to_numpy() for m in (0, 30, 60)]
    day = (pos[0] > 1) & (pos[1] > 1) & (pos[2] > 1)
    night = (pos[0] < -1) & (pos[1] < -1) & (pos[2] < -1)
    assert day.sum() > 3500 and night.sum() > 3500
    assert (lights.to_numpy()[day] == 0).all()
    np.testing.assert_allclose(lights.to_numpy()[night], 1500 * 0.1)


# --- electrified heating --------------------------------------------------------------------

def test_heat_pump_hand_checks():
    assert heat_pump_cop(np.array([7.0, -5.0, -30.0]), 3.5, 0.08, 1.5) == pytest.approx([3.5, 2.54, 1.5])
    temps = np.array([20.0, 8.0, -2.0])  # degree-hours below 18: 0, 10, 20
    heat = heat_demand_kw(temps, 300.0, 18.0)
    assert heat == pytest.approx([0.0, 100.0, 200.0])
    elec, heat2 = heat_pump_kw(temps, 10.0, 10.0, 3.0, 18.0, 3.5, 0.08, 1.5)  # 10 L x 10 kWh/L x 3 = 300
    assert heat2 == pytest.approx(heat)
    assert elec == pytest.approx([0.0, 100 / 3.58, 200 / 2.78])


def test_heat_pump_switch_adds_a_household_load(scenario, weather):
    from pvcluster.demand import build_demand

    s = load_scenario(overrides=["demand.heat_pump_fraction=0.5"])
    d = build_demand(s, weather)
    hp = d.reference_kw["nammyeon_heat_pumps"]
    assert d.loads["nammyeon_heat_pumps"].load_class == "households"
    heat = d.heat_delivered_kwh["nammyeon"]
    assert heat == pytest.approx(25 * 1000 * 9.7 * 0.85, rel=1e-9)
    scop = heat / hp.sum()
    assert 1.5 < scop < 3.5
    # heating in winter, nothing in the warm summer hours
    assert hp["2025-01"].sum() > 10 * hp["2025-07"].sum()


# --- bad inputs -----------------------------------------------------------------------------

@pytest.fixture()
def default_text():
    return (data_root() / "models" / "yeongwol.toml").read_text(encoding="utf-8")


def _load(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    return info.value


def test_bad_facilities_are_all_reported_at_once(tmp_path, default_text):
    text = (default_text
            .replace('type = "sports_center"', 'type = "sports_centre"\nannual_kwh = -5.0')
            .replace('type = "hospital"', 'type = "hospital"\nsite = "nammyeonn"')
            .replace("lamps = 1500", "lamps = 0")
            .replace('capacity_t_per_year = 1000.0', 'capacity_t_per_year = 1000.0\npilot_candidate = true')
            .replace("start_year = 2026", "start_year = 2090")
            .replace('name = "county_office"', 'name = "nammyeon_hall"')
            .replace("design_year = 2030", "design_year = 2060"))
    err = _load(tmp_path, text)
    msg = str(err)
    by_key = {p.key: p for p in err.problems}
    assert "did you mean 'sports_center'" in by_key["facilities.3.type"].found
    assert ">= 0" in by_key["facilities.3.annual_kwh"].expected
    assert "did you mean 'nammyeon'" in by_key["facilities.2.site"].found
    assert "number of lamps" in by_key["facilities.1.lamps"].expected
    assert "public facilities only" in by_key["facilities.9.pilot_candidate"].expected
    assert "2025 to 2050" in by_key["facilities.10.start_year"].expected
    assert "a village's own loads" in by_key["facilities.8.name"].expected
    assert "2025 to 2050" in by_key["demand.design_year"].expected
    assert "(the project years)" in by_key["projects.0.start_year"].expected
    assert len(err.problems) == 9, msg  # the project built in 2026 moves to 2090 too
    assert all(p.where.endswith("s.toml") for p in err.problems)


def _catalogue(tmp_path, default_text, edit):
    text = (data_root() / "inputs" / "facilities_korea.toml").read_text(encoding="utf-8")
    cpath = tmp_path / "facilities.toml"
    cpath.write_text(edit(text), encoding="utf-8")
    return _load(tmp_path, default_text.replace('"inputs/facilities_korea.toml"', f'"{cpath}"'))


def test_missing_profile_in_catalogue_names_file_and_key(tmp_path, default_text):
    def drop_dayoff(text):
        lines = text.splitlines()
        start = lines.index("[hospital]")
        i = next(k for k in range(start, len(lines)) if lines[k].startswith("dayoff_shape"))
        return "\n".join(lines[:i] + lines[i + 1:])

    err = _catalogue(tmp_path, default_text, drop_dayoff)
    (problem,) = [p for p in err.problems if p.key == "hospital.dayoff_shape"]
    assert problem.where.endswith("facilities.toml")
    assert "a list of 24 numbers" in problem.expected and "missing" in problem.found


def test_catalogue_errors(tmp_path, default_text):
    def edit(text):
        return (text.replace('model = "water_treatment"', 'model = "water_treatmnt"')
                .replace("lamp_w = { value = 100.0, unit = \"W\", assumption", "lamp_w = { value = -1.0, unit = \"W\", assumption")
                .replace('[dormitory]\nclass = "public"', '[dormitory]\nclass = "residential"')
                .replace("kwh_per_kg = { value = 60.0, unit = \"kWh/kg\", assumption = ",
                         "kwh_per_kg = { value = 60.0, unit = \"kWh/kg\", note = ")
                + '\n[gym]\nclass = "public"\nmodel = "profile"\nannual_kwh = { value = 1.0, assumption = "x" }\n'
                  'workday_shape = { value = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], assumption = "x" }\n'
                  'dayoff_shape = { value = [1.0], assumption = "x" }\n'
                  'month_factors = { value = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], assumption = "x" }\n'
                  'lamp_w = { value = 5.0, assumption = "x" }\n')

    err = _catalogue(tmp_path, default_text, edit)
    by_key = {p.key: p for p in err.problems}
    assert "did you mean 'water_treatment'" in by_key["water_treatment.model"].found
    assert "> 0" in by_key["street_lights.lamp_w.value"].expected
    assert "'public'" in by_key["dormitory.class"].expected
    assert "provenance" in by_key["polysilicon.electricity_kwh_per_kg"].expected
    assert "24 zeros" in by_key["gym.workday_shape.value"].found
    assert "24 numbers" in by_key["gym.dayoff_shape.value"].expected
    assert "does not use" in by_key["gym.lamp_w"].found
    # the scenario's facilities of the broken types are not also reported as of unknown types
    assert all(p.where.endswith("facilities.toml") for p in err.problems)
    assert len(err.problems) == 7


def test_catalogue_without_the_village_hall_type(tmp_path, default_text):
    err = _catalogue(tmp_path, default_text, lambda t: t.replace("[village_hall]", "[village_halls]"))
    (problem,) = err.problems
    assert problem.key == "village_hall" and "villages use it" in problem.expected


def test_bad_facility_exits_2_without_traceback(tmp_path, default_text):
    import subprocess
    import sys

    path = tmp_path / "s.toml"
    path.write_text(default_text.replace('type = "hospital"', 'type = "hospitl"'), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "pvcluster", "validate", str(path)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "facilities.2.type" in r.stderr and "did you mean 'hospital'" in r.stderr


def test_size_keys_of_another_model_are_rejected():
    with pytest.raises(InputError) as info:
        load_scenario(overrides=["facilities.0.annual_kwh=5", "facilities.2.lamps=3"])
    by_key = {p.key: p for p in info.value.problems}
    assert "sized by flow_m3_per_day" in by_key["facilities.0.annual_kwh"].expected
    assert "sized by annual_kwh" in by_key["facilities.2.lamps"].expected
