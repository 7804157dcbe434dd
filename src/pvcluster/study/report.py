"""A study's figures and report.html, built like the run's report: the answer first.

Figures (PNG): a tornado of the main output (oat), a spider plot (oat: each output against its
parameter's level), a histogram with the cumulative distribution of every NPV output (sampled
methods and grids), scatter plots of the main output against its top drivers (by rank correlation),
and the Sobol' or Morris indices.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pvcluster.report.html import _STYLE, esc, image, money, num, pct, table  # noqa: E402

_DPI = 100
MAIN = "finance.portfolio.total_npv_krw"


def main_output(stats: dict) -> str:
    keys = list(stats["outputs"])
    return MAIN if MAIN in keys else next((k for k in keys if k.endswith("npv_krw")), keys[0] if keys else "")


def _fmt(key: str, v) -> str:
    if v is None:
        return "n/a"
    if key.endswith("_krw"):
        return money(v)
    if key.endswith("_fraction"):
        return pct(v)
    return num(v, 2 if abs(v) < 100 else 0)


def _scale(key: str) -> tuple[float, str]:
    return (1e9, "bn KRW") if key.endswith("_krw") else (0.01, "%") if key.endswith("_fraction") else (1.0, "")


def tornado_figure(stats: dict, key: str, path: Path) -> None:
    t = stats["tornado"][key]
    items = [p for p in t["parameters"] if p["swing"] is not None][::-1]
    s, unit = _scale(key)
    base = (t["base"] or 0.0) / s
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(items) + 1.5))
    y = np.arange(len(items))
    ax.barh(y, [p["low"] / s - base for p in items], left=base, color="#c0392b", label="first level (low)")
    ax.barh(y, [p["high"] / s - base for p in items], left=base, color="#5b8db8", label="last level (high)")
    ax.axvline(base, color="black", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{p['label']} ({_short(p['levels'][0])} .. {_short(p['levels'][-1])})" for p in items],
                       fontsize=8)
    ax.set_xlabel(f"{key} ({unit})")
    ax.set_title("What moves it most (one at a time)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def _short(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def spider_figure(stats: dict, key: str, path: Path) -> None:
    t = stats["tornado"][key]
    s, unit = _scale(key)
    fig, ax = plt.subplots(figsize=(8, 5))
    for p in t["parameters"]:
        levels, outs = p["levels"], p["outputs"]
        numeric = [(lv, o) for lv, o in zip(levels, outs) if isinstance(lv, (int, float)) and not isinstance(lv, bool)
                   and o is not None]
        if len(numeric) < 2:
            continue
        xs = [lv for lv, _ in numeric]
        lo, hi = min(xs), max(xs)
        ax.plot([100 * (lv - lo) / (hi - lo) for lv in xs], [o / s for _, o in numeric], marker="o", label=p["label"])
    ax.axhline((t["base"] or 0) / s, color="black", lw=0.8)
    ax.set_xlabel("parameter level, % of the way from its lowest to its highest level")
    ax.set_ylabel(f"{key} ({unit})")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def histogram_figure(cases, key: str, stats: dict, path: Path) -> None:
    v = cases.loc[cases["status"] == "ok", f"out:{key}"].to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    s, unit = _scale(key)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.hist(v / s, bins=min(40, max(5, len(v) // 10)), color="#5b8db8", alpha=0.8)
    ax.set_xlabel(f"{key} ({unit})")
    ax.set_ylabel("cases")
    ax2 = ax.twinx()
    xs = np.sort(v) / s
    ax2.plot(xs, np.arange(1, len(xs) + 1) / len(xs), color="black", lw=1.2)
    ax2.set_ylabel("cumulative share of cases")
    ax2.set_ylim(0, 1)
    d = stats["outputs"][key]
    for name, colour in (("p90", "#c0392b"), ("p50", "black"), ("p10", "#27ae60")):
        if name in d:
            ax.axvline(d[name] / s, color=colour, ls="--", lw=0.9, label=name.upper())
    if key.endswith("npv_krw"):
        ax.axvline(0, color="grey", lw=0.8)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def scatter_figure(cases, key: str, drivers: list[str], path: Path, labels: dict | None = None) -> None:
    ok = cases[cases["status"] == "ok"]
    s, unit = _scale(key)
    fig, axes = plt.subplots(1, len(drivers), figsize=(4 * len(drivers), 3.6), squeeze=False)
    for ax, d in zip(axes[0], drivers):
        ax.scatter(ok[f"in:{d}"], ok[f"out:{key}"] / s, s=6, alpha=0.5, color="#4a6fa5")
        ax.set_xlabel((labels or {}).get(d, d), fontsize=8)
        ax.set_ylabel(f"{key} ({unit})", fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def indices_figure(stats: dict, key: str, method: str, path: Path) -> None:
    idx = stats["indices"][key]
    names = list(idx)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.5))
    y = np.arange(len(names))
    if method == "sobol":
        ax.barh(y - 0.2, [idx[n]["S1"] for n in names], 0.4, xerr=[idx[n]["S1_conf"] for n in names],
                label="first order S1", color="#5b8db8")
        ax.barh(y + 0.2, [idx[n]["ST"] for n in names], 0.4, xerr=[idx[n]["ST_conf"] for n in names],
                label="total ST", color="#c0392b")
        ax.set_xlabel("Sobol' index (share of the output's variance), 95 % interval")
    else:
        ax.barh(y, [idx[n]["mu_star"] for n in names], xerr=[idx[n]["mu_star_conf"] for n in names], color="#5b8db8",
                label="mu*")
        ax.set_xlabel(f"Morris mu* of {key}")
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=8)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def render_figures(run, folder) -> dict[str, str]:
    """Write the figures into ``figures/`` of the out folder; returns name -> relative path."""
    stats, cases, spec = run.stats, run.cases, run.spec
    key = main_output(stats)
    figs: dict[str, str] = {}

    def fig(name: str, draw) -> None:
        rel = f"figures/{name}.png"
        folder.write(rel, draw)
        figs[name] = rel

    if not key or cases.empty:
        return figs
    if spec.method == "oat" and key in stats.get("tornado", {}):
        fig("tornado", lambda p: tornado_figure(stats, key, p))
        fig("spider", lambda p: spider_figure(stats, key, p))
    if spec.method != "oat":
        for k in [k for k in stats["outputs"] if k.endswith("npv_krw") and stats["outputs"][k].get("cases", 0) > 1]:
            fig(f"histogram_{_slug(k)}", lambda p, k=k: histogram_figure(cases, k, stats, p))
    corr = stats.get("rank_correlation", {}).get(key, {})
    drivers = [d for d in list(corr)[:3] if f"in:{d}" in cases]
    if drivers:
        labels = {q["key"]: q["label"] for q in stats["parameters"]}
        fig("scatter", lambda p: scatter_figure(cases, key, drivers, p, labels))
    if spec.method in ("sobol", "morris") and "note" not in stats.get("indices", {}).get(key, {"note": ""}):
        fig("indices", lambda p: indices_figure(stats, key, spec.method, p))
    return figs


def _slug(key: str) -> str:
    return key.replace(".", "_").replace("*", "all")


def build_html(run, figs: dict[str, str], folder_path: Path) -> str:
    stats, spec = run.stats, run.spec
    key = main_output(stats)
    d = stats["outputs"].get(key, {})
    cards = []
    if d.get("cases"):
        cards.append(("P50", _fmt(key, d.get("p50"))))
        cards.append(("P90 (exceeded in 90 %)", _fmt(key, d.get("p90"))))
        cards.append(("P10 (exceeded in 10 %)", _fmt(key, d.get("p10"))))
        if "probability_negative" in d:
            cards.append((("probability of a loss (NPV < 0)" if spec.method not in ("grid", "oat")
                           else "share of the cases with NPV < 0"), pct(d["probability_negative"])))
    failed = sum(v for k, v in stats["status"].items() if k != "ok")
    lede = (f"{stats['cases']:,} cases ({spec.method}, design {spec.design}), {failed:,} failed; "
            f"the main output is {esc(key)} (base case {_fmt(key, stats['base'].get(key))}).")
    drivers = ""
    if spec.method == "oat" and key in stats.get("tornado", {}):
        top = [p for p in stats["tornado"][key]["parameters"] if p["swing"] is not None][:3]
        drivers = "; ".join(f"{esc(p['label'])} {_fmt(key, p['swing'])}" for p in top)
    elif "indices" in stats and isinstance(stats["indices"].get(key), dict) and "note" not in stats["indices"][key]:
        idx = stats["indices"][key]
        score = "ST" if spec.method == "sobol" else "mu_star"
        top = sorted(idx, key=lambda n: -idx[n][score])[:3]
        drivers = "; ".join(f"{esc(n)} {score} {idx[n][score]:.3g}" for n in top)
    elif key in stats.get("rank_correlation", {}):
        labels = {p["key"]: p["label"] for p in stats["parameters"]}
        top = list(stats["rank_correlation"][key].items())[:3]
        drivers = "; ".join(f"{esc(labels.get(n, n))} (rank correlation {r:+.2f})" for n, r in top)
    body = [f"<h1>Study: {esc(spec.path.name if spec.path else 'study')}</h1><p class='lede'>{lede}</p>",
            "<div class='cards'>" + "".join(f"<div class='card'><div class='label'>{esc(a)}</div>"
                                            f"<div class='value'>{b}</div></div>" for a, b in cards) + "</div>"]
    if drivers:
        body.append(f"<p><b>What moves it most:</b> {drivers}.</p>")
    for name in ("tornado", "indices", "scatter", "spider"):
        if name in figs:
            body.append(image(folder_path / figs[name], name))
    rows = []
    for k, v in stats["outputs"].items():
        rows.append([esc(k), str(v.get("cases", 0))] + [_fmt(k, v.get(x)) for x in ("mean", "sd", "p90", "p50", "p10")]
                    + [pct(v["probability_negative"]) if "probability_negative" in v else ""])
    body.append("<h2>Every output</h2><p class='note'>" + esc(stats["convention"]) + ". Cases that failed are left "
                "out; their status and message are in cases.parquet.</p>")
    body.append(table(["output", "cases", "mean", "sd", "P90", "P50", "P10", "P(NPV < 0)"], rows, tall=True))
    for name, rel in figs.items():
        if name.startswith("histogram_"):
            body.append(image(folder_path / rel, name))
    params = [[esc(p["key"]), esc(p["label"]), esc(p["distribution"] or ""), esc(p["values"] or "")]
              for p in stats["parameters"]]
    body.append("<h2>Parameters</h2>" + table(["key", "label", "distribution", "values"], params))
    body.append("<h2>Cases</h2><p>" + ", ".join(f"{esc(k)}: {v:,}" for k, v in stats["status"].items())
                + f"; {stats.get('seconds', 0):,.0f} s in all.</p>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>pvcluster study</title>"
            f"<style>{_STYLE}</style></head><body>" + "".join(body) + "</body></html>")


def write_report(run, folder) -> None:
    figs = render_figures(run, folder)
    text = build_html(run, figs, folder.out)
    folder.write("report.html", lambda p: p.write_text(text, encoding="utf-8"))


__all__ = ["write_report", "render_figures", "build_html", "main_output"]
