"""Wholesale prices: SMP with its profile and path, REC weights by the rule in force, export prices,
the fixed-price contract, and the real price path of each stream across the project years.

SMP of hour h in year y (real KRW of the base year)::

    SMP_(y,h) = SMP x f_month(h) x f_hour(h) x (1 + g_smp)^(y - base year)

REC weight of a PV plant of capacity P (kW) and installation type i, under the rule in force in its
commercial-operation year: with ``tiering = "marginal"`` each size band earns its own weight,
``w = sum_b w_b x max(0, min(P, u_b) - u_(b-1)) / P``; with ``"whole"`` the band P falls in
gives the weight of the whole plant. A plant keeps the weight of its certification for life.

A long-term fixed-price contract (SMP + 1 REC, 20 years) pays a plant of weight w
``SMP + (P_fixed - SMP) w`` per kWh for its years, spot prices after (facts 4e).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pvcluster.calendar import clock_fields
from pvcluster.errors import Problem
from pvcluster.facts import CatalogueEntry, load_catalogue
from pvcluster.schema import Field

if TYPE_CHECKING:  # only in annotations: a sizing worker imports this package without pandas
    import pandas as pd

INSTALLATIONS = ("land", "building", "forest")

REC_PLAIN = {
    "first_year": Field("integer", ge=2000, le=2200, doc="first commercial-operation year the rule covers"),
    "last_year": Field("integer", ge=2000, le=2200, doc="last commercial-operation year the rule covers"),
    "tiering": Field("string", choices=("marginal", "whole"), doc="each size band its own weight, or one"),
}
REC_FACTS = {
    **{f"{i}_weights": Field("number_list", unit="-", ge=0, le=10) for i in INSTALLATIONS},
    **{f"{i}_tier_upper_kw": Field("number_list", unit="kW", gt=0) for i in INSTALLATIONS},
}


@dataclass(frozen=True)
class RecRule:
    """One REC weight rule: the commercial-operation years it covers and its weights by size band."""

    name: str
    first_year: int
    last_year: int
    tiering: str
    weights: dict[str, tuple[float, ...]]
    tier_upper_kw: dict[str, tuple[float, ...]]
    provenance: dict


def load_rec_rules(path: Path, problems: list[Problem]) -> dict[str, RecRule]:
    """Read the REC weight rules; check each installation has one weight more than band bounds."""
    entries = load_catalogue(path, REC_PLAIN, REC_FACTS, lambda plain: tuple(REC_FACTS), problems)
    out = {}
    for name, e in entries.items():
        if e is None:
            continue
        bad = False
        for i in INSTALLATIONS:
            w, u = getattr(e, f"{i}_weights"), getattr(e, f"{i}_tier_upper_kw")
            if len(w) != len(u) + 1 or list(u) != sorted(u):
                problems.append(Problem(str(path), f"{name}.{i}_tier_upper_kw",
                                        f"{len(w) - 1} increasing band bounds for {len(w)} weights", repr(list(u))))
                bad = True
        if e.first_year > e.last_year:
            problems.append(Problem(str(path), f"{name}.last_year", f"a year >= first_year {e.first_year}",
                                    str(e.last_year)))
            bad = True
        if not bad:
            out[name] = _rule(e)
    return out


def _rule(e: CatalogueEntry) -> RecRule:
    return RecRule(e.name, int(e.first_year), int(e.last_year), e.tiering,
                   {i: tuple(getattr(e, f"{i}_weights")) for i in INSTALLATIONS},
                   {i: tuple(getattr(e, f"{i}_tier_upper_kw")) for i in INSTALLATIONS}, e.provenance())


def rec_rule_for_year(rules: dict[str, RecRule], year: int) -> RecRule:
    """The rule covering a commercial-operation year (the latest rule's own years, or its last one)."""
    for r in rules.values():
        if r.first_year <= year <= r.last_year:
            return r
    known = ", ".join(f"{r.name} ({r.first_year}-{r.last_year})" for r in rules.values())
    raise LookupError(f"no REC weight rule covers the year {year} (rules: {known})")


def rec_weight(rule: RecRule, installation: str, capacity_kw: float) -> float:
    """Capacity-weighted REC multiplier of a PV system of ``capacity_kw`` on ``installation``."""
    if capacity_kw <= 0:
        return 0.0
    weights, uppers = rule.weights[installation], rule.tier_upper_kw[installation]
    bounds = list(uppers) + [float("inf")]
    if rule.tiering == "whole":
        band = int(np.searchsorted(np.asarray(uppers), capacity_kw, side="left"))
        return float(weights[band])
    weighted, lower = 0.0, 0.0
    for upper, w in zip(bounds, weights):
        weighted += max(0.0, min(capacity_kw, upper) - lower) * w
        lower = upper
    return weighted / capacity_kw


def path_factors(change_fraction_per_year: float, base_year: int, years) -> np.ndarray:
    """(1 + g)^(y - base year) for each calendar year y: a real price path."""
    return (1.0 + change_fraction_per_year) ** (np.asarray(years, dtype=float) - base_year)


def smp_hourly_krw_per_kwh(market, index: pd.DatetimeIndex) -> np.ndarray:
    """SMP of every hour of the base year: the annual mean times its month and hour factors.

    The factors are renormalized so that the hourly prices average to ``smp_krw_per_kwh``."""
    month, hour, _ = clock_fields(index)
    f = (np.asarray(market.smp_monthly_factors, dtype=float)[month - 1]
         * np.asarray(market.smp_hourly_factors, dtype=float)[hour])
    mean = float(f.mean())
    return market.smp_krw_per_kwh * (f / mean if mean > 0 else f)


def export_price_krw_per_kwh(market, index: pd.DatetimeIndex, rec_weight_value: float = 0.0) -> np.ndarray:
    """What a kWh exported in each hour earns at spot prices: SMP plus the REC price times the weight."""
    return smp_hourly_krw_per_kwh(market, index) + market.rec_price_krw_per_rec / 1000.0 * rec_weight_value


def fixed_price_krw_per_kwh(market, contract_krw_per_kwh: float, weight: float) -> float:
    """Per kWh under a fixed-price contract for SMP + 1 REC, for a plant of REC weight ``weight``."""
    return market.smp_krw_per_kwh + (contract_krw_per_kwh - market.smp_krw_per_kwh) * weight
