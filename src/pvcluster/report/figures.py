"""Figures of a run (PNG, matplotlib with the non-interactive Agg backend)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pvcluster.calendar import SEASONS, day_off_mask, season_index  # noqa: E402

_DPI = 100
_CLASS_COLORS = {"households": "#4a6fa5", "public": "#7aa95c", "industry": "#9b59b6"}
_SEASON_TITLES = {"summer": "summer (Jun-Aug)", "spring_autumn": "spring/autumn (Mar-May, Sep-Oct)",
                  "winter": "winter (Nov-Feb)"}


def _label(name: str) -> str:
    return str(name).replace("_", " ")


def _week(hourly: pd.DataFrame, month: int, day: int) -> pd.DataFrame:
    start = hourly.index[(hourly.index.month == month) & (hourly.index.day == day)][0]
    return hourly.loc[start: start + pd.Timedelta(days=7) - pd.Timedelta(hours=1)]


def draw(function, *args) -> int:
    """Draw a figure with ``function(*args)`` under matplotlib's default style, whatever style the calling
    process has set, so that it is the same figure drawn in this process or on a run's worker; returns the
    id of the process that drew it."""
    with plt.style.context("default"):
        function(*args)
    return os.getpid()


def draw_png(function, *args) -> bytes:
    """The PNG file that ``draw(function, *args, path)`` writes, as bytes (for a figure drawn before its
    folder exists: :func:`pvcluster.report.start_sizing_figures`)."""
    buffer = io.BytesIO()
    draw(function, *args, buffer)
    return buffer.getvalue()


def save_figure(fig, path: Path) -> None:
    """Save ``fig`` as a PNG at ``path`` and close it, drawn once.

    ``Figure.tight_layout`` leaves a placeholder layout engine on the figure, and ``savefig`` draws a figure
    with any layout engine twice (once without rendering, for a layout it would redo); the layout is done, so
    the engine goes first. Saving the 20 figures of the default run: 1.63 s -> 1.20 s of CPU."""
    fig.set_layout_engine(None)
    fig.savefig(path, dpi=_DPI, format="png")  # a file or a buffer (draw_png)
    plt.close(fig)


def _power_scale(values: np.ndarray) -> tuple[float, str]:
    """Divide by 1000 and label MW when a panel's values reach 2 MW; else kW."""
    top = float(np.nanmax(np.abs(values))) if len(values) else 0.0
    return (1000.0, "MW") if top >= 2000.0 else (1.0, "kW")


def week_figure(hourly: pd.DataFrame, plant_column: str, sites: list[str], month: int, day: int,
                title: str, path: Path) -> None:
    """Generation and demand for one week: the plant on top, each site's dispatch below.

    Per site: the load it serves (``<site>_served_load_kw``; dashed grey, the demand of every
    load connected at the site when that differs, e.g. pilot candidates not enrolled), PV
    generation, grid import and export (negative), storage (+ discharge) and curtailment.
    """
    week = _week(hourly, month, day)
    n = 1 + len(sites)
    fig, axes = plt.subplots(n, 1, figsize=(11, 2.3 * n + 0.4), sharex=True)
    axes = np.atleast_1d(axes)
    axes[0].fill_between(week.index, week[plant_column] / 1000.0, color="#f2a900", step="post")
    axes[0].set_ylabel("MW")
    axes[0].set_title(f"{title}: {plant_column.removesuffix('_ac_kw')} AC output", fontsize=10)
    for ax, s in zip(axes[1:], sites):
        col = lambda key: week[f"{s}_{key}"].to_numpy()  # noqa: E731
        served, demand = col("served_load_kw"), week.get(f"{s}_demand_total_kw")
        storage = col("storage_discharge_kw") - col("storage_charge_kw")
        curtailed = col("pv_curtailed_kw")
        lines = [(served, dict(color="black", lw=1.2, label="served load"))]
        if demand is not None and np.abs(demand.to_numpy() - served).max() > 1e-3:
            lines.append((demand.to_numpy(), dict(color="grey", lw=1, ls="--", label="all demand at the site")))
        lines += [(col("pv_generation_kw"), dict(color="#f2a900", lw=1.2, label="PV")),
                  (col("grid_import_kw"), dict(color="#4a6fa5", lw=1, label="grid import")),
                  (-col("grid_export_kw"), dict(color="#7aa95c", lw=1, label="grid export (-)"))]
        if np.abs(storage).max() > 1e-6:
            lines.append((storage, dict(color="#9b59b6", lw=1, label="storage (+ discharge)")))
        if curtailed.max() > 1e-6:
            lines.append((curtailed, dict(color="#c0392b", lw=1, label="curtailed")))
        scale, unit = _power_scale(np.concatenate([v for v, _ in lines]))
        for values, style in lines:
            ax.plot(week.index, values / scale, **style)
        ax.set_ylabel(unit)
        ax.set_title(_label(s), fontsize=10)
        ax.axhline(0, color="grey", lw=0.5)
        ax.legend(loc="upper right", fontsize=7, ncol=len(lines))
        ax.margins(y=0.25)
    fig.tight_layout()
    save_figure(fig, path)


