"""Generation stage: hourly AC output of the utility plant and of each village's rooftop fleet.

``build_generation(scenario, weather)`` returns a :class:`Generation` with

* the Energy Station's first-year AC profile (kW), its output year by year with degradation,
  and its P50 / P90 / P99 annual energy over the weather ensemble;
* the roof inventory of every village with each roof's capacity and annual energy, the
  fleet's hourly AC per village at full potential, aggregates by village and building class,
  and P50 / P90 / P99 per village and for the whole fleet;
* per village, the rooftop AC profile per kWp (the capacity factor the sizing LP multiplies
  by the PV size it chooses) and the potential (kWp) that bounds it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pvcluster.generation.exceedance import Exceedance, exceedance
from pvcluster.generation.inventory import CLASSES, generate_inventory, read_inventory, village_counts
from pvcluster.generation.losses import LossBreakdown, degradation_factors
from pvcluster.pvmodules import cec_module, module_gamma_pdc_per_c, module_kwp_per_m2
from pvcluster.generation.plant import PlantResult, TrackerPlant, tracker_plant, tracker_plant_annual_mwh
from pvcluster.generation.rooftop import (RooftopSystem, fixed_tilt_ac_kw_per_kwp, fleet_ac,
                                          fleet_annual_kwh_by_year)
from pvcluster.weather import Weather

__all__ = ["Generation", "VillageRooftops", "build_generation", "with_exceedance", "orientation_classes", "TrackerPlant", "tracker_plant",
           "tracker_plant_annual_mwh",
           "RooftopSystem", "fleet_ac", "fleet_annual_kwh_by_year", "fixed_tilt_ac_kw_per_kwp", "plant_from_scenario",
           "rooftop_system", "roof_inventory", "exceedance", "Exceedance"]

FLEET = "rooftop_fleet"


@dataclass(frozen=True)
class VillageRooftops:
    """A village's roofs at full potential: capacity, hourly AC and totals by building class."""

    name: str
    potential_kwp: float
    ac_kw: pd.Series  # all usable roofs covered
    by_class: dict[str, dict[str, float]]  # class -> roofs, capacity_kwp, annual_mwh
    ac_kw_by_class: dict[str, np.ndarray] | None = None  # class -> hourly AC of its roofs, fully covered

    def class_ac_kw_per_kwp(self, cls: str) -> np.ndarray:
        """Hourly AC per kWp of one building class's roofs (zeros if the class has no roofs)."""
        cap = self.by_class[cls]["capacity_kwp"]
        ac = self.ac_kw_by_class[cls]
        return ac / cap if cap > 0 else np.zeros_like(ac)

    @property
    def annual_mwh(self) -> float:
        return float(self.ac_kw.sum()) / 1000.0

    @property
    def ac_kw_per_kwp(self) -> pd.Series:
        per = self.ac_kw / self.potential_kwp if self.potential_kwp > 0 else self.ac_kw * 0.0
        return per.rename(self.name)


@dataclass(frozen=True)
class Generation:
    plant_name: str
    plant: TrackerPlant
    plant_result: PlantResult
    plant_energy_by_year_mwh: np.ndarray  # operating years 1..N, degraded
    roofs: pd.DataFrame  # inventory + capacity_kwp, annual_kwh, specific_yield_kwh_per_kwp
    rooftops: dict[str, VillageRooftops]
    exceedance: dict[str, Exceedance]  # by system: plant name, village names, "rooftop_fleet"
    #: AC per kWp of rack-mounted arrays on large flat roofs (public buildings, factories): south,
    #: at the rack tilt of the rooftop facts, with the public class's mean shading.
    flat_roof_ac_kw_per_kwp: np.ndarray | None = None

    @property
    def plant_ac_kw_per_kwp(self) -> np.ndarray:
        return self.plant_result.ac_kw.to_numpy() / self.plant.capacity_kwp

    @property
    def plant_ac_kw(self) -> pd.Series:
        return self.plant_result.ac_kw

    def plant_annual_mwh(self) -> float:
        return self.plant_result.annual_mwh

    @property
    def rooftop_ac_kw_per_kwp(self) -> dict[str, pd.Series]:
        return {name: r.ac_kw_per_kwp for name, r in self.rooftops.items()}

    def energy_fraction_of_p50(self, system: str, level: str) -> tuple[float, str]:
        """(energy at ``level`` / P50 energy, the system whose exceedance gave it) for ``system`` (the
        plant, a village; any other site takes the rooftop fleet's: the same weather and uncertainty
        terms over fixed arrays). ``level``: p50, p90_1yr, p90_10yr or p99 (ValueError without an
        ensemble)."""
        if level == "p50":
            return 1.0, system
        source = system if system in self.exceedance else FLEET
        if source not in self.exceedance:
            raise ValueError(f"no exceedance for {system!r}: the weather ensemble has fewer than 2 years")
        e = self.exceedance[source]
        value = {"p90_1yr": e.p90_mwh, "p90_10yr": e.p90_10yr_mwh, "p99": e.p99_mwh}[level]
        return (value / e.p50_mwh if e.p50_mwh > 0 else 1.0), source


