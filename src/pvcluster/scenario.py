"""Load and validate a scenario: a TOML file in ``models/`` plus the input facts it names.

:func:`load_scenario` reads the file, applies ``--set key.path=value`` overrides, validates
everything against :data:`SCENARIO_SCHEMA` and the fact declarations, and raises one
:class:`~pvcluster.errors.InputError` that lists every problem (file, key path, expected,
found). On success it returns a frozen :class:`Scenario`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pvcluster.errors import InputError, Problem
from pvcluster.facts import FACT_FILES, Facts, apply_overrides, load_fact_file
from pvcluster.resources import default_scenario
from pvcluster.schema import Context, Field, Section, Table, TableArray, read_toml, validate

_N, _I, _S, _B, _P = "number", "integer", "string", "bool", "path"
LEVELS = ("L1", "L2", "L3", "L4")
FUNCTIONS = ("rnd", "production", "support", "settlement", "infrastructure")

#: Input kinds added after the first scenarios were written: a scenario that does not name
#: them gets the packaged file.
_NEWER_INPUTS = {"finance": "inputs/finance_korea.toml", "jobs": "inputs/jobs_korea.toml",
                 "tariffs": "inputs/tariffs_kepco.toml", "rec_weights": "inputs/rec_weights_korea.toml",
                 "polysilicon": "inputs/polysilicon_korea.toml"}


def _check_weather(w: Section) -> list[tuple[str, str, str]]:
    if w.source == "file" and w.file is None:
        return [("file", "a weather file because source = 'file'", "no file")]
    return []


def _check_site(site: Section) -> list[tuple[str, str, str]]:
    from pvcluster.calendar import hourly_index

    try:
        hourly_index(2025, site.timezone)
    except Exception:  # unknown zone name, or a zone with daylight saving
        return [("timezone", "an IANA time zone without daylight saving, such as 'Asia/Seoul'",
                 repr(site.timezone))]
    return []


#: Names that become folder names or output column names: letters, digits, _ (and - for a scenario), no
#: separators, not empty, at most 64 characters.
IDENTIFIER = dict(pattern=r"[A-Za-z0-9_]{1,64}", pattern_doc="1-64 letters, digits or underscores")
FOLDER_NAME = dict(pattern=r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}",
                   pattern_doc="1-64 letters, digits, '_' or '-' (it names the output folder), no separators")

#: the energy a lender sizes debt on -> the Exceedance field (P50 is the project's own energy)
DEBT_SIZING_ENERGY = ("p50", "p90_1yr", "p90_10yr", "p99")

VILLAGE = Table({
    "name": Field(_S, doc="identifier, used in output column names", **IDENTIFIER),
    "households": Field(_I, ge=0, doc="number of households (one house roof each)"),
    "public_buildings": Field(_I, default=0, ge=0, doc="public roofs besides the village hall"),
    "commercial_buildings": Field(_I, default=0, ge=0, doc="shop, warehouse and farm-building roofs"),
    "buildings_file": Field(_P, default="", optional_path=True,
                            doc="roof inventory CSV (building_id, village, class, tilt_deg, azimuth_deg, "
                                "usable_area_m2, shading_fraction); empty: drawn by the seeded generator"),
    "existing_rooftop_kwp": Field(_N, default=0.0, unit="kWp", ge=0, doc="PV already installed"),
    "max_rooftop_kwp": Field(_N, default=0.0, unit="kWp", ge=0,
                             doc="cap on rooftop PV; 0 means the inventory's full potential"),
    "village_hall": Field(_B, default=True, doc="the village has a public hall (a public load)"),
    "street_lights": Field(_I, default=0, ge=0, doc="number of street lamps"),
    "grid_import_limit_kw": Field(_N, default=5000.0, unit="kW", gt=0),
    "grid_export_limit_kw": Field(_N, default=2000.0, unit="kW", ge=0),
    "self_sufficiency_target_fraction": Field(
        _N, default=0.0, unit="fraction", ge=0, le=1,
        doc="minimum share of annual demand served by local PV (directly or through storage)"),
    "household_growth_fraction_per_year": Field(
        _N, default=0.0, unit="fraction/yr", ge=-0.2, le=0.2,
        doc="yearly change in the number of households (negative for a shrinking village)"),
    "export_price": Field(_S, default="smp", choices=("smp", "smp_rec", "net_metering"),
                          doc="what exported energy earns: SMP alone, SMP + REC x building weight, or "
                              "net metering against the households' meters (PV up to net_metering_max_kw)"),
    "household_tariff": Field(_S, default="residential_low", doc="KEPCO tariff class of each household's meter"),
    "household_contract_kw": Field(_N, default=3.0, unit="kW", gt=0, doc="contract demand of each household"),
    "hall_tariff": Field(_S, default="general_gap1_low", doc="tariff class of the village hall's meter"),
    "hall_contract_kw": Field(_N, default=0.0, unit="kW", ge=0,
                              doc="contract demand of the hall; 0 = its peak before PV, rounded up"),
    "street_light_tariff": Field(_S, default="street_light_gap",
                                 doc="street_light_gap (flat per lamp, no meter) or street_light_eul (metered)"),
    "behind_pv": Field("string_list", default=["households", "heat_pumps", "hall", "street_lights"],
                       doc="the village's loads (households, heat_pumps, hall, street_lights) whose meters the "
                           "village's PV and storage sit behind; the others stay plain KEPCO customers"),
    "re100": Field(_B, default=False, doc="annual PV generation must at least equal the village's demand"),
    "storage_min_kwh": Field(_N, default=0.0, unit="kWh", ge=0,
                             doc="0: any storage size; else storage is either not built or at least this big"),
    "size": Field(_B, default=True, doc="size PV and storage for this village with the LP"),
})


def _site_table(rooftop_doc: str, import_kw: float, export_kw: float) -> Table:
    return Table({
        "rooftop_kwp": Field(_N, default=0.0, unit="kWp", ge=0, doc=rooftop_doc),
        "grid_import_limit_kw": Field(_N, default=import_kw, unit="kW", gt=0),
        "grid_export_limit_kw": Field(_N, default=export_kw, unit="kW", ge=0),
        "storage": Field(_B, default=True, doc="the site may build storage"),
        "behind_pv": Field("string_list", default=[],
                           doc="facilities of the site whose meters its PV and storage sit behind; empty = every "
                               "facility of the site that is not a pilot candidate"),
        "size": Field(_B, default=True, doc="size this site (if it has loads or PV)"),
    }, optional=True)

#: Load sites besides the villages: public facilities on the county's own connections, and the
#: agro-industrial complex.
OTHER_SITES = ("county", "industrial_complex")

FACILITY = Table({
    "name": Field(_S, doc="identifier (letters, digits, _), used in output column names", **IDENTIFIER),
    "type": Field(_S, doc="a type from the facility catalogue (inputs.facilities)"),
    "site": Field(_S, default="county",
                  doc="where the load connects: a village name, 'county' or 'industrial_complex'"),
    "annual_kwh": Field(_N, default=0.0, unit="kWh/yr", ge=0,
                        doc="annual use at full operation; 0 = the type's typical use (profile models)"),
    "lamps": Field(_I, default=0, ge=0, doc="street lights: number of lamps"),
    "flow_m3_per_day": Field(_N, default=0.0, unit="m3/day", ge=0, doc="water treatment: daily flow"),
    "capacity_t_per_year": Field(_N, default=0.0, unit="t/yr", ge=0, doc="polysilicon: nameplate capacity"),
    "pilot_candidate": Field(_B, default=False,
                             doc="the public pilot program may enroll this facility (public types only)"),
    "pilot_retrofit_krw": Field(_N, default=0.0, unit="KRW", ge=0,
                                doc="one-off cost of enrolling it; 0 = its peak x pilot_retrofit_krw_per_kw_peak"),
    "start_year": Field(_I, default=0, ge=0, le=2200,
                        doc="first calendar year of operation; 0 = from the base year"),
    "ramp_up_fractions": Field("number_list", default=[], unit="fraction", ge=0, le=1,
                               doc="share of full load in the first years of operation; then 1"),
    "growth_fraction_per_year": Field(_N, default=0.0, unit="fraction/yr", ge=-0.2, le=0.2,
                                      doc="yearly change of the load once at full operation"),
    "tariff": Field(_S, default="", doc="KEPCO tariff class of its meter (inputs.tariffs); empty = the type's"),
    "contract_kw": Field(_N, default=0.0, unit="kW", ge=0,
                         doc="contract demand of its meter; 0 = its peak before PV over the project years, "
                             "rounded up to a whole kW"),
    "load_file": Field(_P, default="", optional_path=True,
                       doc="a CSV of the facility's measured load (hourly or 15-minute steps, with or without "
                           "timestamps): its hourly load comes from the file instead of the type's model, scaled "
                           "to annual_kwh when that is > 0; empty = the type's model"),
    "load_file_unit": Field(_S, default="", choices=("kw", "kwh"),
                            doc="unit of the load_file values: kw (mean kW of each step) or kwh (kWh per step); "
                                "required with load_file"),
    "load_file_column": Field(_S, default="",
                              doc="the load_file column that holds the load; empty = the file's only numeric column"),
})

WEATHER_FORMATS = ("auto", "epw", "tmy3", "tmy2", "pvgis_csv", "pvgis_json", "psm3", "sam_csv", "csv")


TECHNOLOGY_NAMES = ("pv", "storage", "grid", "curtailment", "pilot")


def _check_sizing(section: Section) -> list[tuple[str, str, str]]:
    from pvcluster.schema import _suggest

    out = []
    for name in section.technologies:
        if name not in TECHNOLOGY_NAMES:
            out.append(("technologies", "names from " + ", ".join(TECHNOLOGY_NAMES),
                        f"{name!r}{_suggest(name, list(TECHNOLOGY_NAMES))}"))
    missing = [n for n in ("pv", "grid", "curtailment") if n not in section.technologies]
    if missing:
        out.append(("technologies", "a list with pv, grid and curtailment (every site needs them)",
                    f"a list without {', '.join(missing)}"))
    return out


def _check_module(section: Section) -> list[tuple[str, str, str]]:
    from pvcluster.pvmodules import module_names

    names = module_names()
    if section.module not in names:
        from pvcluster.schema import _suggest

        return [("module", "a module name from the CEC database that ships with pvlib",
                 f"{section.module!r}{_suggest(section.module, list(names))}")]
    return []


SCENARIO_SCHEMA = Table({
    "scenario": Table({
        "name": Field(_S, doc="short name; the default output folder is outputs/<name>", **FOLDER_NAME),
        "title": Field(_S, default="", doc="a longer title for the report"),
        "base_year": Field(_I, ge=2000, le=2100, doc="year of money values and the weather calendar"),
        "seed": Field(_I, ge=0, doc="seed of every random draw (weather, household diversity)"),
    }),
    "inputs": Table({
        **{kind: (Field(_P, default=_NEWER_INPUTS[kind], doc=f"the {kind} facts file") if kind in _NEWER_INPUTS
                  else Field(_P, doc=f"the {kind} facts file")) for kind in FACT_FILES},
        "facilities": Field(_P, doc="the facility catalogue: public facility and industry load types"),
        "tariffs": Field(_P, default=_NEWER_INPUTS["tariffs"], doc="the tariff catalogue: KEPCO's tariff classes"),
        "rec_weights": Field(_P, default=_NEWER_INPUTS["rec_weights"], doc="REC weight rules by year"),
    }),
    "site": Table({
        "name": Field(_S, default=""),
        "latitude_deg": Field(_N, unit="deg", ge=-90, le=90),
        "longitude_deg": Field(_N, unit="deg", ge=-180, le=180),
        "altitude_m": Field(_N, unit="m", ge=-500, le=9000),
        "timezone": Field(_S, default="Asia/Seoul", doc="IANA time zone of the hourly index"),
    }, check=_check_site),
    "weather": Table({
        "source": Field(_S, default="synthetic", choices=("synthetic", "file")),
        "synthetic_year": Field(_S, default="typical", choices=("typical", "random"),
                                doc="typical: monthly GHI equals the normals; random: one draw of the climate"),
        "file": Field(_P, default="", optional_path=True,
                      doc="weather file (EPW, TMY3, TMY2, PVGIS TMY, PSM3, SAM CSV or CSV), used when source = 'file'"),
        "format": Field(_S, default="auto", choices=WEATHER_FORMATS, doc="format of the weather file"),
        "ensemble_years": Field(_I, default=30, ge=0, le=500,
                                doc="synthetic years for P50/P90/P99 energy; 0 = no exceedance statistics"),
    }, check=_check_weather, optional=True),
    "plant": Table({
        "name": Field(_S, default="energy_station"),
        "capacity_kwp": Field(_N, unit="kWp", gt=0, doc="DC capacity"),
        "dc_ac_ratio": Field(_N, default=1.2, unit="-", gt=0.5, le=3),
        "axis_tilt_deg": Field(_N, unit="deg", ge=0, lt=90, doc="tilt of the tracker axis"),
        "axis_azimuth_deg": Field(_N, default=180.0, unit="deg", ge=0, lt=360),
        "max_angle_deg": Field(_N, default=45.0, unit="deg", gt=0, le=90),
        "backtrack": Field(_B, default=True),
        "gcr": Field(_N, unit="fraction", gt=0, lt=1, doc="ground coverage ratio"),
        "module": Field(_S, default="Canadian_Solar_Inc__CS6X_300P",
                        doc="module name in the CEC database shipped with pvlib (single-diode model)"),
        "modules_per_string": Field(_I, default=20, ge=1, le=100),
        "table_width_m": Field(_N, default=4.0, unit="m", gt=0, le=20,
                               doc="tracker table width across the axis (snow shedding)"),
        "lower_edge_height_m": Field(_N, default=4.0, unit="m", ge=0, le=20,
                                     doc="table edge above ground at full rotation (snow piling)"),
        "installation": Field(_S, default="forest", choices=("land", "building", "forest"),
                              doc="installation type for the REC weight"),
        "capex_krw": Field(_N, default=0.0, unit="KRW", ge=0,
                           doc="overnight capital cost; 0 means capacity x the utility PV cost in inputs"),
        "other_revenue_krw_per_year": Field(_N, default=0.0, unit="KRW/yr", ge=0,
                                            doc="revenue of the plant that is not electricity"),
        "valuation": Field(_S, default="new_build", choices=("new_build", "as_built"),
                           doc="new_build: built now at today's cost; as_built: an existing plant valued forward "
                               "from the base year (its capex is sunk)"),
        "commercial_operation_year": Field(_I, default=0, ge=0, le=2200,
                                           doc="as_built: the year it started operating (sets the REC rule, the "
                                               "degradation so far and the life left)"),
        "as_built_capex_krw": Field(_N, default=0.0, unit="KRW", ge=0,
                                    doc="as_built: what the plant cost (its tax depreciation continues)"),
        "remaining_debt_krw": Field(_N, default=0.0, unit="KRW", ge=0,
                                    doc="as_built: senior debt outstanding at the base year; 0 = none known"),
        "remaining_debt_years": Field(_I, default=0, ge=0, le=40, doc="as_built: years to repay that debt"),
        "farm_area_ha": Field(_N, default=0.0, unit="ha", ge=0,
                              doc="agrivoltaic farm under the modules; priced as its own project"),
        "farm_capex_krw": Field(_N, default=0.0, unit="KRW", ge=0,
                                doc="capital of the farm (sunk when as_built)"),
    }, check=_check_module),
    "rooftops": Table({
        "module": Field(_S, default="Canadian_Solar_Inc__CS6X_300P",
                        doc="CEC module whose power density (kWp/m2) and temperature coefficient rooftops use"),
    }, check=_check_module, optional=True),
    "villages": TableArray(VILLAGE, min_items=1, unique_key="name"),
    "facilities": TableArray(FACILITY, unique_key="name"),
    "demand": Table({
        "design_year": Field(_I, default=0, ge=0, le=2200,
                             doc="calendar year whose loads the hourly profiles, sizing and hourly.csv "
                                 "use; 0 = the base year"),
        "heat_pump_fraction": Field(_N, default=0.0, unit="fraction", ge=0, le=1,
                                    doc="share of households whose oil boiler is replaced by an "
                                        "air-to-water heat pump (0 = no electrified heating)"),
    }, optional=True),
    "sizing": Table({
        "solver": Field(_S, default="auto", choices=("auto", "pdlp", "ipm", "simplex", "choose"),
                        doc="HiGHS LP algorithm of each site's first solve; auto: pdlp (PDLP, crossover "
                            "and simplex to an optimal vertex) on the hourly year, simplex on typical days"),
        "time_limit_s": Field(_N, default=600.0, unit="s", gt=0),
        "objective": Field(_S, default="annualized_cost", choices=("annualized_cost", "npv"),
                           doc="minimize annualized net cost, or maximize NPV over the analysis years"),
        "capital_budget_krw": Field(_N, default=0.0, unit="KRW", ge=0,
                                    doc="capital shared by all sites (PV, storage, pilot retrofits); 0 = no limit"),
        "periods": Field(_S, default="full", choices=("full", "typical_days"),
                         doc="full: every hour of the year; typical_days: clustered days, storage linked in order"),
        "typical_days": Field(_I, default=16, ge=2, le=365,
                              doc="number of typical days (periods = typical_days); 16 kept the default "
                                  "scenario's objective within 0.02 % of the full year"),
        "processes": Field(_I, default=2, ge=1, le=16, doc="worker processes that solve sites in parallel"),
        "technologies": Field("string_list", default=["pv", "storage", "grid", "curtailment", "pilot"],
                              doc="technology blocks the sites' models are assembled from (pv, storage, grid, "
                                  "curtailment, pilot); pv, grid and curtailment are always needed"),
        "pilot_screening_days": Field(_I, default=24, ge=0, le=365,
                                      doc="typical days on which a full-year site's pilot enrollment is decided "
                                          "(exactly) before the year is sized with it fixed; 0 = decide it by "
                                          "branch and bound on the full year (exact, much slower)"),
        "mip_gap_fraction": Field(_N, default=1e-6, unit="fraction", ge=0, le=0.5,
                                  doc="relative gap at which branch and bound stops (pilot enrollment, storage minimum)"),
    }, check=_check_sizing, optional=True),
    "pilot": Table({
        "tariff_krw_per_kwh": Field(_N, default=170.0, unit="KRW/kWh", ge=0,
                                    doc="what an enrolled facility pays for its whole load under the pilot contract"),
        "pv_share_fraction": Field(_N, default=0.3, unit="fraction", ge=0, le=1,
                                   doc="minimum share of the enrolled facilities' energy served by local PV "
                                       "(pv_matching = 'share')"),
        "pv_matching": Field(_S, default="share", choices=("share", "annual", "hourly"),
                             doc="share: a share of the site's and the enrolled energy from local PV; annual: "
                                 "local PV used on site covers the enrolled energy over the year; hourly: every "
                                 "hour, and storage charges from PV only (no resold grid energy)"),
        "supply_tariff": Field(_S, default="general_eul_high_a_2",
                               doc="tariff class of the meter through which a site buys grid energy for the "
                                   "facilities it enrolls"),
        "supply_contract_kw": Field(_N, default=0.0, unit="kW", ge=0,
                                    doc="contract demand of that meter; 0 = the candidates' combined peak, rounded up"),
    }, optional=True),
    "county": _site_table("PV potential of public roofs and car parks at the county's facilities", 5000.0, 3000.0),
    "industrial_complex": _site_table("PV potential of factory roofs in the agro-industrial complex",
                                      20000.0, 5000.0),
    "plant_extension": Table({
        "land_m2": Field(_N, default=0.0, unit="m2", ge=0,
                         doc="land for more trackers next to the Energy Station; 0 = no extension site"),
        "grid_export_limit_kw": Field(_N, default=10000.0, unit="kW", ge=0),
        "size": Field(_B, default=True),
    }, optional=True),
    "finance": Table({
        "analysis_years": Field(_I, default=25, ge=1, le=60),
        "construction_years": Field(_I, default=1, ge=1, le=10),
        "contract": Field(_S, default="spot", choices=("spot", "fixed_price"),
                          doc="how the Energy Station sells: SMP + REC x weight at spot prices, or the "
                              "long-term fixed-price contract (SMP + 1 REC) for its years, spot after"),
        "debt_sizing": Field(_S, default="dscr", choices=("none", "gearing", "dscr"),
                             doc="PV projects' senior debt: none, the facts' maximum gearing, or sculpted "
                                 "to the facts' DSCR target (capped by that gearing)"),
        "debt_sizing_energy": Field(_S, default="p50", choices=DEBT_SIZING_ENERGY,
                                    doc="the energy the DSCR-sculpted debt is sized on (the lender's case): p50, "
                                        "a one-year P90 (p90_1yr), a ten-year P90 (p90_10yr) or a one-year P99; "
                                        "from the weather ensemble's exceedance, needs weather.ensemble_years >= 2"),
    }, optional=True),
    "polysilicon": Table({
        "facility": Field(_S, default="polysilicon_plant",
                          doc="the [[facilities]] entry (type polysilicon) whose plant is priced"),
        "technology": Field(_S, default="siemens", choices=("siemens", "fbr")),
        "electricity": Field(_S, default="grid", choices=("grid", "ppa"),
                             doc="grid: the industrial tariff; ppa: a share from cluster PV at a PPA price"),
        "ppa_price_krw_per_kwh": Field(_N, default=0.0, unit="KRW/kWh", ge=0,
                                       doc="PPA price when electricity = 'ppa'; 0 = the industrial site's PV LCOE"),
        "price_scenario": Field(_S, default="mid", choices=("low", "mid", "high"),
                                doc="polysilicon selling-price scenario (from the price history)"),
    }, optional=True),
    "fund": Table({
        "hurdle_fraction": Field(_N, default=0.08, unit="fraction/yr", ge=0, le=0.5,
                                 doc="preferred return to limited partners"),
        "carry_fraction": Field(_N, default=0.2, unit="fraction", ge=0, le=0.5, doc="GP carried interest"),
        "catch_up_fraction": Field(_N, default=1.0, unit="fraction", ge=0, le=1, doc="share of cash to the GP in catch-up"),
        "management_fee_fraction": Field(_N, default=0.015, unit="fraction/yr", ge=0, le=0.1),
        "investment_period_years": Field(_I, default=4, ge=1, le=20),
        "call_schedule_fractions": Field("number_list", default=(1.0,), unit="fraction", ge=0, le=1,
                                         doc="share of commitments called in each year from the first"),
        "projects": Field("string_list", default=(), doc="projects whose equity the fund holds"),
        "tranches": TableArray(Table({
            "name": Field(_S),
            "commitment_krw": Field(_N, unit="KRW", ge=0),
            "role": Field(_S, default="lp", choices=("lp", "gp")),
            "public": Field(_B, default=False),
            "first_loss": Field(_B, default=False, doc="a public tranche repaid after all other LPs"),
            "return_cap_fraction": Field(_N, default=0.0, unit="fraction/yr", ge=0, le=1,
                                         doc="a capped public return; 0 = no cap"),
        }), unique_key="name"),
    }, optional=True),
    "projects": TableArray(Table({
        "name": Field(_S),
        "level": Field(_S, choices=LEVELS, doc="L1 programs, L2 unit projects, L3 complexes, L4 clusters (seed V-1)"),
        "function": Field(_S, choices=FUNCTIONS, doc="R&D, production, support, settlement or infrastructure (seed V-3)"),
        "capex_krw": Field(_N, default=0.0, unit="KRW", ge=0),
        "opex_krw_per_year": Field(_N, default=0.0, unit="KRW/yr", ge=0),
        "revenue_krw_per_year": Field(_N, default=0.0, unit="KRW/yr", ge=0),
        "start_year": Field(_I, default=0, ge=0, le=2200, doc="first construction year; 0 = the base year"),
        "construction_years": Field(_I, default=1, ge=1, le=10),
        "direct_jobs_fte": Field(_N, default=0.0, unit="FTE", ge=0, doc="staff while operating"),
        "note": Field(_S, default=""),
    }), unique_key="name"),
})
# A scenario may also hold [overrides.<kind>] tables that replace facts from inputs/; they
# are checked against the fact declarations in pvcluster.facts, not against this schema.


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: its settings, its facts, and where they came from."""

    path: Path
    settings: Section
    facts: Facts
    input_paths: dict[str, Path]
    sha256: str  # of the scenario text plus overrides
    facility_types: dict = field(default_factory=dict)  # the facility catalogue, by type name
    tariffs: dict = field(default_factory=dict)  # the tariff catalogue: name -> market.Tariff
    rec_rules: dict = field(default_factory=dict)  # REC weight rules: name -> market.RecRule

    @property
    def horizon_years(self) -> list[int]:
        """Calendar years of the project: construction, then the analysis period."""
        f = self.settings["finance"]
        start = self.settings["scenario"].base_year
        return list(range(start, start + f.construction_years + f.analysis_years))

    @property
    def design_year(self) -> int:
        return self.settings["demand"].design_year or self.settings["scenario"].base_year

    def with_facts(self, values: dict[str, Any], origin: str = "study") -> Scenario:
        """The same scenario with facts replaced (``{"market.smp_krw_per_kwh": 120.0}``), validated by
        their declarations; the hash records the change."""
        from dataclasses import replace

        facts = self.facts.replaced(values, origin)
        change = ";".join(f"{k}={v!r}" for k, v in sorted(values.items()))
        digest = hashlib.sha256((self.sha256 + change).encode()).hexdigest()
        return replace(self, facts=facts, sha256=digest)

    def __getattr__(self, name: str) -> Any:  # scn.plant, scn.villages ...
        if name.startswith("__") or name == "settings":  # pickle probes __setstate__ before settings exist
            raise AttributeError(name)
        try:
            return self.settings[name]
        except KeyError:
            raise AttributeError(name) from None


