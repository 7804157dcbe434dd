"""One-at-a-time sensitivity (pvcluster.sensitivity): each swing is the portfolio NPV of a full finance run."""

from __future__ import annotations

import pytest

from pvcluster.finance import build_finance
from pvcluster.sensitivity import Parameter, portfolio_oat


def test_portfolio_swing_equals_the_full_finance_at_each_end(typical_results):
    """The sensitivity prices only what the portfolio NPV needs (no jobs, fund or polysilicon curve): its
    ends equal the NPV of the whole finance stage run on the varied scenario."""
    r = typical_results
    p = Parameter("market.smp_krw_per_kwh", "SMP")
    table = portfolio_oat(r.scenario, r.generation, r.demand, r.sizing, r.finance, parameters=[p])
    row = table.iloc[0]
    base = r.scenario.facts.value(p.key)
    for end, factor in (("output_low", 0.9), ("output_high", 1.1)):
        varied = r.scenario.with_facts({p.key: base * factor}, "test")
        full = build_finance(varied, r.generation, r.demand, r.sizing)
        assert row[end] == pytest.approx(sum(e.result.npv_krw for e in full.portfolio), rel=1e-12)
        assert full.portfolio[0].jobs is not None  # the full run did compute what the sensitivity skips
    assert row["output_base"] == pytest.approx(sum(e.result.npv_krw for e in r.finance.portfolio), rel=1e-12)
    assert row["swing"] == pytest.approx(abs(row["output_high"] - row["output_low"]), rel=1e-12) and row["swing"] > 0
