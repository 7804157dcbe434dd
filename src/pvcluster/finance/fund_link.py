"""The scenario's fund: it holds the equity of the projects ``[fund] projects`` names.

The fund pays each held project's equity contributions (negative equity cash flows) and
receives its distributions (positive equity cash flows), NOMINAL KRW year by year (the project
tables' ``equity_cash_flow_krw`` is nominal), so every money output of the fund is nominal
(``_nominal_krw``); the waterfall itself is :func:`pvcluster.finance.fund.run_fund`.

Capital is called as needed (each year's investments plus the management fee, pro rata to
commitments); commitment no project needs is never called. The scenario's
``[fund] call_schedule_fractions`` caps the calls: by the end of year t at most the sum of its
first t + 1 fractions of the commitments may have been called (``[1.0]``: everything from year 0,
i.e. purely as needed). The tranches' ``commitment_krw`` are contract amounts, nominal KRW.
"""

from __future__ import annotations

import numpy as np

from pvcluster.errors import InputError, Problem
from pvcluster.finance.fund import FundTerms, Tranche, check_fund_inputs, run_fund


def flows_for(finance, names) -> tuple[np.ndarray, np.ndarray]:
    """Investments and proceeds (both >= 0, nominal KRW) summed over the named projects, by year index."""
    horizon = max(len(finance.projects[n].columns["year_index"]) for n in names)
    investments, proceeds = np.zeros(horizon), np.zeros(horizon)
    for n in names:
        flow = np.asarray(finance.projects[n].columns["equity_cash_flow_krw"])  # nominal
        investments[:len(flow)] += np.clip(-flow, 0.0, None)
        proceeds[:len(flow)] += np.clip(flow, 0.0, None)
    return investments, proceeds


def build(scenario, finance):
    """The fund over the projects ``fund.projects`` names (checked against the scenario when it loads);
    a site project sizing built nothing at holds nothing and is listed in ``not_built``. None when the
    fund holds no built project at all."""
    f = scenario.fund
    where = str(scenario.path)
    if not f.projects:
        raise InputError(Problem(where, "fund.projects", "names of the scenario's priced projects", "an empty list"))
    held = [n for n in f.projects if n in finance.projects]
    not_built = [n for n in f.projects if n not in finance.projects]
    if not held:
        return None
    existing = [n for n in held if finance.inputs[n].capex_krw <= 0 and finance.inputs[n].construction_years == 0]
    if existing:
        raise InputError(Problem(where, "fund.projects", "projects the fund invests in (new capital)",
                                 f"{existing}: valued as built, with no investment to hold (its capex is sunk)"))
    schedule = tuple(f.call_schedule_fractions) if f.call_schedule_fractions else None
    terms = FundTerms(hurdle_fraction=f.hurdle_fraction, carry_fraction=f.carry_fraction,
                      catch_up_fraction=f.catch_up_fraction, management_fee_fraction=f.management_fee_fraction,
                      investment_period_years=f.investment_period_years,
                      call_schedule_fractions=schedule, call_mode="as_needed")
    tranches = [Tranche(t.name, t.commitment_krw, role=t.role, public=t.public, first_loss=t.first_loss,
                        return_cap_fraction=t.return_cap_fraction or None) for t in f.tranches]
    investments, proceeds = flows_for(finance, held)
    problems = check_fund_inputs(terms, tranches, investments, proceeds)
    if problems:
        raise InputError([Problem(where, "fund", "fund terms the held projects can be paid from", p)
                          for p in problems])
    result = run_fund(terms, tranches, investments, proceeds)
    result.projects, result.not_built = tuple(held), tuple(not_built)
    return result
