"""Generation: the tracker plant, losses, the rooftop fleet kernel, inventories and P50/P90."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest

from pvcluster.errors import InputError
from pvcluster.generation import (RooftopSystem, exceedance, fixed_tilt_ac_kw_per_kwp, fleet_ac,
                                  rooftop_system, roof_inventory)
from pvcluster.generation.inventory import COLUMNS, generate_inventory, read_inventory, village_counts
from pvcluster.generation.losses import LossBreakdown, combine, degradation_factors, monthly_snow_loss_fraction
from pvcluster.pvmodules import cec_module, module_kwp_per_m2
from pvcluster.generation.rooftop import CLOSE_MOUNT

NO_SNOW = RooftopSystem(gamma_pdc_per_c=-0.004, dc_loss_fraction=0.1, ac_loss_fraction=0.03, dc_ac_ratio=1.1,
                        inverter_efficiency_fraction=0.96)


# --- the Energy Station -------------------------------------------------------------------

def test_plant_never_exceeds_ac_rating_and_is_zero_at_night(generation, weather):
    ac = generation.plant_ac_kw
    assert ac.max() <= generation.plant.ac_capacity_kw * (1 + 1e-9)
    assert (ac[weather.data["solar_zenith"] > 95] == 0).all()


def test_plant_is_whole_strings_of_the_cec_module(generation):
    plant = generation.plant
    stc_w = float(cec_module(plant.module)["STC"])
    assert 295 < stc_w < 305  # a 300 W class module
    assert plant.n_modules == plant.strings * plant.modules_per_string
    assert plant.capacity_kwp == pytest.approx(plant.n_modules * stc_w / 1000)
    # within half a string of the requested 39,000 kWp; the station has 130,000 x 300 W modules
    assert abs(plant.capacity_kwp - 39000) <= plant.modules_per_string * stc_w / 1000 / 2
    assert plant.n_modules == pytest.approx(130_000, rel=0.002)


def test_plant_yield_is_plausible_and_beats_fixed_tilt(generation, weather):
    # 1,317 kWh/m2 of GHI: Korean utility plants report 1,300-1,480 kWh/kWp on sunnier southern
    # sites (facts_korea.md s1); a backtracking tracker at 37 N gains 10-30 % over a fixed plane.
    tracker = generation.plant_annual_mwh() * 1000 / generation.plant.capacity_kwp
    plant = generation.plant
    same_system = RooftopSystem(gamma_pdc_per_c=-0.004, dc_loss_fraction=plant.losses.dc_fraction,
                                ac_loss_fraction=plant.losses.ac_fraction, dc_ac_ratio=plant.dc_ac_ratio,
                                inverter_efficiency_fraction=plant.inverter_efficiency_fraction)
    fixed = fixed_tilt_ac_kw_per_kwp(weather, 30.0, 180.0, same_system).sum()
    assert 1250 < tracker < 1500
    assert 1.08 < tracker / fixed < 1.30
    pr = generation.plant_annual_mwh() * 1000 / (generation.plant_result.poa_kwh_per_m2 * plant.capacity_kwp)
    assert 0.75 < pr < 0.90  # performance ratio of a well-run plant with ~12 % losses


def test_loss_breakdown_combines_multiplicatively():
    losses = LossBreakdown(0.02, 0.02, 0.02, 0.005, 0.015, 0.01, 0.01, 0.03)
    expected_dc = 1 - 0.98 * 0.98 * 0.98 * 0.995 * 0.985 * 0.99
    assert losses.dc_fraction == pytest.approx(expected_dc, abs=1e-12)
    assert losses.ac_fraction == pytest.approx(1 - 0.99 * 0.97, abs=1e-12)
    assert combine(0.5, 0.5) == pytest.approx(0.75)


def test_snow_loss_is_zero_without_snow_and_falls_with_tilt():
    snow = np.array([12, 10, 4, 0, 0, 0, 0, 0, 0, 0, 2, 8.0])
    kwargs = dict(snowfall_cm=snow, snow_events=snow / 6.5, relative_humidity_percent=np.full(12, 65.0),
                  temp_air_c=np.array([-4, -3, 2, 9, 16, 22, 25, 24, 20, 13, 5, -1.0]),
                  poa_wh_per_m2=np.full(12, 120_000.0), slant_height_m=3.0, lower_edge_height_m=0.3)
    flat = monthly_snow_loss_fraction(surface_tilt_deg=10.0, **kwargs)
    steep = monthly_snow_loss_fraction(surface_tilt_deg=40.0, **kwargs)
    assert (flat[snow == 0] == 0).all()
    assert (flat[snow > 0] > 0).all()
    assert (steep[snow > 0] < flat[snow > 0]).all()  # steep modules shed snow sooner
    assert flat.max() < 0.2


def test_plant_snow_loss_only_in_snowy_months(generation, scenario):
    snow = generation.plant_result.snow_loss_fraction_by_month
    snowfall = np.asarray(scenario.facts.climate.snowfall_cm)
    assert (snow[snowfall == 0] == 0).all() and (snow[snowfall > 0] > 0).all()


def test_degradation_year_by_year(generation, scenario):
    d = scenario.facts.costs.pv_degradation_fraction_per_year
    np.testing.assert_allclose(degradation_factors(3, 0.01), [1.0, 0.99, 0.9801])
    by_year = generation.plant_energy_by_year_mwh
    assert len(by_year) == scenario.finance.analysis_years
    assert by_year[0] == pytest.approx(generation.plant_annual_mwh())
    assert by_year[1] == pytest.approx(generation.plant_annual_mwh() * (1 - d))


def test_plant_ensemble_in_one_pass_equals_modelchain_year_by_year(generation, weather):
    # the weather ensemble's P-values take each year's energy from one vectorized pass; it must equal
    # ModelChain run year by year. Shortcuts that look harmless are far outside 1e-12: the refraction
    # at a fixed 12 degC instead of each hour's air temperature moves a year by 3e-6, one year's snow
    # loss for every year by 3e-4. Four years (the typical year among them) in blocks of three, so the
    # blocks and the stacked snow months are exercised.
    from pvcluster.generation import tracker_plant, tracker_plant_annual_mwh

    plant = generation.plant
    years = (weather.ensemble[0], weather.ensemble[13], weather, weather.ensemble[-1])
    fast_mwh = tracker_plant_annual_mwh(years, plant, block_years=3)
    year_by_year_mwh = np.array([tracker_plant(y, plant).annual_mwh for y in years])
    np.testing.assert_allclose(fast_mwh, year_by_year_mwh, rtol=1e-12, atol=0)
    assert year_by_year_mwh[2] == generation.plant_annual_mwh()
    assert np.ptp(fast_mwh) / fast_mwh.mean() > 0.01  # distinct years, not one year four times


def test_plant_ensemble_on_other_sites_runs_year_by_year(generation, weather):
    from dataclasses import replace

    from pvcluster.generation import tracker_plant, tracker_plant_annual_mwh

    years = (weather.ensemble[1], replace(weather.ensemble[2], latitude_deg=weather.latitude_deg + 2.0))
    expected_mwh = [tracker_plant(y, generation.plant).annual_mwh for y in years]
    np.testing.assert_array_equal(tracker_plant_annual_mwh(years, generation.plant), expected_mwh)
    assert len(tracker_plant_annual_mwh((), generation.plant)) == 0


# --- the rooftop fleet kernel ---------------------------------------------------------------

def _pvlib_roof_by_roof(weather, tilt, azimuth, shading, system):
    """The same physics with plain pvlib calls, one roof at a time (the reference)."""
    d = weather.data
    mid = weather.index + pd.Timedelta(minutes=30)
    zenith, sun_az = d["solar_zenith"].to_numpy(), d["solar_azimuth"].to_numpy()
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, zenith, sun_az, d["dni"].to_numpy(), d["ghi"].to_numpy(), d["dhi"].to_numpy(),
        dni_extra=pvlib.irradiance.get_extra_radiation(mid).to_numpy(),
        airmass=pvlib.atmosphere.get_relative_airmass(zenith), albedo=d["albedo"].to_numpy(), model="perez")
    iam = pvlib.iam.physical(pvlib.irradiance.aoi(tilt, azimuth, zenith, sun_az))
    eff = (np.nan_to_num(poa["poa_direct"] * iam) + poa["poa_sky_diffuse"] + poa["poa_ground_diffuse"]) * (1 - shading)
    t_cell = pvlib.temperature.sapm_cell(eff, d["temp_air"].to_numpy(), d["wind_speed"].to_numpy(), **CLOSE_MOUNT)
    dc = pvlib.pvsystem.pvwatts_dc(eff, t_cell, 1000.0, system.gamma_pdc_per_c) * (1 - system.dc_loss_fraction)
    ac = pvlib.inverter.pvwatts(dc, 1000.0 / system.dc_ac_ratio / system.inverter_efficiency_fraction,
                                system.inverter_efficiency_fraction)
    return np.clip(np.nan_to_num(ac), 0, None) / 1000.0 * (1 - system.ac_loss_fraction)


@pytest.mark.parametrize("tilt, azimuth, shading", [(10.0, 180.0, 0.0), (25.0, 110.0, 0.05), (40.0, 250.0, 0.1),
                                                    (0.0, 180.0, 0.0), (35.0, 200.0, 0.2)])
def test_fleet_kernel_matches_pvlib_roof_by_roof(weather, tilt, azimuth, shading):
    kernel = fixed_tilt_ac_kw_per_kwp(weather, tilt, azimuth, NO_SNOW, [shading])[0]
    reference = _pvlib_roof_by_roof(weather, tilt, azimuth, shading, NO_SNOW)
    # float32 arithmetic and the tabulated IAM (2,001 points) keep hourly values within 1e-4
    # kW/kWp and the annual sum within 0.01 % of the float64 pvlib chain.
    np.testing.assert_allclose(kernel, reference, atol=1e-4)
    assert kernel.sum() == pytest.approx(reference.sum(), rel=1e-4)


def test_fleet_is_independent_of_chunks_and_threads(weather):
    rng = np.random.default_rng(1)
    n = 37
    args = (rng.uniform(0, 45, n), rng.uniform(90, 270, n), rng.uniform(2, 10, n), rng.uniform(0, 0.2, n))
    groups = rng.integers(0, 3, n)
    a = fleet_ac(weather, *args, NO_SNOW, groups=groups, n_groups=3, chunk_roofs=5, threads=1)
    b = fleet_ac(weather, *args, NO_SNOW, groups=groups, n_groups=3, chunk_roofs=256, threads=2)
    np.testing.assert_allclose(a.annual_kwh, b.annual_kwh, rtol=1e-6)
    np.testing.assert_allclose(a.group_ac_kw, b.group_ac_kw, rtol=1e-5, atol=1e-6)
    # group sums are the sums of their roofs
    for g in range(3):
        assert a.group_ac_kw[g].sum() == pytest.approx(a.annual_kwh[groups == g].sum(), rel=1e-5)


def test_south_beats_east_and_inverter_clips(weather):
    together = fixed_tilt_ac_kw_per_kwp(weather, [25.0, 25.0], [180.0, 90.0], NO_SNOW)
    assert together[0].sum() > together[1].sum()
    assert together.max() <= (1 - NO_SNOW.ac_loss_fraction) / NO_SNOW.dc_ac_ratio + 1e-6


def test_rooftop_hand_check_stc():
    # At 1000 W/m2 effective irradiance and 25 C cell temperature PVWatts gives 1 kW/kWp DC,
    # less 14 % losses = 0.86 kW DC, through a 96 % inverter (PVWatts efficiency curve near
    # full load): AC = 0.86 * eta(0.86 / rated) ~ 0.82 kW/kWp.
    pdc = pvlib.pvsystem.pvwatts_dc(1000.0, 25.0, 1000.0, -0.0037) * (1 - 0.14)
    pac = pvlib.inverter.pvwatts(pdc, 1000.0 / 1.15 / 0.96, 0.96)
    assert pdc == pytest.approx(860.0)
    assert pac == pytest.approx(826.0, abs=2.0)


def test_snow_lowers_winter_output_only(weather, scenario):
    with_snow = fixed_tilt_ac_kw_per_kwp(weather, 25.0, 180.0, rooftop_system(scenario))[0]
    system = rooftop_system(scenario)
    without = fixed_tilt_ac_kw_per_kwp(weather, 25.0, 180.0, RooftopSystem(
        system.gamma_pdc_per_c, system.dc_loss_fraction, system.ac_loss_fraction, system.dc_ac_ratio,
        system.inverter_efficiency_fraction))[0]
    month = weather.index.month
    assert with_snow[month == 1].sum() < without[month == 1].sum()
    np.testing.assert_allclose(with_snow[month == 7], without[month == 7])


# --- inventories and village aggregates ------------------------------------------------------

def test_shipped_inventories_are_the_generator_output(scenario):
    # The CSV files in inputs/ were written by the generator; regenerate them only on purpose
    # (python -m pvcluster.generation.inventory inputs).
    for v in scenario.villages:
        shipped = read_inventory(v.buildings_file, v.name)
        fresh = generate_inventory(v.name, village_counts(v), scenario.facts.rooftops, scenario.scenario.seed)
        pd.testing.assert_frame_equal(shipped, fresh[list(COLUMNS)], check_dtype=False)
        assert (shipped["class"] == "house").sum() == v.households


def test_generator_is_seeded_and_keyed_by_village(scenario):
    params = scenario.facts.rooftops
    a = generate_inventory("a", {"house": 20}, params, 1)
    pd.testing.assert_frame_equal(a, generate_inventory("a", {"house": 20}, params, 1))
    assert not a["usable_area_m2"].equals(generate_inventory("b", {"house": 20}, params, 1)["usable_area_m2"])
    assert a["azimuth_deg"].between(90, 270).all() and a["tilt_deg"].between(0, 45).all()


def test_capacity_from_area_and_module_density(scenario):
    roofs = roof_inventory(scenario)
    density = module_kwp_per_m2(cec_module(scenario.rooftops.module))
    assert density == pytest.approx(299.63 / 1000 / 1.901, rel=1e-3)  # CS6X-300P: STC / area
    np.testing.assert_allclose(roofs["capacity_kwp"], roofs["usable_area_m2"] * density)


def test_village_aggregates_add_up(generation):
    roofs = generation.roofs
    for name, r in generation.rooftops.items():
        mine = roofs[roofs["village"] == name]
        assert r.potential_kwp == pytest.approx(mine["capacity_kwp"].sum())
        assert r.annual_mwh == pytest.approx(mine["annual_kwh"].sum() / 1000, rel=1e-5)
        assert sum(c["annual_mwh"] for c in r.by_class.values()) == pytest.approx(r.annual_mwh, rel=1e-9)
        assert r.ac_kw_per_kwp.sum() == pytest.approx(r.annual_mwh * 1000 / r.potential_kwp)
        assert 900 < r.annual_mwh * 1000 / r.potential_kwp < 1300


def _inventory_file(tmp_path, text):
    path = tmp_path / "roofs.csv"
    path.write_text(text)
    return path


def test_inventory_errors_name_file_column_and_row(tmp_path):
    head = ",".join(COLUMNS) + "\n"
    path = _inventory_file(tmp_path, head + "a-1,a,house,20,180,30,0.1\na-2,a,castle,95,180,30,0.1\n"
                                             "a-1,a,house,20,180,-3,0.1\n")
    with pytest.raises(InputError) as err:
        read_inventory(path)
    text = str(err.value)
    assert "roofs.csv: tilt_deg" in text and "row 3" in text
    assert "class" in text and "'castle'" in text
    assert "usable_area_m2" in text and "row 4" in text
    assert "building_id" in text and "'a-1' again in row 4" in text
    missing = _inventory_file(tmp_path, "building_id,village,class\nx,a,house\n")
    with pytest.raises(InputError, match="tilt_deg, azimuth_deg"):
        read_inventory(missing)


# --- P50 / P90 / P99 ------------------------------------------------------------------------

def test_exceedance_hand_check():
    e = exceedance(np.array([90.0, 110.0]), 0.05, 0.03)
    cv = np.std([90, 110], ddof=1) / 100
    s1 = np.sqrt(cv ** 2 + 0.05 ** 2 + 0.03 ** 2)
    assert e.p50_mwh == pytest.approx(100.0)
    assert e.interannual_cv_fraction == pytest.approx(cv)
    assert e.p90_mwh == pytest.approx(100 * (1 - 1.2815516 * s1))
    assert e.p99_mwh == pytest.approx(100 * (1 - 2.3263479 * s1))
    assert e.p90_10yr_mwh == pytest.approx(100 * (1 - 1.2815516 * np.sqrt(cv ** 2 / 10 + 0.05 ** 2 + 0.03 ** 2)))
    assert exceedance(np.array([90.0, 110.0]), 0.0, 0.0, p50_mwh=120).p50_mwh == 120


def test_default_run_has_exceedance_for_every_system(generation, scenario):
    systems = {scenario.plant.name, "rooftop_fleet", *(v.name for v in scenario.villages)}
    assert set(generation.exceedance) == systems
    for name, e in generation.exceedance.items():
        assert e.p99_mwh < e.p90_mwh < e.p90_10yr_mwh < e.p50_mwh, name
        assert 0.02 < e.interannual_cv_fraction < 0.07, name
        assert e.ensemble_years == scenario.weather.ensemble_years
    plant = generation.exceedance[scenario.plant.name]
    # the ensemble's mean and the typical year differ only by the spread of days within months
    assert plant.p50_mwh == pytest.approx(generation.plant_annual_mwh(), rel=0.03)


def test_orientation_classes_hand_check():
    from pvcluster.generation import orientation_classes

    roofs = pd.DataFrame({"tilt_deg": [30.0, 31.0, 10.0], "azimuth_deg": [180.0, 182.0, 180.0],
                          "shading_fraction": [0.0, 0.02, 0.0], "capacity_kwp": [1.0, 3.0, 2.0]})
    codes, reps = orientation_classes(roofs)
    assert codes[0] == codes[1] != codes[2] and len(reps) == 2
    # capacity-weighted: (30 x 1 + 31 x 3) / 4 = 30.75 deg, (180 + 3 x 182) / 4 = 181.5 deg, shading 0.015
    np.testing.assert_allclose(reps.loc[codes[0]].to_numpy(), [30.75, 181.5, 0.015], rtol=1e-8)
    np.testing.assert_allclose(reps.loc[codes[2]].to_numpy(), [10.0, 180.0, 0.0], atol=1e-8)


def test_fleet_ensemble_on_orientation_classes_matches_every_roof(scenario, weather):
    # 1,600 roofs share a few hundred orientation classes: each ensemble year runs the classes, and a
    # roof's energy is its main-year energy times its class's ratio of the years
    from dataclasses import replace

    from pvcluster.generation import _fleet, _fleet_ensemble_mwh, orientation_classes, rooftop_system

    roofs = pd.concat([generate_inventory(v, {"house": 780, "public": 10, "commercial": 10},
                                          scenario.facts.rooftops, seed=7) for v in ("a", "b")], ignore_index=True)
    roofs["capacity_kwp"] = roofs["usable_area_m2"] * module_kwp_per_m2(cec_module(scenario.rooftops.module))
    system = rooftop_system(scenario)
    roofs["annual_kwh"] = _fleet(weather, roofs, system, ["a", "b"]).annual_kwh
    assert len(orientation_classes(roofs)[1]) * 4 <= len(roofs)  # the class path runs
    w = replace(weather, ensemble=weather.ensemble[:3])
    classes = _fleet_ensemble_mwh(w, roofs, system, ["a", "b"])
    every_roof = np.array([[g[i * 3:(i + 1) * 3].sum() / 1000.0 for i in range(2)]
                           for g in (_fleet(y, roofs, system, ["a", "b"]).group_ac_kw.sum(axis=1) for y in w.ensemble)])
    # measured 1.9e-5 on this fleet (2.4e-5 on 10,000 roofs, benchmarks/scaling.py); the years differ by
    # a few per cent, so 5e-5 is far below what moves a P90
    np.testing.assert_allclose(classes, every_roof, rtol=5e-5)
    # and the classes run on all years together equal the classes run with fleet_ac year by year
    np.testing.assert_array_equal(classes, _fleet_ensemble_year_by_year(w, roofs, system, ["a", "b"]))


def _fleet_ensemble_year_by_year(weather, roofs, system, villages):
    """_fleet_ensemble_mwh the slow way: fleet_ac on every roof, or on the orientation classes, year by year."""
    from pvcluster.generation import _fleet, orientation_classes
    from pvcluster.generation.inventory import CLASSES

    codes, reps = orientation_classes(roofs)
    n_cls, n_v = len(CLASSES), len(villages)
    if len(reps) * 4 > len(roofs):
        return np.array([[g[i * n_cls:(i + 1) * n_cls].sum() for i in range(n_v)]
                         for g in (_fleet(y, roofs, system, villages).group_ac_kw.sum(axis=1) / 1000.0
                                   for y in weather.ensemble)])

    def per_kwp(w):
        return fleet_ac(w, reps["tilt_deg"], reps["azimuth_deg"], np.ones(len(reps)), reps["shading_fraction"],
                        system).annual_kwh

    main = per_kwp(weather)
    energy = np.zeros((n_v, len(reps)))
    np.add.at(energy, (pd.Categorical(roofs["village"], categories=villages).codes, codes),
              roofs["annual_kwh"].to_numpy(dtype=float))
    return np.array([energy @ np.divide(per_kwp(y), main, out=np.zeros(len(reps)), where=main > 0) / 1000.0
                     for y in weather.ensemble])


def test_fleet_ensemble_roof_by_roof_equals_fleet_ac_year_by_year(scenario, weather, generation):
    # the default villages have fewer than four roofs a class: every roof runs in every year, the years
    # together (shared sun and planes, threads); the villages' energy must equal fleet_ac's year by year
    from dataclasses import replace

    from pvcluster.generation import _fleet_ensemble_mwh, orientation_classes

    roofs, villages = generation.roofs, [v.name for v in scenario.villages]
    assert len(orientation_classes(roofs)[1]) * 4 > len(roofs)  # the roof-by-roof path runs
    w = replace(weather, ensemble=weather.ensemble[:4])
    system = rooftop_system(scenario)
    fast = _fleet_ensemble_mwh(w, roofs, system, villages)
    np.testing.assert_array_equal(fast, _fleet_ensemble_year_by_year(w, roofs, system, villages))
    assert np.ptp(fast.sum(axis=1)) / fast.sum(axis=1).mean() > 0.01  # distinct years


def test_fleet_years_together_equal_fleet_ac_year_by_year(scenario, weather):
    # fleet_annual_kwh_by_year shares the sun among years on one sun and the planes among years with the
    # same daylight hours; a year with other daylight hours and one on another sun get their own. Several
    # chunks of roofs and blocks of years; every roof and group equal to fleet_ac's, bit for bit.
    from dataclasses import replace

    from pvcluster.generation import fleet_annual_kwh_by_year

    dark = weather.ensemble[4].data.copy()
    dark.iloc[4000:4100, [dark.columns.get_loc(c) for c in ("ghi", "dni", "dhi")]] = 0.0  # other daylight hours
    moved = weather.ensemble[5].data.copy()
    moved["solar_zenith"] += 0.2  # another sun
    years = (weather.ensemble[0], weather.ensemble[9], weather, replace(weather.ensemble[4], data=dark),
             replace(weather.ensemble[5], data=moved), weather.ensemble[-1])
    rng = np.random.default_rng(5)
    n = 90
    roofs = (rng.uniform(0, 45, n), rng.uniform(90, 270, n), rng.uniform(2, 10, n), rng.uniform(0, 0.2, n))
    groups = rng.integers(0, 4, n)
    system = rooftop_system(scenario)  # with snow
    # 40-roof chunks of ~0.7 MB of hourly AC a year: blocks of two years
    annual, group_kwh = fleet_annual_kwh_by_year(years, *roofs, system, groups=groups, n_groups=4, chunk_roofs=40,
                                                 block_bytes=1_500_000)
    one_thread = fleet_annual_kwh_by_year(years, *roofs, system, groups=groups, n_groups=4, chunk_roofs=40,
                                          threads=1)
    for k, year in enumerate(years):
        alone = fleet_ac(year, *roofs, system, groups=groups, n_groups=4, chunk_roofs=40)
        np.testing.assert_array_equal(annual[k], alone.annual_kwh)
        np.testing.assert_array_equal(group_kwh[k], alone.group_ac_kw.sum(axis=1))
    np.testing.assert_array_equal(one_thread[0], annual)
    np.testing.assert_array_equal(one_thread[1], group_kwh)


def test_z_score_is_scipys_normal_quantile_bit_for_bit():
    # the P-values' z-scores come from scipy.special.ndtri (imported with pvlib), the function
    # scipy.stats.norm.ppf evaluates for the standard normal: the same numbers, not merely close
    from scipy.stats import norm

    from pvcluster.generation.exceedance import z_score

    for p in (0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.1, 0.01):
        assert z_score(p) == float(norm.ppf(p))
    assert z_score(0.9) == pytest.approx(1.2815515655446004, abs=0.0)
