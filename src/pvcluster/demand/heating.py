"""Electrified space heating: air-to-water heat pumps replacing oil (kerosene) boilers.

A household's useful heat is what its boiler delivered, ``Q_year = V_oil * h_oil * eta_boiler``,
spread over the year's heating degree-hours at the site,

    Q_t = Q_year * max(0, T_base - T_t) / sum_t max(0, T_base - T_t)

and the heat pump draws ``P_t = Q_t / COP(T_t)`` with a COP that falls linearly in colder air,
``COP(T) = max(COP_min, COP_7 + a * (T - 7))``.

| symbol | meaning | name in code | unit |
|---|---|---|---|
| V_oil | kerosene burned per household and year | ``oil_l_per_year`` | L/yr |
| h_oil | net calorific value of kerosene | ``kerosene_kwh_per_l`` | kWh/L |
| eta_boiler | seasonal efficiency of the oil boiler | ``boiler_efficiency_fraction`` | - |
| T_base | base temperature: no heating above it | ``base_temp_c`` | degC |
| COP_7, a, COP_min | heat pump COP at 7 degC, its slope, its floor | ``cop_at_7c``, ``cop_slope_per_k``, ``cop_min`` | -, 1/K, - |
"""

from __future__ import annotations

import numpy as np


def heat_pump_cop(temp_air_c: np.ndarray, cop_at_7c: float, cop_slope_per_k: float,
                  cop_min: float) -> np.ndarray:
    """Coefficient of performance of an air-to-water heat pump at outdoor temperature T."""
    return np.maximum(cop_min, cop_at_7c + cop_slope_per_k * (np.asarray(temp_air_c, dtype=float) - 7.0))


def heat_demand_kw(temp_air_c: np.ndarray, annual_heat_kwh: float, base_temp_c: float) -> np.ndarray:
    """Hourly space-heating demand (kW thermal) by heating degree-hours; sums to annual_heat_kwh."""
    degree_hours = np.clip(base_temp_c - np.asarray(temp_air_c, dtype=float), 0.0, None)
    total = degree_hours.sum()
    if total == 0:
        return np.zeros_like(degree_hours)  # a climate that never needs heating
    return annual_heat_kwh * degree_hours / total


def heat_pump_kw(temp_air_c: np.ndarray, oil_l_per_year: float, kerosene_kwh_per_l: float,
                 boiler_efficiency_fraction: float, base_temp_c: float, cop_at_7c: float,
                 cop_slope_per_k: float, cop_min: float) -> tuple[np.ndarray, np.ndarray]:
    """Electric load (kW) of one household's heat pump and the heat (kW) it delivers."""
    heat = heat_demand_kw(temp_air_c, oil_l_per_year * kerosene_kwh_per_l * boiler_efficiency_fraction,
                          base_temp_c)
    return heat / heat_pump_cop(temp_air_c, cop_at_7c, cop_slope_per_k, cop_min), heat
