"""Declarations of the finance stage's input facts (``inputs/jobs_korea.toml``,
``inputs/polysilicon_korea.toml``).

They live in the bottom layer, beside :mod:`pvcluster.facts`, so that the scenario loader can
validate those files without importing the finance stage (a bottom-layer module imports no stage).
The models that use them (:mod:`pvcluster.finance.jobs`, :mod:`pvcluster.finance.polysilicon`)
re-export them as ``FACTS``.
"""

from __future__ import annotations

from pvcluster.schema import Field

_N = "number"
_L = "number_list"

#: Selling-price scenarios of the polysilicon plant.
POLYSILICON_SCENARIOS = ("low", "mid", "high")

#: The facts of ``inputs/jobs_korea.toml`` (input kind "jobs").
JOBS_FACTS: dict[str, Field] = {
    "utility_pv_construction_job_years_per_mw": Field(
        _N, unit="job-years/MW", ge=0, le=100,
        doc="on-site installation and grid-connection labour per MW of ground-mounted PV"),
    "rooftop_pv_construction_job_years_per_mw": Field(
        _N, unit="job-years/MW", ge=0, le=100, doc="installation labour per MW of rooftop PV"),
    "pv_om_fte_per_mw": Field(_N, unit="FTE/MW", ge=0, le=10,
                              doc="operation and maintenance staff per MW in each operating year"),
    "polysilicon_fte_per_1000_t_per_year": Field(
        _N, unit="FTE per 1,000 t/yr", ge=0, le=2000,
        doc="polysilicon plant staff per 1,000 t/yr of capacity at full output"),
    "bok_construction_persons_per_bn_krw": Field(
        _N, unit="persons/KRW bn", ge=0, le=100,
        doc="Bank of Korea employment inducement coefficient, construction"),
    "bok_manufactured_goods_persons_per_bn_krw": Field(
        _N, unit="persons/KRW bn", ge=0, le=100,
        doc="Bank of Korea employment inducement coefficient, manufactured goods"),
    "bok_electricity_persons_per_bn_krw": Field(
        _N, unit="persons/KRW bn", ge=0, le=100,
        doc="Bank of Korea employment inducement coefficient, electricity, gas, water and waste"),
    "bok_services_persons_per_bn_krw": Field(
        _N, unit="persons/KRW bn", ge=0, le=100,
        doc="Bank of Korea employment inducement coefficient, services"),
    "bok_all_industries_persons_per_bn_krw": Field(
        _N, unit="persons/KRW bn", gt=0, le=100,
        doc="Bank of Korea employment inducement coefficient, all industries"),
    "bok_direct_all_industries_persons_per_bn_krw": Field(
        _N, unit="persons/KRW bn", ge=0, le=100,
        doc="Bank of Korea direct employment coefficient, all industries (at most the total)"),
    "pv_equipment_fraction_of_capex": Field(
        _N, unit="fraction", ge=0, le=1, doc="modules and inverters as a share of PV capex"),
    "plant_equipment_fraction_of_capex": Field(
        _N, unit="fraction", ge=0, le=1,
        doc="manufactured equipment as a share of a non-PV project's capex"),
    "equipment_domestic_fraction": Field(_N, unit="fraction", ge=0, le=1,
                                         doc="share of equipment spending made in Korea"),
    "demand_price_factor_to_coefficient_year": Field(
        _N, unit="-", gt=0, le=10,
        doc="converts base-year KRW to the BoK coefficients' 2019/2020 prices"),
}

#: The facts of ``inputs/polysilicon_korea.toml`` (input kind "polysilicon").
POLYSILICON_FACTS: dict[str, Field] = {
    "siemens_capex_korea_krw_per_t_per_year": Field(_N, unit="KRW per t/yr", gt=0,
                                                    doc="Korean Siemens plants of 2008-11"),
    "capex_korea_reference_capacity_t": Field(_N, unit="t/yr", gt=0, doc="size of those plants"),
    "siemens_capex_global_usd_per_kg_per_year": Field(_N, unit="USD per kg/yr", gt=0,
                                                      doc="modern Chinese Siemens plants (2021)"),
    "capex_global_reference_capacity_t": Field(_N, unit="t/yr", gt=0, doc="size of those plants"),
    "capex_scaling_exponent": Field(_N, unit="-", gt=0, le=1.5,
                                    doc="capex ~ capacity^b around the reference size"),
    "fbr_capex_reduction_fraction": Field(_N, unit="fraction", ge=0, lt=1, doc="FBR capex below Siemens"),
    "construction_years": Field(_N, unit="years", ge=1, le=10),
    "capex_schedule_fractions": Field(_L, unit="fraction", ge=0, le=1,
                                      doc="capex share per construction year; sums to 1"),
    "operating_years": Field(_N, unit="years", ge=1, le=60),
    "depreciation_years": Field(_N, unit="years", ge=1, le=50),
    "working_capital_fraction_of_revenue": Field(_N, unit="fraction", ge=0, lt=1),
    "utilisation_fraction": Field(_N, unit="fraction", gt=0, le=1, doc="output over nameplate"),
    "siemens_electricity_kwh_per_kg": Field(_N, unit="kWh/kg", gt=0, le=500),
    "fbr_electricity_reduction_fraction": Field(_N, unit="fraction", ge=0, lt=1),
    "mg_si_kg_per_kg": Field(_N, unit="kg/kg", ge=1, le=2, doc="metallurgical Si per kg polysilicon"),
    "mg_si_usd_per_kg": Field(_N, unit="USD/kg", ge=0),
    "chemicals_usd_per_kg": Field(_N, unit="USD/kg", ge=0, doc="chemicals and consumables per kg"),
    "labour_fte_per_1000_t": Field(_N, unit="FTE per 1,000 t/yr", ge=0),
    "fbr_labour_reduction_fraction": Field(_N, unit="fraction", ge=0, lt=1),
    "labour_cost_krw_per_fte_year": Field(_N, unit="KRW/FTE/yr", ge=0),
    "maintenance_fraction_of_capex": Field(_N, unit="fraction/yr", ge=0, le=0.2),
    "krw_per_usd": Field(_N, unit="KRW/USD", gt=0),
    **{f"price_{s}_usd_per_kg": Field(_N, unit="USD/kg", ge=0, doc=f"selling price, {s} scenario")
       for s in POLYSILICON_SCENARIOS},
}
