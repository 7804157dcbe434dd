"""Figures of the fund waterfall (PNG, matplotlib with the non-interactive Agg backend); nominal KRW."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pvcluster.finance.fund import STEPS, FundResult  # noqa: E402
from pvcluster.report.figures import save_figure  # noqa: E402

_STEP_LABELS = {"return_of_capital": "return of capital", "preferred_return": "preferred return",
                "catch_up": "catch-up", "carried_interest": "carried interest", "lp_split": "LP split"}
_STEP_COLORS = {"return_of_capital": "#4a6fa5", "preferred_return": "#7aa95c", "catch_up": "#f2a900",
                "carried_interest": "#c0392b", "lp_split": "#9b59b6"}


def _scale(values: np.ndarray) -> tuple[float, str]:
    """Billion KRW when amounts reach 1e9, else KRW as given (small hand-checkable cases); nominal."""
    top = float(np.nanmax(np.abs(values))) if np.size(values) else 0.0
    return (1e9, "billion KRW, nominal") if top >= 1e9 else (1.0, "KRW, nominal")


def plot_waterfall(result: FundResult, path) -> Path:
    """Two panels: distributions by waterfall step (the fund, then each tranche; stacked bars)
    and each tranche's cumulative net cash flow per year, nominal KRW. Saves a PNG at ``path``.

    Idle called cash paid back is in the return-of-capital bar (it earns no pref and no carry)."""
    path = Path(path)
    names = list(result.tranches)
    columns = ["fund"] + names
    totals = np.array([[float(result.table[f"{s}_nominal_krw"].sum()) for s in STEPS]]
                      + [[result.tranches[n].step_totals_nominal_krw()[s] for s in STEPS] for n in names])
    cumulative = np.array([result.tranches[n].table["cumulative_net_cash_flow_nominal_krw"].to_numpy()
                           for n in names])
    divisor, unit = _scale(np.concatenate([totals.sum(axis=1), cumulative.ravel()]))

    fig, (ax_bar, ax_line) = plt.subplots(1, 2, figsize=(13, 4.8))
    x = np.arange(len(columns))
    bottom = np.zeros(len(columns))
    for j, step in enumerate(STEPS):
        values = totals[:, j] / divisor
        ax_bar.bar(x, values, bottom=bottom, color=_STEP_COLORS[step], label=_STEP_LABELS[step])
        bottom += values
    ax_bar.set_xticks(x, [c.replace("_", " ") for c in columns], rotation=30, ha="right")
    ax_bar.set_ylabel(f"distributions, {unit}")
    ax_bar.set_title("Distributions by waterfall step", fontsize=10)
    ax_bar.margins(y=0.08)
    ax_bar.legend(fontsize=8)
    ax_bar.grid(axis="y", alpha=0.3)

    years = result.table.index.to_numpy()
    for i, name in enumerate(names):
        label = name.replace("_", " ")
        irr_value = result.tranches[name].irr_fraction
        label += f" (nominal IRR {irr_value:.1%})" if irr_value is not None else " (no IRR)"
        ax_line.plot(years, cumulative[i] / divisor, marker=".", label=label)
    ax_line.axhline(0, color="grey", lw=0.6)
    ax_line.set_xlabel("fund year")
    ax_line.set_ylabel(f"cumulative net cash flow, {unit}")
    ax_line.set_title("Cumulative net cash flow per tranche", fontsize=10)
    ax_line.legend(fontsize=8)
    ax_line.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)
    return path