_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")

#: Loads each village generates, by name suffix (``<village>_households`` ...).
VILLAGE_LOADS = ("households", "heat_pumps", "hall", "street_lights")


def _check_loads(settings: Section, catalogue: dict, ctx: Context) -> list[Problem]:
    """Cross-checks of facilities against the catalogue, the villages and the project years."""
    from pvcluster.facility_catalogue import MODEL_INSTANCE_KEYS, SIZE_KEYS
    from pvcluster.schema import _suggest

    out: list[Problem] = []
    where = ctx.where

    def add(key: str, expected: str, found: str) -> None:
        origin = next((o for k, o in ctx.origins.items() if key == k or key.startswith(k + ".")), where)
        out.append(Problem(origin, key, expected, found))

    villages = [v.name for v in settings.villages or () if v is not None]
    for kind, model, wanted in (("village_hall", "profile", any(v and v.village_hall for v in settings.villages or ())),
                                ("street_lights", "street_lights",
                                 any(v and v.street_lights for v in settings.villages or ()))):
        t = catalogue.get(kind, False)
        if wanted and t is not None and (t is False or t.model != model):
            out.append(Problem(str(settings.inputs.facilities), kind,
                               f"a {kind!r} type with the {model!r} model (villages use it)",
                               "nothing (the type is missing)" if t is False else f"model {t.model!r}"))
    for i, name in enumerate(villages):
        if name in OTHER_SITES:
            add(f"villages.{i}.name", f"a name other than {' or '.join(map(repr, OTHER_SITES))} "
                "(those are load sites of their own)", repr(name))
    sites = villages + list(OTHER_SITES)
    generated = {f"{v}_{suffix}" for v in villages for suffix in VILLAGE_LOADS}
    years = (settings.scenario and settings.scenario.base_year, settings.finance and
             settings.finance.construction_years, settings.finance and settings.finance.analysis_years)
    check_years = all(isinstance(y, int) for y in years)  # else their own problems are reported
    base_year = years[0] if check_years else 0
    last_year = sum(years) - 1 if check_years else 0
    for i, f in enumerate(settings.facilities):
        key = f"facilities.{i}"
        # A key that failed its own validation is None here; its problem is already listed.
        if f.name is not None and not _NAME_RE.match(f.name):
            add(f"{key}.name", "letters, digits and underscores only (it names output columns)", repr(f.name))
        if f.name in generated:
            add(f"{key}.name", "a name not used by a village's own loads", f"{f.name!r}, which a village makes")
        if f.site is not None and f.site not in sites:
            add(f"{key}.site", "a village name, 'county' or 'industrial_complex'",
                f"{f.site!r}{_suggest(f.site, sites)}")
        if f.type is None or (f.type in catalogue and catalogue[f.type] is None):
            continue  # the type itself is broken; the catalogue's problems say how
        ftype = catalogue.get(f.type)
        if ftype is None:
            known = sorted(catalogue)
            add(f"{key}.type", "a facility type of the catalogue (" + ", ".join(known) + ")",
                f"unknown type {f.type!r}{_suggest(f.type, known)}")
            continue
        need = MODEL_INSTANCE_KEYS.get(ftype.model)
        if need and f[need[0]] is not None and not f[need[0]] > 0:
            add(f"{key}.{need[0]}", f"{need[1]} (type {f.type!r} uses the {ftype.model!r} model)",
                f"{f[need[0]]!r}")
        for size_key, models in SIZE_KEYS.items():
            if ftype.model not in models and f[size_key]:
                add(f"{key}.{size_key}", f"no {size_key}: type {f.type!r} ({ftype.model!r} model) is sized by "
                    + (MODEL_INSTANCE_KEYS[ftype.model][0] if ftype.model in MODEL_INSTANCE_KEYS
                       else "annual_kwh"), f"{f[size_key]!r}")
        if f.pilot_candidate and ftype.load_class != "public":
            add(f"{key}.pilot_candidate", "false: the pilot program enrolls public facilities only",
                f"true for {f.type!r}, an {ftype.load_class} type")
        if check_years and f.start_year and not base_year <= f.start_year <= last_year:
            add(f"{key}.start_year", f"0 or a year from {base_year} to {last_year} (the project years)",
                str(f.start_year))
    design = settings.demand.design_year if settings.demand is not None else None
    if check_years and design and not base_year <= design <= last_year:
        add("demand.design_year", f"0 or a year from {base_year} to {last_year} (the project years)",
            str(design))
    out += _check_references(settings, catalogue, add, (base_year, last_year) if check_years else None)
    _check_load_files(settings, catalogue, ctx, out, add)
    return out


