"""Report stage: summary.json, hourly.csv, cashflows/, figures/, report.html, manifest.json."""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

from pvcluster import __version__
from pvcluster.report.html import write_report
from pvcluster.report.tables import (cluster_times, demand_by_year_table, hourly_table, round_floats,
                                     solver_times, summary_dict)
from pvcluster.report.writer import atomic_folder

__all__ = ["write_outputs", "report_html", "render_figures", "figure_jobs", "start_sizing_figures", "StartedFigures",
           "hourly_csv_text", "summary_dict", "hourly_table", "round_floats", "atomic_folder", "nominal_names",
           "draw_figure_png"]

_PACKAGES = ("pvlib", "pandas", "numpy", "numpy-financial", "scipy", "pyomo", "highspy", "matplotlib", "holidays")


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _interface(sizing) -> str:
    """How the sizing passed its models to HiGHS: as its workers reported, or, when no site was sized,
    what a sizing here would use (this imports Pyomo, which a run on workers otherwise never does)."""
    cluster = getattr(sizing, "cluster", None)
    if cluster is not None and cluster.interface:
        return cluster.interface
    from pvcluster.sizing.highs import fast_transfer_status

    return fast_transfer_status()[1]


def manifest_dict(scenario, timings_s: dict[str, float], solver_times: dict, sizing_times: dict | None = None,
                  interface: str | None = None) -> dict:
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    inputs = {kind: {"path": str(p), "sha256": _sha256(p)} for kind, p in scenario.input_paths.items()}
    if scenario.weather.source == "file":
        inputs["weather"] = {"path": str(scenario.weather.file), "sha256": _sha256(scenario.weather.file)}
    return {
        "pvcluster_version": __version__,
        "python": platform.python_version(),
        "packages": versions,
        "scenario": {"path": str(scenario.path), "sha256": scenario.sha256, "name": scenario.scenario.name},
        "inputs": inputs,
        "seed": scenario.scenario.seed,
        "stage_timings_s": {k: round(v, 3) for k, v in timings_s.items()},
        "solver_times_s": solver_times,  # per site: build_s, solve_s, solves, nodes, pilot screening
        "sizing_times_s": sizing_times or {},  # the whole sizing stage and the shared-budget solve
        "solver_interface": interface or _interface(None),  # pvcluster's fast transfer to HiGHS, or Pyomo's own
    }


def nominal_names(column: str) -> str:
    """``revenue_krw`` -> ``revenue_nominal_krw``: a cash-flow table's money columns are nominal."""
    return column[:-4] + "_nominal_krw" if column.endswith("_krw") and not column.endswith("_nominal_krw") else column


def write_finance_tables(tmp: Path, finance, jobs_by_year) -> None:
    """Portfolio, jobs (``jobs_by_year``: :func:`pvcluster.finance.portfolio.jobs_by_year`) and fund tables."""
    from pvcluster.finance import portfolio as pf

    pf.table(finance.portfolio).to_csv(tmp / "cashflows" / "portfolio.csv", index=False, float_format="%.6g")
    pf.cash_by_year(finance.portfolio, "level").add_suffix("_project_cash_flow_nominal_krw").to_csv(
        tmp / "cashflows" / "portfolio_by_level.csv", float_format="%.6f")
    if not jobs_by_year.empty:
        jobs_by_year.to_csv(tmp / "jobs_by_year.csv", float_format="%.6g")
    if finance.fund is not None:
        finance.fund.table.to_csv(tmp / "cashflows" / "fund.csv", float_format="%.6f")
    if finance.polysilicon is not None and getattr(finance.polysilicon, "electricity_table", None) is not None:
        finance.polysilicon.electricity_table.to_csv(tmp / "polysilicon_npv_by_electricity_price.csv",
                                                     index=False, float_format="%.6g")


def _sizing_figures(hourly, plant_column: str, demand, site_sizes: dict) -> dict[str, tuple[str, tuple]]:
    """The figures of the sizing's results and the demand: name -> (the name of the function of
    :mod:`pvcluster.report.figures` that draws it, its arguments without the path). They need nothing of
    the finance (:func:`start_sizing_figures`). Names, not functions: this process may send them to the
    workers (:func:`draw_figure_png`) before it has imported matplotlib itself."""
    # sites with something to show: a load they serve or PV
    shown = [n for n, s in site_sizes.items() if s["served_load_kwh"] > 0 or s["pv_generation_kwh"] > 0]
    storage = {n: s["storage_energy_kwh"] for n, s in site_sizes.items() if s.get("storage_energy_kwh", 0.0) > 1e-6}
    class_kw = demand.class_kw()
    out = {"week_summer": ("week_figure", (hourly, plant_column, shown, 7, 14, "Summer week (14-20 July)")),
           "week_winter": ("week_figure", (hourly, plant_column, shown, 1, 13, "Winter week (13-19 January)")),
           "monthly_energy": ("monthly_energy_figure", (hourly, plant_column, shown)),
           "demand_profiles": ("demand_profiles_figure", (class_kw,)),
           "load_duration": ("load_duration_figure", (class_kw,)),
           "sizing": ("sizing_figure", (site_sizes,))}
    if storage:
        out["soc_heatmap"] = ("soc_heatmap_figure", (hourly, storage))
    return out


