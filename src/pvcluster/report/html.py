"""The run's report: one self-contained HTML page (figures as base64 PNG, no scripts, no external files),
written as a decision document: the answer first, then the details behind it.

1. The answer: the portfolio's NPV and capital, jobs, what to build at each site and what it earns,
   every project's NPV, IRR and payback, and the inputs that move the portfolio NPV most.
2. A table of contents, then the Energy Station's basis, sizing by site, finance by project, the
   portfolio, jobs, the polysilicon plant, the fund, generation, demand, the sensitivity, and every
   input fact with its source (collapsed).

Money is in bn or M KRW with "real" (KRW of the base year) or "nominal" said where it is shown; fractions
as %; long tables scroll inside their own box, so the page is never wider than the window.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

_STYLE = """
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK KR", sans-serif;
       margin: 0 auto; max-width: 1120px; padding: 1.2em 1.4em 3em; color: #1f2328; line-height: 1.4; }
h1 { font-size: 1.45em; margin: 0 0 .2em; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .2em;
       margin-top: 1.8em; font-size: 1.25em; } h3 { font-size: 1.05em; margin: 1.2em 0 .4em; }
.lede { color: #57606a; margin: 0 0 .8em; font-size: .92em; }
.cards { display: flex; flex-wrap: wrap; gap: .6em; margin: .6em 0 .8em; }
.card { flex: 1 1 200px; border: 1px solid #d0d7de; border-radius: 6px; padding: .5em .8em; background: #f6f8fa; }
.card .v { font-size: 1.35em; font-weight: 600; } .card .k { color: #57606a; font-size: .82em; }
.neg { color: #b42318; } .pos { color: #1a7f37; }
.scroll { overflow-x: auto; max-width: 100%; margin: .4em 0 .8em; }
.scroll.tall { max-height: 28em; overflow-y: auto; }
table { border-collapse: collapse; font-size: .86em; }
th, td { border: 1px solid #d8dee4; padding: .25em .55em; text-align: right; white-space: nowrap; }
th { background: #f6f8fa; position: sticky; top: 0; white-space: normal; vertical-align: bottom; }
th:first-child, td:first-child { text-align: left; }
td.text { text-align: left; white-space: normal; min-width: 18em; }
img { max-width: 100%; height: auto; display: block; margin: .4em 0; }
.note { color: #57606a; font-size: .84em; }
nav ol { columns: 2; font-size: .9em; margin: .3em 0; } nav a { color: #0969da; text-decoration: none; }
details { margin: .6em 0; } summary { cursor: pointer; font-weight: 600; }
.grid { display: flex; flex-wrap: wrap; gap: 0 1.2em; } .grid > div { flex: 1 1 460px; min-width: 0; }
"""

UNITS = {"_kwp": "kWp", "_kwh": "kWh", "_mwh": "MWh", "_kw": "kW", "_deg": "°", "_m": "m", "_t": "t",
         "_c": "°C", "_kwh_per_m2": "kWh/m²", "_kwh_per_kwp": "kWh/kWp", "_krw_per_kwh": "KRW/kWh",
         "_years": "years", "_kw_per_kwp": "kW/kWp", "_krw_per_kg": "KRW/kg", "_usd_per_kg": "USD/kg",
         "_t_per_year": "t/yr"}


# --- formatting --------------------------------------------------------------------------------

def esc(x) -> str:
    return html.escape(str(x))


def money(krw, *, signed: bool = False) -> str:
    """KRW in bn, M or plain KRW, with three significant digits of sense."""
    if krw is None or (isinstance(krw, float) and not math.isfinite(krw)):
        return "n/a"
    x = float(krw)
    sign = "+" if signed and x > 0 else ""
    a = abs(x)
    if a >= 1e9:
        return f"{sign}{x / 1e9:,.1f} bn"
    if a >= 1e6:
        return f"{sign}{x / 1e6:,.1f} M"
    if a >= 1e3:
        return f"{sign}{x / 1e3:,.1f} k"
    return f"{sign}{x:,.0f}"


def pct(x, digits: int = 1) -> str:
    return "n/a" if x is None else f"{100.0 * float(x):.{digits}f} %"


def num(x, digits: int = 0) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (int, float)):
        return f"{float(x):,.{digits}f}"
    return esc(x)


def signed_class(x) -> str:
    return "" if x is None else (" class='neg'" if x < 0 else " class='pos'" if x > 0 else "")


def label(key: str) -> str:
    """``annual_ghi_kwh_per_m2`` -> "annual ghi (kWh/m²)"; ``_fraction`` -> (%), ``_krw`` -> (KRW)."""
    for suffix, unit in sorted(UNITS.items(), key=lambda kv: -len(kv[0])):
        if key.endswith(suffix):
            return f"{key[: -len(suffix)].replace('_', ' ')} ({unit})"
    if key.endswith("_fraction"):
        return f"{key[:-9].replace('_', ' ')} (%)"
    if key.endswith("_nominal_krw"):
        return f"{key[:-12].replace('_', ' ')} (KRW, nominal)"
    if key.endswith("_krw_per_year"):
        return f"{key[:-13].replace('_', ' ')} (KRW/yr, real)"
    if key.endswith("_krw"):
        return f"{key[:-4].replace('_', ' ')} (KRW, real)"
    return key.replace("_", " ")


def value(key: str, x) -> str:
    """A value formatted by what its key says it is."""
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (list, tuple)):
        if len(x) > 4 and all(isinstance(v, (int, float)) for v in x):
            return f"{len(x)} values, {num(min(x), 1)} to {num(max(x), 1)}"
        return esc(", ".join(str(v) for v in x)) or "none"
    if not isinstance(x, (int, float)):
        return esc(x)
    if key.endswith("_fraction"):
        return pct(x, 2)
    if "krw" in key and abs(float(x)) >= 1e3:
        return money(x)
    if abs(float(x)) >= 100 or float(x) == int(x):
        return num(x, 0)
    return f"{float(x):,.3g}"


def table(head: list[str], rows: list[list[str]], *, tall: bool = False, classes: list[str] | None = None) -> str:
    """A table inside a box that scrolls on its own (cells are already HTML)."""
    h = "".join(f"<th>{c}</th>" for c in head)
    body = []
    for r in rows:
        cells = []
        for i, c in enumerate(r):
            cls = f" class='{classes[i]}'" if classes and i < len(classes) and classes[i] else ""
            cells.append(f"<td{cls}>{c}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class='scroll{' tall' if tall else ''}'><table><tr>{h}</tr>{''.join(body)}</table></div>"


def kv_table(d: dict, skip: tuple[str, ...] = ()) -> str:
    """A dict as a two-column table with human labels (nested dicts left out)."""
    rows = [[esc(label(k)), value(k, v)] for k, v in d.items() if not isinstance(v, dict) and k not in skip]
    return table(["quantity", "value"], rows)


def image(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


# --- the answer ----------------------------------------------------------------------------------

def status(text: str) -> str:
    """HiGHS's termination names, in words."""
    words = {"convergenceCriteriaSatisfied": "optimal", "notSized": "not sized (existing PV only)"}
    return ", ".join(words.get(t, t) for t in str(text).split(","))


def _projects(fin: dict) -> dict:
    return {k: v for k, v in fin.items() if isinstance(v, dict) and "level" in v}


def _answer(s: dict) -> str:
    fin, z = s["finance"], s["sizing"]
    base = s["scenario"]["base_year"]
    port = fin["portfolio"]
    projects = _projects(fin)
    jobs = fin.get("jobs", {})
    winners = sum(1 for p in projects.values() if p["npv_krw"] >= 0)
    cards = [
        ("portfolio NPV, real", f"<span{signed_class(port['total_npv_krw'])}>{money(port['total_npv_krw'])} KRW</span>"),
        ("portfolio capex, real", f"{money(port['total_capex_krw'])} KRW"),
        ("projects with NPV ≥ 0", f"{winners} of {len(projects)}"),
        ("jobs", f"{num(jobs.get('total_job_years'))} job-years; peak {num(jobs.get('peak_jobs'))} in {jobs.get('peak_year')}"),
    ]
    out = [f"<section id='answer'><h2>The answer</h2><p class='lede'>Money in KRW of {base} (real) unless it "
           f"says nominal; NPVs after tax at the {pct(_first(projects, 'discount_rate_fraction'))} real rate, "
           f"valued at the end of {base}; IRRs nominal.</p><div class='cards' id='headline'>"
           + "".join(f"<div class='card'><div class='v'>{v}</div><div class='k'>{esc(k)}</div></div>" for k, v in cards)
           + "</div>"]
    # what to build
    rows = []
    for name, x in z["sites"].items():
        proj = projects.get(f"{name}_pv", {})
        pilot = x["pilot"]
        enrolled = (f"{len(pilot['enrolled'])} of {len(pilot['candidates'])}" if pilot["candidates"] else "–")
        rows.append([esc(name), f"{num(x.get('pv_new_capacity_kwp'), 0)} of {num(x.get('pv_potential_kwp'), 0)}",
                     f"{num(x.get('storage_energy_kwh'), 0)} / {num(x.get('storage_power_kw'), 0)}", enrolled,
                     money(x["capex_krw"]), _npv(proj.get("npv_krw")), pct(proj.get("irr_fraction")),
                     pct(x.get("self_sufficiency_fraction"), 0)])
    out.append("<h3>What to build</h3>" + table(
        ["site", "new PV, of the potential (kWp)", "storage (kWh / kW)", "pilot facilities enrolled",
         "capex (KRW, real)", "NPV (KRW, real)", "IRR (nominal)", "self-sufficiency"], rows))
    # projects
    rows = []
    for name, p in sorted(projects.items(), key=lambda kv: kv[1]["npv_krw"]):
        as_built = (p.get("note") or "").startswith("valued as built")
        rows.append([esc(name), "sunk (as built)" if as_built else money(p["capex_krw"]), _npv(p["npv_krw"]),
                     pct(p["irr_fraction"]) if p["irr_exists"] else "no IRR",
                     ("n/a" if as_built else num(p["payback_years"])) if p["payback_years"] is not None else "never",
                     esc(p["level"]), esc(p["function"])])
    rows.append(["<b>portfolio</b>", f"<b>{money(port['total_capex_krw'])}</b>", f"<b>{_npv(port['total_npv_krw'])}</b>",
                 "", "", "", ""])
    out.append("<h3>Every project</h3>" + table(
        ["project", "capex (KRW, real)", "NPV (KRW, real)", "project IRR (nominal)", "payback (years)", "level",
         "function"], rows))
    sens = s.get("sensitivity") or {}
    if sens.get("parameters"):
        top = sens["parameters"][:3]
        d = sens.get("delta_fraction") or 0.1
        rows = [[esc(p["label"]), _npv(p["npv_low_krw"]), _npv(p["npv_high_krw"]), money(p["swing_krw"])] for p in top]
        out.append(f"<h3>What moves the portfolio NPV most</h3><p class='note'>Each input {pct(-d, 0)} and "
                   f"+{pct(d, 0)} on its own, the sizing held fixed (finance evaluated again); the portfolio NPV is "
                   f"{money(sens['portfolio_npv_krw'])} KRW at the inputs as given. All {len(sens['parameters'])} inputs "
                   f"tried: <a href='#sensitivity'>Sensitivity</a>.</p>"
                   + table(["input", f"portfolio NPV at {pct(-d, 0)}", f"at +{pct(d, 0)}", "swing"], rows))
    out.append("</section>")
    return "".join(out)


def _first(projects: dict, key: str):
    return next((p.get(key) for p in projects.values() if p.get(key) is not None), None)


def _npv(x) -> str:
    return "n/a" if x is None else f"<span{signed_class(x)}>{money(x)}</span>"


# --- the details --------------------------------------------------------------------------------

SECTIONS = [("answer", "The answer"), ("energy-station", "Energy Station basis"), ("sizing", "Sizing by site"),
            ("finance", "Finance by project"), ("portfolio", "Cluster portfolio"), ("jobs", "Jobs"),
            ("polysilicon", "Polysilicon plant"), ("fund", "Fund"), ("generation", "Generation"),
            ("demand", "Demand"), ("sensitivity", "Sensitivity"), ("inputs", "Inputs and sources")]


def _toc(present: set[str]) -> str:
    items = "".join(f"<li><a href='#{i}'>{esc(t)}</a></li>" for i, t in SECTIONS if i in present)
    return f"<nav><h2>Contents</h2><ol>{items}</ol></nav>"


def _station(fin: dict) -> str:
    b = fin.get("energy_station_basis")
    if not b:
        return ""
    if b["valuation"] == "as_built":
        text = (f"<p>Valued <b>as built</b>: commercial operation {b['commercial_operation_year']}, valued forward "
                f"from the base year over the <b>{b['remaining_life_years']} years</b> of its life left "
                f"({b['years_run']} run; degradation so far {pct(b['degradation_so_far_fraction'])}). Its capex of "
                f"{money(b.get('as_built_capex_krw'))} KRW (and the farm's {money(b.get('farm_capex_krw'))} KRW) is "
                f"sunk and out of the NPV; its tax depreciation runs on. REC weight {b['rec_weight']:g} (rule "
                f"{esc(b['rec_rule'])}, kept for life). Construction jobs of {b.get('construction_year')}: "
                f"{num(b.get('construction_job_years'))} job-years, before the horizon. Whole-life IRR: "
                f"{esc(b.get('whole_life_irr_note', 'not available'))}.</p>")
    else:
        text = (f"<p>Valued as a <b>new build</b> from {b['commercial_operation_year']} at today's cost; REC weight "
                f"{b['rec_weight']:g} (rule {esc(b['rec_rule'])}).</p>")
    return f"<section id='energy-station'><h2>Energy Station basis</h2>{text}</section>"


def _site(name: str, x: dict) -> str:
    segs = [(k[3:-4].replace("_", " "), v) for k, v in x.items() if k.startswith("pv_") and k.endswith("_kwp")
            and k not in ("pv_capacity_kwp", "pv_new_capacity_kwp", "pv_potential_kwp")]
    rows = [["PV built (new)", f"{num(x['pv_capacity_kwp'], 1)} kWp ({num(x['pv_new_capacity_kwp'], 1)} new) of "
                               f"{num(x['pv_potential_kwp'], 1)} kWp possible"]]
    rows += [[f"&nbsp;&nbsp;on {esc(k)}", f"{num(v, 1)} kWp"] for k, v in segs]
    rows += [["storage", f"{num(x['storage_energy_kwh'], 1)} kWh, {num(x['storage_power_kw'], 1)} kW"],
             ["served load", f"{num(x['served_load_kwh'] / 1000, 1)} MWh/yr"],
             ["PV generation (curtailed)", f"{num(x['pv_generation_kwh'] / 1000, 1)} MWh/yr "
                                           f"({num(x['pv_curtailed_kwh'] / 1000, 1)})"],
             ["grid import / export", f"{num(x['grid_import_kwh'] / 1000, 1)} / {num(x['grid_export_kwh'] / 1000, 1)} MWh/yr"],
             ["self-sufficiency (target)", f"{pct(x['self_sufficiency_fraction'])} ({pct(x['self_sufficiency_target_fraction'], 0)})"
                                           + ("; RE100" if x["re100"] else "")],
             ["KEPCO bills with / without what is built", f"{money(x['bill_krw_per_year'])} / "
                                                          f"{money(x['baseline_bill_krw_per_year'])} KRW/yr (real)"],
             ["export revenue", f"{money(x['export_revenue_krw_per_year'])} KRW/yr (real)"],
             ["capex", f"{money(x['capex_krw'])} KRW (real)"],
             ["tax rate the sizing priced with", pct(x.get("tax_rate_fraction"))]]
    rows += [[f"meter {esc(k)}", esc(v)] for k, v in x.get("meters", {}).items()]
    p = x["pilot"]
    if p["candidates"]:
        rows.append(["pilot facilities enrolled", esc(", ".join(p["enrolled"]) or "none")
                     + f" ({len(p['enrolled'])} of {len(p['candidates'])})"])
        m = p.get("margin")
        if m and p["enrolled"]:
            rows += [["pilot energy from local PV / resold grid", f"{num(m['from_local_pv_kwh'] / 1000, 1)} / "
                                                                  f"{num(m['from_grid_kwh'] / 1000, 1)} MWh/yr"],
                     ["pilot margin on resold grid energy", f"{money(m['margin_on_grid_energy_krw_per_year'])} KRW/yr"]]
    return f"<div><h3>{esc(name)}</h3>{table(['quantity', 'value'], rows, classes=['', 'text'])}</div>"


def _sizing(z: dict, figures: dict) -> str:
    periods = "every hour of the year" if z["periods"] == "full" else f"{z['typical_days']} typical days"
    if z["capital_budget_krw"] <= 0:
        budget = "no shared capital budget"
    elif z["budget_price_krw_per_krw"] > 0:
        budget = (f"a shared capital budget of {money(z['capital_budget_krw'])} KRW, priced at "
                  f"{z['budget_price_krw_per_krw']:.3g} KRW of objective per KRW of capex")
    else:
        budget = f"a shared capital budget of {money(z['capital_budget_krw'])} KRW"
    unit = "minus the NPV" if z["objective"] == "npv" else "after-tax annualized net cost, KRW/yr"
    out = [f"<section id='sizing'><h2>Sizing by site</h2><p>{esc(z['method'])} solve on {periods}, {budget}; "
           f"{esc(status(z['status']))}; objective {money(z['objective_krw'])} ({unit}); capex {money(z['capex_krw'])} KRW.</p>"]
    if "sizing" in figures:
        out.append(image(figures["sizing"], "PV and storage by site"))
    out.append("<div class='grid'>" + "".join(_site(n, x) for n, x in z["sites"].items()) + "</div>")
    out.append("<p class='note'>The sizing prices every asset as finance does (capex after the tax shield, O&amp;M, "
               "insurance, replacements) and every kWh as KEPCO bills it. Self-sufficiency: 1 - grid import / served "
               "load.</p>")
    for key, alt in (("week_summer", "summer week"), ("week_winter", "winter week"), ("soc_heatmap", "state of charge")):
        if key in figures:
            out.append(image(figures[key], alt))
    return "".join(out) + "</section>"


PROJECT_ROWS = [("capex_krw", "capex (KRW, real)", money), ("npv_krw", "project NPV (KRW, real)", money),
                ("irr_fraction", "project IRR (nominal)", pct), ("equity_npv_krw", "equity NPV (KRW, real)", money),
                ("equity_irr_fraction", "equity IRR (nominal)", pct),
                ("lcoe_real_krw_per_kwh", "LCOE (KRW/kWh, real)", lambda v: num(v, 1)),
                ("lcoe_nominal_krw_per_kwh", "LCOE (KRW/kWh, nominal)", lambda v: num(v, 1)),
                ("payback_years", "payback (years from the base year)", lambda v: num(v)),
                ("debt_nominal_krw", "debt at close (KRW, nominal)", money),
                ("min_dscr", "minimum DSCR", lambda v: num(v, 2)), ("llcr", "LLCR", lambda v: num(v, 2)),
                ("first_year_energy_mwh", "first-year energy (MWh)", lambda v: num(v, 0)),
                ("first_year_revenue_nominal_krw", "first-year revenue (KRW, nominal)", money),
                ("first_year_opex_nominal_krw", "first-year opex (KRW, nominal)", money),
                ("jobs_total_job_years", "jobs (job-years)", lambda v: num(v, 0))]


def _finance(fin: dict, figures: dict) -> str:
    projects = _projects(fin)
    names = list(projects)
    head = ["quantity"] + [esc(n) for n in names]
    rows = [[esc(lbl)] + [fmt(projects[n].get(key)) if projects[n].get(key) is not None else "n/a" for n in names]
            for key, lbl, fmt in PROJECT_ROWS]
    out = [f"<section id='finance'><h2>Finance by project</h2><p class='note'>{esc(fin['money']['real'])}; nominal: "
           f"{esc(fin['money']['nominal'])}. Project = unlevered, after tax; equity = after debt service. LCOE as SAM's "
           "single owner. An IRR that does not exist is shown as n/a.</p>", table(head, rows)]
    lenders = {n: projects[n]["debt_basis"] for n in names if projects[n].get("debt_basis")}
    if lenders:
        level = next(iter(lenders.values()))["energy"]
        label = {"p90_1yr": "one-year P90", "p90_10yr": "ten-year P90", "p99": "one-year P99"}.get(level, level)
        out.append(f"<h3>Debt on the lender's case ({esc(label)} energy) beside P50</h3><p class='note'>The debt is "
                   f"sculpted to the DSCR target on each year's cash flow with the PV output at the {esc(label)} "
                   "energy (from the weather ensemble's exceedance), then tested on the P50 cash flow above; the "
                   "P50 columns size it on P50 energy.</p>")
        rows = [[esc(n), num(b["energy_fraction"], 3), esc(b["exceedance_of"]),
                 money(projects[n].get("debt_nominal_krw")), money(b["p50_debt_nominal_krw"]),
                 num(projects[n].get("min_dscr"), 2), num(b["p50_min_dscr"], 2),
                 pct(projects[n].get("equity_irr_fraction")), pct(b["p50_equity_irr_fraction"])]
                for n, b in lenders.items()]
        out.append(table(["project", "energy / P50", "exceedance of", f"debt, {esc(label)}", "debt, P50",
                          f"min DSCR, {esc(label)} debt", "min DSCR, P50 debt", f"equity IRR, {esc(label)} debt",
                          "equity IRR, P50 debt"], rows))
    out.append("<div class='grid'>" + "".join(
        f"<div>{image(figures[f'cashflow_{n}'], f'cash flow of {n}')}</div>" for n in names if f"cashflow_{n}" in figures)
        + "</div>")
    return "".join(out) + "</section>"


def _portfolio(fin: dict) -> str:
    port = fin["portfolio"]
    cols = [("capex_krw", "capex (KRW, real)", money), ("npv_krw", "NPV (KRW, real)", money),
            ("first_year_energy_mwh", "first-year energy (MWh)", lambda v: num(v)),
            ("job_years", "job-years", lambda v: num(v)), ("projects", "projects", esc)]

    def rows(d):
        return [[esc(k)] + [f(r.get(key)) for key, _, f in cols] for k, r in d.items()]
    head = [""] + [lbl for _, lbl, _ in cols]
    return ("<section id='portfolio'><h2>Cluster portfolio</h2><p class='note'>Every project by level (L1 programs, "
            "L2 unit projects, L3 complexes, L4 clusters) and function (seed plan V-1, V-3).</p>"
            "<h3>By level</h3>" + table(head, rows(port["by_level"]), classes=["", "", "", "", "", "text"])
            + "<h3>By function</h3>" + table(head, rows(port["by_function"]), classes=["", "", "", "", "", "text"])
            + "</section>")


def _jobs(fin: dict, figures: dict) -> str:
    if "jobs" not in fin:
        return ""
    j = fin["jobs"]
    keys = [k for k in j if k.endswith("job_years") and not isinstance(j[k], dict)]
    out = ("<section id='jobs'><h2>Jobs</h2><p class='note'>Direct jobs bottom up (per MW, per t of polysilicon, "
           "staff); indirect (Type I, supply chain) jobs from the Bank of Korea employment inducement coefficients. "
           "No induced (household-spending) jobs.</p>"
           + table(["jobs", "job-years"], [[esc(label(k).replace(" job years", "")), num(j[k])] for k in keys]))
    if "jobs" in figures:
        out += image(figures["jobs"], "jobs by year and level")
    return out + "</section>"


def _polysilicon(fin: dict) -> str:
    poly = fin.get("polysilicon")
    if not poly:
        return ""
    flat = {k: v for k, v in poly.items() if not isinstance(v, (dict, list))}
    rows = [[esc(n), money(sc.get("price_krw_per_kg")) + " KRW/kg", _npv(sc.get("npv_krw")), pct(sc.get("irr_fraction")),
             num(sc.get("break_even_electricity_price_krw_per_kwh"), 1)]
            for n, sc in poly.get("scenarios", {}).items()]
    return ("<section id='polysilicon'><h2>Polysilicon plant</h2>" + kv_table(flat)
            + "<h3>Selling-price scenarios</h3>" + table(["scenario", "price", "NPV (KRW, real)", "IRR (nominal)",
                                                          "break-even electricity (KRW/kWh)"], rows) + "</section>")


def _fund(fin: dict, figures: dict) -> str:
    f = fin.get("fund")
    if not f:
        return ""
    out = "<section id='fund'><h2>Fund</h2><p class='note'>Nominal KRW; capital is called as the projects need it.</p>"
    held = ", ".join(f.get("projects", []))
    unbuilt = ", ".join(f.get("projects_not_built", []))
    if held:
        out += f"<p>It holds {esc(held)}." + (f" Listed but not built (sizing built nothing there): {esc(unbuilt)}."
                                             if unbuilt else "") + "</p>"
    out += kv_table({k: v for k, v in f.items() if not isinstance(v, (dict, list))})
    tr = f.get("tranches", {})
    if tr:
        cols = list(next(iter(tr.values())))
        out += table(["tranche"] + [esc(label(c)) for c in cols],
                     [[esc(n)] + [value(c, r.get(c)) for c in cols] for n, r in tr.items()])
    if "fund_waterfall" in figures:
        out += image(figures["fund_waterfall"], "fund waterfall")
    return out + "</section>"


def _generation(g: dict, figures: dict) -> str:
    rows = []
    systems = list(g.items())
    for name, x in list(systems):
        systems += [(f"{name}: {v}", vx) for v, vx in x.get("villages", {}).items()]
    for name, x in systems:
        rows.append([esc(name)] + [num(x.get(k), 0) if x.get(k) is not None else "–"
                                   for k in ("capacity_kwp", "annual_mwh", "specific_yield_kwh_per_kwp", "p50_mwh",
                                             "p90_mwh", "p99_mwh", "p90_10yr_mwh")]
                    + [pct(x.get("interannual_cv_fraction"))])
    plant = next(iter(g.values()))
    losses = plant.get("losses_fraction", {})
    out = ["<section id='generation'><h2>Generation</h2>",
           table(["system", "kWp", "MWh/yr", "kWh/kWp", "P50 MWh", "P90 MWh", "P99 MWh", "P90 (10-yr) MWh",
                  "year-to-year spread"], rows),
           "<p class='note'>P50: mean over the seeded synthetic years; P90 / P99 add the resource and model "
           "uncertainties. Rooftops: every usable roof covered.</p>"]
    if losses:
        out.append("<h3>Losses of the Energy Station</h3>" + table(
            ["loss", "share"], [[esc(k.replace("_fraction", "").replace("_", " ")), pct(v, 2)] for k, v in losses.items()]))
    if "monthly_energy" in figures:
        out.append(image(figures["monthly_energy"], "monthly energy"))
    return "".join(out) + "</section>"


def _demand(d: dict, figures: dict) -> str:
    rows = [[esc(n), esc(x["class"]), esc(x["type"]), esc(x["site"]), "yes" if x["pilot_candidate"] else "no",
             num(x["annual_mwh"], 1), num(x["peak_kw"], 1), f"{x['design_year_factor']:.2f}", esc(x["basis"])]
            for n, x in d["loads"].items()]
    out = [f"<section id='demand'><h2>Demand</h2><p>Design year <b>{d['design_year']}</b>: "
           f"{num(d['annual_mwh'])} MWh, peak {num(d['peak_kw'])} kW.</p>",
           table(["load", "class", "type", "site", "pilot candidate", "MWh/yr", "peak kW", "year factor",
                  "basis of the energy"], rows, tall=True, classes=[""] * 8 + ["text"])]
    villages = d.get("villages", {})
    if villages:
        out.append("<h3>Household diversity</h3>" + table(
            ["village", "households", "village household peak (kW)", "mean single-household peak (kW)",
             "coincidence factor"],
            [[esc(n), num(v["households"]), num(v["households_peak_kw"], 1), num(v["single_household_peak_kw_mean"], 2),
              f"{v['coincidence_factor']:.2f}"] for n, v in villages.items()])
            + "<p class='note'>Coincidence factor: the village's household peak over the sum of each household's own "
              "peak (1 = all peak in the same hour).</p>")
    for key, alt in (("demand_profiles", "daily profiles by season"), ("load_duration", "load duration")):
        if key in figures:
            out.append(image(figures[key], alt))
    return "".join(out) + "</section>"


def _sensitivity(s: dict, figures: dict) -> str:
    sens = s.get("sensitivity") or {}
    if not sens.get("parameters"):
        return ""
    rows = [[esc(p["label"]), esc(p["parameter"]), f"{p['base_value']:,.6g}", _npv(p["npv_low_krw"]),
             _npv(p["npv_high_krw"]), money(p["swing_krw"]), esc(p.get("note", ""))] for p in sens["parameters"]]
    out = (f"<section id='sensitivity'><h2>Sensitivity</h2><p class='note'>{esc(sens['method'])}: the portfolio NPV "
           f"(KRW, real) with each input {pct(-(sens['delta_fraction'] or 0.1), 0)} and +{pct(sens['delta_fraction'] or 0.1, 0)}.</p>"
           + table(["input", "fact", "value as given", "NPV low", "NPV high", "swing", "note"], rows))
    if "tornado" in figures:
        out += image(figures["tornado"], "tornado of the portfolio NPV")
    return out + "</section>"


def _inputs(provenance: dict) -> str:
    parts = ["<section id='inputs'><h2>Inputs and sources</h2><p class='note'>Every fact the run used, with its "
             "source and year, or the assumption and why.</p>"]
    for kind, facts in provenance.items():
        rows = [[esc(n), esc(_short(f["value"])), esc(f["unit"]), esc(f["provenance"])] for n, f in facts.items()]
        parts.append(f"<details><summary>{esc(kind)} ({len(rows)} facts)</summary>"
                     + table(["fact", "value", "unit", "source or assumption"], rows, tall=True,
                             classes=["", "text", "", "text"]) + "</details>")
    return "".join(parts) + "</section>"


def _short(v) -> str:
    if isinstance(v, list):
        return ", ".join(f"{x:g}" if isinstance(x, (int, float)) else str(x) for x in v)
    return f"{v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def build_report(summary: dict, figures: dict[str, Path], provenance: dict) -> str:
    """The whole page as a string."""
    s = summary
    fin = s["finance"]
    body = [
        _answer(s), "", _station(fin), _sizing(s["sizing"], figures), _finance(fin, figures), _portfolio(fin),
        _jobs(fin, figures), _polysilicon(fin), _fund(fin, figures), _generation(s["generation"], figures),
        _demand(s["demand"], figures), _sensitivity(s, figures), _inputs(provenance),
    ]
    present = {sid for sid, _ in SECTIONS if any(f"id='{sid}'" in b for b in body)}
    body[1] = _toc(present)
    weather = s["weather"]
    head = (f"<h1>{esc(s['scenario']['title'] or s['scenario']['name'])}</h1>"
            f"<p class='lede'>pvcluster run of scenario <b>{esc(s['scenario']['name'])}</b> (seed {s['scenario']['seed']}); "
            f"weather {esc(weather['source'])}, {num(weather['annual_ghi_kwh_per_m2'])} kWh/m² a year.</p>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>pvcluster: {esc(s['scenario']['name'])}</title><style>{_STYLE}</style></head><body>"
            + head + "".join(body) + "</body></html>")


def write_report(path: Path, summary: dict, figures: dict[str, Path], provenance: dict) -> None:
    Path(path).write_text(build_report(summary, figures, provenance), encoding="utf-8")
