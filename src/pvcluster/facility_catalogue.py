"""The facility catalogue: the load types a scenario's ``[[facilities]]`` are drawn from.

``inputs/facilities_korea.toml`` holds one table per type::

    [hospital]
    class = "public"          # public (a pilot-program candidate) or industry
    model = "profile"         # which load model turns the facts into an hourly load
    description = "..."
    annual_kwh = { value = 3.0e6, unit = "kWh/yr", assumption = "..." }
    workday_shape = { value = [...24...], unit = "-", assumption = "..." }
    ...

Each fact carries provenance like every other input. Which facts a type needs depends on its
model (:data:`MODEL_FACTS`); a missing one (say a profile) is reported with the file and key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pvcluster.errors import Problem
from pvcluster.facts import CatalogueEntry, Fact
from pvcluster.facts import load_catalogue as read_catalogue
from pvcluster.schema import Context, Field

_N, _L, _S = "number", "number_list", "string"

LOAD_CLASSES = ("public", "industry")

#: Every fact a facility type can hold, declared once with unit and bounds.
FACILITY_FACTS: dict[str, Field] = {
    "annual_kwh": Field(_N, unit="kWh/yr", ge=0, doc="annual use of one typical facility of the type"),
    "workday_shape": Field(_L, unit="-", ge=0, length=24,
                           doc="relative power by hour of day on workdays (0 = midnight to 1 am)"),
    "dayoff_shape": Field(_L, unit="-", ge=0, length=24,
                          doc="relative power by hour on weekends and public holidays, same scale"),
    "month_factors": Field(_L, unit="-", gt=0, length=12, doc="relative use by month, January first"),
    "lamp_w": Field(_N, unit="W", gt=0, le=5000, doc="power of one lamp with its driver"),
    "kwh_per_m3": Field(_N, unit="kWh/m3", gt=0, le=10, doc="electricity per m3 treated and pumped"),
    "electricity_kwh_per_kg": Field(_N, unit="kWh/kg", gt=0, le=1000, doc="electricity per kg of product"),
    "utilisation_fraction": Field(_N, unit="fraction", gt=0, le=1, doc="output / nameplate capacity"),
    "outage_days": Field(_N, unit="days/yr", ge=0, le=180, doc="yearly maintenance turnaround"),
    "outage_start_day": Field(_N, unit="day of year", ge=1, le=365, doc="first day of the turnaround"),
    "standby_fraction": Field(_N, unit="fraction", ge=0, le=1, doc="load during the turnaround / normal load"),
}

#: The facts each load model needs (and may use).
MODEL_FACTS: dict[str, tuple[str, ...]] = {
    "profile": ("annual_kwh", "workday_shape", "dayoff_shape", "month_factors"),
    "water_treatment": ("kwh_per_m3", "workday_shape", "dayoff_shape", "month_factors"),
    "street_lights": ("lamp_w",),
    "polysilicon": ("electricity_kwh_per_kg", "utilisation_fraction", "outage_days", "outage_start_day",
                    "standby_fraction"),
}

#: Scenario keys that size a facility, and the models that use each (others must leave it at 0).
SIZE_KEYS: dict[str, tuple[str, ...]] = {
    "annual_kwh": ("profile",),
    "lamps": ("street_lights",),
    "flow_m3_per_day": ("water_treatment",),
    "capacity_t_per_year": ("polysilicon",),
}

#: What a scenario's facility entry must give for each model (besides name, type and site).
MODEL_INSTANCE_KEYS: dict[str, tuple[str, str]] = {
    "water_treatment": ("flow_m3_per_day", "the daily flow of treated water in m3/day, > 0"),
    "street_lights": ("lamps", "the number of lamps, > 0"),
    "polysilicon": ("capacity_t_per_year", "the plant's nameplate capacity in t/yr, > 0"),
}

_PLAIN = {
    "class": Field(_S, choices=LOAD_CLASSES, doc="public facilities can join the pilot program"),
    "model": Field(_S, choices=tuple(MODEL_FACTS), doc="the load model"),
    "description": Field(_S, default="", doc="what the type stands for"),
    "tariff": Field(_S, default="", doc="KEPCO tariff class of a facility of this type (a table of the "
                                        "tariff catalogue); a facility entry may set its own"),
}


@dataclass(frozen=True)
class FacilityType:
    """One load type of the catalogue: its class, model, default tariff and facts (with provenance)."""

    name: str
    load_class: str
    model: str
    description: str
    facts: dict[str, Fact]
    tariff: str = ""

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["facts"][name].value
        except KeyError:
            raise AttributeError(name) from None

    def provenance(self) -> dict[str, dict[str, Any]]:
        return CatalogueEntry(self.name, {}, self.facts).provenance()


def _check_shape(key: str, fact: Fact, ctx: Context) -> bool:
    if key.endswith("_shape") and sum(fact.value) <= 0:
        ctx.add(f"{key}.value", "an hour-of-day profile with at least one positive weight", "24 zeros")
        return False
    return True


def load_catalogue(path: Path, problems: list[Problem]) -> dict[str, FacilityType | None]:
    """Read the facility catalogue; append every problem found to ``problems``.

    A type with problems maps to None, so the scenario's facilities of that type are not also
    reported as being of an unknown type.
    """
    entries = read_catalogue(path, _PLAIN, FACILITY_FACTS, lambda plain: MODEL_FACTS.get(plain["model"], ()),
                             problems, check=_check_shape)
    return {name: None if e is None else FacilityType(name, e.plain["class"], e.plain["model"],
                                                      e.plain["description"], e.facts, e.plain["tariff"])
            for name, e in entries.items()}
