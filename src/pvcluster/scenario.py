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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pvcluster.errors import InputError, Problem
from pvcluster.facts import FACT_FILES, Facts, apply_overrides, load_fact_file
from pvcluster.resources import default_scenario
from pvcluster.schema import Context, Field, Section, Table, TableArray, toml_error, validate

_N, _I, _S, _B, _P = "number", "integer", "string", "bool", "path"


def _check_weather(w: Section) -> list[tuple[str, str, str]]:
    if w.source == "file" and w.file is None:
        return [("file", "a weather file because source = 'file'", "no file")]
    return []


def _check_site(site: Section) -> list[tuple[str, str, str]]:
    from pvcluster.weather.calendar import hourly_index

    try:
        hourly_index(2025, site.timezone)
    except Exception:  # unknown zone name, or a zone with daylight saving
        return [("timezone", "an IANA time zone without daylight saving, such as 'Asia/Seoul'",
                 repr(site.timezone))]
    return []


VILLAGE = Table({
    "name": Field(_S, doc="identifier, used in output column names"),
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
    "export_price": Field(_S, default="smp", choices=("smp", "smp_rec"),
                          doc="what exported energy earns: SMP alone, or SMP + REC x building weight"),
    "size": Field(_B, default=True, doc="size PV and storage for this village with the LP"),
})

WEATHER_FORMATS = ("auto", "epw", "tmy3", "tmy2", "pvgis_csv", "pvgis_json", "psm3", "sam_csv", "csv")


def _check_module(section: Section) -> list[tuple[str, str, str]]:
    from pvcluster.generation.modules import module_names

    names = module_names()
    if section.module not in names:
        from pvcluster.schema import _suggest

        return [("module", "a module name from the CEC database that ships with pvlib",
                 f"{section.module!r}{_suggest(section.module, list(names))}")]
    return []


SCENARIO_SCHEMA = Table({
    "scenario": Table({
        "name": Field(_S, doc="short name; the default output folder is outputs/<name>"),
        "title": Field(_S, default="", doc="a longer title for the report"),
        "base_year": Field(_I, ge=2000, le=2100, doc="year of money values and the weather calendar"),
        "seed": Field(_I, ge=0, doc="seed of every random draw (weather, household diversity)"),
    }),
    "inputs": Table({
        kind: Field(_P, doc=f"the {kind} facts file") for kind in FACT_FILES
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
                                            doc="revenue that is not electricity (the agrivoltaic crop)"),
    }, check=_check_module),
    "rooftops": Table({
        "module": Field(_S, default="Canadian_Solar_Inc__CS6X_300P",
                        doc="CEC module whose power density (kWp/m2) and temperature coefficient rooftops use"),
    }, check=_check_module, optional=True),
    "villages": TableArray(VILLAGE, min_items=1, unique_key="name"),
    "sizing": Table({
        "solver": Field(_S, default="ipm", choices=("ipm", "simplex", "choose")),
        "time_limit_s": Field(_N, default=600.0, unit="s", gt=0),
    }, optional=True),
    "finance": Table({
        "analysis_years": Field(_I, default=25, ge=1, le=60),
        "construction_years": Field(_I, default=1, ge=1, le=10),
    }, optional=True),
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

    def __getattr__(self, name: str) -> Any:  # scn.plant, scn.villages ...
        try:
            return self.settings[name]
        except KeyError:
            raise AttributeError(name) from None


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
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(toml_error(path, exc), headline="cannot parse the scenario") from None

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

    if problems:
        raise InputError(problems, headline=f"{len(problems)} problem{'s' if len(problems) != 1 else ''} "
                                            f"in scenario {path}")
    digest = hashlib.sha256(text.encode() + "\n".join(overrides or []).encode()).hexdigest()
    settings_with_overrides = Section({**settings, "overrides": fact_overrides})
    return Scenario(path=path.resolve(), settings=settings_with_overrides, facts=Facts(facts_by_kind),
                    input_paths=input_paths, sha256=digest)


__all__ = ["Scenario", "load_scenario", "parse_override", "SCENARIO_SCHEMA"]