def _check_load_files(settings: Section, catalogue: dict, ctx: Context, out: list[Problem], add) -> None:
    """Facilities with a measured load (``load_file``): the unit is required, and the type's model sizes
    nothing. The file itself is read by the demand stage (``pvcluster.demand.measured``), which
    ``pvcluster validate`` runs too.

    A measured load takes its energy from the file, or from ``annual_kwh`` whatever the type's model, so
    the model's rules above about ``annual_kwh`` and the water-treatment flow (used for the load only) do
    not apply to it and their problems are withdrawn; street lamps (billed per W) and a polysilicon
    plant's capacity (priced by finance) stay required."""
    for i, f in enumerate(settings.facilities or ()):
        if f is None:
            continue
        key = f"facilities.{i}"
        broken = any(p.key == f"{key}.load_file" for p in ctx.problems)  # given, but no such file
        if f.load_file is None and not broken:
            for name in ("load_file_unit", "load_file_column"):
                if f[name]:
                    add(f"{key}.{name}", f"no {name} (it describes a load_file, which this entry does not give)",
                        repr(f[name]))
            continue
        if not f.load_file_unit and not any(p.key == f"{key}.load_file_unit" for p in ctx.problems):
            add(f"{key}.load_file_unit", "'kw' (kW, the mean of each step) or 'kwh' (kWh per step): required "
                "with load_file", "nothing")
        ftype = catalogue.get(f.type) if f.type is not None else None
        if ftype is None:
            continue
        replaced = {f"{key}.annual_kwh"} | ({f"{key}.flow_m3_per_day"} if ftype.model == "water_treatment" else set())
        out[:] = [p for p in out if p.key not in replaced]
        if ftype.model == "water_treatment" and f.flow_m3_per_day:
            add(f"{key}.flow_m3_per_day", "no flow_m3_per_day: the load comes from load_file (annual_kwh scales it)",
                repr(f.flow_m3_per_day))