def monthly_energy_figure(hourly: pd.DataFrame, plant_column: str, sites: list[str], path: Path) -> None:
    """Monthly energy: the plant's MWh, and per site the load it serves, its PV and grid import."""
    monthly = hourly.groupby(hourly.index.month).sum() / 1000.0
    months = np.arange(1, 13)
    n = 1 + len(sites)
    ncols = min(3, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows + 0.3), squeeze=False)
    axes = axes.ravel()
    axes[0].bar(months, monthly[plant_column], color="#f2a900")
    axes[0].set_title(f"{_label(plant_column.removesuffix('_ac_kw'))}: AC energy", fontsize=10)
    axes[0].set_ylabel("MWh")
    width = 0.27
    for ax, s in zip(axes[1:], sites):
        for i, (key, color, label) in enumerate((("served_load_kw", "#555555", "served load"),
                                                 ("pv_generation_kw", "#f2a900", "PV"),
                                                 ("grid_import_kw", "#4a6fa5", "grid import"))):
            ax.bar(months + (i - 1) * width, monthly[f"{s}_{key}"], width, color=color, label=label)
        ax.set_title(_label(s), fontsize=10)
        ax.set_ylabel("MWh")
    for ax in axes[:n]:
        ax.set_xticks(months)
        ax.set_xticklabels([m[0] for m in _MONTHS])  # J F M A M J J A S O N D
        ax.tick_params(labelsize=8)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle("Monthly energy", fontsize=11)
    if sites:
        fig.legend(*axes[1].get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05 if sites else 0, 1, 1))
    save_figure(fig, path)


def soc_heatmap_figure(hourly: pd.DataFrame, storage_kwh: dict[str, float], path: Path) -> None:
    """State of charge by day of year (x) and hour of day (y), one panel per site with storage."""
    sites = list(storage_kwh)
    fig, axes = plt.subplots(len(sites), 1, figsize=(11, 2.4 * len(sites) + 0.5), squeeze=False)
    for ax, s in zip(axes[:, 0], sites):
        soc = hourly[f"{s}_storage_soc_kwh"].to_numpy(dtype=float)
        days = len(soc) // 24
        grid = soc[:days * 24].reshape(days, 24).T
        image = ax.imshow(grid, aspect="auto", origin="lower", cmap="viridis", vmin=0.0,
                          vmax=max(storage_kwh[s], 1e-9), extent=(0.5, days + 0.5, -0.5, 23.5),
                          interpolation="nearest")
        ax.set_yticks([0, 6, 12, 18, 23])
        ax.set_ylabel("hour of day")
        ax.set_title(f"{_label(s)}: state of charge ({storage_kwh[s]:,.1f} kWh)", fontsize=10)
        fig.colorbar(image, ax=ax, label="kWh", pad=0.01)
    axes[-1, 0].set_xlabel("day of year")
    fig.tight_layout()
    save_figure(fig, path)


_SEGMENT_COLORS = {"house_roofs": "#4a6fa5", "public_roofs": "#7aa95c", "commercial_roofs": "#e67e22",
                   "factory_roofs": "#8c564b", "trackers": "#f2a900", "existing": "#999999"}
_STORAGE_COLOR = "#17a2b8"  # not a PV segment's colour
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NOT_SEGMENTS = {"pv_capacity_kwp", "pv_new_capacity_kwp", "pv_potential_kwp"}


