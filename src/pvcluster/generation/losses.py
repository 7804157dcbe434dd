"""System losses of a PV plant, one place: the loss breakdown, snow, and degradation.

Losses combine multiplicatively, as in PVWatts (``pvlib.pvsystem.pvwatts_losses``):
``L = 1 - prod(1 - l_i)``. DC losses act on the array output before the inverter (soiling,
snow, mismatch, DC wiring, connections, light-induced degradation, nameplate); AC losses act
after it (transformer, availability). Snow is monthly, from the Townsend model in pvlib.

Symbols: l_i one loss (fraction); d degradation per year (fraction/yr); k operating year (1 = first).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pvlib


@dataclass(frozen=True)
class LossBreakdown:
    """Loss fractions (0 to 1) of a PV system, by cause; snow is monthly and computed separately."""

    soiling_fraction: float
    mismatch_fraction: float
    dc_wiring_fraction: float
    connections_fraction: float
    lid_fraction: float
    nameplate_fraction: float
    transformer_fraction: float
    availability_fraction: float

    @classmethod
    def from_facts(cls, pv, *, transformer: bool = True) -> LossBreakdown:
        """The breakdown declared in the ``pv`` input file (no transformer for LV rooftops)."""
        return cls(
            soiling_fraction=pv.soiling_loss_fraction, mismatch_fraction=pv.mismatch_loss_fraction,
            dc_wiring_fraction=pv.dc_wiring_loss_fraction, connections_fraction=pv.connections_loss_fraction,
            lid_fraction=pv.lid_loss_fraction, nameplate_fraction=pv.nameplate_loss_fraction,
            transformer_fraction=pv.transformer_loss_fraction if transformer else 0.0,
            availability_fraction=pv.availability_loss_fraction)

    @property
    def dc_fraction(self) -> float:
        """Combined DC loss except snow, as pvlib's PVWatts loss model combines them."""
        return float(pvlib.pvsystem.pvwatts_losses(
            soiling=100 * self.soiling_fraction, shading=0, snow=0, mismatch=100 * self.mismatch_fraction,
            wiring=100 * self.dc_wiring_fraction, connections=100 * self.connections_fraction,
            lid=100 * self.lid_fraction, nameplate_rating=100 * self.nameplate_fraction, age=0,
            availability=0)) / 100.0

    @property
    def ac_fraction(self) -> float:
        return combine(self.transformer_fraction, self.availability_fraction)

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def combine(*fractions: float) -> float:
    """Losses in series: ``1 - prod(1 - l_i)``."""
    return float(1.0 - np.prod([1.0 - f for f in fractions]))


def monthly_snow_loss_fraction(
    *,
    snowfall_cm: np.ndarray,
    snow_events: np.ndarray,
    relative_humidity_percent: np.ndarray,
    temp_air_c: np.ndarray,
    poa_wh_per_m2: np.ndarray,
    surface_tilt_deg: float | np.ndarray,
    slant_height_m: float,
    lower_edge_height_m: float,
    string_factor: float = 1.0,
) -> np.ndarray:
    """Monthly DC loss to snow cover (Townsend and Powers 2011, ``pvlib.snow.loss_townsend``).

    Monthly arrays have 12 values (or shape (S, 12) with ``surface_tilt_deg`` of shape (S, 1)
    for S planes). For single-axis trackers pvlib's documentation advises the maximum rotation
    angle as tilt and half the table width as slant height. Months without snow lose nothing.
    """
    snowfall = np.asarray(snowfall_cm, dtype=float)
    poa = np.asarray(poa_wh_per_m2, dtype=float)
    shape = np.broadcast_shapes(snowfall.shape, poa.shape, np.shape(surface_tilt_deg))
    loss = np.zeros(shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = pvlib.snow.loss_townsend(
            np.broadcast_to(snowfall, shape), np.broadcast_to(np.asarray(snow_events, float), shape),
            np.broadcast_to(np.asarray(surface_tilt_deg, float), shape),
            np.broadcast_to(np.asarray(relative_humidity_percent, float), shape),
            np.broadcast_to(np.asarray(temp_air_c, float), shape), np.maximum(np.broadcast_to(poa, shape), 1.0),
            slant_height_m, lower_edge_height_m, string_factor)
    loss = np.where(np.broadcast_to(snowfall, shape) > 0, np.nan_to_num(np.asarray(raw, float)), 0.0)
    return np.clip(loss, 0.0, 1.0)


def degradation_factors(years: int, rate_fraction_per_year: float) -> np.ndarray:
    """Output relative to the first year for operating years 1..years: ``(1 - d)^(k - 1)``."""
    return (1.0 - rate_fraction_per_year) ** np.arange(years)
