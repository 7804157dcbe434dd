"""Generation stage: hourly AC output of the utility plant and of each village's rooftops.

``build_generation(scenario, weather)`` returns a :class:`Generation` with the plant's
first-year AC profile (kW) and, per village, the rooftop AC profile per kWp installed
(kW/kWp, the capacity factor the sizing LP multiplies by the PV size it chooses).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pvcluster.generation.plant import TrackerPlant, tracker_plant_ac_kw
from pvcluster.generation.rooftop import fixed_tilt_ac_kw_per_kwp
from pvcluster.weather import Weather

__all__ = ["Generation", "build_generation", "TrackerPlant", "tracker_plant_ac_kw",
           "fixed_tilt_ac_kw_per_kwp"]


@dataclass(frozen=True)
class Generation:
    plant_name: str
    plant: TrackerPlant
    plant_ac_kw: pd.Series
    rooftop_ac_kw_per_kwp: dict[str, pd.Series]  # by village

    def plant_annual_mwh(self) -> float:
        return float(self.plant_ac_kw.sum()) / 1000.0


def build_generation(scenario, weather: Weather) -> Generation:
    p = scenario.plant
    plant = TrackerPlant(
        capacity_kwp=p.capacity_kwp, dc_ac_ratio=p.dc_ac_ratio, axis_tilt_deg=p.axis_tilt_deg,
        axis_azimuth_deg=p.axis_azimuth_deg, max_angle_deg=p.max_angle_deg, backtrack=p.backtrack,
        gcr=p.gcr, gamma_pdc_per_c=p.gamma_pdc_per_c, losses_fraction=p.losses_fraction,
        inverter_efficiency_fraction=p.inverter_efficiency_fraction)
    plant_ac = tracker_plant_ac_kw(weather, plant)

    # All roof segments of all villages in one vectorized call.
    segments = [(v.name, s) for v in scenario.villages for s in v.roof_segments]
    rooftop: dict[str, pd.Series] = {}
    if segments:
        profiles = fixed_tilt_ac_kw_per_kwp(
            weather, np.array([s.tilt_deg for _, s in segments]),
            np.array([s.azimuth_deg for _, s in segments]))
        for v in scenario.villages:
            rows = [i for i, (name, _) in enumerate(segments) if name == v.name]
            shares = np.array([segments[i][1].share_fraction for i in rows])
            rooftop[v.name] = pd.Series(shares @ profiles[rows], index=weather.index, name=v.name)
    for v in scenario.villages:
        rooftop.setdefault(v.name, pd.Series(np.zeros(len(weather.index)), index=weather.index))
    return Generation(p.name, plant, plant_ac, rooftop)
