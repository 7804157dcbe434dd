"""KEPCO retail tariffs as billed: one record per tariff class, the bill of a meter, and the LP's terms.

A :class:`Tariff` is one table of the tariff catalogue (``inputs/tariffs_kepco.toml``). A
:class:`Meter` is a customer (or ``count`` identical customers, such as a village's households) on
one tariff with its contract demand. From the same tariff record come

* :func:`bill`: hourly import (and export, under net metering) to monthly bills, component by
  component, as KEPCO bills them; finance and the report use it;
* :func:`lp_terms`: the cost terms the sizing LP is built from (:class:`MeterTerms`); a test
  checks that both agree on the LP's optimal dispatch.

The bill of month m (money in KRW, energy in kWh, every charge before VAT and fund is the
"electricity charge" C_m)::

    C_m   = basic_m + energy_m + (c_clim + c_fuel) Q_m
    bill_m = C_m (1 + f_fund + [payer bears VAT] f_vat)

Energy charge by tariff kind:

* ``tou``: sum over hours of r[season, band] x import, with KEPCO's day rules: on a Saturday
  that is not a holiday, peak hours are billed as mid; on Sundays and public holidays every hour
  is light (기본공급약관 별표, 2024-10-24).
* ``seasonal``: r[season] x Q_m (one rate per season).
* ``blocks`` (residential): per household q = Q_m / N, sum_k p_k clip(q - u_(k-1), 0, u_k - u_(k-1))
  x N, with the summer or other-months block bounds; in the super-user months use above
  ``super_user_kwh`` is billed at the super-user rate.
* ``lamp`` (street lights (갑)): a flat charge per W installed, whatever the import.

Basic charge:

* ``blocks``: N x the basic charge of the block q reaches.
* contract basis (meters without a maximum-demand meter): rate x contract kW x N.
* peak basis: billing demand B_m = max(P_m, max_(j in J) P_j, floor x contract) with P_m the
  month's largest hourly import per meter in mid and peak hours (after the day rules) and J the
  billing-demand months (Dec, Jan, Feb, Jul, Aug, Sep; 기본공급약관 제68조). A year is taken as a
  steady state: the 12-month window of every month holds all six of them. KEPCO measures 15-minute
  peaks; an hourly model sees hour means, which are lower (stated, not corrected).

Net metering (상계거래; residential and seasonal meters, PV up to ``net_metering_max_kw``): the
month's billed energy is Q_m = max(0, I_m - X_m - S_(m-1)) with the surplus S_m = max(0, X_m +
S_(m-1) - I_m) carried to later months; a surplus left in December lapses (assumption: no
year-end settlement rule was found; systems of 10 kW or less are not paid for it). Netting is
applied to every kWh-based charge.

Not modelled: the power-factor charge (a meter is taken at the reference power factor), KEPCO's
rounding to 10 KRW, the welfare discounts, and the 2026 time-band reform (the base year's rules
apply to every year).

The LP's terms are linear in import: hourly energy prices, or (blocks, net metering) monthly
block variables with increasing prices (a convex piecewise-linear cost, so the LP needs no
binaries), and the peak-basis billing demand through monthly peak variables. One term is not
convex: the residential basic charge steps with the block a household reaches. The LP carries it
as a constant (:attr:`MeterTerms.fixed_krw_per_year`) evaluated on its own dispatch after the solve;
a constant does not move the optimum, so the LP never shifts energy to drop a household into a lower
basic-charge block (worth 690 KRW a month between the first two blocks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pvcluster.calendar import SEASON_OF_MONTH, clock_fields, holiday_mask
from pvcluster.errors import Problem
from pvcluster.facts import CatalogueEntry, load_catalogue
from pvcluster.schema import Field

if TYPE_CHECKING:  # imported where a bill's table is made: a sizing worker imports this module without pandas
    import pandas as pd

_N, _L, _S = "number", "number_list", "string"

FAMILIES = ("residential", "general", "industrial", "educational", "street_light")
KINDS = ("blocks", "seasonal", "tou", "lamp")
VOLTAGES = ("low", "high_a", "high_b", "high_c")
SEASON_NAMES = ("summer", "spring_autumn", "winter")
LIGHT, MID, PEAK = 0, 1, 2

PLAIN = {
    "family": Field(_S, choices=FAMILIES, doc="KEPCO's contract type"),
    "kind": Field(_S, choices=KINDS, doc="how the energy charge is computed"),
    "voltage": Field(_S, choices=VOLTAGES),
    "option": Field(_S, default="", doc="선택 I/II/III, or empty"),
    "effective": Field(_S, default="", doc="date the rates took effect"),
    "description": Field(_S, default=""),
}

FACTS = {
    "contract_kw_range": Field(_L, unit="kW", ge=0, length=2, doc="[min, max) contract demand of the class"),
    "basic_krw_per_kw_month": Field(_N, unit="KRW/kW/month", ge=0),
    **{f"energy_krw_per_kwh_{s}": Field(_N, unit="KRW/kWh", ge=0) for s in SEASON_NAMES},
    **{f"tou_krw_per_kwh_{s}": Field(_L, unit="KRW/kWh", ge=0, length=3, doc="light, mid, peak")
       for s in SEASON_NAMES},
    "block_upper_kwh_summer": Field(_L, unit="kWh/month", gt=0, doc="upper bounds of all but the last block"),
    "block_upper_kwh_other": Field(_L, unit="kWh/month", gt=0),
    "energy_krw_per_kwh": Field(_L, unit="KRW/kWh", ge=0, doc="energy charge of each block"),
    "basic_krw_per_month": Field(_L, unit="KRW/month", ge=0, doc="basic charge by the block reached"),
    "super_user_kwh": Field(_N, unit="kWh/month", gt=0),
    "super_user_krw_per_kwh": Field(_N, unit="KRW/kWh", ge=0),
    "super_user_months": Field(_L, unit="month numbers", ge=1, le=12),
    "summer_months": Field(_L, unit="month numbers", ge=1, le=12),
    "lamp_krw_per_w_month": Field(_N, unit="KRW/W/month", ge=0),
}

NEEDED = {
    "blocks": ("contract_kw_range", "block_upper_kwh_summer", "block_upper_kwh_other", "energy_krw_per_kwh",
               "basic_krw_per_month", "super_user_kwh", "super_user_krw_per_kwh", "super_user_months",
               "summer_months"),
    "seasonal": ("contract_kw_range", "basic_krw_per_kw_month",
                 *(f"energy_krw_per_kwh_{s}" for s in SEASON_NAMES)),
    "tou": ("contract_kw_range", "basic_krw_per_kw_month", *(f"tou_krw_per_kwh_{s}" for s in SEASON_NAMES)),
    "lamp": ("contract_kw_range", "lamp_krw_per_w_month"),
}


@dataclass(frozen=True)
class Tariff:
    """One KEPCO tariff class, its rates (KRW, before add-ons and taxes) and their provenance.

    ``energy_krw_per_kwh[season, band]`` holds the hourly energy rate of ``tou`` and ``seasonal``
    classes (a seasonal class has the same rate in every band). Blocks: ``block_upper_summer_kwh``
    and ``block_upper_other_kwh`` (per household and month, one fewer than the blocks),
    ``block_price_krw_per_kwh`` and ``block_basic_krw_per_month``.
    """

    name: str
    family: str
    kind: str
    voltage: str
    option: str
    effective: str
    description: str
    contract_kw_min: float
    contract_kw_max: float
    basic_krw_per_kw_month: float = 0.0
    energy_krw_per_kwh: np.ndarray = field(default_factory=lambda: np.zeros((3, 3)))
    block_upper_summer_kwh: tuple[float, ...] = ()
    block_upper_other_kwh: tuple[float, ...] = ()
    block_price_krw_per_kwh: tuple[float, ...] = ()
    block_basic_krw_per_month: tuple[float, ...] = ()
    super_user_kwh: float = float("inf")
    super_user_krw_per_kwh: float = 0.0
    super_user_months: frozenset[int] = frozenset()
    summer_months: frozenset[int] = frozenset()
    lamp_krw_per_w_month: float = 0.0
    provenance: dict = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.description.split(':')[0]})" if self.description else self.name

    def blocks_for_month(self, month: int) -> tuple[np.ndarray, np.ndarray]:
        """(upper bounds of every block, the last one infinite; prices) per household in month 1-12."""
        uppers = list(self.block_upper_summer_kwh if month in self.summer_months else self.block_upper_other_kwh)
        prices = list(self.block_price_krw_per_kwh)
        if month in self.super_user_months and np.isfinite(self.super_user_kwh):
            keep = [u for u in uppers if u < self.super_user_kwh]
            uppers = keep + [self.super_user_kwh]
            prices = prices[:len(keep) + 1] + [self.super_user_krw_per_kwh]
        return np.array(uppers + [np.inf]), np.array(prices, dtype=float)

    def block_reached(self, month: int, kwh_per_meter: np.ndarray | float) -> np.ndarray:
        """Index of the (regular) block a household's monthly use falls in, for its basic charge."""
        uppers = np.array(self.block_upper_summer_kwh if month in self.summer_months else self.block_upper_other_kwh)
        return np.searchsorted(uppers, np.asarray(kwh_per_meter, dtype=float) - 1e-9, side="right")


