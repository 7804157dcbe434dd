"""The cash-flow engine against SAM's single-owner model (benchmarks/sam_crosscheck.py).

Every metric - after-tax NPV and IRR, LCOE real and nominal, debt size, minimum DSCR and the
year-by-year tax, interest, debt service, DSRA and after-tax cash flow - must agree with SAM
within 0.5 % (the finance issue's bound) for each case: no debt, gearing with an annuity, DSCR
sculpting, with and without inflation and a debt-service reserve. The cases, SAM's inputs and
every convention mapped between the two are in the benchmark's docstring. The SAM runs skip
when PySAM (nrel-pysam) is not installed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from pvcluster.finance.project import Debt, Project, Tax, evaluate_project

_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "sam_crosscheck.py"


@pytest.fixture(scope="module")
def crosscheck():
    pytest.importorskip("PySAM.Singleowner")
    spec = importlib.util.spec_from_file_location("sam_crosscheck", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script loads
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("index", range(8))
def test_engine_matches_sam_single_owner(crosscheck, index):
    assert len(crosscheck.CASES) == 8  # keep the parametrisation in step with the benchmark
    rows, notes, _ = crosscheck.compare_case(crosscheck.CASES[index])
    bad = [f"{r.metric}: SAM {r.sam:,.6g} ours {r.ours:,.6g} ({r.rel:.3%})" for r in rows if not r.ok]
    assert not bad, "; ".join(bad)
    metrics = {r.metric for r in rows}
    assert {"after-tax NPV (equity) KRW", "after-tax IRR (equity)", "LCOE real KRW/kWh",
            "LCOE nominal KRW/kWh", "yearly tax: max gap / max", "yearly after-tax cash flow: max gap / max"} <= metrics
    if crosscheck.CASES[index].debt != "none":
        assert {"debt size KRW", "min DSCR (pre-tax)", "yearly debt service: max gap / max"} <= metrics


def test_benchmark_script_exit_code(crosscheck, capsys):
    assert crosscheck.main([]) == 0
    assert "within 0.5%" in capsys.readouterr().out


def test_dscr_basis_pre_tax_by_hand():
    # capex 1,000, revenue 200 a year for 10 years, 20 % tax, straight line over 10 years (100 a
    # year), loan at 0 % over 5 years sculpted to DSCR 1.25:
    # pre-tax basis:   service = 200 / 1.25 = 160 a year -> loan 800
    # after-tax basis: tax = 0.2 x (200 - 100) = 20, CFADS 180, service 144 -> loan 720
    def project(basis: str) -> Project:
        return Project(name="p", capex_krw=1000.0, operating_years=10, energy_kwh=np.full(10, 10.0),
                       revenue_krw={"sales": 200.0}, discount_rate_fraction=0.10,
                       tax=Tax(rates_fraction=(0.2,), depreciation_years=10),
                       debt=Debt(sizing="dscr", gearing_fraction=1.0, dscr_target=1.25, rate_fraction=0.0,
                                 tenor_years=5, dscr_basis=basis))

    pre, after = evaluate_project(project("pre_tax")), evaluate_project(project("after_tax"))
    assert pre.debt_krw == pytest.approx(800.0)
    assert after.debt_krw == pytest.approx(720.0)
    np.testing.assert_allclose(pre.table["debt_service_krw"][1:6], 160.0)
    # the cover is reported on the same basis as the sizing
    assert pre.min_dscr == pytest.approx(1.25) and after.min_dscr == pytest.approx(1.25)
    assert pre.llcr == pytest.approx(1000.0 / 800.0)
    # the equity still pays the tax: CFADS is after tax on either basis
    np.testing.assert_allclose(pre.table["cfads_krw"][1:], 180.0)


def test_dscr_basis_is_checked():
    from pvcluster.finance.project import check_project

    p = Project(name="p", capex_krw=1000.0, operating_years=2, debt=Debt(gearing_fraction=0.5, dscr_basis="ebitda"))
    assert any(key == "debt.dscr_basis" for key, _, _ in check_project(p))
