"""Facts with provenance: the numbers in ``inputs/``.

Every fact in an input file is a TOML table::

    [smp_krw_per_kwh]
    value = 117.26
    unit = "KRW/kWh"
    year = 2025
    source = "KPX SMP, H1 2025 mean (facts_korea.md 4c)"

or, where no source exists, ``assumption = "why this value"`` instead of ``source`` and
``year``. :func:`load_facts` checks the provenance and the value of every fact against the
declarations in :data:`FACT_FILES`, and reports every problem at once. A scenario can
override a value (``[overrides.market] smp_krw_per_kwh = 100``); the override is validated
by the same declaration and recorded as the fact's provenance.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import Any

from pvcluster.errors import Problem
from pvcluster.schema import REQUIRED, Context, Field, _suggest, _validate_field, toml_error

_N = "number"
_L = "number_list"

#: The facts each input file must provide, declared once with unit and bounds.
FACT_FILES: dict[str, dict[str, Field]] = {
    "climate": {
        "latitude_deg": Field(_N, unit="deg", ge=-90, le=90, doc="site of the normals"),
        "longitude_deg": Field(_N, unit="deg", ge=-180, le=180),
        "ghi_kwh_per_m2_day": Field(_L, unit="kWh/m2/day", ge=0, le=12, length=12,
                                    doc="monthly mean daily global horizontal irradiation"),
        "temp_air_c": Field(_L, unit="degC", ge=-60, le=60, length=12, doc="monthly mean air temperature"),
        "temp_daily_range_c": Field(_L, unit="degC", ge=0, le=40, length=12,
                                    doc="monthly mean of daily max minus daily min"),
        "temp_daily_anomaly_sd_c": Field(_N, unit="degC", ge=0, le=10,
                                         doc="spread of daily mean temperature around the normal"),
        "wind_speed_m_per_s": Field(_L, unit="m/s", ge=0, le=40, length=12),
        "albedo_fraction": Field(_N, unit="fraction", ge=0, le=1),
        "clearness_lag1_autocorrelation": Field(_N, unit="fraction", ge=0, lt=1,
                                                doc="day-to-day persistence of the clearness index"),
        "clearness_daily_sd": Field(_N, unit="clearness index", gt=0, le=0.3,
                                    doc="standard deviation of the daily clearness index within a month"),
        "ghi_interannual_cv_fraction": Field(_N, unit="fraction", ge=0, le=0.2,
                                             doc="year-to-year spread of annual GHI (standard deviation / mean)"),
        "snowfall_cm": Field(_L, unit="cm/month", ge=0, le=500, length=12, doc="monthly new snowfall"),
        "snow_events": Field(_L, unit="days/month", ge=0, le=31, length=12,
                             doc="days per month with more than 2.54 cm (1 inch) of new snow"),
        "relative_humidity_percent": Field(_L, unit="%", ge=0, le=100, length=12,
                                           doc="monthly mean relative humidity"),
    },
    "pv": {
        "soiling_loss_fraction": Field(_N, unit="fraction", ge=0, lt=1),
        "mismatch_loss_fraction": Field(_N, unit="fraction", ge=0, lt=1),
        "dc_wiring_loss_fraction": Field(_N, unit="fraction", ge=0, lt=1),
        "connections_loss_fraction": Field(_N, unit="fraction", ge=0, lt=1),
        "lid_loss_fraction": Field(_N, unit="fraction", ge=0, lt=1, doc="light-induced degradation"),
        "nameplate_loss_fraction": Field(_N, unit="fraction", ge=0, lt=1),
        "transformer_loss_fraction": Field(_N, unit="fraction", ge=0, lt=1, doc="MV step-up transformer"),
        "availability_loss_fraction": Field(_N, unit="fraction", ge=0, lt=1),
        "inverter_efficiency_fraction": Field(_N, unit="fraction", gt=0.5, le=1,
                                              doc="nominal efficiency of the PVWatts inverter model"),
        "resource_uncertainty_fraction": Field(_N, unit="fraction", ge=0, le=0.5,
                                               doc="1-sigma uncertainty of the long-term mean irradiation"),
        "model_uncertainty_fraction": Field(_N, unit="fraction", ge=0, le=0.5,
                                            doc="1-sigma uncertainty of the energy model itself"),
    },
    "rooftops": {
        "usable_roof_area_m2_median": Field(_L, unit="m2", gt=0, length=3,
                                            doc="median usable roof area: house, public, commercial"),
        "usable_roof_area_sigma": Field(_L, unit="-", ge=0, le=2, length=3,
                                        doc="lognormal sigma of usable roof area, by class"),
        "flat_roof_fraction": Field(_L, unit="fraction", ge=0, le=1, length=3,
                                    doc="share of flat (slab) roofs, by class"),
        "flat_roof_rack_tilt_deg": Field(_N, unit="deg", ge=0, le=60, doc="module tilt on racks on flat roofs"),
        "pitched_roof_tilt_deg_mean": Field(_N, unit="deg", ge=0, le=60),
        "pitched_roof_tilt_deg_sd": Field(_N, unit="deg", ge=0, le=30),
        "azimuth_sd_deg": Field(_N, unit="deg", ge=0, le=90, doc="spread of array azimuth around south"),
        "shading_fraction_mean": Field(_L, unit="fraction", ge=0, lt=1, length=3,
                                       doc="mean annual irradiance lost to nearby obstacles, by class"),
        "shading_fraction_concentration": Field(_N, unit="-", gt=0, doc="beta-distribution concentration"),
        "dc_ac_ratio": Field(_N, unit="-", gt=0.5, le=3),
        "snow_slant_height_m": Field(_N, unit="m", gt=0, le=20, doc="array length up the slope"),
        "snow_lower_edge_height_m": Field(_N, unit="m", ge=0, le=50, doc="array lower edge above the surface below"),
    },
    "market": {
        "smp_krw_per_kwh": Field(_N, unit="KRW/kWh", ge=0, doc="system marginal price, annual mean of the base year"),
        "smp_monthly_factors": Field(_L, unit="-", ge=0, le=5, length=12, doc="SMP of each month / the annual mean"),
        "smp_hourly_factors": Field(_L, unit="-", ge=0, le=5, length=24, doc="SMP of each hour of day / the mean"),
        "smp_real_change_fraction_per_year": Field(_N, unit="fraction/yr", ge=-0.2, le=0.2,
                                                   doc="real change of SMP per year after the base year"),
        "rec_price_krw_per_rec": Field(_N, unit="KRW/REC", ge=0, doc="spot REC price; 1 REC = 1 MWh x weight"),
        "rec_real_change_fraction_per_year": Field(_N, unit="fraction/yr", ge=-0.2, le=0.2,
                                                   doc="real change of the REC price per year"),
        "retail_tariff_real_change_fraction_per_year": Field(_N, unit="fraction/yr", ge=-0.2, le=0.2,
                                                             doc="real change of KEPCO's tariffs per year"),
        "climate_environment_charge_krw_per_kwh": Field(_N, unit="KRW/kWh", ge=0),
        "fuel_cost_adjustment_krw_per_kwh": Field(_N, unit="KRW/kWh", ge=-50, le=50),
        "vat_fraction": Field(_N, unit="fraction", ge=0, le=0.5, doc="VAT on the electricity charge"),
        "power_fund_fraction": Field(_N, unit="fraction", ge=0, le=0.2,
                                     doc="power-industry fund on the electricity charge"),
        "grid_emission_factor_t_per_mwh": Field(_N, unit="tCO2eq/MWh", ge=0, le=2),
        "tou_band_by_hour_summer_spring_autumn": Field(_L, unit="0 light, 1 mid, 2 peak", ge=0, le=2, length=24),
        "tou_band_by_hour_winter": Field(_L, unit="0 light, 1 mid, 2 peak", ge=0, le=2, length=24),
        "billing_demand_months": Field(_L, unit="month numbers", ge=1, le=12,
                                       doc="months whose peak sets the billing demand of the next 12 months"),
        "billing_demand_floor_fraction_of_contract": Field(_N, unit="fraction", ge=0, le=1,
                                                           doc="billing demand is at least this share of contract"),
        "net_metering_max_kw": Field(_N, unit="kW", ge=0, doc="largest PV system that may net-meter"),
    },
    "costs": {
        "utility_pv_capex_krw_per_kwp": Field(_N, unit="KRW/kWp", gt=0),
        "tracker_capex_premium_fraction": Field(_N, unit="fraction", ge=0, le=1),
        "rooftop_pv_capex_krw_per_kwp": Field(_N, unit="KRW/kWp", gt=0, doc="house roofs (about 3 kW systems)"),
        "building_pv_capex_krw_per_kwp": Field(_N, unit="KRW/kWp", gt=0,
                                               doc="public, commercial and factory roofs (10-100 kW systems)"),
        "pv_fixed_om_fraction_of_capex": Field(_N, unit="fraction/yr", ge=0, le=0.2),
        "storage_energy_capex_krw_per_kwh": Field(_N, unit="KRW/kWh", gt=0),
        "storage_power_capex_krw_per_kw": Field(_N, unit="KRW/kW", ge=0),
        "storage_fixed_om_fraction_of_capex": Field(_N, unit="fraction/yr", ge=0, le=0.2),
        "storage_round_trip_efficiency_fraction": Field(_N, unit="fraction", gt=0, le=1),
        "storage_life_years": Field(_N, unit="years", gt=0, le=50),
        "pv_life_years": Field(_N, unit="years", gt=0, le=50),
        "pv_degradation_fraction_per_year": Field(_N, unit="fraction/yr", ge=0, le=0.05),
        "discount_rate_fraction": Field(_N, unit="fraction", gt=-0.5, lt=1),
        "corporate_tax_bracket_thresholds_krw": Field(_L, unit="KRW", ge=0),
        "corporate_tax_rates_fraction": Field(_L, unit="fraction", ge=0, lt=1),
        "local_income_tax_fraction_of_cit": Field(_N, unit="fraction", ge=0, le=1),
        "depreciation_years": Field(_N, unit="years", gt=0, le=50),
        "storage_min_soc_fraction": Field(_N, unit="fraction", ge=0, lt=1,
                                          doc="state of charge the battery is never drawn below"),
        "pilot_retrofit_krw_per_kw_peak": Field(_N, unit="KRW/kW", ge=0,
                                                doc="one-off cost to enroll a facility in the pilot program, "
                                                    "per kW of its peak load"),
    },
    "finance": {
        "inflation_fraction_per_year": Field(_N, unit="fraction/yr", ge=-0.05, le=0.2,
                                             doc="consumer-price inflation that makes real flows nominal"),
        "equity_discount_rate_fraction": Field(_N, unit="fraction", ge=0, le=0.5,
                                               doc="real rate at which equity cash flows are discounted"),
        "debt_gearing_max_fraction": Field(_N, unit="fraction", ge=0, le=1,
                                           doc="largest share of net capex lenders fund"),
        "debt_rate_fraction": Field(_N, unit="fraction", ge=0, le=0.5, doc="nominal interest rate of senior debt"),
        "debt_tenor_years": Field(_N, unit="years", ge=1, le=40, doc="years of repayment from the first operating year"),
        "debt_grace_years": Field(_N, unit="years", ge=0, le=10, doc="interest-only years at the start of operation"),
        "dscr_target": Field(_N, unit="-", gt=0, le=5, doc="debt-service cover ratio the loan is sculpted to"),
        "dsra_months": Field(_N, unit="months", ge=0, le=24, doc="debt-service reserve: months of service"),
        "loss_carryforward_years": Field(_N, unit="years", ge=0, le=50, doc="years a tax loss can offset profits"),
        "working_capital_fraction_of_revenue": Field(_N, unit="fraction", ge=0, lt=1,
                                                     doc="receivables held, as a share of a year's revenue"),
        "pv_insurance_and_tax_krw_per_kwp_year": Field(_N, unit="KRW/kWp/yr", ge=0,
                                                       doc="insurance and local taxes of a PV plant, per kWp DC"),
        "inverter_replacement_krw_per_kw": Field(_N, unit="KRW/kW", ge=0, doc="cost of new inverters"),
        "inverter_replacement_year": Field(_N, unit="operating year", ge=1, le=60,
                                           doc="operating year in which inverters are replaced"),
        "land_lease_krw_per_kwp_year": Field(_N, unit="KRW/kWp/yr", ge=0,
                                             doc="land rent of a ground-mounted plant"),
        "fixed_price_contract_krw_per_kwh": Field(_N, unit="KRW/kWh", ge=0,
                                                  doc="long-term contract price for SMP + 1 REC"),
        "fixed_price_contract_years": Field(_N, unit="years", ge=1, le=40,
                                            doc="length of the fixed-price contract"),
        "agrivoltaic_farm_income_krw_per_ha_year": Field(_N, unit="KRW/ha/yr", ge=0,
                                                         doc="a farm's revenue less operating cost under PV"),
    },
    "demand": {
        "household_kwh_per_month": Field(_N, unit="kWh/month", gt=0),
        "household_kwh_growth_fraction_per_year": Field(_N, unit="fraction/yr", ge=-0.1, le=0.1,
                                                        doc="change of one household's use per year"),
        "household_month_factors": Field(_L, unit="-", gt=0, length=12,
                                         doc="monthly consumption relative to the annual mean month"),
        **{f"household_{season}_{day}_shape": Field(
            _L, unit="-", ge=0, length=24,
            doc=f"hour-of-day weights, {season.replace('_', '/')} {'workdays' if day == 'workday' else 'weekends and public holidays'}")
           for season in ("summer", "spring_autumn", "winter") for day in ("workday", "dayoff")},
        "household_size_sd_fraction": Field(_N, unit="fraction", ge=0, le=1.5,
                                            doc="lognormal sigma of annual use between households"),
        "household_hour_shift_sd_h": Field(_N, unit="h", ge=0, le=4,
                                           doc="spread of each household's daily routine in time"),
        "household_hourly_noise_sd_fraction": Field(_N, unit="fraction", ge=0, le=1),
        "heating_oil_l_per_household_year": Field(_N, unit="L/yr", ge=0,
                                                  doc="kerosene burned for space heating by one household"),
        "kerosene_kwh_per_l": Field(_N, unit="kWh/L", gt=0, le=15, doc="net calorific value of kerosene"),
        "oil_boiler_efficiency_fraction": Field(_N, unit="fraction", gt=0, le=1),
        "heating_base_temp_c": Field(_N, unit="degC", ge=5, le=25, doc="no space heating above this"),
        "heat_pump_cop_at_7c": Field(_N, unit="-", ge=1, le=8, doc="COP at 7 degC outdoor air (A7/W35)"),
        "heat_pump_cop_slope_per_k": Field(_N, unit="1/K", ge=0, le=0.5, doc="COP gained per K of warmer air"),
        "heat_pump_cop_min": Field(_N, unit="-", ge=1, le=8, doc="COP floor in the coldest hours"),
    },
}


@dataclass(frozen=True)
class Fact:
    value: Any
    unit: str
    provenance: str  # "source (year)" or "assumption: ..." or "scenario override"


_PROVENANCE_KEYS = {"value", "unit", "source", "year", "assumption", "note", "reliability"}


def read_toml_file(path: Path, problems: list[Problem]) -> dict | None:
    """Parse a TOML input file; a syntax or read error becomes a Problem naming the file."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(toml_error(path, exc))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), "", "a readable UTF-8 text file", str(exc)))
    return None