def draw_figure_png(name: str, *args) -> bytes:
    """``pvcluster.report.figures.draw_png`` of the figure function called ``name`` (a job of
    :func:`start_sizing_figures`: the worker imports matplotlib, not the process that sends it)."""
    from pvcluster.report import figures

    return figures.draw_png(getattr(figures, name), *args)


def figure_jobs(results, figdir: Path, jobs_by_year=None, sizing_figures: bool = True) -> dict[str, tuple[Path, object, tuple]]:
    """Every figure of a run: name -> (its PNG in ``figdir``, the function that draws it, the function's
    arguments, the path last). ``jobs_by_year``: the employment table if already computed;
    ``sizing_figures`` False leaves out those of :func:`_sizing_figures` (started before the finance)."""
    from pvcluster.finance import portfolio as pf
    # matplotlib is imported here, at the report, not with the package (which a run imports at its start)
    from pvcluster.report.figures import cashflow_figure, jobs_figure, tornado_figure
    from pvcluster.report.fund_figures import plot_waterfall

    finance, summary = results.finance, results.summary
    out: dict[str, tuple[Path, object, tuple]] = {}

    def add(name: str, function, *args) -> None:
        path = figdir / f"{name}.png"
        out[name] = (path, function, (*args, path))

    if sizing_figures:
        from pvcluster.report import figures

        plant_column = f"{results.generation.plant_name}_ac_kw"
        for name, (function, args) in _sizing_figures(results.hourly, plant_column, results.demand,
                                                      summary["sizing"]["sites"]).items():
            add(name, getattr(figures, function), *args)
    for name, result in finance.projects.items():
        add(f"cashflow_{name}", cashflow_figure, result.table, name)
    if summary.get("sensitivity"):
        add("tornado", tornado_figure, summary["sensitivity"])
    if jobs_by_year is None:
        jobs_by_year = pf.jobs_by_year(finance.portfolio, "level")
    if not jobs_by_year.empty:
        add("jobs", jobs_figure, jobs_by_year)
    if finance.fund is not None:
        add("fund_waterfall", plot_waterfall, finance.fund)
    return out


#: How ``hourly.csv`` writes its numbers and times (:func:`hourly_csv_text`, :func:`write_outputs`).
_HOURLY_CSV = {"float_format": "%.6g", "date_format": "%Y-%m-%dT%H:%M:%S%z"}


def hourly_csv_text(hourly) -> str:
    """``hourly.csv`` as text (pandas formats each number in Python: 0.6 s for the default run's year)."""
    return hourly.to_csv(**_HOURLY_CSV)


class StartedFigures:
    """The sizing's figures (and the hourly CSV's text) started on the run's idle workers
    (:func:`start_sizing_figures`) while this process goes on with the finance; :func:`render_figures`
    adds the rest of the figures to the same queue."""

    def __init__(self, hourly, names: list[str], queue, hourly_csv: bool) -> None:
        self.hourly = hourly  # the run's hourly table, built for them (Results.hourly)
        self.names = names  # their names, in the queue's order
        self.queue = queue  # a pvcluster.processes.Jobs whose first jobs draw them (PNG bytes)
        self.hourly_csv = 0 if hourly_csv else None  # the queue's job that writes hourly.csv's text (the longest)

    @property
    def first(self) -> int:
        """The queue's job that draws the first figure (after the hourly CSV's, when there is one)."""
        return 0 if self.hourly_csv is None else 1


def start_sizing_figures(scenario, weather, generation, demand, sizing, hourly_csv: bool = False) -> StartedFigures:
    """Start drawing the figures of the sizing's results and the demand (:func:`_sizing_figures`) on the
    run's idle workers, as PNG bytes (their folder does not exist yet), and, with ``hourly_csv``,
    ``hourly.csv``'s text (:func:`hourly_csv_text`); return at once.

    The figures are the same as :func:`figure_jobs` gives from the finished run: the same hourly table
    and the summary's sites (rounded as in ``summary.json``)."""
    from pvcluster.processes import start_jobs
    from pvcluster.report.tables import sizing_summary

    hourly = hourly_table(weather, generation, demand, sizing)
    site_sizes = round_floats(sizing_summary(scenario, sizing))["sites"]
    figures = _sizing_figures(hourly, f"{generation.plant_name}_ac_kw", demand, site_sizes)
    # by name: the workers (which imported matplotlib while the sizing ran) start at once, even when this
    # process's own import of it (in the P-values' thread) is not done (it took 0.45 s here in a timed run)
    jobs = [(draw_figure_png, (function, *args)) for function, args in figures.values()]
    queue = start_jobs(([(hourly_csv_text, (hourly,))] if hourly_csv else []) + jobs)
    return StartedFigures(hourly, list(figures), queue, hourly_csv)


