"""A self-contained HTML report: figures embedded as base64 PNG, no external files or scripts."""

from __future__ import annotations

import base64
import html
from pathlib import Path

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; } .note { color: #666; font-size: .85em; }
"""


def _fmt(value) -> str:
    if value is None:
        return "does not exist"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 1e4:
            return f"{value:,.0f}"
        return f"{value:,.4g}"
    return html.escape(str(value))


def _table(rows: dict, title_key: str = "key") -> str:
    body = "".join(f"<tr><td>{html.escape(k)}</td><td>{_fmt(v)}</td></tr>" for k, v in rows.items()
                   if not isinstance(v, dict))
    return f"<table><tr><th>{title_key}</th><th>value</th></tr>{body}</table>"


def _energy_table(generation: dict) -> str:
    """One row per system: capacity, annual energy, specific yield and exceedance levels."""
    rows = []
    systems = [(n, g) for n, g in generation.items()]
    for name, g in list(systems):
        systems += [(f"{name}: {v}", vg) for v, vg in g.get("villages", {}).items()]
    for name, g in systems:
        cells = [g.get("capacity_kwp"), g.get("annual_mwh"), g.get("specific_yield_kwh_per_kwp"),
                 g.get("p50_mwh"), g.get("p90_mwh"), g.get("p99_mwh"), g.get("p90_10yr_mwh"),
                 g.get("interannual_cv_fraction")]
        rows.append(f"<tr><td>{html.escape(name)}</td>" + "".join(
            f"<td>{'-' if c is None else _fmt(float(c))}</td>" for c in cells) + "</tr>")
    head = ("<tr><th>system</th><th>kWp</th><th>MWh/yr</th><th>kWh/kWp</th><th>P50 MWh</th><th>P90 MWh</th>"
            "<th>P99 MWh</th><th>P90 (10-yr) MWh</th><th>year-to-year CV</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _demand_tables(d: dict) -> str:
    """Named loads of the design year, totals by class and site, and household diversity."""
    head = ("<tr><th>load</th><th>class</th><th>type</th><th>site</th><th>pilot candidate</th>"
            "<th>MWh/yr</th><th>peak kW</th><th>year factor</th><th>basis of the energy</th></tr>")
    rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td>{html.escape(x['class'])}</td><td>{html.escape(x['type'])}</td>"
        f"<td>{html.escape(x['site'])}</td><td>{_fmt(x['pilot_candidate'])}</td><td>{_fmt(x['annual_mwh'])}</td>"
        f"<td>{_fmt(x['peak_kw'])}</td><td>{_fmt(x['design_year_factor'])}</td>"
        f"<td style='text-align:left'>{html.escape(x['basis'])}</td></tr>" for n, x in d["loads"].items())
    out = [f"<p>Design year <b>{d['design_year']}</b>: {_fmt(d['annual_mwh'])} MWh, peak "
           f"{_fmt(d['peak_kw'])} kW. The year factor scales each load's reference profile (households in "
           "the base year, facilities at full operation) for growth, start and ramp-up.</p>",
           f"<table>{head}{rows}</table>",
           _table({f"{k}": f"{v['annual_mwh']:,.1f} MWh/yr, peak {v['peak_kw']:,.1f} kW"
                   for k, v in {**d["by_class"], **d["by_site"]}.items()}, "class or site")]
    vh = ("<tr><th>village</th><th>households</th><th>village household peak kW</th>"
          "<th>mean single-household peak kW</th><th>coincidence factor</th></tr>")
    vrows = "".join(f"<tr><td>{html.escape(n)}</td><td>{v['households']}</td><td>{_fmt(v['households_peak_kw'])}</td>"
                    f"<td>{_fmt(v['single_household_peak_kw_mean'])}</td><td>{_fmt(v['coincidence_factor'])}</td></tr>"
                    for n, v in d["villages"].items())
    out.append(f"<table>{vh}{vrows}</table><p class='note'>Coincidence factor: the village's household "
               "peak over the sum of each household's own peak (1 = all peak in the same hour).</p>")
    return "".join(out)


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></p>'


def _rows(rows: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>" for k, v in rows)


def _kwh(value: float) -> str:
    return f"{_fmt(float(value) / 1000.0)} MWh"


def _site_table(name: str, x: dict, objective_unit: str) -> str:
    """One site: sizes, annual energy, self-sufficiency, costs and pilot enrollment."""
    segments = [(k, v) for k, v in x.items() if k.startswith("pv_") and k.endswith("_kwp")
                and k not in ("pv_capacity_kwp", "pv_new_capacity_kwp", "pv_potential_kwp")]
    rows = [("status", _fmt(x["status"])),
            ("PV capacity", f"{_fmt(x.get('pv_capacity_kwp', 0.0))} kWp (new "
                            f"{_fmt(x.get('pv_new_capacity_kwp', 0.0))}, potential "
                            f"{_fmt(x.get('pv_potential_kwp', 0.0))})")]
    rows += [(f"  PV on {k[3:-4].replace('_', ' ')}", f"{_fmt(v)} kWp") for k, v in segments]
    rows += [("storage", f"{_fmt(x.get('storage_energy_kwh', 0.0))} kWh, {_fmt(x.get('storage_power_kw', 0.0))} kW"),
             ("grid peak import", f"{_fmt(x.get('grid_peak_import_kw', 0.0))} kW"),
             ("served load", _kwh(x["served_load_kwh"])),
             ("PV generation (curtailed)", f"{_kwh(x['pv_generation_kwh'])} ({_kwh(x['pv_curtailed_kwh'])})"),
             ("grid import / export", f"{_kwh(x['grid_import_kwh'])} / {_kwh(x['grid_export_kwh'])}"),
             ("storage charge / discharge", f"{_kwh(x['storage_charge_kwh'])} / {_kwh(x['storage_discharge_kwh'])}"),
             ("self-sufficiency (target)", f"{x['self_sufficiency_fraction']:.1%} "
                                           f"({x['self_sufficiency_target_fraction']:.0%})"
                                           + ("; RE100" if x["re100"] else "")),
             ("capex", f"{_fmt(x['capex_krw'])} KRW"),
             ("objective", f"{_fmt(x['objective_krw'])} {objective_unit}")]
    rows += [(f"cost: {k}", f"{_fmt(v)} KRW/yr") for k, v in x["costs_krw_per_year"].items()]
    rows += [("  KEPCO bills with / without new PV", f"{_fmt(x['bill_krw_per_year'])} / "
                                                      f"{_fmt(x['baseline_bill_krw_per_year'])} KRW/yr"),
             ("  export revenue", f"{_fmt(x['export_revenue_krw_per_year'])} KRW/yr")]
    rows += [(f"  meter {html.escape(k)}", html.escape(v)) for k, v in x.get("meters", {}).items()]
    margin = x["pilot"].get("margin")
    if margin:
        rows += [("pilot energy from local PV / grid", f"{_kwh(margin['from_local_pv_kwh'])} / "
                                                       f"{_kwh(margin['from_grid_kwh'])}"),
                 ("pilot margin on resold grid energy", f"{_fmt(margin['margin_on_grid_energy_krw_per_year'])} KRW/yr "
                                                        f"(revenue {_fmt(margin['revenue_from_grid_krw_per_year'])} "
                                                        f"less supply bill {_fmt(margin['supply_meter_bill_krw_per_year'])})")]
    pilot = x["pilot"]
    if pilot["candidates"]:
        enrolled = ", ".join(pilot["enrolled"]) or "none"
        rows += [("pilot enrolled", f"{html.escape(enrolled)} ({len(pilot['enrolled'])} of "
                                    f"{len(pilot['candidates'])} candidates)"),
                 ("pilot energy, revenue",
                  f"{_kwh(pilot['energy_kwh'])}, {_fmt(pilot['revenue_krw_per_year'])} KRW/yr")]
        sc = pilot.get("screening")
        if sc:
            rows.append(("pilot screening", f"{sc['typical_days']} typical days, "
                                            f"{sc['branch_and_bound_nodes']} branch-and-bound nodes"))
    if x.get("mip_gap_fraction"):
        rows.append(("MIP gap (at most)", _fmt(x["mip_gap_fraction"])))
    return (f"<h3>{html.escape(name)}</h3><table><tr><th>quantity</th><th>value</th></tr>"
            f"{_rows(rows)}</table>")


def _sizing_section(z: dict, figures: dict[str, Path]) -> str:
    npv = z["objective"] == "npv"
    unit = "KRW (minus the NPV)" if npv else "KRW/yr (annualized net cost)"
    periods = ("every hour of the year" if z["periods"] == "full"
               else f"{z['typical_days']} typical days")
    if z["capital_budget_krw"] <= 0:
        budget = "no capital budget"
    elif z["budget_price_krw_per_krw"] > 0:
        budget = (f"a shared capital budget of {_fmt(z['capital_budget_krw'])} KRW, priced at "
                  f"{z['budget_price_krw_per_krw']:.4g} KRW of objective per KRW of capex")
    elif z["method"] == "monolithic":
        budget = (f"a shared capital budget of {_fmt(z['capital_budget_krw'])} KRW (no price: the monolithic "
                  "model has binary decisions, so it has no dual)")
    else:
        budget = f"a shared capital budget of {_fmt(z['capital_budget_krw'])} KRW, which does not bind"
    out = [f"<p>Status: <b>{html.escape(z['status'])}</b>; objective {_fmt(z['objective_krw'])} {unit}; "
           f"total capex {_fmt(z['capex_krw'])} KRW.</p>",
           f"<p>Cluster: {html.escape(z['method'])} solve on {periods} ({z['time_steps']} time steps), "
           f"{budget}.</p>"]
    if "sizing" in figures:
        out.append(_image(figures["sizing"], "PV and storage sizes by site"))
    out += [_site_table(name, x, "KRW (minus the NPV)" if npv else "KRW/yr") for name, x in z["sites"].items()]
    out.append("<p class='note'>Self-sufficiency: 1 - grid import / served load. The served load of a site "
               "is its own loads plus the pilot facilities it enrolled; costs are annualized (capital "
               "recovery plus O&amp;M, energy and revenue as a negative cost) whatever the objective.</p>")
    for key, alt in (("soc_heatmap", "storage state of charge"), ("week_summer", "summer week"),
                     ("week_winter", "winter week")):
        if key in figures:
            out.append(_image(figures[key], alt))
    return "".join(out)


def _rows_table(rows: dict) -> str:
    """A table with one row per key of ``rows`` and one column per key of the row dicts."""
    if not rows:
        return ""
    cols = list(next(iter(rows.values())))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr><td>" + html.escape(str(name)) + "</td>"
                   + "".join(f"<td>{html.escape(_fmt(r.get(c)))}</td>" for c in cols) + "</tr>"
                   for name, r in rows.items())
    return f"<table><tr><th></th>{head}</tr>{body}</table>"


def write_report(path: Path, summary: dict, figures: dict[str, Path], provenance: dict) -> None:
    s = summary
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>pvcluster: {html.escape(s['scenario']['name'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(s['scenario']['title'] or s['scenario']['name'])}</h1>",
        f"<p class='note'>Scenario <b>{html.escape(s['scenario']['name'])}</b>, money in real "
        f"{s['scenario']['base_year']} KRW, seed {s['scenario']['seed']}. Weather: "
        f"{html.escape(s['weather']['source'])}, {s['weather']['annual_ghi_kwh_per_m2']:,.0f} kWh/m² GHI.</p>",
        "<h2>Generation</h2>",
    ]
    parts.append(_energy_table(s["generation"]))
    parts.append("<p class='note'>P50: mean annual energy over the seeded synthetic weather ensemble "
                 "(or the weather file's year when one is given). P90 / P99: exceeded with 90 % / 99 % "
                 "probability in any one year, combining the ensemble's year-to-year spread with the "
                 "resource and model uncertainties of the pv input file (independent, normal); "
                 "P90 (10-yr) is the same for a ten-year average. Rooftop figures assume every usable "
                 "roof is covered.</p>")
    for name, g in s["generation"].items():
        parts.append(f"<h3>{html.escape(name)}</h3>" + _table(g))
        if "losses_fraction" in g:
            parts.append("<p>Losses (fractions):</p>" + _table(g["losses_fraction"]))
        for village, v in g.get("villages", {}).items():
            parts.append(f"<h4>{html.escape(name)}: {html.escape(village)}</h4>" + _table(v)
                         + _table({cls: f"{c['roofs']} roofs, {c['capacity_kwp']:,.1f} kWp, "
                                        f"{c['annual_mwh']:,.1f} MWh/yr" for cls, c in v["by_class"].items()},
                                  "building class"))
    parts.append(_image(figures["monthly_energy"], "monthly energy"))
    parts.append("<h2>Demand</h2>")
    parts.append(_demand_tables(s["demand"]))
    for key, alt in (("demand_profiles", "daily demand profiles by season"),
                     ("load_duration", "load-duration curve")):
        if key in figures:
            parts.append(_image(figures[key], alt))
    parts.append("<h2>Sizing</h2>")
    parts.append(_sizing_section(s["sizing"], figures))
    parts.append("<h2>Finance</h2>")
    fin = s["finance"]
    parts.append("<p class='note'>NPV and IRR are after tax; project = unlevered, equity = after debt "
                 "service. Flows at the end of each year, construction from t = 0 (numpy-financial "
                 "convention); real base-year KRW made nominal with the inflation fact, NPV at the nominal "
                 "rate (1 + r)(1 + i) - 1. LCOE follows SAM's single-owner definition: owner's costs "
                 "(revenue minus equity cash flow) discounted, over energy at the meter discounted at the "
                 "nominal (LCOE nominal) or real (LCOE real) rate. An IRR that does not exist is shown as None.</p>")
    basis = fin.get("energy_station_basis")
    if basis:
        if basis["valuation"] == "as_built":
            parts.append(
                f"<p><b>Energy Station basis: as built.</b> Commercial operation {basis['commercial_operation_year']}; "
                f"valued forward from the base year over the {basis['remaining_life_years']} years of its life left "
                f"({basis['years_run']} run, degradation so far {basis['degradation_so_far_fraction']:.1%}); its "
                f"capex of {_fmt(basis.get('as_built_capex_krw', 0.0))} KRW (and the farm's "
                f"{_fmt(basis.get('farm_capex_krw', 0.0))} KRW) is sunk and out of the NPV, its tax depreciation "
                f"runs on; REC weight {basis['rec_weight']:g} ({html.escape(basis['rec_rule'])}, kept for life). "
                f"Construction jobs of {basis.get('construction_year')}: "
                f"{_fmt(basis.get('construction_job_years', 0.0))} job-years (before the horizon). Whole-life IRR: "
                f"{html.escape(basis.get('whole_life_irr_note', ''))}.</p>")
        else:
            parts.append(f"<p><b>Energy Station basis: new build</b> from {basis['commercial_operation_year']} "
                         f"at today's cost; REC weight {basis['rec_weight']:g} ({html.escape(basis['rec_rule'])}).</p>")
    parts.append(f"<p class='note'>Money: {html.escape(fin['money']['real'])}; nominal: "
                 f"{html.escape(fin['money']['nominal'])}.</p>")
    projects = {k: v for k, v in fin.items() if isinstance(v, dict) and "level" in v}
    for name, f in projects.items():
        parts.append(f"<h3>{html.escape(name)}</h3>" + _table(f))
        if f"cashflow_{name}" in figures:
            parts.append(_image(figures[f"cashflow_{name}"], f"cash flow {name}"))
    if "portfolio" in fin:
        parts.append("<h2>Cluster portfolio</h2><p class='note'>Every project by level (L1 programs, L2 unit "
                     "projects, L3 complexes, L4 clusters) and function (seed plan V-1, V-3).</p>")
        parts.append("<h3>By level</h3>" + _rows_table(fin["portfolio"]["by_level"]))
        parts.append("<h3>By function</h3>" + _rows_table(fin["portfolio"]["by_function"]))
    if "jobs" in fin:
        jobs = {k: v for k, v in fin["jobs"].items() if not isinstance(v, dict)}
        parts.append("<h2>Jobs</h2><p class='note'>Direct jobs bottom up (per MW, per t of polysilicon, "
                     "staff); indirect (Type I, supply chain) jobs (<code>indirect_job_years</code>) from "
                     "the Bank of Korea employment inducement coefficients: jobs at the suppliers, no induced "
                     "jobs from household spending.</p>" + _table(jobs))
        if "jobs" in figures:
            parts.append(_image(figures["jobs"], "jobs by year and level"))
    if "polysilicon" in fin:
        poly = fin["polysilicon"]
        flat = {k: v for k, v in poly.items() if not isinstance(v, (dict, list))}
        parts.append("<h2>Polysilicon plant</h2>" + _table(flat))
        rows = {name: {k: v for k, v in sc.items() if not isinstance(v, (dict, list))}
                for name, sc in poly.get("scenarios", {}).items()}
        parts.append("<h3>Selling-price scenarios</h3>" + _rows_table(rows))
    if "fund" in fin:
        fund = fin["fund"]
        parts.append("<h2>Fund</h2>" + _table({k: v for k, v in fund.items() if not isinstance(v, (dict, list))}))
        parts.append("<h3>Tranches</h3>" + _rows_table(fund.get("tranches", {})))
        if "fund_waterfall" in figures:
            parts.append(_image(figures["fund_waterfall"], "fund waterfall"))
    parts.append("<h2>Inputs and their sources</h2>")
    for kind, facts in provenance.items():
        rows = "".join(
            f"<tr><td>{html.escape(n)}</td><td>{html.escape(str(f['value']))}</td><td>{html.escape(f['unit'])}</td>"
            f"<td style='text-align:left'>{html.escape(f['provenance'])}</td></tr>" for n, f in facts.items())
        parts.append(f"<h3>{html.escape(kind)}</h3><table><tr><th>fact</th><th>value</th><th>unit</th>"
                     f"<th>source or assumption</th></tr>{rows}</table>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