def read_fact(key: str, entry: Any, declared: Field, ctx: Context) -> Fact | None:
    """Check one fact table (value, unit, provenance) against its declaration."""
    if not isinstance(entry, dict) or "value" not in entry:
        ctx.add(key, "a table with 'value' and 'source' + 'year' or 'assumption'",
                "a bare value" if not isinstance(entry, dict) else "a table without 'value'")
        return None
    extra = set(entry) - _PROVENANCE_KEYS
    if extra:
        bad = sorted(extra)[0]
        ctx.add(f"{key}.{bad}", "one of " + ", ".join(sorted(_PROVENANCE_KEYS)),
                f"unknown key {bad!r}{_suggest(bad, sorted(_PROVENANCE_KEYS))}")
    has_source = isinstance(entry.get("source"), str) and entry["source"].strip()
    has_year = isinstance(entry.get("year"), int) and not isinstance(entry.get("year"), bool)
    has_assumption = isinstance(entry.get("assumption"), str) and entry["assumption"].strip()
    if not (has_assumption or (has_source and has_year)):
        ctx.add(key, "provenance: 'source' and 'year', or 'assumption' with a reason",
                "no source with a year and no assumption")
    value = _validate_field(declared, entry["value"], f"{key}.value", ctx)
    if value is None:
        return None
    provenance = (f"{entry['source']} ({entry['year']})" if has_source and has_year
                  else f"assumption: {entry.get('assumption', '')}")
    return Fact(value, entry.get("unit", declared.unit), provenance)


