"""Run a study's cases in this process or on Dask, streaming results to Parquet; resumable.

The out folder holds ``parts/part-NNNNN.parquet`` (one per finished batch of cases, written as they
come back, so memory stays bounded and an interrupted study keeps what it did), then
``cases.parquet`` (all parts, by case), ``study.json``, ``figures/`` and ``report.html``. Its
``manifest.json`` lists every file pvcluster wrote there and the study's hash: ``--resume`` skips the
cases already in the parts of the same study; without it a previous study's folder is replaced, and
a folder pvcluster did not write is never touched (:func:`pvcluster.report.writer.check_target`).

Execution:

- ``workers = 1`` and no scheduler: every case in this process, in order;
- otherwise Dask distributed: a ``LocalCluster`` with one single-threaded worker process per core
  (or ``workers``), or the cluster at ``scheduler`` (``tcp://host:port``). The scenario bundle and the
  base case's records are scattered to every worker once; tasks are batches of cases. A batch
  whose worker dies is tried again case by case; a case that kills its worker twice is recorded as
  ``worker_died``. Dask's worker processes are daemonic and cannot start processes of their own, so a
  case sizes its sites in its worker process (``sizing.processes = 1``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pvcluster.errors import InputError, Problem
from pvcluster.study.engine import Base, build_base, evaluate_batch, make_bundle, missing_outputs, setting_value
from pvcluster.study.sampling import WEATHER_YEAR, design
from pvcluster.study.spec import StudySpec

PARTS = "parts"


@dataclass
class StudyRun:
    spec: StudySpec
    out_dir: Path | None
    cases: pd.DataFrame  # one row per case: parameters, outputs (out:<key>), status, message, seconds
    stats: dict  # study.json
    base: Base
    seconds: float


def _progress_bar(done: int, total: int, t0: float, failed: int) -> str:
    frac = done / total if total else 1.0
    width = 30
    bar = "#" * int(width * frac) + "-" * (width - int(width * frac))
    elapsed = time.perf_counter() - t0
    eta = elapsed / done * (total - done) if done else float("nan")
    tail = f", eta {eta:,.0f} s" if math.isfinite(eta) and done < total else ""
    return f"\r[{bar}] {done:,}/{total:,} cases ({frac:.0%}){', ' + str(failed) + ' failed' if failed else ''}, " \
           f"{elapsed:,.0f} s{tail}   "


def _rows_of(table: pd.DataFrame, done: set[int]) -> list[tuple[int, dict, int | None]]:
    params = [c for c in table.columns if c != WEATHER_YEAR]
    rows = []
    for case, row in zip(table.index, table.to_dict("records")):  # keeps each column's type (an integer stays one)
        if int(case) in done:
            continue
        year = int(row[WEATHER_YEAR]) if WEATHER_YEAR in table.columns else None
        rows.append((int(case), {k: row[k] for k in params}, year))
    return rows


def _batches(rows: list, size: int) -> list[list]:
    return [rows[i:i + size] for i in range(0, len(rows), size)]


class _Folder:
    """The study's out folder: parts, final files, and a manifest of everything written."""

    def __init__(self, out: Path, resume: bool):
        from pvcluster.report.writer import check_target

        check_target(out)  # a folder pvcluster did not write fails here, before any case
        self.out, self.resume, self.sha256 = out, resume, ""
        self.files: list[str] = []
        self.previous: dict = {}
        manifest = out / "manifest.json"
        if out.is_dir() and manifest.is_file():
            try:
                self.previous = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.previous = {}
        out.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(out)

    def begin(self, sha256: str) -> None:
        """Keep the parts of an interrupted run of the same study (--resume), else clear what a previous
        pvcluster study wrote here. ``sha256`` identifies the cases: the study, every input file's bytes,
        the outputs and pvcluster's version."""
        self.sha256 = sha256
        same = self.previous.get("study_sha256") == sha256
        if self.resume and self.previous and not same:
            raise InputError(Problem(str(self.out), "--resume", "the folder of an interrupted run of the same "
                                     "study (the same cases, inputs, outputs and pvcluster version)",
                                     "a folder of another study, or of this one with other inputs or outputs"),
                             headline="cannot resume")
        if self.resume and same:
            self.files = [f for f in self.previous.get("files", []) if (self.out / f).is_file()]
        else:
            for f in self.previous.get("files", []):  # a previous study pvcluster wrote: its files go
                p = self.out / f
                if p.is_file() and not p.is_symlink():
                    p.unlink()
        (self.out / PARTS).mkdir(exist_ok=True)
        self._write_manifest()

    def _write_manifest(self) -> None:
        from pvcluster import __version__

        data = {"pvcluster_version": __version__, "kind": "study", "study_sha256": self.sha256,
                "files": sorted(set(self.files))}
        tmp = self.out / ".manifest.json.tmp"
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.out / "manifest.json")

    def done_cases(self) -> set[int]:
        done: set[int] = set()
        for f in self.files:
            if f.startswith(PARTS + "/"):
                done |= set(pd.read_parquet(self.out / f, columns=["case"])["case"].astype(int))
        return done

    def write(self, name: str, writer: Callable[[Path], None]) -> None:
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")  # the suffix tells writers the format
        writer(tmp)
        os.replace(tmp, path)
        self.files.append(name)
        self._write_manifest()

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def parts(self) -> list[Path]:
        return sorted(self.out / f for f in set(self.files) if f.startswith(PARTS + "/"))


