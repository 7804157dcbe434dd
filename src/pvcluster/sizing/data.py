"""Inputs of one site's sizing problem, gathered from the scenario, the facts and the profiles.

Money is real KRW of the base year; power in kW, energy in kWh, time steps of one hour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def capital_recovery_factor(rate_fraction: float, years: float) -> float:
    """CRF = r (1 + r)^n / ((1 + r)^n - 1); 1/n when r = 0. Annualizes an overnight cost."""
    if years <= 0:
        raise ValueError("years must be positive")
    if abs(rate_fraction) < 1e-12:
        return 1.0 / years
    growth = (1.0 + rate_fraction) ** years
    return rate_fraction * growth / (growth - 1.0)


@dataclass(frozen=True)
class SiteData:
    """Everything one site's LP needs. Arrays have one value per hour."""

    name: str
    load_kw: np.ndarray
    pv_kw_per_kwp: np.ndarray
    pv_existing_kwp: float
    pv_max_kwp: float
    pv_capex_krw_per_kwp: float
    pv_fixed_om_krw_per_kwp_year: float
    pv_crf: float
    storage_energy_capex_krw_per_kwh: float
    storage_power_capex_krw_per_kw: float
    storage_fixed_om_fraction: float
    storage_crf: float
    storage_round_trip_efficiency_fraction: float
    import_price_krw_per_kwh: np.ndarray
    export_price_krw_per_kwh: np.ndarray
    import_limit_kw: float
    export_limit_kw: float
    self_sufficiency_target_fraction: float = 0.0

    @property
    def hours(self) -> int:
        return len(self.load_kw)

    def check(self) -> None:
        n = self.hours
        for name in ("pv_kw_per_kwp", "import_price_krw_per_kwh", "export_price_krw_per_kwh"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{self.name}: {name} has {len(getattr(self, name))} values, load has {n}")
