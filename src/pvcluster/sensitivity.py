"""One-at-a-time sensitivity: how far each input moves an output, the sizing held fixed.

:func:`oat` is generic: it evaluates any function of a scenario at each parameter's base value times
``1 - delta`` and ``1 + delta``, one parameter at a time, and returns the swings sorted by size (a
tornado). :func:`portfolio_oat` applies it to the portfolio NPV with the sizing decisions held fixed:
only the stages after sizing (finance) are evaluated again, as a lender's sensitivity does, so the
default list costs a few seconds, not new sizings. A study's ``oat`` method reuses :func:`oat`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Parameter:
    """A fact to vary, as ``<kind>.<fact>`` of the input files, with a label for people."""

    key: str
    label: str


#: The key prices and costs the report's headline ranks by how much they move the portfolio NPV.
DEFAULT_PARAMETERS: tuple[Parameter, ...] = (
    Parameter("market.smp_krw_per_kwh", "SMP (wholesale price)"),
    Parameter("market.rec_price_krw_per_rec", "REC price"),
    Parameter("costs.discount_rate_fraction", "discount rate"),
    Parameter("costs.building_pv_capex_krw_per_kwp", "PV capex, building roofs"),
    Parameter("costs.rooftop_pv_capex_krw_per_kwp", "PV capex, house roofs"),
    Parameter("costs.pv_fixed_om_fraction_of_capex", "PV O&M"),
    Parameter("polysilicon.price_mid_usd_per_kg", "polysilicon price (mid scenario)"),
    Parameter("polysilicon.siemens_capex_korea_krw_per_t_per_year", "polysilicon plant capex"),
    Parameter("polysilicon.krw_per_usd", "KRW per USD"),
    Parameter("finance.agrivoltaic_farm_income_krw_per_ha_year", "farm income per hectare"),
)


def oat(evaluate: Callable[[object], dict[str, float]], scenario, parameters: Sequence[Parameter],
        delta_fraction: float = 0.1) -> pd.DataFrame:
    """Swings of every output of ``evaluate(scenario)`` for each parameter at (1 -/+ delta) x its value.

    Returns one row per parameter and output: ``parameter``, ``label``, ``output``, ``base_value``,
    ``low_value``, ``high_value`` (the parameter's), ``output_base``, ``output_low``, ``output_high`` and
    ``swing`` = |output_high - output_low|, sorted by swing within each output. A parameter whose
    varied value its declaration rejects (a fraction above 1, say) is skipped with ``note``.
    """
    from pvcluster.errors import InputError

    base = evaluate(scenario)
    rows = []
    for p in parameters:
        value = scenario.facts.value(p.key)
        low, high = value * (1.0 - delta_fraction), value * (1.0 + delta_fraction)
        try:
            out_low = evaluate(scenario.with_facts({p.key: low}, "sensitivity"))
            out_high = evaluate(scenario.with_facts({p.key: high}, "sensitivity"))
        except InputError as err:
            rows += [dict(parameter=p.key, label=p.label, output=o, base_value=value, low_value=low,
                          high_value=high, output_base=v, output_low=None, output_high=None, swing=0.0,
                          note=str(err.problems[0])) for o, v in base.items()]
            continue
        for o, v in base.items():
            rows.append(dict(parameter=p.key, label=p.label, output=o, base_value=value, low_value=low,
                             high_value=high, output_base=v, output_low=out_low[o], output_high=out_high[o],
                             swing=abs(out_high[o] - out_low[o]), note=""))
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return table.sort_values(["output", "swing"], ascending=[True, False], kind="stable").reset_index(drop=True)


def portfolio_oat(scenario, generation, demand, sizing, finance=None, parameters: Sequence[Parameter] | None = None,
                  delta_fraction: float = 0.1) -> pd.DataFrame:
    """The portfolio NPV (real KRW) for each default parameter at -/+ ``delta_fraction``, the sizing fixed."""
    from pvcluster.finance import build_finance

    # The portfolio NPV needs the portfolio's projects only: not the fund, nor the polysilicon plant's
    # price curve and break-evens, nor the jobs the projects create (the same NPV: on the default scenario
    # the 20 evaluations took 0.20 s against 0.38 s with the jobs, for the same table).
    base = finance if finance is not None else build_finance(scenario, generation, demand, sizing)
    names = {e.name for e in base.portfolio}

    def evaluate(s) -> dict[str, float]:
        f = base if s is scenario else build_finance(s, generation, demand, sizing, projects=names,
                                                     polysilicon_details=False, jobs=False, fund=False)
        return {"portfolio_npv_krw": float(sum(e.result.npv_krw for e in f.portfolio))}

    params = [p for p in (parameters or DEFAULT_PARAMETERS)
              if p.key.split(".", 1)[0] in scenario.input_paths and _has(scenario, p.key)]
    return oat(evaluate, scenario, params, delta_fraction)


def _has(scenario, key: str) -> bool:
    try:
        scenario.facts.value(key)
    except (KeyError, ValueError):
        return False
    return True