def sizing_figure(sites: dict[str, dict], path: Path) -> None:
    """PV by segment (stacked, with each site's potential as an outline) and storage, per site.

    ``sites`` is ``summary["sizing"]["sites"]``: sizes in kWp and kWh.
    """
    names = list(sites)
    x = np.arange(len(names))
    segments: list[str] = []
    for s in sites.values():
        segments += [k[3:-4] for k in s if k.startswith("pv_") and k.endswith("_kwp") and k not in _NOT_SEGMENTS
                     and k[3:-4] not in segments]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    ax = axes[0]
    bottom = np.zeros(len(names))
    parts = {seg: np.array([sites[n].get(f"pv_{seg}_kwp", 0.0) for n in names]) for seg in segments}
    total = np.array([sites[n].get("pv_capacity_kwp", 0.0) for n in names])
    rest = total - sum(parts.values(), np.zeros(len(names)))  # sites dispatched without sizing
    if (rest > 1e-6).any():
        parts["existing"] = np.clip(rest, 0.0, None)
    for i, (seg, values) in enumerate(parts.items()):
        if not (values > 1e-6).any():
            continue
        ax.bar(x, values, 0.6, bottom=bottom, color=_SEGMENT_COLORS.get(seg, f"C{i}"), label=_label(seg))
        bottom += values
    potential = np.array([sites[n].get("pv_potential_kwp", 0.0) for n in names])
    ax.bar(x, potential, 0.6, fill=False, edgecolor="black", lw=0.8, ls="--", label="potential")
    top = max(float(potential.max(initial=0.0)), float(total.max(initial=0.0)), 1.0)
    for xi, t, p in zip(x, total, potential):
        ax.text(xi, max(t, p) + 0.01 * top, f"{t:,.0f}" + (f" / {p:,.0f}" if p > 0 else ""), ha="center",
                va="bottom", fontsize=8)
    ax.set_ylim(0, 1.12 * top)
    ax.set_ylabel("kWp")
    ax.set_title("PV capacity by segment (label: built / potential kWp)", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    ax = axes[1]
    energy = np.array([sites[n].get("storage_energy_kwh", 0.0) for n in names])
    power = np.array([sites[n].get("storage_power_kw", 0.0) for n in names])
    ax.bar(x, energy, 0.6, color=_STORAGE_COLOR)
    etop = max(float(energy.max(initial=0.0)), 1.0)
    for xi, e, pw in zip(x, energy, power):
        ax.text(xi, e + 0.01 * etop, f"{e:,.0f} kWh\n{pw:,.0f} kW" if e > 1e-6 else "none", ha="center",
                va="bottom", fontsize=8)
    ax.set_ylim(0, 1.25 * etop)
    ax.set_ylabel("kWh")
    ax.set_title("Storage energy capacity (label: kWh, power kW)", fontsize=10)
    for ax in axes:
        ax.set_xticks(x)
        ax.set_xticklabels([_label(n) for n in names], rotation=15, fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def cashflow_figure(table: pd.DataFrame, project: str, path: Path) -> None:
    """Project and equity cash flow (bars) and cumulative project cash flow (line), in billion KRW."""
    fig, ax = plt.subplots(figsize=(10, 4))
    years = table["calendar_year"].to_numpy()
    flow = (table["project_cash_flow_krw"] / 1e9).to_numpy()
    equity = table["equity_cash_flow_krw"] / 1e9
    # one bar series per colour, so the legend shows each colour it uses; each year's bar in one series only
    # (the other's bar there would have no height: drawing nothing, it only cost time), a series with no year
    # keeps its zero-height bars so its colour stays in the legend
    inflow = flow >= 0
    for years_in, color, label in ((inflow, "#7aa95c", "project in (after tax)"),
                                   (~inflow, "#c0392b", "project out (after tax)")):
        shown = years_in if years_in.any() else np.ones_like(years_in)
        ax.bar(years[shown] - 0.2, np.where(years_in, flow, 0.0)[shown], width=0.4, color=color, label=label)
    ax.bar(years + 0.2, equity, width=0.4, color="#5b8db8", label="equity (after debt service)")
    ax.plot(years, table["cumulative_project_cash_flow_krw"] / 1e9, color="black", marker=".",
            label="cumulative project")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_ylabel("billion KRW (nominal)")
    ax.set_title(f"{project}: after-tax cash flow")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path)


def jobs_figure(jobs_by_level: pd.DataFrame, path: Path) -> None:
    """Jobs (direct + indirect) per calendar year, stacked by cluster level."""
    fig, ax = plt.subplots(figsize=(10, 4))
    bottom = np.zeros(len(jobs_by_level))
    for col in sorted(jobs_by_level.columns):
        values = jobs_by_level[col].to_numpy()
        ax.bar(jobs_by_level.index, values, bottom=bottom, label=col)
        bottom += values
    ax.set_ylabel("jobs (persons employed that year)")
    ax.set_title("Jobs by year and cluster level (direct bottom-up + indirect from Bank of Korea coefficients)")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path)