def tariff_from_entry(e: CatalogueEntry) -> Tariff:
    f = e.facts
    lo, hi = e.contract_kw_range
    kw = dict(name=e.name, family=e.family, kind=e.kind, voltage=e.voltage, option=e.option,
              effective=e.effective, description=e.description, contract_kw_min=float(lo), contract_kw_max=float(hi),
              provenance=e.provenance())
    if e.kind == "tou":
        kw["energy_krw_per_kwh"] = np.array([e.tou_krw_per_kwh_summer, e.tou_krw_per_kwh_spring_autumn,
                                             e.tou_krw_per_kwh_winter], dtype=float)
    elif e.kind == "seasonal":
        rates = [getattr(e, f"energy_krw_per_kwh_{s}") for s in SEASON_NAMES]
        kw["energy_krw_per_kwh"] = np.repeat(np.array(rates, dtype=float)[:, None], 3, axis=1)
    if "basic_krw_per_kw_month" in f:
        kw["basic_krw_per_kw_month"] = float(e.basic_krw_per_kw_month)
    if e.kind == "blocks":
        kw.update(block_upper_summer_kwh=tuple(e.block_upper_kwh_summer), block_upper_other_kwh=tuple(e.block_upper_kwh_other),
                  block_price_krw_per_kwh=tuple(e.energy_krw_per_kwh), block_basic_krw_per_month=tuple(e.basic_krw_per_month),
                  super_user_kwh=float(e.super_user_kwh), super_user_krw_per_kwh=float(e.super_user_krw_per_kwh),
                  super_user_months=frozenset(int(m) for m in e.super_user_months),
                  summer_months=frozenset(int(m) for m in e.summer_months))
    if e.kind == "lamp":
        kw["lamp_krw_per_w_month"] = float(e.lamp_krw_per_w_month)
    return Tariff(**kw)


