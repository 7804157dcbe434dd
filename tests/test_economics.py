"""Sizing and finance agree: what the LP builds pays off in finance, the LP's bill is the market's bill,
and every year's bill follows that year's PV output. The default scenario on typical days (the same
model as the full year, on 16 days)."""

from __future__ import annotations

import numpy as np
import pytest

from pvcluster.finance import build_finance
from pvcluster.finance.pv_project import site_bills_krw
from pvcluster.market import annual_bill_krw, scale_pv
from pvcluster.scenario import load_scenario
from pvcluster.sizing import build_sizing


@pytest.fixture(scope="module")
def chain(generation, demand):
    scenario = load_scenario(overrides=["sizing.periods=typical_days"])
    sizing = build_sizing(scenario, generation, demand)
    return scenario, sizing, build_finance(scenario, generation, demand, sizing)


@pytest.mark.parametrize("site", ["nammyeon", "county", "industrial_complex"])
def test_what_sizing_builds_has_a_finance_npv_of_at_least_minus_half_a_percent_of_capex(chain, site):
    scenario, sizing, finance = chain
    data, sol = sizing.site_inputs[site], sizing.sites[site]
    # no requirement binds at these sites: no self-sufficiency target, no RE100, no facility enrolled
    assert data.self_sufficiency_target_fraction == 0 and not data.re100 and not sol.pilot.enrolled
    result, project = finance.projects[f"{site}_pv"], finance.inputs[f"{site}_pv"]
    assert project.capex_krw > 0
    assert result.npv_krw >= -0.005 * project.capex_krw, (result.npv_krw, project.capex_krw)


def test_the_lp_bill_is_the_market_bill_on_its_dispatch(chain):
    scenario, sizing, _ = chain
    for name, sol in sizing.sites.items():
        data = sizing.site_inputs[name]
        if not data.meters:
            continue
        d = sol.dispatch
        # the meters as finance bills them (a pilot supply meter's contract follows the enrolled facilities)
        market = sum(annual_bill_krw(sol.grid.meters[md.name], d.imports_kw[md.name], data.tariff_calendar,
                                     data.tariff_rules, d.export_kw if md.meter.net_metering else None,
                                     load_kw=d.load_kw[md.name])
                     for md in data.meters)
        assert sol.grid.bill_krw_per_year == pytest.approx(market, rel=1e-7), name


def test_every_year_is_billed_from_that_years_pv(chain):
    scenario, sizing, finance = chain
    name = "industrial_complex"
    sol, data = sizing.sites[name], sizing.site_inputs[name]
    savings = finance.projects[f"{name}_pv"].table["revenue_grid_savings_krw"].to_numpy()
    real = finance.projects[f"{name}_pv"].table["year_index"].to_numpy(dtype=float)
    savings = savings / (1.0 + scenario.facts.finance.inflation_fraction_per_year) ** real
    operating = savings[scenario.finance.construction_years:]
    assert np.all(np.diff(operating) < 0)  # PV ages: it saves less each year (the bill rises)
    d = scenario.facts.costs.pv_degradation_fraction_per_year
    for k in (0, 24):  # by hand: the bills of that year's dispatch, with and without the new PV
        factor = (1 - d) ** k / data.pv_output_factor
        cal, rules = data.tariff_calendar, data.tariff_rules
        expected = (site_bills_krw(sol.grid.meters, scale_pv(sol.baseline, factor), cal, rules)
                    - site_bills_krw(sol.grid.meters, scale_pv(sol.dispatch, factor), cal, rules))
        assert operating[k] == pytest.approx(expected, rel=1e-9)


def test_the_lp_levelizes_pv_output_as_finance_degrades_it(chain):
    scenario, sizing, _ = chain
    data = sizing.site_inputs["county"]
    d, n, r = scenario.facts.costs.pv_degradation_fraction_per_year, 25, scenario.facts.costs.discount_rate_fraction
    v = (1 + r) ** -np.arange(1, n + 1)
    assert data.pv_output_factor == pytest.approx(float(((1 - d) ** np.arange(n)) @ v / v.sum()), rel=1e-12)
    assert 0.9 < data.pv_output_factor < 1.0


def test_sites_report_their_meters_and_tax_rate(chain):
    _, sizing, _ = chain
    village = sizing.sites["nammyeon"]
    meters = village.grid.meters
    assert set(meters) == {"nammyeon_households", "nammyeon_hall", "nammyeon_street_lights"}
    assert meters["nammyeon_households"].net_metering and meters["nammyeon_households"].count == 50
    assert village.tax_rate_fraction == pytest.approx(0.099)  # a small project: the lowest bracket


