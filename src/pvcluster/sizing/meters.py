"""The KEPCO meters of the cluster: every load's meter, the meters each site's PV sits behind, and
the checks of each meter's contract against its tariff class and its load before PV.

Tariffs belong to meters. A village's households are ``households`` meters of the household tariff
(its heat pumps run on the same meters); the hall, the street lights and every facility have one
meter each. A site's PV and storage sit behind the meters its scenario names (``behind_pv``); the
site buys grid energy for the facilities the pilot program enrolls through a supply meter of its own
(``[pilot] supply_tariff``). The *host* meter (the households, the first facility, or else the
supply meter) is the one through which the storage charges from the grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pvcluster.errors import Problem
from pvcluster.market import Meter


@dataclass(frozen=True)
class MeterSpec:
    """One meter (or group) of a site: the market's record and the named loads on it."""

    meter: Meter
    loads: tuple[str, ...]
    peak_kw_per_meter: float
    key: str  # the scenario key of its contract, for error messages
    pilot_supply: bool = False


def _load_key(scenario, name: str) -> str:
    for i, v in enumerate(scenario.villages):
        if name == f"{v.name}_households" or name == f"{v.name}_heat_pumps":
            return f"villages.{i}.household_contract_kw"
        if name == f"{v.name}_hall":
            return f"villages.{i}.hall_contract_kw"
        if name == f"{v.name}_street_lights":
            return f"villages.{i}.street_light_tariff"
    for i, f in enumerate(scenario.facilities):
        if f.name == name:
            return f"facilities.{i}.contract_kw"
    return name


def load_meters(scenario, demand) -> dict[str, MeterSpec]:
    """Every load's meter, by meter name; a village's households and heat pumps share theirs."""
    out: dict[str, MeterSpec] = {}
    for name, load in demand.loads.items():
        if load.type == "heat_pumps":
            continue
        tariff = scenario.tariffs[load.tariff]
        loads = (name,)
        peak = load.peak_kw_per_meter
        if load.type == "households":
            hp = name[: -len("households")] + "heat_pumps"
            if hp in demand.loads:
                loads = (name, hp)
                peak = peak + demand.loads[hp].peak_kw_per_meter
        v = next((v for v in scenario.villages if v.name == load.site), None)
        net = bool(v is not None and v.export_price == "net_metering" and load.type == "households")
        meter = Meter(name, tariff, load.contract_kw, load.meters, "", load.bears_vat, net, load.lamps_w)
        out[name] = MeterSpec(meter, loads, peak, _load_key(scenario, name))
    return out


def pilot_supply_meter(scenario, demand, site: str) -> MeterSpec | None:
    """The meter a site buys grid energy through for the facilities the pilot program enrolls."""
    names = [n for n in demand.names(site=site) if demand.loads[n].pilot_candidate]
    if not names or "pilot" not in scenario.sizing.technologies:
        return None
    p = scenario.pilot
    peak = float(demand.hourly_kw[names].sum(axis=1).max())
    contract = p.supply_contract_kw or float(np.ceil(peak - 1e-9))
    meter = Meter(f"{site}_pilot_supply", scenario.tariffs[p.supply_tariff], contract, 1, "", True, False)
    return MeterSpec(meter, (), peak, "pilot.supply_contract_kw", pilot_supply=True)


def behind_pv(scenario, demand, site: str) -> list[str]:
    """Names of the loads at ``site`` whose meters its PV sits behind (no pilot candidates)."""
    v = next((v for v in scenario.villages if v.name == site), None)
    at_site = [n for n in demand.names(site=site) if not demand.loads[n].pilot_candidate]
    if v is not None:
        return [n for n in at_site if n.removeprefix(f"{site}_") in v.behind_pv]
    section = scenario.settings[site] if site in scenario.settings else None
    chosen = tuple(section.behind_pv) if section is not None and section.behind_pv else None
    return [n for n in at_site if chosen is None or n in chosen]


def site_meter_specs(scenario, demand, site: str, meters: dict[str, MeterSpec] | None = None) -> list[MeterSpec]:
    """The meters a site's PV sits behind (host first), then its pilot supply meter."""
    meters = meters if meters is not None else load_meters(scenario, demand)
    loads = set(behind_pv(scenario, demand, site))
    out = [m for m in meters.values() if loads.intersection(m.loads)]
    supply = pilot_supply_meter(scenario, demand, site)
    return out + ([supply] if supply is not None else [])


def check_meters(scenario, demand) -> list[Problem]:
    """Every meter's contract against its class and its load's peak before PV; net metering's size."""
    from pvcluster.market import check_meter

    where = str(scenario.path)
    problems: list[Problem] = []
    meters = load_meters(scenario, demand)
    for spec in meters.values():
        problems += check_meter(spec.meter, spec.peak_kw_per_meter, where, spec.key)
    for site in demand.sites:
        supply = pilot_supply_meter(scenario, demand, site)
        if supply is not None:
            problems += check_meter(supply.meter, supply.peak_kw_per_meter, where, supply.key)
    return problems