def render_figures(results, figdir: Path, local: tuple = (), jobs_by_year=None,
                   started: StartedFigures | None = None) -> dict[str, Path]:
    """Every figure of a run as PNG files in ``figdir``; returns name -> path.

    The figures are drawn on the run's idle worker processes and in this process together
    (:func:`pvcluster.processes.start_jobs`; all in this process when the run started none), and ``local``
    (callables) runs here meanwhile. ``started``: the sizing's figures, already started
    (:func:`start_sizing_figures`); the rest join their queue. Each is drawn under matplotlib's default
    style (:func:`pvcluster.report.figures.draw`), so the same functions on the same data draw the same
    PNG files either way."""
    from pvcluster.processes import Jobs
    from pvcluster.report.figures import draw

    early = started.names if started is not None else []
    figures = figure_jobs(results, figdir, jobs_by_year, sizing_figures=not early)
    queue = started.queue if started is not None else Jobs()
    queue.add([(draw, (function, *args)) for _, function, args in figures.values()])
    drawn = queue.results(local)
    for name, png in zip(early, drawn[started.first:] if started is not None else []):
        (figdir / f"{name}.png").write_bytes(png)
    names = early + list(figures)  # the sizing's figures first, as figure_jobs orders them
    return {name: figures[name][0] if name in figures else figdir / f"{name}.png" for name in names}


def _provenance(scenario) -> dict:
    provenance = scenario.facts.provenance()
    provenance["facilities"] = {f"{t.name}.{k}": v for t in scenario.facility_types.values()
                                for k, v in t.provenance().items()}
    provenance["tariffs"] = {f"{t.name}.{k}": v for t in scenario.tariffs.values() for k, v in t.provenance.items()}
    provenance["rec_weights"] = {f"{r.name}.{k}": v for r in scenario.rec_rules.values()
                                 for k, v in r.provenance.items()}
    return provenance


def report_html(results) -> str:
    """The self-contained report of a run as a string (figures rendered in a temporary folder)."""
    import tempfile

    from pvcluster.report.html import build_report

    with tempfile.TemporaryDirectory(prefix="pvcluster-figures-") as tmp:
        figures = render_figures(results, Path(tmp))
        return build_report(results.summary, figures, _provenance(results.scenario))


FORMATS = ("csv", "parquet")


def _table_out(table, path: Path, format: str, **csv_kwargs) -> None:
    """A table as CSV (``path`` with .csv) or Parquet (.parquet, its index kept as columns)."""
    if format == "parquet":
        table.to_parquet(path.with_suffix(".parquet"), index=csv_kwargs.get("index", True) is not False)
    else:
        table.to_csv(path.with_suffix(".csv"), **csv_kwargs)


def write_outputs(out_dir: Path, results, format: str = "csv", started: StartedFigures | None = None) -> dict:
    """Write every output of a run into ``out_dir`` atomically; return the summary.

    ``format`` is ``csv`` (default) or ``parquet`` for the hourly and cash-flow tables (the other tables
    stay CSV). ``started``: the sizing's figures, started before the finance (:func:`start_sizing_figures`)."""
    if format not in FORMATS:
        raise ValueError(f"format: expected one of {', '.join(FORMATS)}; found {format!r}")
    scenario, generation, demand, sizing, finance = (results.scenario, results.generation, results.demand,
                                                     results.sizing, results.finance)
    summary = results.summary
    with atomic_folder(out_dir) as tmp:
        from pvcluster.finance import portfolio as pf

        jobs_by_year = pf.jobs_by_year(finance.portfolio, "level")
        csv_started = started.hourly_csv if started is not None and format == "csv" else None

        def tables() -> None:  # written here while the run's workers draw figures
            (tmp / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n", encoding="utf-8")
            if csv_started is None:  # else a worker wrote its text (start_sizing_figures), written below
                _table_out(results.hourly, tmp / "hourly.csv", format, **_HOURLY_CSV)
            generation.roofs.to_csv(tmp / "roofs.csv", index=False, float_format="%.6g")
            demand_by_year_table(demand).to_csv(tmp / "demand_by_year.csv", float_format="%.6g")
            (tmp / "cashflows").mkdir()
            for name, table in results.cashflows.items():  # nominal KRW, and the names say so
                _table_out(table, tmp / "cashflows" / f"{name}.csv", format, index=False, float_format="%.6f")
            if not results.sensitivity.empty:
                results.sensitivity.to_csv(tmp / "sensitivity.csv", index=False, float_format="%.6g")
            write_finance_tables(tmp, finance, jobs_by_year)

        figdir = tmp / "figures"
        figdir.mkdir()
        figures = render_figures(results, figdir, local=(tables,), jobs_by_year=jobs_by_year, started=started)
        if csv_started is not None:
            with open(tmp / "hourly.csv", "w", encoding="utf-8", newline="") as f:  # as to_csv writes it
                f.write(started.queue.results()[csv_started])
        write_report(tmp / "report.html", summary, figures, _provenance(scenario))
        manifest = manifest_dict(scenario, results.timings_s, solver_times(sizing), cluster_times(sizing),
                                 _interface(sizing))
        manifest["format"] = format
        manifest["files"] = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        (tmp / "manifest.json").write_text(json.dumps(round_floats(manifest), indent=2) + "\n", encoding="utf-8")
    return summary