def demand_profiles_figure(class_kw: pd.DataFrame, path: Path) -> None:
    """Average daily load by hour of day: one row per class (own kW axis), one column per KEPCO
    season, workdays solid and days off (weekends, Korean public holidays) dashed."""
    columns = [c for c in class_kw.columns if class_kw[c].abs().sum() > 0] or list(class_kw.columns)
    index = class_kw.index
    season = np.asarray(season_index(index))
    day_off = np.asarray(day_off_mask(index))
    hour = np.asarray(index.hour)
    fig, axes = plt.subplots(len(columns), len(SEASONS), figsize=(12, 2.4 * len(columns) + 0.6),
                             sharex=True, sharey="row", squeeze=False)
    hours = np.arange(24)
    for r, name in enumerate(columns):
        values = class_kw[name].to_numpy(dtype=float)
        color = _CLASS_COLORS.get(name, f"C{r}")
        top = 0.0
        for c, season_name in enumerate(SEASONS):
            ax = axes[r, c]
            for off, style, what in ((False, "-", "workday"), (True, "--", "day off")):
                sel = (season == c) & (day_off == off)
                if not sel.any():
                    continue
                mean = np.bincount(hour[sel], weights=values[sel], minlength=24) / np.bincount(hour[sel], minlength=24)
                ax.plot(hours, mean, style, color=color, lw=1.6, label=what)
                top = max(top, float(np.nanmax(mean)))
            ax.grid(alpha=0.3)
            if r == 0:
                ax.set_title(_SEASON_TITLES.get(season_name, season_name), fontsize=10)
            if c == 0:
                ax.set_ylabel(f"{_label(name)}\nkW")
            if r == len(columns) - 1:
                ax.set_xlabel("hour of day")
                ax.set_xticks(range(0, 25, 3))
            if c == len(SEASONS) - 1:
                ax.legend(loc="lower right", fontsize=7)
        axes[r, 0].set_ylim(0, 1.1 * top if top > 0 else 1.0)  # the row shares it; 0 keeps sizes honest
    fig.suptitle("Average daily demand by class, season and day type (design year; "
                 "day off = Sat, Sun, public holiday)", fontsize=11)
    fig.tight_layout()
    save_figure(fig, path)


def load_duration_figure(hourly_kw_by_site_or_class: pd.DataFrame, path: Path) -> None:
    """Load-duration curves (hours sorted from highest to lowest load) of the total and of each
    column: left on a linear MW axis, right on a logarithmic kW axis so small loads show."""
    data = hourly_kw_by_site_or_class
    series = {"total": data.sum(axis=1).to_numpy(dtype=float)} if data.shape[1] > 1 else {}
    series.update({str(c): data[c].to_numpy(dtype=float) for c in data.columns})
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    for i, (name, values) in enumerate(series.items()):
        curve = np.sort(values)[::-1]
        x = np.arange(len(curve))
        style = dict(color="black", lw=2.0) if name == "total" else dict(color=_CLASS_COLORS.get(name, f"C{i}"),
                                                                          lw=1.4)
        label = f"{_label(name)}: peak {curve[0]:,.0f} kW, {curve.sum() / 1000.0:,.0f} MWh/yr"
        axes[0].plot(x, curve / 1000.0, label=label, **style)
        positive = np.where(curve > 0, curve, np.nan)  # a log axis cannot show zero
        if np.isfinite(positive).any():
            axes[1].plot(x, positive, **style)
    axes[0].set_ylabel("MW")
    axes[0].set_ylim(bottom=0)
    axes[0].set_title("Load-duration curves (design year), MW")
    axes[1].set_yscale("log")
    axes[1].set_ylabel("kW (log scale)")
    axes[1].set_title("The same on a log axis, kW")
    for ax in axes:
        ax.set_xlim(0, len(data))
        ax.set_xticks(np.arange(0, len(data) + 1, 1460))
        ax.set_xlabel("hours of the year at or above the load")
        ax.grid(alpha=0.3, which="both")
    fig.legend(loc="lower center", ncol=min(4, len(series)), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    save_figure(fig, path)


def tornado_figure(sensitivity: dict, path: Path) -> None:
    """The portfolio NPV with each input low and high (bars from the NPV as given), largest swing on top."""
    rows = [p for p in sensitivity["parameters"] if p["npv_low_krw"] is not None][::-1]
    base = sensitivity["portfolio_npv_krw"] / 1e9
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.4))
    y = np.arange(len(rows))
    low = np.array([p["npv_low_krw"] for p in rows]) / 1e9 - base
    high = np.array([p["npv_high_krw"] for p in rows]) / 1e9 - base
    d = sensitivity.get("delta_fraction") or 0.1
    ax.barh(y, low, left=base, color="#c0392b", label=f"input -{100 * d:.0f} %")
    ax.barh(y, high, left=base, color="#5b8db8", label=f"input +{100 * d:.0f} %")
    ax.axvline(base, color="black", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([p["label"] for p in rows], fontsize=8)
    ax.set_xlabel("portfolio NPV, billion KRW (real)")
    ax.set_title("What moves the portfolio NPV (sizing held fixed)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    save_figure(fig, path)