def test_a_net_metered_meter_never_imports_and_exports_in_the_same_hour(chain):
    # the LP is indifferent to such pairs (one monthly net); the result nets them, as the meter does,
    # and the market's bill of the netted dispatch is still the LP's bill (the test above)
    _, sizing, _ = chain
    d = sizing.sites["nammyeon"].dispatch
    assert d.export_kw.sum() > 0
    assert np.minimum(d.imports_kw["nammyeon_households"], d.export_kw).max() == 0.0


def test_debt_sized_on_p90_energy_is_smaller_and_uses_the_ensembles_p90(chain, generation, demand):
    from pvcluster.generation import FLEET

    scenario, sizing, p50 = chain
    lender = load_scenario(overrides=["sizing.periods=typical_days", "finance.debt_sizing_energy=\"p90_1yr\""])
    p90 = build_finance(lender, generation, demand, sizing)
    checked, smaller = 0, []
    for name in ("nammyeon", "county", "industrial_complex"):
        project = f"{name}_pv"
        if project not in p90.projects or p50.projects[project].debt_krw <= 0:
            continue
        basis = p90.debt_basis[project]
        source = name if name in generation.exceedance else FLEET
        e = generation.exceedance[source]
        assert basis["exceedance_of"] == source
        assert basis["energy_fraction"] == pytest.approx(e.p90_mwh / e.p50_mwh, rel=1e-12) and basis["energy_fraction"] < 1
        # the lender's case is each year's bills with the PV output x P90 / P50, by hand for years 1 and 25
        # (as test_every_year_is_billed_from_that_years_pv, no retail tariff change in the default)
        sol, data = sizing.sites[name], sizing.site_inputs[name]
        d = lender.facts.costs.pv_degradation_fraction_per_year
        assert lender.facts.market.retail_tariff_real_change_fraction_per_year == 0.0
        for k in (0, 24):
            factor = (1 - d) ** k / data.pv_output_factor * basis["energy_fraction"]
            cal, rules = data.tariff_calendar, data.tariff_rules
            expected = (site_bills_krw(sol.grid.meters, scale_pv(sol.baseline, factor), cal, rules)
                        - site_bills_krw(sol.grid.meters, scale_pv(sol.dispatch, factor), cal, rules))
            assert p90.inputs[project].debt.sizing_revenue_krw["grid_savings"][k] == pytest.approx(expected, rel=1e-9)
        a, b = p90.projects[project], p50.projects[project]
        assert basis["p50_debt_nominal_krw"] == pytest.approx(b.debt_krw, rel=1e-12)
        assert a.npv_krw == pytest.approx(b.npv_krw, rel=1e-12)  # the project's own cash flow is the same
        if a.debt_krw < b.debt_krw * (1 - 1e-9):  # sized by the DSCR: less debt, and P50 covers it better
            assert a.min_dscr > b.min_dscr
            smaller.append(project)
        else:  # both at the gearing cap (the county: its cover allows the most debt on P90 too)
            assert a.debt_krw == pytest.approx(b.debt_krw, rel=1e-12)
            cap = lender.facts.finance.debt_gearing_max_fraction * p90.inputs[project].capex_krw  # built in year 0
            assert a.debt_krw == pytest.approx(cap, rel=1e-9)
        checked += 1
    assert checked >= 2 and smaller
    assert sum(r.debt_krw for r in p90.projects.values()) < sum(r.debt_krw for r in p50.projects.values())


def test_npv_objective_follows_the_tax_rate_it_iterates_to(chain, demand):
    # objective "npv" scales the yearly terms by (1 - tau) A, a parameter the tax-rate iteration moves:
    # the iterated model must equal a model built at the final rate from the start
    from dataclasses import replace

    from pvcluster.sizing import grid_for, sites_on_grid
    from pvcluster.sizing.solve import SiteModel, SolverSettings

    scenario, sizing, _ = chain
    full = {"industrial_complex": sizing.site_inputs["industrial_complex"]}
    grid, hours = grid_for(scenario, full, demand.hourly_kw.index.month.to_numpy())
    data = sites_on_grid(full, grid, hours)["industrial_complex"]
    assert data.tax is not None
    settings = SolverSettings(objective="npv")
    iterated = SiteModel(data, settings)
    _, cost, _ = iterated.solve()
    rate = iterated.data.annualization.tax_rate_fraction
    assert iterated.solves >= 2 and rate != pytest.approx(data.annualization.tax_rate_fraction)  # it moved
    fixed = replace(data, tax=None, annualization=replace(data.annualization, tax_rate_fraction=rate))
    _, direct, _ = SiteModel(fixed, settings).solve()
    assert cost == pytest.approx(direct, rel=1e-9)