def _check_references(settings: Section, catalogue: dict, add, years) -> list[Problem]:
    """Names that point at other entries: the polysilicon facility, the fund's projects, project years."""
    from pvcluster.schema import _suggest

    facilities = {f.name: f for f in settings.facilities or () if f is not None and f.name}
    poly = settings.polysilicon
    if poly is not None:
        plants = sorted(n for n, f in facilities.items() if catalogue.get(f.type) is not None
                        and catalogue[f.type].model == "polysilicon")
        if poly.facility in facilities and poly.facility not in plants:
            add("polysilicon.facility", "a facility of a polysilicon type", f"{poly.facility!r}, a "
                f"{facilities[poly.facility].type!r} facility")
        elif poly.facility not in facilities and plants:
            add("polysilicon.facility", "the name of the scenario's polysilicon facility (" + ", ".join(plants) + ")",
                f"{poly.facility!r}{_suggest(poly.facility, plants)}")
    names = set()
    if settings.plant is not None:
        names.add(settings.plant.name)
        if settings.plant.farm_area_ha:
            names.add(f"{settings.plant.name}_farm")
    names |= {f"{v.name}_pv" for v in settings.villages or () if v is not None}
    names |= {f"{site}_pv" for site in (*OTHER_SITES, "plant_extension")}
    names |= set(facilities) | {p.name for p in settings.projects or () if p is not None}
    fund = settings.fund
    for i, name in enumerate(fund.projects if fund is not None else ()):
        if name not in names:
            add(f"fund.projects.{i}", "a project of the scenario (" + ", ".join(sorted(names)) + ")",
                f"{name!r}{_suggest(name, sorted(names))}")
    if years is not None:
        for i, p in enumerate(settings.projects or ()):
            if p is not None and p.start_year and not years[0] <= p.start_year <= years[1]:
                add(f"projects.{i}.start_year", f"0 or a year from {years[0]} to {years[1]} (the project years)",
                    str(p.start_year))
    fin, weather = settings.finance, settings.weather
    if (fin is not None and weather is not None and fin.debt_sizing_energy not in (None, "p50")
            and fin.debt_sizing == "dscr" and isinstance(weather.ensemble_years, int) and weather.ensemble_years < 2):
        add("finance.debt_sizing_energy", "p50 without a weather ensemble (the P-values come from "
            "weather.ensemble_years >= 2 years)", f"{fin.debt_sizing_energy!r} with weather.ensemble_years = "
            f"{weather.ensemble_years}")
    return []


