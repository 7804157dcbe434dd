"""Command line: parse, call the pipeline, map errors to exit codes.

Exit codes: 0 success; 2 invalid input (scenario, override or data file); 3 optimization
infeasible or unbounded; 4 ``compare`` found differences; 1 anything else. User mistakes get a message, never a traceback
(``--debug`` shows one for unexpected errors).
"""

from __future__ import annotations

import argparse
import calendar
import sys
import time
import traceback
from pathlib import Path

from pvcluster import __version__
from pvcluster.errors import InputError, Problem, PvclusterError

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_DIFFERENT = 0, 1, 2, 3, 4
CASHFLOW_CSV_START = "year_index,calendar_year,"  # the first line of a cash-flow table pvcluster writes


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad arguments, which matches our 'invalid input' code."""

    def error(self, message: str):  # noqa: D401
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="no progress messages on stderr")
    common.add_argument("--debug", action="store_true", help="show a traceback for unexpected errors")

    p = _Parser(prog="pvcluster", description=(
        "Techno-economic model of a solar-PV industry cluster: weather, generation, demand, "
        "sizing (Pyomo + HiGHS) and finance, from a TOML scenario to a folder of results."),
        parents=[common])
    p.add_argument("--version", action="version", version=f"pvcluster {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", parents=[common], help="run the whole chain and write the outputs",
                         description="Run scenario -> weather -> generation/demand -> sizing -> finance "
                                     "-> report. Without SCENARIO, runs the embedded Yeongwol default.")
    run.add_argument("scenario", nargs="?", help="scenario TOML file (default: the packaged models/yeongwol.toml)")
    run.add_argument("--out", metavar="DIR", help="output folder (default: outputs/<scenario name>)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario value, e.g. --set plant.capacity_kwp=40000 "
                          "or --set villages.0.households=60 (repeatable)")
    run.add_argument("--format", choices=("csv", "parquet"), default="csv",
                     help="format of hourly and cash-flow tables (default: %(default)s)")

    val = sub.add_parser("validate", parents=[common], help="check a scenario and its data files without running",
                         description="Validate a scenario and every data file it names; report all problems.")
    val.add_argument("scenario", nargs="?", help="scenario TOML file (default: the packaged default)")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario value before validating (repeatable)")

    pv = sub.add_parser("pv", parents=[common], help="annual and monthly energy of one PV system (PVWatts-like)",
                        description="Simulate one PV system on a weather file with a PVWatts v8-like model "
                                    "(pvcluster.generation.pvwatts) and print its annual and monthly AC energy.")
    pv.add_argument("--weather", required=True, metavar="FILE",
                    help="hourly weather file (EPW, TMY3, TMY2, PVGIS, PSM3, SAM CSV, ...)")
    pv.add_argument("--format", dest="weather_format", metavar="FMT",
                    help="weather file format, when it cannot be told from the file")
    pv.add_argument("--year", type=int, default=2023,
                    help="calendar year the typical-year rows are placed on (default: %(default)s)")
    pv.add_argument("--capacity-kw", type=float, default=1.0, metavar="KWP",
                    help="DC nameplate capacity in kWp (default: %(default)s)")
    pv.add_argument("--tilt", type=float, default=20.0, metavar="DEG",
                    help="tilt from horizontal, 0-90; the axis tilt for trackers (default: %(default)s)")
    pv.add_argument("--azimuth", type=float, default=180.0, metavar="DEG",
                    help="azimuth clockwise from north, 180 = south; the axis azimuth for trackers "
                         "(default: %(default)s)")
    pv.add_argument("--tracking", choices=("fixed", "single-axis"), default="fixed")
    pv.add_argument("--array-type", choices=("open_rack", "roof_mount"), default="open_rack",
                    help="fixed systems: open rack (rows, self-shading) or roof mount (default: %(default)s)")
    pv.add_argument("--gcr", type=float, default=0.3, metavar="G",
                    help="ground coverage ratio, for row shading and backtracking (default: %(default)s)")
    pv.add_argument("--max-angle", type=float, default=45.0, metavar="DEG",
                    help="tracker rotation limit (default: %(default)s)")
    pv.add_argument("--backtrack", action=argparse.BooleanOptionalAction, default=True,
                    help="trackers backtrack to avoid row shading (default: on)")
    pv.add_argument("--dc-ac-ratio", type=float, default=1.15, metavar="R",
                    help="DC/AC ratio, > 0 (default: %(default)s)")
    pv.add_argument("--losses-fraction", type=float, default=0.1408, metavar="L",
                    help="DC system losses as a fraction, e.g. 0.1408 for 14.08 %% (default: %(default)s)")
    pv.add_argument("--json", action="store_true", help="print a JSON object instead of a table")

    cmp_ = sub.add_parser("compare", parents=[common], help="compare two runs' summaries key by key",
                          description="Compare two summary.json files (or run folders) key by key and print every "
                                      "key that differs beyond tolerance with both values. Exit 0 when none differ, "
                                      "4 when some do, 2 for bad input.")
    cmp_.add_argument("a", help="summary.json or run folder (A)")
    cmp_.add_argument("b", help="summary.json or run folder (B, the reference of --rtol)")
    cmp_.add_argument("--rtol", type=float, default=1e-9, help="relative tolerance for numbers (default: %(default)s)")
    cmp_.add_argument("--atol", type=float, default=0.0, help="absolute tolerance for numbers (default: %(default)s)")
    cmp_.add_argument("--keys", nargs="+", metavar="GLOB", help="compare only keys matching these globs, e.g. "
                                                                "'finance.*.npv_krw' 'sizing.sites.*'")

    st = sub.add_parser("study", parents=[common], help="run a study: sweep, one-at-a-time, Monte Carlo, LHS, "
                        "Sobol' or Morris over any scenario key, locally or on Dask",
                        description="Run the cases of a study file (TOML: scenario, method, samples, seed, design, "
                                    "[overrides], [[parameters]], outputs; see README, 'Studies') and write "
                                    "cases.parquet, study.json, figures/ and report.html to the out folder.")
    st.add_argument("study", help="study TOML file")
    st.add_argument("--out", metavar="DIR", help="output folder (default: outputs/study_<study file name>)")
    st.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler to send the cases to (tcp://host:port); "
                                                           "default: a LocalCluster on this machine")
    st.add_argument("--workers", type=int, metavar="N", help="worker processes of the LocalCluster (default: one "
                                                             "per core); 1 runs every case in this process")
    st.add_argument("--resume", action="store_true", help="skip the cases an interrupted run of the same study "
                                                          "already wrote to the out folder")

    fin = sub.add_parser("finance", parents=[common], help="cash flow, debt, tax and returns of one project",
                         description="Evaluate one project described in a TOML file (capex, energy, revenue "
                                     "and opex streams, optional [debt] and [tax]; keys in README, 'pvcluster "
                                     "finance'): NPV and IRR (project and equity), LCOE real and nominal, "
                                     "payback, DSCR, LLCR and the yearly cash-flow table.")
    fin.add_argument("project", help="project TOML file")
    fin.add_argument("--json", action="store_true", help="print metrics and the yearly table as JSON")
    fin.add_argument("--csv", metavar="FILE", help="also write the yearly cash-flow table to FILE")
    return p


def _progress(quiet: bool):
    start = time.perf_counter()

    def emit(message: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - start:6.1f}s] {message}", file=sys.stderr, flush=True)

    return emit


def _cmd_run(args) -> int:
    from pvcluster.pipeline import run
    from pvcluster.scenario import load_scenario

    progress = _progress(args.quiet)
    progress("loading scenario")
    scenario = load_scenario(args.scenario, args.overrides)
    result = run(scenario, Path(args.out) if args.out else None, progress, format=args.format)
    if not args.quiet:
        print(f"wrote {result.out_dir}/ (summary.json, hourly, demand_by_year.csv, roofs.csv, cashflows/, figures/, "
              f"report.html, manifest.json)", file=sys.stderr)
    print(run_summary(result.summary, result.out_dir))
    return EXIT_OK


def _bn(krw: float) -> str:
    return f"{krw / 1e9:+,.1f} bn" if abs(krw) >= 1e8 else f"{krw / 1e6:+,.0f} M"


def run_summary(s: dict, out_dir) -> str:
    """The run's answer in a few lines: the portfolio, its best and worst projects, what sizing builds."""
    from pvcluster.report.html import status

    fin = s["finance"]
    base = s["scenario"]["base_year"]
    projects = {k: v for k, v in fin.items() if isinstance(v, dict) and "level" in v}
    port = fin["portfolio"]
    ranked = sorted(projects.items(), key=lambda kv: kv[1]["npv_krw"])
    losers = [f"{n} {_bn(p['npv_krw'])}" for n, p in ranked if p["npv_krw"] < 0]
    winners = [f"{n} {_bn(p['npv_krw'])}" for n, p in reversed(ranked) if p["npv_krw"] >= 0]
    sites = s["sizing"]["sites"]
    built = ", ".join(f"{n} {x['pv_new_capacity_kwp']:,.0f} kWp"
                      + (f" + {x['storage_energy_kwh']:,.0f} kWh" if x.get("storage_energy_kwh", 0) > 0.5 else "")
                      for n, x in sites.items())
    lines = [f"{s['scenario']['name']}: portfolio NPV {_bn(port['total_npv_krw'])} KRW (real {base}) on "
             f"{port['total_capex_krw'] / 1e9:,.1f} bn KRW of capex; {len(winners)} of {len(projects)} projects "
             f"pay off",
             f"  gains: {'; '.join(winners) or 'none'}",
             f"  losses: {'; '.join(losers) or 'none'}",
             f"  sizing ({status(s['sizing']['status'])}): {built}"]
    sens = (s.get("sensitivity") or {}).get("parameters") or []
    if sens:
        lines.append("  moves the portfolio NPV most (+/-10 %): "
                     + "; ".join(f"{p['label']} {p['swing_krw'] / 1e9:,.1f} bn" for p in sens[:3]))
    lines.append(f"  outputs in {out_dir} (report.html)")
    return "\n".join(lines)