def plant_from_scenario(scenario) -> TrackerPlant:
    p, c, pv = scenario.plant, scenario.facts.climate, scenario.facts.pv
    return TrackerPlant(
        target_capacity_kwp=p.capacity_kwp, module=p.module, modules_per_string=p.modules_per_string,
        dc_ac_ratio=p.dc_ac_ratio, axis_tilt_deg=p.axis_tilt_deg, axis_azimuth_deg=p.axis_azimuth_deg,
        max_angle_deg=p.max_angle_deg, backtrack=p.backtrack, gcr=p.gcr, table_width_m=p.table_width_m,
        lower_edge_height_m=p.lower_edge_height_m, inverter_efficiency_fraction=pv.inverter_efficiency_fraction,
        losses=LossBreakdown.from_facts(pv), snowfall_cm=tuple(c.snowfall_cm), snow_events=tuple(c.snow_events),
        relative_humidity_percent=tuple(c.relative_humidity_percent))


def rooftop_system(scenario) -> RooftopSystem:
    c, pv, r = scenario.facts.climate, scenario.facts.pv, scenario.facts.rooftops
    losses = LossBreakdown.from_facts(pv, transformer=False)
    return RooftopSystem(
        gamma_pdc_per_c=module_gamma_pdc_per_c(cec_module(scenario.rooftops.module)),
        dc_loss_fraction=losses.dc_fraction, ac_loss_fraction=losses.ac_fraction, dc_ac_ratio=r.dc_ac_ratio,
        inverter_efficiency_fraction=pv.inverter_efficiency_fraction, snowfall_cm=tuple(c.snowfall_cm),
        snow_events=tuple(c.snow_events), relative_humidity_percent=tuple(c.relative_humidity_percent),
        snow_slant_height_m=r.snow_slant_height_m, snow_lower_edge_height_m=r.snow_lower_edge_height_m)


def roof_inventory(scenario) -> pd.DataFrame:
    """Every village's roofs (read from its inventory file, or generated) with their capacity."""
    frames = []
    for v in scenario.villages:
        if v.buildings_file is not None:
            frames.append(read_inventory(v.buildings_file, v.name))
        else:
            frames.append(generate_inventory(v.name, village_counts(v), scenario.facts.rooftops,
                                             scenario.scenario.seed))
    roofs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    density = module_kwp_per_m2(cec_module(scenario.rooftops.module))
    roofs["capacity_kwp"] = roofs["usable_area_m2"] * density
    return roofs


def _group_codes(roofs: pd.DataFrame, villages: list[str]) -> np.ndarray:
    v = pd.Categorical(roofs["village"], categories=villages).codes
    c = pd.Categorical(roofs["class"], categories=CLASSES).codes
    return v * len(CLASSES) + c


def _fleet(weather: Weather, roofs: pd.DataFrame, system: RooftopSystem, villages: list[str]):
    return fleet_ac(weather, roofs["tilt_deg"].to_numpy(), roofs["azimuth_deg"].to_numpy(),
                    roofs["capacity_kwp"].to_numpy(), roofs["shading_fraction"].to_numpy(), system,
                    groups=_group_codes(roofs, villages), n_groups=len(villages) * len(CLASSES))


