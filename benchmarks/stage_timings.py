"""Print the stage timings of the default run, with the sizing LP's build/solve split per site.

    python benchmarks/stage_timings.py [--repeat N] [--levers]
    python benchmarks/stage_timings.py --against REV [--pairs N]

``--against REV`` measures issue 17's headline: the default run of this checkout against a checkout of
``REV`` (a git worktree made for the purpose and removed after), ``N`` pairs (4 by default) alternated in
one sitting, each run a new process of this script with that checkout's ``src`` first on ``PYTHONPATH``;
it prints each pair, the means and their ratio (this checkout's time over REV's).

``--levers`` also prints what three of issue 17's levers measure here: whether the installed highspy
wheel has HiGHS's newer interior-point solver (HiPO), what importing the command line costs
against a bare Python start (the most lazy imports could save), and the report's figures drawn in
this process alone against shared with the run's two worker processes (as a full-year run draws
them), on the default scenario's typical days.

The first run's total (without ``--levers``) starts before pvcluster's pipeline is imported (what a
command line run imports before its stages; the ``imports + scenario`` row), later runs' with the
modules imported.
Times are wall-clock on this machine; read them as shares of one run (sizing dominates),
not as absolute numbers to compare across machines. The CPU line sums the user and system time of this
process and of the run's worker processes (ended by the end of the run): divided by the cores, it is the
least wall time any schedule of the same work could take here. The critical path adds the stages before
the sizing, the longest site's build and solve and the stages after the sizing: the stages follow one
another (each needs the one before) and a site is sized in one process, so the run cannot end sooner
unless one of those three parts gets shorter.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def levers() -> None:
    import subprocess
    import sys

    import highspy
    from pyomo.common.tee import capture_output

    with capture_output(capture_fd=True) as out:
        h = highspy.Highs()
        status = h.setOptionValue("solver", "hipo")
    version = f"{h.version()}" if hasattr(h, "version") else "?"
    text = " ".join(str(out.getvalue()).split()) if hasattr(out, "getvalue") else ""
    said = text[text.find("The HiPO"):][:200] if "The HiPO" in text else ""
    print(f"lever HiPO: highspy {version}: solver = 'hipo' -> {status.name}" + (f" ({said})" if said else ""))

    def start(code: str) -> float:
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            best = min(best, time.perf_counter() - t0)
        return best

    bare, cli = start("pass"), start("import pvcluster.cli")
    print(f"lever lazy imports: python start {bare:.2f} s, import pvcluster.cli {cli:.2f} s "
          f"(at most {cli - bare:.2f} s of a run to save)")
    parallel_figures()


def parallel_figures() -> None:
    """The report's figures in this process alone against shared with the run's two workers
    (:func:`pvcluster.report.render_figures` through :func:`pvcluster.processes.run_jobs`), the workers
    warm (matplotlib imported, as a run's are once the sizing gives them back)."""
    from pvcluster import processes
    from pvcluster.pipeline import compute
    from pvcluster.scenario import load_scenario
    from pvcluster.report import render_figures

    results = compute(load_scenario(overrides=["sizing.periods=typical_days", "weather.ensemble_years=0"]))
    with tempfile.TemporaryDirectory() as tmp:
        folders = [Path(tmp) / name for name in ("first", "here", "shared")]
        for folder in folders:
            folder.mkdir()
        n = len(render_figures(results, folders[0]))  # matplotlib's first figures in this process
        t0 = time.perf_counter()
        render_figures(results, folders[1])
        serial = time.perf_counter() - t0
        with processes.prestarted_workers(2, warm=("pvcluster.report.figures",)):
            processes.give_back([processes.take_worker(spare_only=True) for _ in range(2)])  # import, as after a sizing
            time.sleep(3.0)
            t0 = time.perf_counter()
            render_figures(results, folders[2])
            shared = time.perf_counter() - t0
    print(f"lever figures on the run's workers: {n} figures in this process {serial:.2f} s, shared with the "
          f"run's 2 warm workers {shared:.2f} s ({serial / shared:.2f}x)")


def cpu_seconds() -> float:
    """User and system CPU seconds of this process and of its ended child processes (the run's workers)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


REPO = Path(__file__).resolve().parents[1]


def _one_run(src: Path) -> dict[str, float]:
    """One default run in a new process of this script, with ``src`` first on ``PYTHONPATH``: its total,
    CPU and critical path, read from what it prints."""
    import re
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    out = subprocess.run([sys.executable, str(Path(__file__).resolve())], cwd=src.parent, env=env,
                         capture_output=True, text=True, check=True, timeout=1800).stdout
    found = {key: re.search(pattern, out) for key, pattern in (
        ("total_s", r"total ([0-9.]+) s"), ("cpu_s", r"workers ([0-9.]+) s"),
        ("critical_path_s", r"critical path: .* = ([0-9.]+) s"))}
    return {key: float(m.group(1)) if m else float("nan") for key, m in found.items()}


def against(rev: str, pairs: int) -> None:
    """The default run of this checkout against a worktree of ``rev``, ``pairs`` pairs alternated."""
    import subprocess

    with tempfile.TemporaryDirectory(prefix="pvcluster-against-") as tmp:
        tree = Path(tmp) / "tree"
        made = subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(tree), rev],
                              capture_output=True, text=True)
        if made.returncode != 0:
            import sys

            print(f"--against: expected a git revision of {REPO}; found {rev!r} "
                  f"(git: {made.stderr.strip() or made.returncode})", file=sys.stderr)
            raise SystemExit(2)  # a user's mistake, as the command line's exit 2
        try:
            rows = []
            for i in range(pairs):
                theirs, ours = _one_run(tree / "src"), _one_run(REPO / "src")
                rows.append((theirs, ours))
                print(f"pair {i + 1}: {rev} {theirs['total_s']:.2f} s (CPU {theirs['cpu_s']:.1f} s), this checkout "
                      f"{ours['total_s']:.2f} s (CPU {ours['cpu_s']:.1f} s, critical path "
                      f"{ours['critical_path_s']:.2f} s): {ours['total_s'] / theirs['total_s']:.3f}x", flush=True)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)
    theirs_mean = sum(t["total_s"] for t, _ in rows) / len(rows)
    ours_mean = sum(o["total_s"] for _, o in rows) / len(rows)
    low, high = min(o["critical_path_s"] for _, o in rows), max(o["critical_path_s"] for _, o in rows)
    print(f"mean: {rev} {theirs_mean:.2f} s, this checkout {ours_mean:.2f} s: {ours_mean / theirs_mean:.3f}x "
          f"(issue 17's target: <= 0.333x); this checkout's critical path {low:.2f}-{high:.2f} s, "
          f"{low / theirs_mean:.3f}-{high / theirs_mean:.3f}x of {rev}'s mean")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--levers", action="store_true")
    parser.add_argument("--against", metavar="REV", help="alternate with a checkout of this git revision")
    parser.add_argument("--pairs", type=int, default=4, help="pairs of runs with --against")
    args = parser.parse_args()
    if args.against:
        against(args.against, max(1, args.pairs))
        return
    if args.levers:
        levers()
    for i in range(args.repeat):
        cpu0 = cpu_seconds()
        t0 = time.perf_counter()
        # imported here, not with this module: the first run counts importing the pipeline as a command line
        # run does, whichever commit's pipeline imports what; and the run's worker processes import this
        # script as they start (as they import the command line's), and need neither pandas nor pvlib
        from pvcluster.pipeline import run
        from pvcluster.scenario import load_scenario

        scenario = load_scenario()
        load_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            result = run(scenario, Path(tmp) / "yeongwol")
            manifest = json.loads((result.out_dir / "manifest.json").read_text())
        total = time.perf_counter() - t0
        cpu = cpu_seconds() - cpu0
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        print(f"run {i + 1}: default scenario, total {total:.2f} s")
        print(f"  CPU of this process and its workers {cpu:.2f} s: on {cores} cores no schedule of the same work "
              f"takes less than {cpu / cores:.2f} s")
        print(f"  {'stage':<26}{'seconds':>9}{'share':>8}")
        for name, seconds in {"imports + scenario": load_s, **result.timings_s}.items():
            print(f"  {name:<26}{seconds:>9.3f}{seconds / total:>8.1%}")
        for site, t in manifest["solver_times_s"].items():
            print(f"  sizing {site:<19}build {t['build_s']:.3f} s, transfer + HiGHS {t['solve_s']:.3f} s")
        critical_path(load_s, result.timings_s, manifest["solver_times_s"])


def critical_path(load_s: float, timings: dict, sites: dict) -> None:
    """The stages before the sizing, the longest site's build and solve, and the stages after it: the stages
    follow one another and a site is sized in one process (HiGHS's PDLP and simplex each run on one core),
    so the run cannot end sooner unless one of these three parts gets shorter."""
    if not sites:
        return
    # where workers size, the generation stage's time also holds any wait for the P-values after the sizing
    before = load_s + sum(timings.get(k, 0.0) for k in ("weather", "demand", "generation"))
    after = sum(timings.get(k, 0.0) for k in ("finance", "sensitivity", "report"))
    name, t = max(sites.items(), key=lambda item: item[1]["build_s"] + item[1]["solve_s"])
    longest = t["build_s"] + t["solve_s"]
    print(f"  critical path: before the sizing {before:.2f} s + the longest site ({name}) {longest:.2f} s + after "
          f"the sizing {after:.2f} s = {before + longest + after:.2f} s")


if __name__ == "__main__":
    main()