def load_fact_file(kind: str, path: Path, problems: list[Problem]) -> dict[str, Fact]:
    """Read one input file of ``kind``; append every problem found to ``problems``."""
    declared = FACT_FILES[kind]
    raw = read_toml_file(path, problems)
    if raw is None:
        return {}
    ctx = Context(where=str(path))
    facts: dict[str, Fact] = {}
    for name, entry in raw.items():
        if name not in declared:
            ctx.add(name, f"a known fact of a {kind} file",
                    f"unknown fact {name!r}{_suggest(name, list(declared))}")
            continue
        fact = read_fact(name, entry, declared[name], ctx)
        if fact is not None:
            facts[name] = fact
    for name in declared:
        if name not in raw:
            ctx.add(name, declared[name].describe(), "nothing (the fact is missing)")
    problems.extend(ctx.problems)
    return facts


@dataclass(frozen=True)
class CatalogueEntry:
    """One table of a catalogue file (facility types, tariff classes, REC rules): plain keys that say
    what the entry is, and facts with provenance. Read a value by attribute (facts first)."""

    name: str
    plain: dict[str, Any]
    facts: dict[str, Fact]

    def __getattr__(self, key: str) -> Any:
        d = self.__dict__
        if key in d.get("facts", {}):
            return d["facts"][key].value
        if key in d.get("plain", {}):
            return d["plain"][key]
        raise AttributeError(key)

    def provenance(self) -> dict[str, dict[str, Any]]:
        return {n: {"value": list(f.value) if isinstance(f.value, tuple) else f.value, "unit": f.unit,
                    "provenance": f.provenance} for n, f in self.facts.items()}