def _check_entry(key: str, fact, ctx) -> bool:
    if key.endswith("contract_kw_range") and not fact.value[0] < fact.value[1]:
        ctx.add(f"{key}.value", "[min, max) with min < max", repr(list(fact.value)))
        return False
    return True


def load_tariffs(path: Path, problems: list[Problem]) -> dict[str, Tariff | None]:
    """Read the tariff catalogue; a class with problems maps to None (its problems are listed)."""
    entries = load_catalogue(path, PLAIN, FACTS, lambda plain: NEEDED.get(plain["kind"], ()), problems,
                             check=_check_entry)
    out: dict[str, Tariff | None] = {}
    ctx_problems = []
    for name, e in entries.items():
        if e is None:
            out[name] = None
            continue
        if e.kind == "blocks":
            n = len(e.energy_krw_per_kwh)
            for key in ("block_upper_kwh_summer", "block_upper_kwh_other"):
                if len(getattr(e, key)) != n - 1 or list(getattr(e, key)) != sorted(getattr(e, key)):
                    ctx_problems.append(Problem(str(path), f"{name}.{key}", f"{n - 1} increasing bounds "
                                                f"(one fewer than the {n} block prices)", repr(list(getattr(e, key)))))
            if len(e.basic_krw_per_month) != n:
                ctx_problems.append(Problem(str(path), f"{name}.basic_krw_per_month", f"{n} basic charges "
                                            "(one per block)", f"{len(e.basic_krw_per_month)}"))
            if list(e.energy_krw_per_kwh) != sorted(e.energy_krw_per_kwh):
                ctx_problems.append(Problem(str(path), f"{name}.energy_krw_per_kwh", "block prices that rise from "
                                            "block to block (the LP needs a convex cost)", repr(list(e.energy_krw_per_kwh))))
        out[name] = tariff_from_entry(e) if not any(p.key.startswith(name + ".") for p in ctx_problems) else None
    problems.extend(ctx_problems)
    return out


