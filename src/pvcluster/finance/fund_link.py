"""The scenario's fund: it holds the equity of the projects ``[fund] projects`` names.

The fund pays each held project's equity contributions (negative equity cash flows) and
receives its distributions (positive equity cash flows), nominal KRW year by year; the
waterfall itself is :func:`pvcluster.finance.fund.run_fund`.
"""

from __future__ import annotations

import numpy as np

from pvcluster.errors import InputError, Problem
from pvcluster.finance.fund import FundTerms, Tranche, check_fund_inputs, run_fund


def flows_for(finance, names) -> tuple[np.ndarray, np.ndarray]:
    """Investments and proceeds (both >= 0) summed over the named projects, by year index."""
    horizon = max(len(finance.projects[n].table) for n in names)
    investments, proceeds = np.zeros(horizon), np.zeros(horizon)
    for n in names:
        flow = finance.projects[n].table["equity_cash_flow_krw"].to_numpy()
        investments[:len(flow)] += np.clip(-flow, 0.0, None)
        proceeds[:len(flow)] += np.clip(flow, 0.0, None)
    return investments, proceeds


def build(scenario, finance):
    f = scenario.fund
    where = str(scenario.path)
    unknown = [n for n in f.projects if n not in finance.projects]
    if unknown or not f.projects:
        known = ", ".join(sorted(finance.projects))
        raise InputError(Problem(where, "fund.projects", f"names of the scenario's priced projects ({known})",
                                 f"{list(f.projects)}" if f.projects else "an empty list"))
    terms = FundTerms(hurdle_fraction=f.hurdle_fraction, carry_fraction=f.carry_fraction,
                      catch_up_fraction=f.catch_up_fraction, management_fee_fraction=f.management_fee_fraction,
                      investment_period_years=f.investment_period_years,
                      call_schedule_fractions=tuple(f.call_schedule_fractions))
    tranches = [Tranche(t.name, t.commitment_krw, role=t.role, public=t.public, first_loss=t.first_loss,
                        return_cap_fraction=t.return_cap_fraction or None) for t in f.tranches]
    investments, proceeds = flows_for(finance, f.projects)
    problems = check_fund_inputs(terms, tranches, investments, proceeds)
    if problems:
        raise InputError([Problem(where, "fund", "fund terms the held projects can be paid from", p)
                          for p in problems])
    result = run_fund(terms, tranches, investments, proceeds)
    result.projects = tuple(f.projects)
    return result