def read_catalogue_entry(name: str, table: Any, plain: dict[str, Field], facts: dict[str, Field],
                         needed: Callable[[dict[str, Any]], tuple[str, ...]], ctx: Context,
                         check: Callable[[str, Fact, Context], bool] | None = None
                         ) -> tuple[dict[str, Any], dict[str, Fact]] | None:
    """Validate one catalogue table: its plain keys, then the facts its plain keys say it needs.

    ``needed(plain_values)`` names the facts the entry must hold (and may hold); ``check`` may reject a
    fact with a problem of its own (returning False). Returns None when anything is wrong; every
    problem goes to ``ctx``.
    """
    if not isinstance(table, dict):
        ctx.add(name, "a table", "a bare value")
        return None
    values: dict[str, Any] = {}
    for key, spec in plain.items():
        if key in table:
            values[key] = _validate_field(spec, table[key], f"{name}.{key}", ctx)
        elif spec.default is REQUIRED:
            ctx.add(f"{name}.{key}", spec.describe(), "nothing (the key is required)")
            values[key] = None
        else:
            values[key] = spec.default
    ok = all(v is not None or plain[k].default is None for k, v in values.items())
    wanted = needed(values) if ok else ()
    read: dict[str, Fact] = {}
    for key, entry in table.items():
        if key in plain:
            continue
        if key not in facts:
            ctx.add(f"{name}.{key}", "a known key", f"unknown key {key!r}{_suggest(key, list(facts) + list(plain))}")
            continue
        if ok and key not in wanted:
            ctx.add(f"{name}.{key}", "only the facts this entry uses (" + ", ".join(wanted) + ")",
                    f"{key!r}, which it does not use")
            continue
        fact = read_fact(f"{name}.{key}", entry, facts[key], ctx)
        if fact is not None and (check is None or check(f"{name}.{key}", fact, ctx)):
            read[key] = fact
    for key in wanted:
        if key not in table:
            ctx.add(f"{name}.{key}", f"a fact: {facts[key].describe()}, with a source or an assumption",
                    "nothing (the fact is missing)")
    if not ok or any(k not in read for k in wanted):
        return None
    return values, read


