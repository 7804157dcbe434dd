"""Figures of a run (PNG, matplotlib with the non-interactive Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pvcluster.weather.calendar import SEASONS, day_off_mask, season_index  # noqa: E402

_DPI = 100
_CLASS_COLORS = {"households": "#4a6fa5", "public": "#7aa95c", "industry": "#9b59b6"}
_SEASON_TITLES = {"summer": "summer (Jun-Aug)", "spring_autumn": "spring/autumn (Mar-May, Sep-Oct)",
                  "winter": "winter (Nov-Feb)"}


def _label(name: str) -> str:
    return str(name).replace("_", " ")


def _week(hourly: pd.DataFrame, month: int, day: int) -> pd.DataFrame:
    start = hourly.index[(hourly.index.month == month) & (hourly.index.day == day)][0]
    return hourly.loc[start: start + pd.Timedelta(days=7) - pd.Timedelta(hours=1)]


def week_figure(hourly: pd.DataFrame, plant_column: str, villages: list[str], month: int, day: int,
                title: str, path: Path) -> None:
    """Generation and demand for one week: the plant on top, each village's dispatch below."""
    week = _week(hourly, month, day)
    fig, axes = plt.subplots(1 + len(villages), 1, figsize=(11, 2.6 * (1 + len(villages))), sharex=True)
    axes = np.atleast_1d(axes)
    axes[0].fill_between(week.index, week[plant_column] / 1000.0, color="#f2a900", step="post")
    axes[0].set_ylabel("MW")
    axes[0].set_title(f"{title}: {plant_column.removesuffix('_ac_kw')} AC output")
    for ax, v in zip(axes[1:], villages):
        ax.plot(week.index, week[f"{v}_demand_total_kw"], color="black", lw=1.2, label="demand")
        ax.plot(week.index, week[f"{v}_pv_generation_kw"], color="#f2a900", lw=1.2, label="rooftop PV")
        ax.plot(week.index, week[f"{v}_grid_import_kw"], color="#4a6fa5", lw=1, label="grid import")
        ax.plot(week.index, -week[f"{v}_grid_export_kw"], color="#7aa95c", lw=1, label="grid export (-)")
        if week[f"{v}_storage_soc_kwh"].max() > 1e-6:
            ax.plot(week.index, week[f"{v}_storage_discharge_kw"] - week[f"{v}_storage_charge_kw"],
                    color="#9b59b6", lw=1, label="storage (+ discharge)")
        ax.set_ylabel("kW")
        ax.set_title(f"{v}")
        ax.axhline(0, color="grey", lw=0.5)
        ax.legend(loc="upper right", fontsize=7, ncol=5)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def monthly_energy_figure(hourly: pd.DataFrame, plant_column: str, villages: list[str], path: Path) -> None:
    """Monthly energy: the plant's MWh, and each village's demand and rooftop PV in MWh."""
    monthly = hourly.groupby(hourly.index.month).sum() / 1000.0
    months = np.arange(1, 13)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    axes[0].bar(months, monthly[plant_column], color="#f2a900")
    axes[0].set_title(f"{plant_column.removesuffix('_ac_kw')}: monthly AC energy")
    axes[0].set_ylabel("MWh")
    width = 0.8 / (2 * max(1, len(villages)))
    for i, v in enumerate(villages):
        axes[1].bar(months + (2 * i) * width - 0.4, monthly[f"{v}_demand_total_kw"], width,
                    label=f"{v} demand", align="edge")
        axes[1].bar(months + (2 * i + 1) * width - 0.4, monthly[f"{v}_pv_generation_kw"], width,
                    label=f"{v} rooftop PV", align="edge")
    axes[1].set_title("Villages: monthly demand and rooftop PV")
    axes[1].set_ylabel("MWh")
    axes[1].legend(fontsize=7)
    for ax in axes:
        ax.set_xticks(months)
        ax.set_xlabel("month")
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def cashflow_figure(table: pd.DataFrame, project: str, path: Path) -> None:
    """Annual net cash flow (bars) and cumulative cash flow (line), in billion KRW."""
    fig, ax = plt.subplots(figsize=(10, 4))
    flow = table["net_cash_flow_krw"] / 1e9
    ax.bar(table["calendar_year"], flow, color=np.where(flow >= 0, "#7aa95c", "#c0392b"), label="net cash flow")
    ax.plot(table["calendar_year"], table["cumulative_cash_flow_krw"] / 1e9, color="black", marker=".",
            label="cumulative")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_ylabel("billion KRW (real)")
    ax.set_title(f"{project}: after-tax project cash flow")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


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
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


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
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)
