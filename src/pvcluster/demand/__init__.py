"""Demand stage: every named load of the cluster, hour by hour and year by year.

``build_demand(scenario, weather)`` returns a :class:`Demand` holding

* ``reference_kw``: one hourly column per named load at its reference size (households in the
  base year; a facility at full operation), each column summing to the load's input energy;
* ``loads``: what each load is (class, type, site, pilot candidate, provenance of its energy);
* ``year_factors``: growth, start and ramp-up factors per calendar year of the project;
* ``hourly_kw``: the profiles of the design year (reference x that year's factors), which the
  sizing stage and ``hourly.csv`` use.

Loads, by class:

* households: ``<village>_households`` (seeded, diverse households) and, with electrified
  heating, ``<village>_heat_pumps``;
* public: ``<village>_hall``, ``<village>_street_lights`` and every public ``[[facilities]]``
  entry (water treatment plant, hospital, county offices ...), the pilot-program candidates;
* industry: ``[[facilities]]`` of industrial types (the polysilicon plant, factories).

A ``[[facilities]]`` entry with a ``load_file`` takes its hourly load from that measured CSV
(:mod:`pvcluster.demand.measured`) instead of its type's model; its type still gives the class and
the default tariff. Every measured file's problems are collected and raised in one ``InputError``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pvcluster.facility_catalogue import FacilityType
from pvcluster.demand.facilities import (dark_fraction, polysilicon_annual_kwh, process_kw, profile_kw,
                                         street_lights_kw, water_treatment_annual_kwh)
from pvcluster.demand.growth import compound_factors, facility_factors
from pvcluster.demand.heating import heat_pump_kw
from pvcluster.demand.measured import MeasuredLoad, measured_kw, read_load_file
from pvcluster.demand.households import average_household_kw, village_households_kw, village_households_total
from pvcluster.errors import InputError
from pvcluster.weather import Weather
from pvcluster.calendar import SEASONS, day_off_mask

__all__ = ["Demand", "Load", "build_demand", "average_household_kw", "village_households_kw",
           "profile_kw", "street_lights_kw", "dark_fraction", "household_shapes", "facility_kw",
           "MeasuredLoad", "read_load_file", "measured_kw"]

CLASSES = ("households", "public", "industry")


@dataclass(frozen=True)
class Load:
    """What one named load is."""

    name: str
    load_class: str  # households, public or industry
    type: str  # households, heat_pumps, or a facility type of the catalogue
    site: str  # a village, 'county' or 'industrial_complex'
    pilot_candidate: bool
    reference_annual_kwh: float  # the input energy the reference profile sums to
    basis: str  # how the reference energy was set, with its provenance
    tariff: str = ""  # KEPCO tariff class of its meter(s)
    contract_kw: float = 0.0  # contract demand per meter (given, or the peak before PV rounded up)
    meters: int = 1  # identical meters the load is spread over (a village's households)
    peak_kw_per_meter: float = 0.0  # the largest hourly load of one meter over the project years, before PV
    bears_vat: bool = True  # households and public bodies pay VAT on electricity; businesses recover it
    lamps_w: float = 0.0  # street lights: installed W (the flat street-light tariff bills it)


@dataclass(frozen=True)
class Demand:
    reference_kw: pd.DataFrame
    loads: dict[str, Load]
    year_factors: pd.DataFrame  # index: calendar year; columns: load names
    design_year: int
    household_coincidence: dict[str, dict[str, float]]  # by village
    heat_delivered_kwh: dict[str, float]  # by village, heat from heat pumps in the reference year

    @property
    def hourly_kw(self) -> pd.DataFrame:
        """Hourly load of every named load in the design year (kW, hour means)."""
        return self.reference_kw * self.year_factors.loc[self.design_year]

    @property
    def sites(self) -> list[str]:
        return list(dict.fromkeys(load.site for load in self.loads.values()))

    def names(self, site: str | None = None, load_class: str | None = None) -> list[str]:
        return [n for n, load in self.loads.items()
                if (site is None or load.site == site) and (load_class is None or load.load_class == load_class)]

    def site_kw(self, site: str) -> pd.Series:
        """Total design-year load of one site (a village, 'county' or 'industrial_complex')."""
        names = self.names(site=site)
        return self.hourly_kw[names].sum(axis=1).rename(f"{site}_demand_kw")

    def class_kw(self) -> pd.DataFrame:
        """Design-year load by class (households, public, industry)."""
        h = self.hourly_kw
        return pd.DataFrame({c: h[self.names(load_class=c)].sum(axis=1) for c in CLASSES}, index=h.index)

    @property
    def annual_kwh_by_year(self) -> pd.DataFrame:
        """Energy of every load in every project year (kWh): reference energy x year factor."""
        totals = self.reference_kw.sum(axis=0)
        return self.year_factors * totals


def household_shapes(d) -> np.ndarray:
    """The household shapes as an array (season, day type, hour)."""
    return np.array([[getattr(d, f"household_{s}_{day}_shape") for day in ("workday", "dayoff")]
                     for s in SEASONS])


def facility_kw(ftype: FacilityType, entry, index: pd.DatetimeIndex, day_off: np.ndarray,
                dark: np.ndarray, timezone: str | None = None,
                key: str = "load_file") -> tuple[np.ndarray, float, str]:
    """Reference hourly load of one facility, its annual energy and the basis of that energy.

    An entry with a ``load_file`` is measured: its load is read from the file (naive timestamps in
    ``timezone``; ``key`` names the entry's ``load_file`` in problems) and scaled to its
    ``annual_kwh`` when that is > 0, whatever the type's model.
    """
    if getattr(entry, "load_file", None) is not None:
        measured = read_load_file(entry.load_file, index, entry.load_file_unit, entry.load_file_column or None,
                                  timezone=timezone, key=key)
        return measured_kw(measured, entry.annual_kwh)
    model = ftype.model
    if model == "street_lights":
        kw = street_lights_kw(index, entry.lamps, ftype.lamp_w, 0.0, 0.0, dark=dark)
        return kw, float(kw.sum()), (f"{entry.lamps} lamps x {ftype.lamp_w:g} W (catalogue "
                                     f"{ftype.facts['lamp_w'].provenance}) x dusk-to-dawn hours")
    if model == "polysilicon":
        annual = polysilicon_annual_kwh(entry.capacity_t_per_year, ftype.electricity_kwh_per_kg,
                                        ftype.utilisation_fraction)
        kw = process_kw(index, annual, ftype.outage_days, ftype.outage_start_day, ftype.standby_fraction)
        return kw, annual, (f"{entry.capacity_t_per_year:g} t/yr x {ftype.electricity_kwh_per_kg:g} kWh/kg x "
                            f"utilisation {ftype.utilisation_fraction:g}")
    if model == "water_treatment":
        annual = water_treatment_annual_kwh(entry.flow_m3_per_day, ftype.kwh_per_m3)
        basis = f"{entry.flow_m3_per_day:g} m3/day x 365 x {ftype.kwh_per_m3:g} kWh/m3"
    elif entry.annual_kwh > 0:
        annual, basis = entry.annual_kwh, "scenario annual_kwh"
    else:
        annual, basis = ftype.annual_kwh, f"catalogue {ftype.facts['annual_kwh'].provenance}"
    kw = profile_kw(index, annual, ftype.workday_shape, ftype.dayoff_shape, ftype.month_factors, day_off)
    return kw, annual, basis


def build_demand(scenario, weather: Weather) -> Demand:
    d = scenario.facts.demand
    index = weather.index
    day_off = day_off_mask(index)
    dark = dark_fraction(index, scenario.site.latitude_deg, scenario.site.longitude_deg)
    years = np.array(scenario.horizon_years)
    base_year = scenario.scenario.base_year
    heat_pump_fraction = scenario.demand.heat_pump_fraction
    shapes = household_shapes(d)
    catalogue = scenario.facility_types

    columns: dict[str, np.ndarray] = {}
    loads: dict[str, Load] = {}
    factors: dict[str, np.ndarray] = {}
    coincidences: dict[str, dict[str, float]] = {}
    heat: dict[str, float] = {}

    def add(load: Load, kw: np.ndarray, factor: np.ndarray) -> None:
        if load.peak_kw_per_meter == 0.0:  # one meter: its peak over the project years
            peak = float(kw.max()) * float(np.max(factor)) if len(kw) else 0.0
            load = replace(load, peak_kw_per_meter=peak, contract_kw=load.contract_kw or float(np.ceil(peak - 1e-9)))
        columns[load.name] = kw
        loads[load.name] = load
        factors[load.name] = factor

    prov = scenario.facts.provenance()["demand"]
    for i, v in enumerate(scenario.villages):
        # One generator per village, so adding a village does not change the others' draws.
        rng = np.random.default_rng([scenario.scenario.seed, 1, i])
        annual = 12.0 * d.household_kwh_per_month
        homes_kw, coincidences[v.name] = village_households_total(
            index, v.households, annual, d.household_month_factors, shapes, d.household_size_sd_fraction,
            d.household_hour_shift_sd_h, d.household_hourly_noise_sd_fraction, rng, day_off)
        growth = (compound_factors(years, base_year, v.household_growth_fraction_per_year)
                  * compound_factors(years, base_year, d.household_kwh_growth_fraction_per_year))
        add(Load(f"{v.name}_households", "households", "households", v.name, False, v.households * annual,
                 f"{v.households} households x 12 x {d.household_kwh_per_month:g} kWh/month "
                 f"({prov['household_kwh_per_month']['provenance']})", tariff=v.household_tariff,
                 contract_kw=v.household_contract_kw, meters=max(v.households, 1),
                 peak_kw_per_meter=coincidences[v.name]["single_peak_kw_max"] * float(np.max(growth))),
            homes_kw, growth)
        if heat_pump_fraction > 0 and v.households:
            hp_kw, heat_kw = heat_pump_kw(weather.data["temp_air"].to_numpy(), d.heating_oil_l_per_household_year,
                                          d.kerosene_kwh_per_l, d.oil_boiler_efficiency_fraction,
                                          d.heating_base_temp_c, d.heat_pump_cop_at_7c,
                                          d.heat_pump_cop_slope_per_k, d.heat_pump_cop_min)
            n = heat_pump_fraction * v.households
            heat[v.name] = float(heat_kw.sum() * n)
            # Houses differ in size and in when their heating runs: the same seeded lognormal
            # size spread and hour shifts as their appliances, over round(n) representative homes.
            hp_rng = np.random.default_rng([scenario.scenario.seed, 2, i])
            m = max(1, round(n))
            sizes = hp_rng.lognormal(0.0, d.household_size_sd_fraction, m)
            shifts = np.rint(hp_rng.normal(0.0, d.household_hour_shift_sd_h, m)).astype(int)
            distinct, which = np.unique(shifts, return_inverse=True)  # one roll per shift that occurs
            weight = np.bincount(which, weights=sizes, minlength=len(distinct))
            fleet = sum(w * np.roll(hp_kw, k) for w, k in zip(weight, distinct))
            fleet = fleet * (n * hp_kw.sum() / fleet.sum())
            add(Load(f"{v.name}_heat_pumps", "households", "heat_pumps", v.name, False, float(fleet.sum()),
                     f"{n:g} households x {d.heating_oil_l_per_household_year:g} L kerosene x "
                     f"{d.kerosene_kwh_per_l:g} kWh/L x boiler efficiency {d.oil_boiler_efficiency_fraction:g}, "
                     "over the hourly COP", tariff=v.household_tariff, contract_kw=v.household_contract_kw,
                     meters=max(v.households, 1), peak_kw_per_meter=float(hp_kw.max())),
                fleet, compound_factors(years, base_year, v.household_growth_fraction_per_year))
        if v.village_hall:
            t = catalogue["village_hall"]
            kw = profile_kw(index, t.annual_kwh, t.workday_shape, t.dayoff_shape, t.month_factors, day_off)
            add(Load(f"{v.name}_hall", "public", "village_hall", v.name, False, t.annual_kwh,
                     f"catalogue {t.facts['annual_kwh'].provenance}", tariff=v.hall_tariff,
                     contract_kw=v.hall_contract_kw), kw, np.ones(len(years)))
        if v.street_lights:
            t = catalogue["street_lights"]
            kw = street_lights_kw(index, v.street_lights, t.lamp_w, 0.0, 0.0, dark=dark)
            add(Load(f"{v.name}_street_lights", "public", "street_lights", v.name, False, float(kw.sum()),
                     f"{v.street_lights} lamps x {t.lamp_w:g} W x dusk-to-dawn hours", tariff=v.street_light_tariff,
                     lamps_w=v.street_lights * t.lamp_w), kw, np.ones(len(years)))

    measured_problems = []
    for i, f in enumerate(scenario.facilities):
        t = catalogue[f.type]
        try:
            kw, annual, basis = facility_kw(t, f, index, day_off, dark, timezone=scenario.site.timezone,
                                            key=f"facilities.{i}.load_file")
        except InputError as exc:  # a measured load file: go on, to list every file's problems at once
            measured_problems.append((f"facilities.{i} ({f.name})", exc))
            continue
        start = f.start_year or base_year
        add(Load(f.name, t.load_class, f.type, f.site, f.pilot_candidate, annual, basis, tariff=f.tariff or t.tariff,
                 contract_kw=f.contract_kw, bears_vat=t.load_class != "industry",
                 lamps_w=f.lamps * t.lamp_w if t.model == "street_lights" else 0.0), kw,
            facility_factors(years, start, f.ramp_up_fractions, f.growth_fraction_per_year))

    if measured_problems:
        if len(measured_problems) == 1:
            entry, exc = measured_problems[0]
            raise InputError(exc.problems, headline=f"{exc.headline}, the load of {entry}")
        problems = [p for _, exc in measured_problems for p in exc.problems]
        raise InputError(problems, headline=f"{len(problems)} problems in the measured load files of "
                         + ", ".join(entry for entry, _ in measured_problems))
    reference = pd.DataFrame(columns, index=index)
    year_factors = pd.DataFrame(factors, index=pd.Index(years, name="year"))
    return Demand(reference, loads, year_factors, scenario.design_year, coincidences, heat)