def _check_tariff_names(settings: Section, catalogue: dict, tariffs: dict, ctx: Context) -> list[Problem]:
    """Every tariff class the scenario names exists in the tariff catalogue (and fits its use)."""
    from pvcluster.schema import _suggest

    known = sorted(tariffs)
    out: list[Problem] = []

    def check(key: str, name: str | None, families: tuple[str, ...] | None = None, kinds=None) -> None:
        if name is None:
            return
        origin = next((o for k, o in ctx.origins.items() if key == k or key.startswith(k + ".")), ctx.where)
        if name not in tariffs:
            out.append(Problem(origin, key, "a tariff class of the tariff catalogue (" + ", ".join(known) + ")",
                               f"{name!r}{_suggest(name, known)}"))
        elif tariffs[name] is None:
            return  # the class itself is broken; its problems are listed
        elif families and tariffs[name].family not in families:
            out.append(Problem(origin, key, "a tariff of the " + " or ".join(families) + " family",
                               f"{name!r}, a {tariffs[name].family} tariff"))
        elif kinds and tariffs[name].kind not in kinds:
            out.append(Problem(origin, key, "a tariff of kind " + " or ".join(kinds), f"{name!r} ({tariffs[name].kind})"))

    for i, v in enumerate(settings.villages or ()):
        if v is None:
            continue
        check(f"villages.{i}.household_tariff", v.household_tariff, ("residential",))
        check(f"villages.{i}.hall_tariff", v.hall_tariff, ("general", "educational"))
        check(f"villages.{i}.street_light_tariff", v.street_light_tariff, ("street_light",))
        for j, name in enumerate(v.behind_pv or ()):
            if name not in VILLAGE_LOADS:
                out.append(Problem(ctx.where, f"villages.{i}.behind_pv.{j}", "one of " + ", ".join(VILLAGE_LOADS),
                                   f"{name!r}{_suggest(name, list(VILLAGE_LOADS))}"))
    for i, f in enumerate(settings.facilities or ()):
        if f is None:
            continue
        ftype = catalogue.get(f.type)
        name = f.tariff or (ftype.tariff if ftype else "")
        if not name and ftype is not None:
            out.append(Problem(ctx.where, f"facilities.{i}.tariff", "a tariff class (the facility type "
                               f"{f.type!r} names no default)", "nothing"))
            continue
        check(f"facilities.{i}.tariff", name or None)
    if settings.pilot is not None:
        check("pilot.supply_tariff", settings.pilot.supply_tariff, None, ("tou", "seasonal"))
    names = {f.name: f for f in settings.facilities or () if f is not None}
    for site in OTHER_SITES:
        section = settings[site] if site in settings else None
        for j, name in enumerate((section.behind_pv if section is not None else ()) or ()):
            if name not in names or names[name].site != site:
                here = sorted(n for n, f in names.items() if f.site == site)
                out.append(Problem(ctx.where, f"{site}.behind_pv.{j}", f"a facility of the {site} site ("
                                   + ", ".join(here) + ")", f"{name!r}{_suggest(name, here)}"))
    return out