def load_catalogue(path: Path, plain: dict[str, Field], facts: dict[str, Field],
                   needed: Callable[[dict[str, Any]], tuple[str, ...]], problems: list[Problem],
                   check: Callable[[str, Fact, Context], bool] | None = None) -> dict[str, CatalogueEntry | None]:
    """Read a catalogue file; an entry with problems maps to None (its problems are in ``problems``)."""
    raw = read_toml_file(path, problems)
    if raw is None:
        return {}
    ctx = Context(where=str(path))
    out: dict[str, CatalogueEntry | None] = {}
    for name, table in raw.items():
        read = read_catalogue_entry(name, table, plain, facts, needed, ctx, check)
        out[name] = CatalogueEntry(name, read[0], read[1]) if read is not None else None
    problems.extend(ctx.problems)
    return out


def apply_overrides(kind: str, facts: dict[str, Fact], overrides: dict, where: str,
                    problems: list[Problem]) -> None:
    """Replace facts by scenario overrides, each validated by the fact's declaration."""
    declared = FACT_FILES[kind]
    ctx = Context(where=where)
    for name, value in overrides.items():
        key = f"overrides.{kind}.{name}"
        if name not in declared:
            ctx.add(key, f"a known fact of the {kind} input",
                    f"unknown fact {name!r}{_suggest(name, list(declared))}")
            continue
        v = _validate_field(declared[name], value, key, ctx)
        if v is not None:
            facts[name] = Fact(v, declared[name].unit, "scenario override")
    problems.extend(ctx.problems)


