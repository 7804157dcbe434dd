"""The report in a real browser: headless Chromium (Debian's package, installed by .ci/run) renders the
default run's report.html. The answer shows in the first screen, nothing is wider than the window,
and no image is broken. Screenshots of the first screen and of the whole page are kept in the test's
output folder (printed with -s)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
WIDTH, HEIGHT = 1280, 900

_CHECK = """<script>
window.addEventListener('load', () => {
  const images = [...document.images];
  const broken = images.filter(i => !(i.complete && i.naturalWidth > 0)).length;
  const head = document.getElementById('headline').getBoundingClientRect();
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && !el.closest('.scroll')) wide.push(el.tagName + '.' + el.className);
  }
  const out = {images: images.length, broken: broken, headline_bottom: head.bottom, height: window.innerHeight,
               width: window.innerWidth, scroll_width: document.documentElement.scrollWidth, too_wide: wide.slice(0, 10),
               page_height: document.documentElement.scrollHeight};
  const pre = document.createElement('pre'); pre.id = 'pvcheck'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--virtual-time-budget=10000", *args], capture_output=True, text=True, timeout=180)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_report_renders_answer_first_within_the_window(default_run, tmp_path):
    report = default_run / "report.html"
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html and 'src="http' not in html  # self-contained
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", _CHECK + "</body>"), encoding="utf-8")
    dom = _chromium(f"--window-size={WIDTH},{HEIGHT}", "--dump-dom", probe.as_uri()).stdout
    found = re.search(r'<pre id="pvcheck">([^<]*)</pre>', dom)
    assert found, "the browser did not run the check"
    check = json.loads(found.group(1).replace("&quot;", '"'))
    assert check["images"] >= 15 and check["broken"] == 0
    assert check["headline_bottom"] <= check["height"], check  # the answer's figures in the first screen
    assert check["scroll_width"] <= check["width"] and not check["too_wide"], check
    first, whole = tmp_path / "report_first_screen.png", tmp_path / "report_whole_page.png"
    _chromium(f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={first}", report.as_uri())
    _chromium(f"--window-size={WIDTH},{check['page_height']}", f"--screenshot={whole}", report.as_uri())
    assert first.stat().st_size > 10_000 and whole.stat().st_size > first.stat().st_size
    print(f"screenshots: {first} {whole}")


def test_report_reads_as_a_decision_document(default_run):
    html = (default_run / "report.html").read_text(encoding="utf-8")
    answer, contents = html.index("id='answer'"), html.index("<nav>")
    assert answer < contents < html.index("id='sizing'") < html.index("id='inputs'")
    for text in ("What to build", "Every project", "What moves the portfolio NPV most", "portfolio NPV, real",
                 "Energy Station basis", "as built", "<details>"):
        assert text in html, text
    assert "convergenceCriteriaSatisfied" not in html[:html.index("<nav>")]  # no solver jargon in the answer
    assert re.search(r"-?\d+\.\d bn KRW", html)  # money in bn KRW


def test_figures_save_the_pixels_savefig_draws(tmp_path):
    """The report's PNG writer (one draw) gives the pixels of ``savefig`` after ``tight_layout``."""
    import numpy as np
    from PIL import Image

    from pvcluster.report import figures as f

    def figure():
        fig, axes = f.plt.subplots(2, 1, figsize=(5, 4), sharex=True)
        for i, ax in enumerate(axes):
            ax.bar(np.arange(8), np.arange(8) * (i + 1) - 3, label="bars")
            ax.plot(np.arange(8), np.sqrt(np.arange(8)), label="line")
            ax.set_ylabel("kW")
            ax.legend()
        fig.suptitle("a test")
        fig.tight_layout()
        return fig

    fig = figure()
    fig.savefig(tmp_path / "savefig.png", dpi=f._DPI)
    f.plt.close(fig)
    f.save_figure(figure(), tmp_path / "ours.png")
    ours, theirs = Image.open(tmp_path / "ours.png"), Image.open(tmp_path / "savefig.png")
    assert ours.size == theirs.size
    assert np.array_equal(np.asarray(ours.convert("RGBA")), np.asarray(theirs.convert("RGBA")))



def test_the_sizings_figures_started_before_the_finance_give_the_same_output_folder(typical_results, tmp_path):
    """A run starts the sizing's figures and hourly.csv's text on its workers before the finance
    (start_sizing_figures: PNG bytes and text, with the hourly table it builds for them); the output folder
    written with them is byte for byte the one written without, every figure, table and the report."""
    from pvcluster import processes
    from pvcluster.report import start_sizing_figures, write_outputs

    r = typical_results
    write_outputs(tmp_path / "plain", r)
    with processes.prestarted_workers(2, warm=("pvcluster.report.figures",)):
        started = start_sizing_figures(r.scenario, r.weather, r.generation, r.demand, r.sizing, hourly_csv=True)
        assert processes._SPARE == []  # both workers took jobs at once
        write_outputs(tmp_path / "started", r, started=started)
    assert {"week_summer", "monthly_energy", "sizing"} <= set(started.names) and "tornado" not in started.names
    assert started.hourly.equals(r.hourly)
    files = sorted(p.relative_to(tmp_path / "plain") for p in (tmp_path / "plain").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "started") for p in (tmp_path / "started").rglob("*")
                           if p.is_file())
    assert len([f for f in files if f.suffix == ".png"]) >= 15 and Path("hourly.csv") in files
    for f in files:
        assert (tmp_path / "started" / f).read_bytes() == (tmp_path / "plain" / f).read_bytes(), f