def _cmd_compare(args) -> int:
    from pvcluster.compare import compare

    if args.rtol < 0 or args.atol < 0:
        raise InputError(Problem("--rtol/--atol", "", "tolerances >= 0", f"rtol {args.rtol}, atol {args.atol}"))
    differences = compare(args.a, args.b, rtol=args.rtol, atol=args.atol, keys=args.keys)
    for d in differences:
        print(d)
    if not args.quiet:
        print(f"{len(differences)} key{'s' if len(differences) != 1 else ''} differ beyond rtol {args.rtol:g}, "
              f"atol {args.atol:g}", file=sys.stderr)
    return EXIT_DIFFERENT if differences else EXIT_OK


def _cmd_validate(args) -> int:
    from pvcluster.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.overrides + ["weather.ensemble_years=0"])
    # every data file through the readers the run uses (weather, roof inventories, measured loads), the
    # meters' contracts against their classes and peaks, and the sites' loads against their grid limits
    from pvcluster.pipeline import prechecks

    prechecks(scenario)
    print(f"{scenario.path}: valid ({len(scenario.villages)} villages, inputs: "
          + ", ".join(f"{k}={p.name}" for k, p in scenario.input_paths.items()) + ")")
    return EXIT_OK


_PV_OPTIONS = {"capacity_kw": "--capacity-kw", "tilt_deg": "--tilt", "azimuth_deg": "--azimuth",
               "tracking": "--tracking", "array_type": "--array-type", "gcr": "--gcr",
               "max_angle_deg": "--max-angle", "backtrack": "--backtrack", "dc_ac_ratio": "--dc-ac-ratio",
               "losses_fraction": "--losses-fraction"}