# ---------------------------------------------------------------------------------------------
# market-wide rules and the tariff calendar

@dataclass(frozen=True)
class TariffRules:
    """What KEPCO adds to every tariff, and its time-of-use and billing-demand rules (market facts)."""

    climate_krw_per_kwh: float = 0.0
    fuel_krw_per_kwh: float = 0.0
    vat_fraction: float = 0.0
    fund_fraction: float = 0.0
    band_by_hour: np.ndarray = field(default_factory=lambda: np.zeros((3, 24), dtype=int))  # [season, hour]
    billing_demand_months: tuple[int, ...] = (12, 1, 2, 7, 8, 9)
    demand_floor_fraction_of_contract: float = 0.3
    net_metering_max_kw: float = 1000.0

    @classmethod
    def from_facts(cls, market) -> TariffRules:
        summer = np.asarray(market.tou_band_by_hour_summer_spring_autumn, dtype=int)
        winter = np.asarray(market.tou_band_by_hour_winter, dtype=int)
        return cls(market.climate_environment_charge_krw_per_kwh, market.fuel_cost_adjustment_krw_per_kwh,
                   market.vat_fraction, market.power_fund_fraction, np.vstack([summer, summer, winter]),
                   tuple(int(m) for m in market.billing_demand_months),
                   market.billing_demand_floor_fraction_of_contract, market.net_metering_max_kw)

    def scale(self, bears_vat: bool) -> float:
        """Multiplier from the electricity charge to what the payer pays: fund, and VAT where borne."""
        return 1.0 + self.fund_fraction + (self.vat_fraction if bears_vat else 0.0)


@dataclass(frozen=True)
class TariffCalendar:
    """Month (1-12), KEPCO season (0 summer, 1 spring-autumn, 2 winter) and billed band (0 light,
    1 mid, 2 peak, after the Saturday and Sunday/holiday rules) of every hour of the year."""

    month: np.ndarray
    season: np.ndarray
    band: np.ndarray

    @property
    def demand_hours(self) -> np.ndarray:
        """Hours whose import counts towards billing demand (mid and peak, after the day rules)."""
        return self.band >= MID


def tariff_calendar(index: pd.DatetimeIndex, rules: TariffRules, holidays: np.ndarray | None = None) -> TariffCalendar:
    """The tariff calendar of an hourly index (public holidays from the ``holidays`` package, without the
    ad-hoc temporary holidays, which KEPCO bills as ordinary days)."""
    month, hour, weekday = clock_fields(index)
    season = SEASON_OF_MONTH[month - 1]
    band = rules.band_by_hour[season, hour].astype(int)
    holiday = holiday_mask(index, temporary=False) if holidays is None else np.asarray(holidays, dtype=bool)
    sunday = weekday == 6
    saturday = (weekday == 5) & ~holiday
    band = np.where(saturday & (band == PEAK), MID, band)
    band = np.where(sunday | holiday, LIGHT, band)
    return TariffCalendar(month, season, band)


# ---------------------------------------------------------------------------------------------
# meters and bills

@dataclass(frozen=True)
class Meter:
    """``count`` identical customers on one tariff; import and export arrays are their sum."""

    name: str
    tariff: Tariff
    contract_kw: float = 0.0  # per meter
    count: int = 1
    demand_basis: str = ""  # "peak" (maximum-demand meter) or "contract"; "" = peak for tou, else contract
    bears_vat: bool = False
    net_metering: bool = False
    lamps_w: float = 0.0  # lamp tariffs: installed W of all lamps

    @property
    def basis(self) -> str:
        return self.demand_basis or ("peak" if self.tariff.kind == "tou" else "contract")


BILL_COLUMNS = ("import_kwh", "export_kwh", "billed_kwh", "surplus_carried_kwh", "billing_demand_kw",
                "basic_krw", "energy_krw", "climate_fuel_krw", "charge_krw", "fund_krw", "vat_krw", "total_krw")


