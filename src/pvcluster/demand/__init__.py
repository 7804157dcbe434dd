"""Demand stage: hourly loads of each village by class (households, public facilities).

``build_demand(scenario, weather)`` returns a :class:`Demand` whose ``by_village`` maps each
village to a frame with columns ``households_kw``, ``village_hall_kw``, ``street_lights_kw``
(hour means, kW) on the weather's hourly index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pvcluster.demand.facilities import dark_fraction, office_kw, street_lights_kw
from pvcluster.demand.households import average_household_kw, village_households_kw
from pvcluster.weather import Weather

__all__ = ["Demand", "build_demand", "average_household_kw", "village_households_kw", "office_kw",
           "street_lights_kw", "dark_fraction"]

@dataclass(frozen=True)
class Demand:
    by_village: dict[str, pd.DataFrame]
    single_household_peak_kw: dict[str, float]  # the largest household's peak, for diversity

    def total_kw(self, village: str) -> pd.Series:
        return self.by_village[village].sum(axis=1).rename(f"{village}_demand_kw")


def build_demand(scenario, weather: Weather) -> Demand:
    d = scenario.facts.demand
    index = weather.index
    lat, lon = scenario.site.latitude_deg, scenario.site.longitude_deg
    by_village: dict[str, pd.DataFrame] = {}
    peaks: dict[str, float] = {}
    for i, v in enumerate(scenario.villages):
        # One generator per village, so adding a village does not change the others' draws.
        rng = np.random.default_rng([scenario.scenario.seed, 1, i])
        homes = village_households_kw(
            index, v.households, 12.0 * d.household_kwh_per_month, np.asarray(d.household_month_factors),
            np.asarray(d.household_weekday_shape), np.asarray(d.household_weekend_shape),
            d.household_size_sd_fraction, d.household_hour_shift_sd_h,
            d.household_hourly_noise_sd_fraction, rng)
        hall = (office_kw(index, d.village_hall_kwh_per_year, np.asarray(d.office_weekday_shape),
                          np.asarray(d.office_weekend_shape))
                if v.village_hall else np.zeros(len(index)))
        lights = street_lights_kw(index, v.street_lights, d.street_light_w, lat, lon)
        by_village[v.name] = pd.DataFrame(
            {"households_kw": homes.sum(axis=0), "village_hall_kw": hall, "street_lights_kw": lights},
            index=index)
        peaks[v.name] = float(homes.max()) if v.households else 0.0
    return Demand(by_village, peaks)
