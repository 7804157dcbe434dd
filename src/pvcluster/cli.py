"""Command line: parse, call the pipeline, map errors to exit codes.

Exit codes: 0 success; 2 invalid input (scenario, override or data file); 3 optimization
infeasible or unbounded; 1 anything else. User mistakes get a message, never a traceback
(``--debug`` shows one for unexpected errors).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from pvcluster import __version__
from pvcluster.errors import InputError, PvclusterError

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_INFEASIBLE = 0, 1, 2, 3


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

    val = sub.add_parser("validate", parents=[common], help="check a scenario and its data files without running",
                         description="Validate a scenario and every data file it names; report all problems.")
    val.add_argument("scenario", nargs="?", help="scenario TOML file (default: the packaged default)")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario value before validating (repeatable)")
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
    result = run(scenario, Path(args.out) if args.out else None, progress)
    s = result.summary
    plant = next(iter(s["generation"].values()))
    fin = next(iter(s["finance"].values()))
    irr = fin["irr_fraction"]
    if not args.quiet:
        print(f"wrote {result.out_dir}/ (summary.json, hourly.csv, cashflows/, figures/, report.html, "
              f"manifest.json)", file=sys.stderr)
    print(f"{s['scenario']['name']}: plant {plant['annual_mwh']:,.0f} MWh/yr "
          f"({plant['specific_yield_kwh_per_kwp']:,.0f} kWh/kWp); sizing {s['sizing']['status']}, "
          f"{s['sizing']['objective_krw']:,.0f} KRW/yr; plant NPV {fin['npv_krw'] / 1e9:,.1f} bn KRW, "
          f"IRR {'does not exist' if irr is None else f'{irr:.1%}'}; outputs in {result.out_dir}")
    return EXIT_OK


def _cmd_validate(args) -> int:
    from pvcluster.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    print(f"{scenario.path}: valid ({len(scenario.villages)} villages, inputs: "
          + ", ".join(f"{k}={p.name}" for k, p in scenario.input_paths.items()) + ")")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_INPUT
    handler = {"run": _cmd_run, "validate": _cmd_validate}[args.command]
    try:
        return handler(args)
    except InputError as exc:
        print(exc.format(), file=sys.stderr)
        return EXIT_INPUT
    except PvclusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
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


if __name__ == "__main__":
    raise SystemExit(main())