def _lock(folder: Path):
    """Hold an exclusive lock on the out folder while the study writes there (fails if another does)."""
    try:
        import fcntl
    except ImportError:
        return None
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise InputError(Problem(str(folder), "--out", "a folder no other study is writing",
                                 "another study writing there"), headline="cannot write the study") from None
    return fd  # released when the process ends or the descriptor is closed


def _frame(results: list[dict], table: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    for r in results:
        row = {"case": r["case"], "status": r["status"], "message": r["message"], "seconds": r["seconds"]}
        row.update({f"out:{k}": r["outputs"].get(k) for k in keys})
        rows.append(row)
    frame = pd.DataFrame(rows)
    inputs = table.loc[frame["case"].to_numpy()].reset_index(drop=True)
    inputs.columns = [f"in:{c}" for c in inputs.columns]
    for c in inputs.columns:  # mixed text and numbers (a discrete parameter) are stored as text
        if inputs[c].dtype == object:
            inputs[c] = inputs[c].map(lambda v: v if isinstance(v, str) else json.dumps(v))
    frame = pd.concat([frame[["case"]], inputs, frame.drop(columns=["case"])], axis=1)
    for k in keys:
        frame[f"out:{k}"] = frame[f"out:{k}"].astype(float)
    return frame


def run_study(spec: StudySpec, out_dir: str | Path | None = None, *, scheduler: str | None = None,
              workers: int | None = None, resume: bool = False, progress: Callable[[str], None] | None = None,
              bar: bool = False, model: Callable[[dict], dict] | None = None) -> StudyRun:
    """Run every case of ``spec``; write the out folder when ``out_dir`` is given. See the module docstring.

    ``model`` replaces pvcluster's chain by a function of the parameter values returning the outputs
    (``spec.outputs`` as exact keys), run in this process: the study machinery (design, analysis,
    files) tested on functions with known answers."""

    t0 = time.perf_counter()
    say = progress or (lambda m: None)
    out = Path(out_dir) if out_dir is not None else None
    folder = _Folder(out, resume) if out is not None else None
    try:
        return _run(spec, folder, out, scheduler, workers, say, bar, t0, model)
    finally:
        if folder is not None:
            folder.close()


def _scenario_processes(spec) -> int:
    """The sizing processes the study's scenario asks for (its base case may use them)."""
    from pvcluster.scenario import load_scenario

    try:
        return int(load_scenario(spec.scenario_path, list(spec.overrides)).sizing.processes)
    except Exception:  # noqa: BLE001 - the bundle's own load reports a bad scenario; 1 is always safe
        return 1


def _run(spec, folder, out, scheduler, workers, say, bar, t0, model) -> StudyRun:
    from pvcluster.study.analysis import analyse

    if model is None:
        bundle = make_bundle(spec.scenario_path, spec.overrides + ("sizing.processes=1",))
        say("base case ...")
        base = build_base(bundle, spec.outputs, processes=_scenario_processes(spec))
        base.warm_start = spec.warm_start
        missing = missing_outputs(base.summary, spec.outputs)
        if missing:
            raise InputError([Problem(str(spec.path), "outputs", "summary.json keys (globs) with numbers in the "
                                      "base case", repr(m)) for m in missing], headline="invalid study")
        say(f"base case done in {base.seconds:.1f} s ({len(base.output_keys)} outputs)")
        _check_fixed_outputs(spec, base)
        base_values = {p.key: _base_value(base.scenario, p.key) for p in spec.parameters}
        table = design(spec, base_values, len(base.weather.ensemble))
    else:
        bundle = None
        base = Base(None, None, None, None, None, None, {}, tuple(spec.outputs))
        table = design(spec, {}, 0)
    if folder is not None:
        from pvcluster import __version__

        key = hashlib.sha256(repr((spec.sha256, bundle.sha256 if bundle else "", base.output_keys,
                                   __version__)).encode()).hexdigest()
        folder.begin(key)
    done = folder.done_cases() if folder is not None else set()
    rows = _rows_of(table, done)
    total = len(table)
    say(f"{total:,} cases ({len(done):,} already done), design {spec.design}, method {spec.method}")
    collected: list[pd.DataFrame] = []
    finished = len(done)
    failed = 0
    part_no = len(folder.parts()) if folder is not None else 0

    def sink(results: list[dict]) -> None:
        nonlocal finished, failed, part_no
        frame = _frame(results, table, base.output_keys)
        finished += len(results)
        failed += int((frame["status"] != "ok").sum())
        if folder is not None:
            name = f"{PARTS}/part-{part_no:05d}.parquet"
            part_no += 1
            folder.write(name, lambda p: frame.to_parquet(p, index=False))
        else:
            collected.append(frame)
        if bar:
            print(_progress_bar(finished, total, t0, failed), end="", file=sys.stderr, flush=True)

    if rows:
        if model is not None:
            for batch in _batches(rows, spec.batch_cases or 20):
                sink([_model_case(model, case, values) for case, values, _ in batch])
        elif workers == 1 and scheduler is None:
            size = spec.batch_cases or 20
            for batch in _batches(rows, size):
                sink(evaluate_batch(bundle, base, spec.design, batch))
        else:
            from pvcluster.study.distributed import run_on_dask

            run_on_dask(bundle, base, spec.design, rows, sink, scheduler=scheduler, workers=workers,
                        batch_cases=spec.batch_cases, say=say)
    if bar:
        print(file=sys.stderr)
    if folder is not None:
        cases = pd.concat([pd.read_parquet(p) for p in folder.parts()], ignore_index=True) if folder.parts() else \
            pd.DataFrame()
    else:
        cases = pd.concat(collected, ignore_index=True) if collected else pd.DataFrame()
    cases = cases.sort_values("case", kind="stable").reset_index(drop=True) if not cases.empty else cases
    stats = analyse(spec, table, cases, base)
    stats["seconds"] = time.perf_counter() - t0
    run = StudyRun(spec, out, cases, stats, base, time.perf_counter() - t0)
    if folder is not None:
        from pvcluster.study.report import write_report

        folder.write("cases.parquet", lambda p: cases.to_parquet(p, index=False))
        folder.write("study.json", lambda p: p.write_text(json.dumps(_jsonable(stats), indent=2) + "\n",
                                                          encoding="utf-8"))
        write_report(run, folder)
    return run


#: sizing outputs that describe the build (kept by a fixed design); the rest follow the dispatch
_DESIGN_SUFFIXES = ("_kwp", "storage_energy_kwh", "storage_power_kw", "capex_krw")


def _check_fixed_outputs(spec: StudySpec, base) -> None:
    """A fixed design whose energy changes rescales the dispatch for finance only: sizing's energy
    outputs (imports, exports, self-sufficiency, bills) would be the base case's. Refuse them."""
    from pvcluster.study.engine import changes_energy

    if spec.design != "fixed" or not (spec.weather_years or any(changes_energy(p.key) for p in spec.parameters)):
        return
    stale = [k for k in base.output_keys if k.startswith("sizing.") and not k.endswith(_DESIGN_SUFFIXES)]
    if stale:
        raise InputError([Problem(str(spec.path), "outputs", "with design = \"fixed\" and the energy varied, sizing "
                                  "outputs of the build only (kWp, storage kWh and kW, capex) - the dispatch is "
                                  "rescaled for finance, not solved again; or design = \"resize\"", k)
                          for k in stale[:10]], headline="invalid study")


def _model_case(model, case: int, values: dict) -> dict:
    t = time.perf_counter()
    try:
        outputs, status, message = model(values), "ok", ""
    except Exception as err:  # noqa: BLE001 - as evaluate_case: a case's failure is its row
        outputs, status, message = {}, "error", f"{type(err).__name__}: {err}"
    return {"case": case, "outputs": outputs, "status": status, "message": message,
            "seconds": time.perf_counter() - t}


def _base_value(scenario, key: str):
    try:
        v = setting_value(scenario, key)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError):
        return None
    return v


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return None if not math.isfinite(float(x)) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x
