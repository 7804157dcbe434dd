"""The JSON Schema of ``summary.json`` (draft 2020-12), published with the package.

``python -m pvcluster.summary_schema`` prints it; the package carries it as
``pvcluster/schemas/summary.schema.json`` (a test keeps the file and this module equal, and validates
the default run against it). Keys with a unit suffix must hold numbers (or null where a value may not
exist, such as an IRR); the sections and the keys CI pipelines read are required.
"""

from __future__ import annotations

import json
from pathlib import Path

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "summary.schema.json"

_NUMBER = {"type": "number"}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_STRING = {"type": "string"}
_INTEGER = {"type": "integer"}
_BOOL = {"type": "boolean"}

#: Keys that end in a unit hold numbers in that unit (null only where the quantity may not exist), a
#: list of them (by month, year, ensemble member), or a breakdown of them by name.
_UNIT_VALUE = {"anyOf": [_NUMBER_OR_NULL, {"type": "array", "items": _NUMBER_OR_NULL},
                         {"type": "object", "additionalProperties": _NUMBER_OR_NULL}]}
_UNITS = {
    r"_(kwp|kwh|mwh|kw|kw_per_kwp|kwh_per_kwp|kwh_per_m2|krw|nominal_krw|krw_per_year|krw_per_kwh|krw_per_kg|"
    r"usd_per_kg|t|c|deg|m|s|years|job_years|multiple)$": _UNIT_VALUE,
    r"_fraction$": _UNIT_VALUE,
}


def _object(properties: dict | None = None, required: tuple[str, ...] = (), extra: dict | bool | None = None) -> dict:
    out: dict = {"type": "object", "patternProperties": dict(_UNITS)}
    if properties:
        out["properties"] = properties
    if required:
        out["required"] = list(required)
    if extra is not None:
        out["additionalProperties"] = extra
    return out


_SITE = _object({
    "status": _STRING, "re100": _BOOL, "meters": {"type": "object", "additionalProperties": _STRING},
    "costs_krw_per_year": {"type": "object", "additionalProperties": _NUMBER},
    "pilot": _object({"candidates": {"type": "array", "items": _STRING},
                      "enrolled": {"type": "array", "items": _STRING}},
                     ("candidates", "enrolled", "revenue_krw_per_year", "energy_kwh")),
    "pilot_enrolled_count": _INTEGER, "simultaneous_steps_fixed": _INTEGER,
}, ("status", "pv_capacity_kwp", "pv_new_capacity_kwp", "pv_potential_kwp", "storage_energy_kwh", "storage_power_kw",
    "pv_generation_kwh", "grid_import_kwh", "grid_export_kwh", "served_load_kwh", "self_sufficiency_fraction",
    "capex_krw", "objective_krw", "bill_krw_per_year", "baseline_bill_krw_per_year", "export_revenue_krw_per_year",
    "meters", "tax_rate_fraction", "pilot"))

_PROJECT = _object({
    "level": {"enum": ["L1", "L2", "L3", "L4"]},
    "function": {"enum": ["rnd", "production", "support", "settlement", "infrastructure"]},
    "kind": _STRING, "irr_exists": _BOOL, "equity_irr_exists": _BOOL, "note": _STRING,
    "payback_years": {"type": ["integer", "null"]}, "analysis_years": _INTEGER,
    "min_dscr": _NUMBER_OR_NULL, "average_dscr": _NUMBER_OR_NULL, "llcr": _NUMBER_OR_NULL,
    "debt_sizing_energy": {"enum": ["p50", "p90_1yr", "p90_10yr", "p99"]},
    "debt_basis": _object({"energy": {"enum": ["p90_1yr", "p90_10yr", "p99"]}, "exceedance_of": _STRING,
                           "p50_min_dscr": _NUMBER_OR_NULL, "p50_equity_irr_fraction": _NUMBER_OR_NULL},
                          ("energy", "energy_fraction", "exceedance_of", "p50_debt_nominal_krw", "p50_min_dscr",
                           "p50_equity_irr_fraction", "p50_equity_npv_krw")),
}, ("level", "function", "kind", "capex_krw", "npv_krw", "irr_fraction", "equity_npv_krw", "equity_irr_fraction",
    "lcoe_real_krw_per_kwh", "lcoe_nominal_krw_per_kwh", "payback_years", "debt_nominal_krw", "min_dscr",
    "first_year_revenue_nominal_krw", "first_year_energy_mwh", "discount_rate_fraction", "note"))