def _cmd_pv(args) -> int:
    import json

    from pvcluster.generation.pvwatts import PVWattsSystem, simulate
    from pvcluster.weather.readers import read_weather_file

    system = PVWattsSystem(
        capacity_kw=args.capacity_kw, tilt_deg=args.tilt, azimuth_deg=args.azimuth, tracking=args.tracking,
        array_type=args.array_type, dc_ac_ratio=args.dc_ac_ratio, losses_fraction=args.losses_fraction,
        gcr=args.gcr, max_angle_deg=args.max_angle, backtrack=args.backtrack)
    problems = [Problem(_PV_OPTIONS.get(p.key, p.key), "", p.expected, p.found) for p in system.problems()]
    if not 1900 <= args.year <= 2100:  # the calendar the weather is laid on (pandas dates end in 2262)
        problems.append(Problem("--year", "", "a calendar year from 1900 to 2100", repr(args.year)))
    if problems:
        raise InputError(problems, headline="invalid PV system options")
    path = Path(args.weather)
    if not path.is_file():
        raise InputError(Problem(str(path), "", "an existing weather file (--weather)", "no such file"))
    try:
        wf = read_weather_file(path, args.year, fmt=args.weather_format)
    except InputError:
        raise
    except Exception as exc:  # a reader failing on a malformed file is still a bad input
        raise InputError(Problem(str(path), "", "a readable weather file (--weather)",
                                 f"{type(exc).__name__}: {exc}")) from None
    notes = list(getattr(wf, "notes", ()) or ())
    result = simulate(wf.data, wf.latitude_deg, wf.longitude_deg, wf.altitude_m, system)
    if args.json:
        out = {"weather": {"file": str(path), "name": wf.name, "latitude_deg": wf.latitude_deg,
                           "longitude_deg": wf.longitude_deg, "altitude_m": wf.altitude_m,
                           "timezone": wf.timezone, "year": args.year, "notes": notes},
               "model": "PVWatts v8-like (pvcluster.generation.pvwatts)", **result.summary()}
        print(json.dumps(out, indent=2))
        return EXIT_OK
    if not args.quiet:
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    s = system
    mount = (f"single-axis tracker (axis tilt {s.tilt_deg:g}, azimuth {s.azimuth_deg:g}, gcr {s.gcr:g}, "
             f"{'backtracking' if s.backtrack else 'no backtracking'}, limit {s.max_angle_deg:g} deg)"
             if s.tracking == "single-axis" else
             f"fixed {s.array_type.replace('_', ' ')}, tilt {s.tilt_deg:g}, azimuth {s.azimuth_deg:g}"
             + (f", gcr {s.gcr:g}" if s.array_type == "open_rack" else ""))
    print(f"{wf.name} ({wf.latitude_deg:.3f}, {wf.longitude_deg:.3f}, {wf.altitude_m:g} m), year {args.year}")
    print(f"{s.capacity_kw:g} kWp DC / {s.ac_capacity_kw:.4g} kW AC (dc/ac {s.dc_ac_ratio:g}), {mount}, "
          f"losses {s.losses_fraction:.2%}")
    print(f"{'month':<7}{'AC MWh':>12}{'kWh/kWp':>10}")
    for i, mwh in enumerate(result.monthly_mwh):
        print(f"{calendar.month_abbr[i + 1]:<7}{mwh:>12.3f}{1000 * mwh / s.capacity_kw:>10.1f}")
    print(f"{'year':<7}{result.annual_mwh:>12.3f}{result.specific_yield_kwh_per_kwp:>10.1f}")
    print(f"specific yield {result.specific_yield_kwh_per_kwp:,.0f} kWh/kWp, "
          f"capacity factor {result.capacity_factor_fraction:.1%} (on DC)")
    return EXIT_OK