def build_generation(scenario, weather: Weather, exceedance: bool = True) -> Generation:
    """The generation stage. ``exceedance=False`` leaves out the weather ensemble's P50/P90/P99 (most of
    the stage's time), which :func:`with_exceedance` adds: a run checks the sizing's bounds in between."""
    plant = plant_from_scenario(scenario)
    plant_result = tracker_plant(weather, plant)
    years = scenario.finance.analysis_years
    by_year = plant_result.annual_mwh * degradation_factors(years, scenario.facts.costs.pv_degradation_fraction_per_year)

    villages = [v.name for v in scenario.villages]
    roofs = roof_inventory(scenario)
    system = rooftop_system(scenario)
    fleet = _fleet(weather, roofs, system, villages)
    roofs["annual_kwh"] = fleet.annual_kwh
    roofs["specific_yield_kwh_per_kwp"] = np.where(roofs["capacity_kwp"] > 0,
                                                   fleet.annual_kwh / roofs["capacity_kwp"].where(roofs["capacity_kwp"] > 0, 1.0), 0.0)
    rooftops: dict[str, VillageRooftops] = {}
    n_cls = len(CLASSES)
    for i, name in enumerate(villages):
        mine = roofs[roofs["village"] == name]
        by_class = {}
        for j, cls in enumerate(CLASSES):
            rows = mine[mine["class"] == cls]
            by_class[cls] = {"roofs": int(len(rows)), "capacity_kwp": float(rows["capacity_kwp"].sum()),
                             "annual_mwh": float(fleet.group_ac_kw[i * n_cls + j].sum()) / 1000.0}
        ac = fleet.group_ac_kw[i * n_cls:(i + 1) * n_cls].sum(axis=0)
        by_class_ac = {cls: np.asarray(fleet.group_ac_kw[i * n_cls + j], dtype=float) for j, cls in enumerate(CLASSES)}
        rooftops[name] = VillageRooftops(name, float(mine["capacity_kwp"].sum()),
                                         pd.Series(ac, index=weather.index, name=name), by_class, by_class_ac)

    ex = _exceedance(scenario, weather, plant, plant_result, roofs, system, villages, rooftops) if exceedance else {}
    r = scenario.facts.rooftops
    flat = fixed_tilt_ac_kw_per_kwp(weather, [r.flat_roof_rack_tilt_deg], [180.0], system,
                                    [r.shading_fraction_mean[CLASSES.index("public")]])[0]
    return Generation(scenario.plant.name, plant, plant_result, by_year, roofs, rooftops, ex, flat)


#: bins of the orientation classes a fleet's weather ensemble is computed on (see orientation_classes)
CLASS_TILT_DEG, CLASS_AZIMUTH_DEG, CLASS_SHADING_FRACTION = 5.0, 15.0, 0.1