def net_monthly(import_kwh: np.ndarray, export_kwh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Monthly net metering: (billed kWh, surplus carried out of each month); December's surplus lapses."""
    billed, carried = np.zeros(12), np.zeros(12)
    carry = 0.0
    for m in range(12):
        net = import_kwh[m] - export_kwh[m] - carry
        billed[m] = max(net, 0.0)
        carry = carried[m] = max(-net, 0.0)
    return billed, carried


def billing_demand_kw(meter: Meter, peak_per_meter_kw: np.ndarray, rules: TariffRules) -> np.ndarray:
    """Billing demand per meter of each month from the months' peaks (steady-state 12-month window)."""
    floor = rules.demand_floor_fraction_of_contract * meter.contract_kw
    if meter.basis == "contract":
        return np.full(12, meter.contract_kw)
    ratchet = max((peak_per_meter_kw[m - 1] for m in rules.billing_demand_months), default=0.0)
    return np.maximum(np.maximum(peak_per_meter_kw, ratchet), floor)


def block_energy_krw(tariff: Tariff, month: int, kwh_per_meter: float) -> float:
    uppers, prices = tariff.blocks_for_month(month)
    lowers = np.concatenate([[0.0], uppers[:-1]])
    return float(np.sum(prices * np.clip(kwh_per_meter - lowers, 0.0, uppers - lowers)))


def residential_basic_krw(tariff: Tariff, count: int, billed_kwh_by_month) -> np.ndarray:
    """Basic charge of each month for ``count`` households sharing ``billed_kwh_by_month`` (blocks tariffs)."""
    n = max(int(count), 1)
    return np.array([tariff.block_basic_krw_per_month[int(tariff.block_reached(m + 1, billed_kwh_by_month[m] / n))] * n
                     for m in range(12)])


def bill(meter: Meter, import_kw: np.ndarray, calendar: TariffCalendar, rules: TariffRules,
         export_kw: np.ndarray | None = None, load_kw: np.ndarray | None = None) -> pd.DataFrame:
    """Monthly bill of a meter from hourly import (kW means of each hour, so kWh) of a whole year.

    ``export_kw`` counts only under net metering; ``load_kw`` gives a lamp tariff's estimated
    energy (its climate and fuel charges follow the lamps, not the import). Returns one row per month
    (1-12) with the columns of :data:`BILL_COLUMNS`; every KRW column is per month for all meters.
    """
    import pandas as pd

    return pd.DataFrame(_bill_columns(meter, import_kw, calendar, rules, export_kw, load_kw),
                        index=pd.RangeIndex(1, 13, name="month"))


def _bill_columns(meter: Meter, import_kw: np.ndarray, calendar: TariffCalendar, rules: TariffRules,
                  export_kw: np.ndarray | None = None, load_kw: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The columns of :func:`bill`, as arrays of 12 months."""
    t = meter.tariff
    imp = np.asarray(import_kw, dtype=float)
    exp = np.zeros_like(imp) if export_kw is None else np.asarray(export_kw, dtype=float)
    month = calendar.month
    imp_m = np.bincount(month - 1, weights=imp, minlength=12)
    exp_m = np.bincount(month - 1, weights=exp, minlength=12)
    if meter.net_metering:
        billed_m, carried = net_monthly(imp_m, exp_m)
    else:
        billed_m, carried = imp_m, np.zeros(12)
    n = max(int(meter.count), 1)
    energy = np.zeros(12)
    basic = np.zeros(12)
    demand = np.zeros(12)
    if t.kind == "tou" and not meter.net_metering:
        rate = t.energy_krw_per_kwh[calendar.season, calendar.band]
        energy = np.bincount(month - 1, weights=rate * imp, minlength=12)
    elif t.kind in ("tou", "seasonal"):
        season_of = SEASON_OF_MONTH
        energy = np.array([t.energy_krw_per_kwh[season_of[m], 0] * billed_m[m] for m in range(12)])
    elif t.kind == "blocks":
        energy = np.array([block_energy_krw(t, m + 1, billed_m[m] / n) * n for m in range(12)])
        basic = residential_basic_krw(t, n, billed_m)
    elif t.kind == "lamp":
        energy = np.full(12, t.lamp_krw_per_w_month * meter.lamps_w)
    if t.kind in ("tou", "seasonal"):
        peaks = np.zeros(12)
        np.maximum.at(peaks, month - 1, np.where(calendar.demand_hours, imp, 0.0))
        peaks /= n
        demand = billing_demand_kw(meter, peaks, rules)
        basic = t.basic_krw_per_kw_month * demand * n
    kwh_charged = billed_m
    if t.kind == "lamp":
        kwh_charged = np.bincount(month - 1, weights=np.asarray(load_kw if load_kw is not None else imp, dtype=float),
                                  minlength=12)
    climate_fuel = (rules.climate_krw_per_kwh + rules.fuel_krw_per_kwh) * kwh_charged
    charge = basic + energy + climate_fuel
    fund = rules.fund_fraction * charge
    vat = rules.vat_fraction * charge if meter.bears_vat else np.zeros(12)
    return {"import_kwh": imp_m, "export_kwh": exp_m, "billed_kwh": billed_m, "surplus_carried_kwh": carried,
            "billing_demand_kw": demand, "basic_krw": basic, "energy_krw": energy, "climate_fuel_krw": climate_fuel,
            "charge_krw": charge, "fund_krw": fund, "vat_krw": vat, "total_krw": charge + fund + vat}


def annual_bill_krw(meter: Meter, import_kw: np.ndarray, calendar: TariffCalendar, rules: TariffRules,
                    export_kw: np.ndarray | None = None, load_kw: np.ndarray | None = None) -> float:
    """The year's total of :func:`bill` (without building its table: finance bills every year of every site)."""
    return float(_bill_columns(meter, import_kw, calendar, rules, export_kw, load_kw)["total_krw"].sum())


# ---------------------------------------------------------------------------------------------
# the LP's terms

@dataclass(frozen=True)
class MeterTerms:
    """A meter's cost as the LP sees it, on the LP's time steps, before ``scale`` (fund and VAT).

    cost = scale x ( sum_t w_t e_t I_t                                hourly energy (tou, seasonal)
                   + sum_m sum_k p_m,k b_m,k,  sum_k b_m,k = Q_m     monthly blocks (blocks, net metering)
                   + c_dem sum_m D_m                                  peak-basis basic charge
                   + fixed )                                          constants (contract basic, lamps,
                                                                      the residential basic charge)

    with Q_m = sum_t w_m,t (I_t - X_t) - S_(m-1) + S_m under net metering (X the site's export,
    S the surplus carried) or sum_t w_m,t I_t, and D_m >= P_m, D_m >= R, D_m >= floor,
    R >= P_j (j in the billing-demand months), P_m >= I_t for the month's mid and peak steps.
    """

    name: str
    count: int
    scale: float
    energy_krw_per_kwh: np.ndarray  # per LP step (zero where energy is billed in monthly blocks)
    monthly_blocks: tuple[tuple[np.ndarray, np.ndarray], ...] | None  # per month (widths kWh total, prices)
    demand_rate_krw_per_kw_month: float
    demand_steps: tuple[np.ndarray, ...]  # per month: LP steps counting for billing demand
    billing_demand_months: tuple[int, ...]  # 1-12
    demand_floor_kw: float  # for all meters together
    fixed_krw_per_year: float
    net_metering: bool
    demand_mask: np.ndarray | None = None  # per LP step: counts towards billing demand

    def on_days(self, day_to_period: np.ndarray, day_months: np.ndarray, hours_per_day: int = 24) -> MeterTerms:
        """These terms (on the hours of a whole year) on typical days: ``day_to_period[d]`` is the typical
        day that stands for day d of the year, ``day_months[d]`` its month (1-12).

        Exact for the bill of the typical days' dispatch expanded to the year: each typical hour's energy
        price is the mean over the days it stands for (a Sunday billed light, a Saturday's peak as mid,
        another season's rate), and a typical hour counts for a month's billing demand when any of that
        month's days it stands for counts it.
        """
        from dataclasses import replace

        periods = int(day_to_period.max()) + 1
        days = len(day_to_period)
        counts = np.bincount(day_to_period, minlength=periods).astype(float)
        e = self.energy_krw_per_kwh[: days * hours_per_day].reshape(days, hours_per_day)
        energy = np.zeros((periods, hours_per_day))
        np.add.at(energy, day_to_period, e)
        energy = (energy / np.maximum(counts, 1.0)[:, None]).reshape(-1)
        mask = (self.demand_mask if self.demand_mask is not None else np.ones(days * hours_per_day, dtype=bool))
        mask = mask[: days * hours_per_day].reshape(days, hours_per_day)
        steps = []
        for m in range(1, 13):
            counted = np.zeros((periods, hours_per_day), dtype=bool)
            sel = day_months == m
            np.logical_or.at(counted, day_to_period[sel], mask[sel])
            steps.append(np.flatnonzero(counted.reshape(-1)))
        any_counted = np.zeros((periods, hours_per_day), dtype=bool)
        np.logical_or.at(any_counted, day_to_period, mask)
        return replace(self, energy_krw_per_kwh=energy, demand_steps=tuple(steps), demand_mask=any_counted.reshape(-1))


def lp_terms(meter: Meter, calendar: TariffCalendar, rules: TariffRules, hours: np.ndarray,
             month_steps: tuple[np.ndarray, ...], load_kw: np.ndarray | None = None,
             fixed_kwh_by_month: np.ndarray | None = None) -> MeterTerms:
    """The LP terms of ``meter`` on LP steps that stand for hours ``hours`` of the year.

    ``month_steps[m]`` are the LP steps of month m+1 (a typical day may stand for days of several
    months). ``fixed_kwh_by_month`` is the monthly import the residential basic charge is evaluated
    on (the LP's own dispatch after a solve; the load before that).
    """
    t = meter.tariff
    n = max(int(meter.count), 1)
    clim = rules.climate_krw_per_kwh + rules.fuel_krw_per_kwh
    season, band = calendar.season[hours], calendar.band[hours]
    monthly = t.kind == "blocks" or meter.net_metering
    energy = np.zeros(len(hours))
    blocks = None
    fixed = 0.0
    if t.kind == "lamp":
        kwh = np.bincount(calendar.month - 1, weights=np.asarray(load_kw, dtype=float), minlength=12) \
            if load_kw is not None else np.zeros(12)
        fixed = 12 * t.lamp_krw_per_w_month * meter.lamps_w + clim * float(kwh.sum())
    elif monthly:
        out = []
        for m in range(1, 13):
            if t.kind == "blocks":
                uppers, prices = t.blocks_for_month(m)
                lowers = np.concatenate([[0.0], uppers[:-1]])
                out.append(((uppers - lowers) * n, prices + clim))
            else:
                out.append((np.array([np.inf]), np.array([t.energy_krw_per_kwh[SEASON_OF_MONTH[m - 1], 0] + clim])))
        blocks = tuple(out)
        if t.kind == "blocks" and fixed_kwh_by_month is not None:
            fixed = float(residential_basic_krw(t, n, fixed_kwh_by_month).sum())
    else:
        energy = t.energy_krw_per_kwh[season, band] + clim
    rate = 0.0
    steps: tuple[np.ndarray, ...] = tuple(np.zeros(0, dtype=int) for _ in range(12))
    mask = calendar.demand_hours[hours]
    floor = rules.demand_floor_fraction_of_contract * meter.contract_kw * n
    if t.kind in ("tou", "seasonal"):
        if meter.basis == "contract":
            fixed += 12 * t.basic_krw_per_kw_month * meter.contract_kw * n
        else:
            rate = t.basic_krw_per_kw_month
            steps = tuple(np.asarray(s, dtype=int)[mask[np.asarray(s, dtype=int)]] for s in month_steps)
    return MeterTerms(meter.name, n, rules.scale(meter.bears_vat), energy, blocks, rate, steps,
                      rules.billing_demand_months, floor, fixed, meter.net_metering, mask)


def check_meter(meter: Meter, peak_kw: float, where: str, key: str) -> list[Problem]:
    """A meter's contract against its tariff class and against its load's peak before PV (``key``:
    the scenario key of the contract, named in the problems)."""
    t = meter.tariff
    out = []
    if t.kind == "lamp":
        return out
    c = meter.contract_kw
    if not t.contract_kw_min <= c < t.contract_kw_max:
        upper = "" if t.contract_kw_max >= 1e8 else f" and below {t.contract_kw_max:g} kW"
        out.append(Problem(where, key, f"a contract of at least {t.contract_kw_min:g} kW{upper} "
                           f"for tariff {t.name!r}, or another tariff class", f"{c:g} kW"))
    per_meter_peak = peak_kw
    if c > 0 and per_meter_peak > c * (1 + 1e-9):
        out.append(Problem(where, key, f"a contract that covers the load's peak before PV "
                           f"({per_meter_peak:,.1f} kW per meter, tariff {t.name!r})", f"{c:g} kW"))
    if meter.net_metering and t.kind == "tou":
        out.append(Problem(where, key, "net metering on a residential or flat seasonal tariff (netting by "
                           "time-of-use band is not modelled)", f"tariff {t.name!r} (time of use)"))
    return out