def test_figures_drawn_on_the_runs_workers_are_the_figures_drawn_here(typical_results, tmp_path):
    """The report's figures, drawn on two worker processes (pvcluster.processes) and in this process
    together, are byte for byte the PNG files drawn in this process alone, whatever style this process
    has set."""
    import os

    import matplotlib.pyplot as plt

    from pvcluster import processes
    from pvcluster.report import figure_jobs, render_figures
    from pvcluster.report.figures import draw

    (tmp_path / "here").mkdir()
    (tmp_path / "shared").mkdir()
    with plt.style.context("ggplot"):  # a caller's own style: the report's figures keep the default
        here = render_figures(typical_results, tmp_path / "here")
        with processes.prestarted_workers(2, warm=("pvcluster.report.figures",)):
            workers = {p.pid for _, p in processes._SPARE}
            jobs = figure_jobs(typical_results, tmp_path / "shared")
            drawn_by = processes.run_jobs([(draw, (function, *args)) for _, function, args in jobs.values()])
    assert list(jobs) == list(here) and len(here) >= 15
    for name, path in here.items():
        assert jobs[name][0].read_bytes() == path.read_bytes(), name
    assert set(drawn_by) & workers and os.getpid() in drawn_by  # both drew some


def test_the_sizings_figure_jobs_name_their_functions_and_need_no_matplotlib_here():
    # start_sizing_figures sends the workers the figures' function names (draw_figure_png), so the run's
    # process need not have imported matplotlib to start them; each name is a figure function
    import json
    import subprocess
    import sys

    from pvcluster.report import figures

    script = (
        "import json, sys, types\n"
        "import pandas as pd\n"
        "from pvcluster.report import _sizing_figures\n"
        "demand = types.SimpleNamespace(class_kw=lambda: pd.DataFrame({'households': [1.0, 2.0]}))\n"
        "sites = {'a': {'served_load_kwh': 1.0, 'pv_generation_kwh': 1.0, 'storage_energy_kwh': 5.0}}\n"
        "jobs = _sizing_figures(pd.DataFrame({'x': [1.0]}), 'plant_ac_kw', demand, sites)\n"
        "print(json.dumps([sorted({function for function, _ in jobs.values()}), 'matplotlib' in sys.modules]))\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    names, loaded = json.loads(run.stdout)
    assert loaded is False and len(names) == 6
    for name in names:
        assert callable(getattr(figures, name)) and name.endswith("_figure")