def orientation_classes(roofs: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Group roofs into orientation classes: tilt in 5 deg, azimuth in 15 deg and shading in 0.1 bins.
    Returns each roof's class number and each class's capacity-weighted tilt, azimuth and shading."""
    bins = pd.DataFrame({"t": np.round(roofs["tilt_deg"].to_numpy() / CLASS_TILT_DEG),
                         "a": np.round(roofs["azimuth_deg"].to_numpy() / CLASS_AZIMUTH_DEG),
                         "s": np.round(roofs["shading_fraction"].to_numpy() / CLASS_SHADING_FRACTION)})
    codes = bins.groupby(["t", "a", "s"], sort=True).ngroup().to_numpy()
    w = roofs["capacity_kwp"].to_numpy(dtype=float) + 1e-9  # a roof without capacity still counts
    k = int(codes.max()) + 1 if len(codes) else 0
    total = np.bincount(codes, weights=w, minlength=k)
    reps = pd.DataFrame({c: np.bincount(codes, weights=w * roofs[c].to_numpy(dtype=float), minlength=k) / total
                         for c in ("tilt_deg", "azimuth_deg", "shading_fraction")})
    return codes, reps


def _fleet_ensemble_mwh(weather: Weather, roofs: pd.DataFrame, system: RooftopSystem,
                        villages: list[str], threads: int = 2) -> np.ndarray:
    """Each village's fleet energy in every ensemble year, shape (years, villages).

    A roof's energy in an ensemble year is its energy in the main year (``roofs["annual_kwh"]``) times
    the ratio of the two years' energy per kWp of its orientation class, so the ensemble costs one
    run of the classes per year, not one of every roof: at most a few hundred systems however many
    roofs there are. The ratio is what varies from year to year, and it varies slowly with tilt,
    azimuth and shading (tests/test_generation.py bounds the error against every roof run each year).
    A fleet with fewer than four roofs a class gains little from it and is run roof by roof, exactly.
    Either way the years run together (:func:`fleet_annual_kwh_by_year`, equal to ``fleet_ac`` year
    by year): an ensemble's years share the sun, so its geometry is computed once."""
    codes, reps = orientation_classes(roofs)
    n_cls = len(CLASSES)
    v_codes = pd.Categorical(roofs["village"], categories=villages).codes
    n_years = len(weather.ensemble)
    if len(reps) * 4 > len(roofs):
        _, group_kwh = fleet_annual_kwh_by_year(
            weather.ensemble, roofs["tilt_deg"].to_numpy(), roofs["azimuth_deg"].to_numpy(),
            roofs["capacity_kwp"].to_numpy(), roofs["shading_fraction"].to_numpy(), system,
            groups=_group_codes(roofs, villages), n_groups=len(villages) * n_cls, threads=threads)
        out = []
        for year_kwh in group_kwh:
            groups = year_kwh / 1000.0
            out.append([groups[i * n_cls:(i + 1) * n_cls].sum() for i in range(len(villages))])
        return np.asarray(out).reshape(n_years, len(villages))

    # energy per kWp of each class, the main year first, then the ensemble's years
    per_kwp, _ = fleet_annual_kwh_by_year((weather, *weather.ensemble), reps["tilt_deg"], reps["azimuth_deg"],
                                          np.ones(len(reps)), reps["shading_fraction"], system, threads=threads)
    main = per_kwp[0]
    # energy of each village's roofs in each class in the main year (kWh)
    energy = np.zeros((len(villages), len(reps)))
    np.add.at(energy, (v_codes, codes), roofs["annual_kwh"].to_numpy(dtype=float))
    out = []
    for year_kwh in per_kwp[1:]:
        ratio = np.divide(year_kwh, main, out=np.zeros(len(reps)), where=main > 0)
        out.append(energy @ ratio / 1000.0)
    return np.asarray(out).reshape(n_years, len(villages))


def with_exceedance(scenario, weather: Weather, generation: Generation, threads: int = 2) -> Generation:
    """``generation`` (built with ``exceedance=False``) with the P50/P90/P99 of every system; ``threads``:
    the rooftop fleet's years on that many threads (1 beside a run's busy workers, where more would only
    compete for their cores)."""
    villages = [v.name for v in scenario.villages]
    ex = _exceedance(scenario, weather, generation.plant, generation.plant_result, generation.roofs,
                     rooftop_system(scenario), villages, generation.rooftops, threads)
    return replace(generation, exceedance=ex)


def _exceedance(scenario, weather, plant, plant_result, roofs, system, villages, rooftops,
                threads: int = 2) -> dict[str, Exceedance]:
    """P50/P90/P99 of each system over the weather ensemble (empty without an ensemble)."""
    if len(weather.ensemble) < 2:
        return {}
    plant_mwh = tracker_plant_annual_mwh(weather.ensemble, plant)  # tracker_plant year by year, vectorized
    village_mwh = _fleet_ensemble_mwh(weather, roofs, system, villages, threads)
    pv = scenario.facts.pv
    measured = scenario.weather.source == "file"  # then the file's own year is the P50

    def one(series, main_mwh):
        return exceedance(series, pv.resource_uncertainty_fraction, pv.model_uncertainty_fraction,
                          p50_mwh=main_mwh if measured else None)

    out = {scenario.plant.name: one(plant_mwh, plant_result.annual_mwh)}
    for i, name in enumerate(villages):
        out[name] = one(village_mwh[:, i], rooftops[name].annual_mwh)
    out[FLEET] = one(village_mwh.sum(axis=1), sum(r.annual_mwh for r in rooftops.values()))
    return out