class Facts:
    """All facts of a scenario, by input kind: ``facts.market.smp_krw_per_kwh`` is a value."""

    def __init__(self, by_kind: dict[str, dict[str, Fact]]):
        self._by_kind = by_kind

    def __getattr__(self, kind: str) -> _Values:
        if kind.startswith("__") or kind == "_by_kind":  # pickle probes __setstate__ before _by_kind exists
            raise AttributeError(kind)
        try:
            return _Values(self._by_kind[kind])
        except KeyError:
            raise AttributeError(kind) from None

    def provenance(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            kind: {n: {"value": list(f.value) if isinstance(f.value, tuple) else f.value,
                       "unit": f.unit, "provenance": f.provenance} for n, f in facts.items()}
            for kind, facts in self._by_kind.items()
        }

    def value(self, key: str) -> Any:
        """The value of ``"<kind>.<fact>"``."""
        kind, name = key.split(".", 1)
        return self._by_kind[kind][name].value

    def replaced(self, values: dict[str, Any], origin: str = "study") -> Facts:
        """New facts with ``{"<kind>.<fact>": value}`` replaced, each checked by its declaration;
        raises InputError listing every bad key or value."""
        from pvcluster.errors import InputError

        by_kind = {kind: dict(facts) for kind, facts in self._by_kind.items()}
        ctx = Context(where=origin)
        for key, value in values.items():
            kind, _, name = key.partition(".")
            declared = FACT_FILES.get(kind, {})
            if name not in declared:
                known = [f"{k}.{n}" for k, d in FACT_FILES.items() for n in d]
                ctx.add(key, "a fact as <kind>.<name>", f"unknown fact {key!r}{_suggest(key, known)}")
                continue
            v = _validate_field(declared[name], value, key, ctx)
            if v is not None:
                by_kind.setdefault(kind, {})[name] = Fact(v, declared[name].unit, f"{origin} override")
        if ctx.problems:
            raise InputError(ctx.problems)
        return Facts(by_kind)


class _Values:
    def __init__(self, facts: dict[str, Fact]):
        self._facts = facts

    def __getattr__(self, name: str) -> Any:
        try:
            return self._facts[name].value
        except KeyError:
            raise AttributeError(name) from None


def _register_stage_facts() -> None:
    """Input kinds whose facts are declared with the finance stage's (in the bottom layer too)."""
    from pvcluster.facts_finance import JOBS_FACTS, POLYSILICON_FACTS

    FACT_FILES["jobs"] = JOBS_FACTS
    FACT_FILES["polysilicon"] = POLYSILICON_FACTS


_register_stage_facts()
