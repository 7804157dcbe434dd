"""A tour of pvcluster's Python API: run the default scenario in memory, read typed results, plot.

    python examples/api_tour.py [FIGURE.png]

Nothing is written unless you ask: the figure goes to FIGURE.png only when a path is given.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import pvcluster  # noqa: E402


def main(figure: str | None = None) -> None:
    # Typical days keep the tour fast; drop the override for the exact hourly year.
    results = pvcluster.run(overrides={"sizing.periods": "typical_days"}, sensitivity=False)

    print(f"scenario {results.scenario.scenario.name}, base year {results.scenario.scenario.base_year}")
    print("project NPVs (real KRW of the base year, after tax):")
    for name, result in results.finance.projects.items():
        irr = "no IRR" if result.irr_fraction is None else f"IRR {result.irr_fraction:.1%}"
        print(f"  {name:32s} {result.npv_krw / 1e9:9.2f} bn KRW  {irr}")

    # typed stage records: a site's PV, storage and grid, with units in the field names
    county = results.sizing.sites["county"]
    print(f"county: {county.pv.new_capacity_kwp:,.0f} kWp new PV, {county.storage.energy_kwh:,.0f} kWh storage, "
          f"bills {county.grid.bill_krw_per_year / 1e6:,.1f} M KRW/yr")

    # the hourly table is a tz-aware DataFrame; the cash flows a DataFrame per project
    hourly = results.hourly
    monthly_mwh = hourly["industrial_complex_pv_generation_kw"].resample("MS").sum() / 1000.0
    print(f"industrial complex PV, {len(monthly_mwh)} months, {monthly_mwh.sum():,.0f} MWh/yr")
    cash = results.cashflows["industrial_complex_pv"]

    fig, ax = plt.subplots(figsize=(8, 3))
    ax.bar(cash["calendar_year"], cash["project_cash_flow_nominal_krw"] / 1e9, color="#5b8db8")
    ax.set_ylabel("bn KRW (nominal)")
    ax.set_title("industrial_complex_pv: project cash flow")
    fig.tight_layout()
    if figure:
        fig.savefig(figure, dpi=100)
        print(f"figure written to {figure}")
    plt.close(fig)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
