"""Figures of a run (PNG, matplotlib with the non-interactive Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

_DPI = 100


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