def _cross_check(problems: list[Problem], check) -> list[Problem]:
    """Run a check across sections; where an entry is already reported as broken (a wrong type, a missing
    key), the check may trip over it: its own problem is enough, so the check adds nothing."""
    try:
        return check()
    except (AttributeError, TypeError, KeyError, ValueError, IndexError):
        if problems:
            return []
        raise


_SET_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)=(.*)$", re.S)


def parse_override(text: str) -> tuple[list[str], Any] | Problem:
    """Parse ``key.path=value``; the value is read as TOML, else taken as a string."""
    m = _SET_RE.match(text)
    if not m:
        return Problem("--set", text, "KEY.PATH=VALUE, for example plant.capacity_kwp=40000",
                       repr(text))
    path, value_text = m.group(1).split("."), m.group(2).strip()
    try:
        value = tomllib.loads(f"v = {value_text}")["v"]
    except tomllib.TOMLDecodeError:
        value = value_text
    return path, value


def _apply_override(raw: dict, path: list[str], value: Any, text: str) -> Problem | None:
    node: Any = raw
    for i, part in enumerate(path[:-1]):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return Problem("--set", ".".join(path[: i + 1]),
                               f"an index from 0 to {len(node) - 1}", repr(part))
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            return Problem("--set", ".".join(path[: i + 1]), "a table", repr(node))
    last = path[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            return Problem("--set", ".".join(path), f"an index from 0 to {len(node) - 1}", repr(last))
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        return Problem("--set", ".".join(path), "a table", repr(node))
    return None


def load_scenario(path: str | Path | None = None, overrides: list[str] | None = None) -> Scenario:
    """Read, override and validate a scenario; raise InputError listing every problem."""
    path = Path(path) if path is not None else default_scenario()
    problems: list[Problem] = []
    if not path.is_file():
        raise InputError(Problem(str(path), "", "an existing scenario file (.toml)",
                                 "no such file"), headline="cannot read the scenario")
    raw = read_toml(path, "scenario")
    data = path.read_bytes()  # read_toml read it as UTF-8: these bytes are the same text

    origins: dict[str, str] = {}
    for item in overrides or []:
        parsed = parse_override(item)
        if isinstance(parsed, Problem):
            problems.append(parsed)
            continue
        keys, value = parsed
        problem = _apply_override(raw, keys, value, item)
        if problem:
            problems.append(problem)
        else:
            origins[".".join(keys)] = f"--set {item}"

    # The override tables hold fact names, validated below against the fact declarations.
    fact_overrides = raw.pop("overrides", {}) if isinstance(raw.get("overrides"), dict) else {}
    if "overrides" in raw:  # present but not a table
        problems.append(Problem(str(path), "overrides", "a table", repr(raw.pop("overrides"))))
    ctx = Context(where=str(path), base_dir=path.resolve().parent, origins=origins)
    settings = validate(raw, SCENARIO_SCHEMA, ctx)
    problems += ctx.problems

    facts_by_kind: dict[str, dict] = {}
    input_paths: dict[str, Path] = {}
    if settings is not None and settings.inputs is not None:
        for kind in FACT_FILES:
            fpath = settings.inputs[kind]
            if fpath is None:
                continue
            input_paths[kind] = fpath
            facts_by_kind[kind] = load_fact_file(kind, fpath, problems)
    for kind, table in fact_overrides.items():
        if kind not in FACT_FILES:
            problems.append(Problem(str(path), f"overrides.{kind}",
                                    "one of " + ", ".join(FACT_FILES), f"unknown table {kind!r}"))
            continue
        if not isinstance(table, dict):
            problems.append(Problem(str(path), f"overrides.{kind}", "a table", repr(table)))
            continue
        origin = next((o for k, o in origins.items() if k.startswith(f"overrides.{kind}")), str(path))
        apply_overrides(kind, facts_by_kind.setdefault(kind, {}), table, origin, problems)

    catalogue = {}
    if settings is not None and settings.inputs is not None and settings.inputs.facilities is not None:
        from pvcluster.facility_catalogue import load_catalogue

        input_paths["facilities"] = settings.inputs.facilities
        catalogue = load_catalogue(settings.inputs.facilities, problems)
        if settings.facilities is not None:
            problems += _cross_check(problems, lambda: _check_loads(settings, catalogue, ctx))

    tariffs, rec_rules = {}, {}
    if settings is not None and settings.inputs is not None:
        from pvcluster.market import load_rec_rules, load_tariffs

        if settings.inputs.tariffs is not None:
            input_paths["tariffs"] = settings.inputs.tariffs
            tariffs = load_tariffs(settings.inputs.tariffs, problems)
            problems += _cross_check(problems, lambda: _check_tariff_names(settings, catalogue, tariffs, ctx))
        if settings.inputs.rec_weights is not None:
            input_paths["rec_weights"] = settings.inputs.rec_weights
            rec_rules = load_rec_rules(settings.inputs.rec_weights, problems)

    if problems:
        raise InputError(problems, headline=f"{len(problems)} problem{'s' if len(problems) != 1 else ''} "
                                            f"in scenario {path}")
    digest = hashlib.sha256(data + "\n".join(overrides or []).encode()).hexdigest()
    settings_with_overrides = Section({**settings, "overrides": fact_overrides})
    return Scenario(path=path.resolve(), settings=settings_with_overrides, facts=Facts(facts_by_kind),
                    input_paths=input_paths, sha256=digest, facility_types=catalogue,
                    tariffs={k: v for k, v in tariffs.items() if v is not None}, rec_rules=rec_rules)


__all__ = ["Scenario", "load_scenario", "parse_override", "SCENARIO_SCHEMA"]