def _cmd_finance(args) -> int:
    import json

    from pvcluster.finance.project_file import evaluate_file
    from pvcluster.report.tables import round_floats

    from pvcluster.report.writer import check_output_file

    if args.csv:
        check_output_file(args.csv, "--csv", CASHFLOW_CSV_START)
    project, result = evaluate_file(args.project)
    metrics = result.metrics()
    metrics["capex_krw"] = project.capex_krw
    if args.csv:
        try:
            result.table.to_csv(args.csv, index=False, float_format="%.6f")
        except OSError as exc:
            raise InputError(Problem(str(args.csv), "--csv", "a file pvcluster can write",
                                     exc.strerror or str(exc))) from None
    if args.json:
        table = result.table.replace({float("nan"): None})
        print(json.dumps(round_floats({"project": project.name, **metrics,
                                       "table": table.to_dict(orient="records")}), indent=2))
        return EXIT_OK

    def money(x):
        return "n/a" if x is None else f"{x / 1e6:,.1f} M KRW"

    def pct(x):
        return "does not exist" if x is None else f"{x:.2%}"

    def num(x, fmt="{:,.2f}"):
        return "n/a" if x is None else fmt.format(x)

    rows = [("capex", money(project.capex_krw)), ("debt", money(result.debt_krw)),
            ("project NPV (after tax)", money(result.npv_krw)), ("project IRR (nominal)", pct(result.irr_fraction)),
            ("equity NPV", money(result.equity_npv_krw)), ("equity IRR (nominal)", pct(result.equity_irr_fraction)),
            ("LCOE real", num(result.lcoe_real_krw_per_kwh, "{:,.2f} KRW/kWh")),
            ("LCOE nominal", num(result.lcoe_nominal_krw_per_kwh, "{:,.2f} KRW/kWh")),
            ("payback (years from t = 0)", num(result.payback_years, "{:d}")),
            ("minimum DSCR", num(result.min_dscr, "{:.3f}")), ("average DSCR", num(result.average_dscr, "{:.3f}")),
            ("LLCR", num(result.llcr, "{:.3f}"))]
    print(f"{project.name}: {project.construction_years} construction + {project.operating_years} operating years, "
          f"base year {project.base_year}")
    for label, value in rows:
        print(f"  {label:<28}{value:>24}")
    cols = ["calendar_year", "energy_kwh", "revenue_krw", "opex_krw", "tax_krw", "debt_service_krw", "cfads_krw",
            "dscr", "project_cash_flow_krw", "equity_cash_flow_krw"]
    print(result.table[cols].to_string(index=False, float_format=lambda v: f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3f}"))
    return EXIT_OK


def _cmd_study(args) -> int:
    from pvcluster.study import load_study, run_study
    from pvcluster.study.report import main_output

    if args.workers is not None and not 1 <= args.workers <= 256:
        raise InputError(Problem("--workers", "", "1 to 256 worker processes", repr(args.workers)))
    progress = _progress(args.quiet)
    spec = load_study(args.study)
    out = Path(args.out) if args.out else Path("outputs") / f"study_{Path(args.study).stem}"
    run = run_study(spec, out, scheduler=args.scheduler, workers=args.workers, resume=args.resume,
                    progress=progress, bar=not args.quiet)
    key = main_output(run.stats)
    d = run.stats["outputs"].get(key, {})
    failed = sum(v for k, v in run.stats["status"].items() if k != "ok")
    line = f"study {Path(args.study).stem}: {run.stats['cases']:,} cases ({spec.method}, {spec.design}), {failed} failed"
    if spec.method == "oat" and key in run.stats.get("tornado", {}):
        top = [p for p in run.stats["tornado"][key]["parameters"] if p["swing"] is not None][:3]
        unit = (lambda v: f"{v / 1e9:,.1f} bn") if key.endswith("_krw") else (lambda v: f"{v:.4g}")
        line += f"; what moves {key} most: " + "; ".join(f"{p['label']} {unit(p['swing'])}" for p in top)
    elif d.get("cases"):
        line += (f"; {key}: P90 {d['p90'] / 1e9:,.1f} bn, P50 {d['p50'] / 1e9:,.1f} bn, P10 {d['p10'] / 1e9:,.1f} bn"
                 if key.endswith("_krw") else f"; {key}: P90 {d['p90']:.4g}, P50 {d['p50']:.4g}, P10 {d['p10']:.4g}")
        if "probability_negative" in d:
            line += (f", P(NPV < 0) {d['probability_negative']:.0%}" if spec.method not in ("grid", "oat")
                     else f", NPV < 0 in {d['probability_negative']:.0%} of the cases")
    print(line + f"\n  outputs in {out} (report.html, cases.parquet, study.json)")
    if run.stats["cases"] and failed == run.stats["cases"]:  # nothing to decide with: an input error
        first = run.cases["message"].iloc[0] if not run.cases.empty else ""
        print(f"error: every case failed; the first: {first}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_INPUT
    handler = {"run": _cmd_run, "validate": _cmd_validate, "pv": _cmd_pv, "finance": _cmd_finance,
               "compare": _cmd_compare, "study": _cmd_study}[args.command]
    try:
        return handler(args)
    except InputError as exc:
        print(exc.format(), file=sys.stderr)
        return EXIT_INPUT
    except PvclusterError as exc:
        print(exc.format() if hasattr(exc, "format") else f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; no output folder was changed", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a user mistake
        if args.debug:
            traceback.print_exc()
        else:
            print(f"internal error: {type(exc).__name__}: {exc}\n"
                  "(this is a bug in pvcluster; rerun with --debug for a traceback)", file=sys.stderr)
        return EXIT_ERROR


def entry() -> None:
    """The ``pvcluster`` command (and ``python -m pvcluster``): :func:`main`, then exit with its code.

    Every object is frozen out of Python's cyclic collector first (``gc.freeze``): the interpreter's
    teardown collected once more over the millions of objects a run leaves (pandas, matplotlib, pvlib,
    the run's tables), 0.42-0.60 s after the run had printed its answer, against 0.07-0.10 s frozen
    (README, "Levers for the default run"). Exit handlers still run; the memory goes back to the system at
    exit either way. Not in :func:`main`, which a script or a test may call and go on."""
    import gc

    code = main()
    gc.freeze()
    raise SystemExit(code)


if __name__ == "__main__":
    entry()