_ROLLUP = {"type": "object", "additionalProperties": _object({"projects": _STRING},
                                                              ("capex_krw", "npv_krw", "job_years", "projects"))}

SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://pvcluster.example/schemas/summary.schema.json",
    "title": "pvcluster summary.json",
    "description": "Headline results of a pvcluster run; money in real KRW of the base year unless a key says "
                   "_nominal_krw; units in key names (README.md, summary.json keys).",
    **_object({
        "scenario": _object({"name": _STRING, "title": _STRING, "base_year": _INTEGER, "seed": _INTEGER},
                            ("name", "title", "base_year", "seed"), extra=False),
        "weather": _object({"source": _STRING, "notes": {"type": "array", "items": _STRING},
                            "latitude_deg": _NUMBER, "longitude_deg": _NUMBER, "ensemble_years": _INTEGER,
                            "ensemble_annual_ghi_kwh_per_m2": {"type": "array", "items": _NUMBER}},
                           ("source", "latitude_deg", "longitude_deg", "annual_ghi_kwh_per_m2", "mean_temp_air_c",
                            "notes", "ensemble_years")),
        "generation": {"type": "object", "minProperties": 1,
                       "additionalProperties": _object(required=("capacity_kwp", "annual_mwh",
                                                                 "specific_yield_kwh_per_kwp"))},
        "demand": _object({"design_year": _INTEGER, "pilot_candidates": {"type": "array", "items": _STRING},
                           "loads": {"type": "object", "additionalProperties": _object(
                               {"class": _STRING, "type": _STRING, "site": _STRING, "pilot_candidate": _BOOL,
                                "basis": _STRING}, ("class", "type", "site", "annual_mwh", "peak_kw"))}},
                          ("design_year", "annual_mwh", "peak_kw", "loads", "by_class", "by_site")),
        "sizing": _object({"status": _STRING, "objective": {"enum": ["annualized_cost", "npv"]},
                           "method": {"enum": ["decomposed", "monolithic", "none"]},
                           "periods": {"enum": ["full", "typical_days"]}, "typical_days": _INTEGER,
                           "time_steps": _INTEGER, "budget_price_krw_per_krw": _NUMBER,
                           "sites": {"type": "object", "additionalProperties": _SITE}},
                          ("status", "objective_krw", "objective", "method", "periods", "capex_krw", "sites")),
        "finance": {"type": "object",
                    "properties": {
                        "portfolio": _object({"by_level": _ROLLUP, "by_function": _ROLLUP},
                                             ("by_level", "by_function", "total_capex_krw", "total_npv_krw")),
                        "jobs": _object({"peak_year": {"type": ["integer", "null"]},
                                         "by_year": {"type": "object", "additionalProperties": _NUMBER},
                                         "by_level_job_years": {"type": "object", "additionalProperties": _NUMBER},
                                         "by_function_job_years": {"type": "object",
                                                                   "additionalProperties": _NUMBER}},
                                        ("total_job_years", "indirect_job_years", "peak_jobs")),
                        "money": _object({"real": _STRING, "nominal": _STRING}, ("real", "nominal"), extra=False),
                        "energy_station_basis": _object({"valuation": {"enum": ["as_built", "new_build"]},
                                                         "rec_rule": _STRING,
                                                         "commercial_operation_year": _INTEGER},
                                                        ("valuation", "commercial_operation_year",
                                                         "remaining_life_years", "rec_weight")),
                        "polysilicon": {"type": "object"},
                        "fund": {"type": "object"},
                    },
                    "required": ["portfolio", "jobs", "money"],
                    "additionalProperties": _PROJECT},
        "sensitivity": {"type": "object", "properties": {
            "parameters": {"type": "array", "items": _object({"parameter": _STRING, "label": _STRING,
                                                              "note": _STRING},
                                                             ("parameter", "label", "npv_low_krw", "npv_high_krw",
                                                              "swing_krw"))}}},
    }, ("scenario", "weather", "generation", "demand", "sizing", "finance", "sensitivity"), extra=False),
}


def write(path: Path = SCHEMA_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(SCHEMA, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load() -> dict:
    """The packaged schema."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


if __name__ == "__main__":
    print(json.dumps(SCHEMA, indent=2, ensure_ascii=False))
