"""Jobs: hand-checkable direct, BoK total and indirect jobs, and the provenance of inputs/jobs_korea.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from pvcluster.finance.jobs import (COLUMNS, FACTS, SECTORS, construction_job_years, direct_share,
                                    jobs_from_final_demand, manufacturing_jobs, om_fte, project_jobs)

JOBS_TOML = Path(__file__).resolve().parents[1] / "inputs" / "jobs_korea.toml"


def load_facts_for_tests() -> SimpleNamespace:
    raw = tomllib.loads(JOBS_TOML.read_text(encoding="utf-8"))
    return SimpleNamespace(**{k: v["value"] for k, v in raw.items()})


@pytest.fixture(scope="module")
def facts():
    return load_facts_for_tests()


def _facts(**changes):
    f = load_facts_for_tests()
    for k, v in changes.items():
        setattr(f, k, v)
    return f


YEARS = np.arange(2025, 2030)


# --- the facts file --------------------------------------------------------------------------

def test_every_declared_fact_is_in_the_toml_with_provenance():
    raw = tomllib.loads(JOBS_TOML.read_text(encoding="utf-8"))
    assert set(raw) == set(FACTS)
    for name, entry in raw.items():
        assert isinstance(entry["value"], (int, float)), name
        assert entry.get("unit"), name
        has_source = isinstance(entry.get("source"), str) and entry["source"].strip() \
            and isinstance(entry.get("year"), int)
        has_assumption = isinstance(entry.get("assumption"), str) and entry["assumption"].strip()
        assert has_source or has_assumption, name
        if has_source:
            assert "http" in entry["source"], f"{name}: the source should carry the facts table's URL"


def test_toml_passes_the_fact_loader(monkeypatch):
    # the same check the lead's registration of the "jobs" input kind will run
    from pvcluster import facts as facts_module

    monkeypatch.setitem(facts_module.FACT_FILES, "jobs", FACTS)
    problems = []
    loaded = facts_module.load_fact_file("jobs", JOBS_TOML, problems)
    assert problems == []
    assert set(loaded) == set(FACTS)


def test_derived_facts_recompute_from_the_research_notes(facts):
    # IRENA 2017: 229,055 person-days for 50 MW; installation & grid 17 %, O&M 56 % over 25 years;
    # 220 working days per person-year (facts_korea.md 6b derived row: ~0.47 FTE/MW)
    person_days, mw, days = 229_055, 50, 220
    assert facts.utility_pv_construction_job_years_per_mw == pytest.approx(person_days * 0.17 / mw / days, abs=5e-3)
    assert facts.pv_om_fte_per_mw == pytest.approx(person_days * 0.56 / mw / 25 / days, abs=5e-4)
    # KEEI: (modules 0.40 + inverters 0.0955) / 1.3445 bn per MW
    assert facts.pv_equipment_fraction_of_capex == pytest.approx((0.40 + 0.0955) / 1.3445, abs=1e-4)
    # Korea Silicon: 300 jobs at 3,200 t/yr
    assert facts.polysilicon_fte_per_1000_t_per_year == pytest.approx(300 / 3.2)


# --- pure functions --------------------------------------------------------------------------

def test_construction_spread_by_capex_share():
    # 10 MW x 3.54 job-years/MW = 35.4, capex 4 bn then 6 bn: 40 % and 60 %
    c = construction_job_years(3.54, 10_000.0, [4e9, 6e9, 0.0])
    np.testing.assert_allclose(c, [14.16, 21.24, 0.0])
    assert construction_job_years(3.54, 0.0, [0.0, 0.0]).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="no capex"):
        construction_job_years(3.54, 10.0, [0.0])


def test_om_fte_and_manufacturing_jobs():
    np.testing.assert_allclose(om_fte(0.5, 10_000.0, [0, 0.5, 1]), [0.0, 2.5, 5.0])
    # 1,000 t/yr at 93.75 per 1,000 t: ramp-up 30 %, 70 %, full; output above capacity is capped
    np.testing.assert_allclose(manufacturing_jobs(93.75, 1000.0, [300, 700, 1000, 1200]),
                               [28.125, 65.625, 93.75, 93.75])


def test_bok_total_for_one_billion_of_construction(facts):
    coefficients = {"construction": 10.8, "services": 11.5}
    assert float(jobs_from_final_demand({"construction": 1e9}, coefficients)) == pytest.approx(10.8)
    np.testing.assert_allclose(
        jobs_from_final_demand({"construction": [1e9, 0], "services": [0, 2e9]}, coefficients), [10.8, 23.0])
    with pytest.raises(KeyError, match="electricity"):
        jobs_from_final_demand({"electricity": 1e9}, coefficients)
    assert direct_share(facts) == pytest.approx(5.4 / 9.7)


# --- one project -----------------------------------------------------------------------------

def test_utility_pv_project_by_hand(facts):
    # 10 MW built over 2025-26 with 4 + 6 bn of capex, operating 2027-29, selling 2 bn of electricity a year
    capex = np.array([4e9, 6e9, 0, 0, 0])
    op = np.array([0, 0, 1, 1, 1])
    sales = 2e9 * op
    r = project_jobs(name="plant", calendar_years=YEARS, capex_krw_by_year=capex, operating_fraction_by_year=op,
                     pv_kwp=10_000.0, pv_kind="utility", om_spend_krw_by_year=0.2e9 * op,
                     electricity_sales_krw_by_year=sales, facts=facts)
    y = r.by_year
    assert list(y.columns) == list(COLUMNS) and list(y.index) == list(YEARS)
    f_c, f_o, e = 3.54, 0.466, 0.3685
    np.testing.assert_allclose(y["direct_construction_job_years"], [0.4 * 10 * f_c, 0.6 * 10 * f_c, 0, 0, 0])
    np.testing.assert_allclose(y["direct_om_fte"], [0, 0, 10 * f_o, 10 * f_o, 10 * f_o])
    assert y["direct_manufacturing_fte"].sum() == 0
    rr = 5.4 / 9.7
    # construction year 1: 4 bn -> construction demand 4 (1 - e), equipment 4 e (all indirect)
    bok_2025 = 10.8 * 4 * (1 - e) + 6.3 * 4 * e
    indirect_2025 = bok_2025 - rr * 10.8 * 4 * (1 - e)
    # operating year: 2 bn of electricity; the O&M spend is inside it (a selling project), not added
    bok_2027 = 4.7 * 2
    indirect_2027 = (1 - rr) * bok_2027
    assert y.loc[2025, "bok_total_jobs"] == pytest.approx(bok_2025)
    assert y.loc[2025, "indirect_jobs"] == pytest.approx(indirect_2025)
    assert y.loc[2027, "bok_total_jobs"] == pytest.approx(bok_2027)
    assert y.loc[2027, "indirect_jobs"] == pytest.approx(indirect_2027)
    assert r.final_demand_krw.loc[2027, "services"] == 0
    np.testing.assert_allclose(y["total_jobs"], y[list(COLUMNS[:4])].sum(axis=1))
    assert r.totals["direct_construction_job_years"] == pytest.approx(10 * f_c)
    assert r.totals["direct_om_job_years"] == pytest.approx(30 * f_o)
    assert r.totals["total_job_years"] == pytest.approx(y["total_jobs"].sum())
    # indirect = Type I (supply chain) only: named so, with no "induced" (household-spending) key
    assert r.totals["indirect_job_years"] == pytest.approx(y["indirect_jobs"].sum())
    assert not any("induced" in k for k in (*r.totals, *y.columns))
    assert list(r.final_demand_krw.columns) == list(SECTORS)


def test_rooftop_uses_its_factor_and_prices_unsold_output_at_cost(facts):
    # a self-consumed 1 MW rooftop fleet: no sales, so its 0.03 bn O&M spend is services demand
    op = np.array([0, 1, 1, 1, 1])
    r = project_jobs(name="roofs", calendar_years=YEARS, capex_krw_by_year=[1.78e9, 0, 0, 0, 0],
                     operating_fraction_by_year=op, pv_kwp=1000.0, pv_kind="building",
                     om_spend_krw_by_year=0.03e9 * op, facts=facts)
    assert r.by_year.loc[2025, "direct_construction_job_years"] == pytest.approx(9.0)
    assert r.by_year.loc[2026, "bok_total_jobs"] == pytest.approx(11.5 * 0.03)
    assert r.by_year.loc[2026, "indirect_jobs"] == pytest.approx((1 - 5.4 / 9.7) * 11.5 * 0.03)


def test_non_pv_construction_adds_up_to_the_bok_total():
    # KRW 1 bn of pure construction (no equipment) for a non-PV project: direct + indirect = 10.8
    f = _facts()
    r = project_jobs(name="hall", calendar_years=[2025], capex_krw_by_year=[1e9], operating_fraction_by_year=[0],
                     equipment_fraction=0.0, facts=f)
    row = r.by_year.loc[2025]
    assert row["bok_total_jobs"] == pytest.approx(10.8)
    assert row["direct_construction_job_years"] == pytest.approx(10.8 * 5.4 / 9.7)  # 6.01
    assert row["indirect_jobs"] == pytest.approx(10.8 * 4.3 / 9.7)  # 4.79
    assert row["total_jobs"] == pytest.approx(10.8)


def test_polysilicon_plant_ramp_up_and_sales(facts):
    # 1,000 t/yr plant: 100 bn capex in 2025-26, ramp-up 30 / 70 / 90 %, sales 10 bn per 1,000 t
    out = np.array([0, 0, 300, 700, 900])
    r = project_jobs(name="poly", calendar_years=YEARS, capex_krw_by_year=[50e9, 50e9, 0, 0, 0],
                     operating_fraction_by_year=(out > 0).astype(float), manufacturing_capacity_t_per_year=1000.0,
                     manufacturing_output_t_by_year=out, manufacturing_sales_krw_by_year=out * 1e7, facts=facts)
    y = r.by_year
    np.testing.assert_allclose(y["direct_manufacturing_fte"], 93.75 * out / 1000)
    rr, e = 5.4 / 9.7, 0.5
    assert y.loc[2025, "direct_construction_job_years"] == pytest.approx(rr * 10.8 * 50 * (1 - e))
    assert y.loc[2025, "bok_total_jobs"] == pytest.approx(10.8 * 25 + 6.3 * 25)
    # 2029: 9 bn of polysilicon sales, all produced on site: only the non-direct share is indirect
    assert y.loc[2029, "indirect_jobs"] == pytest.approx((1 - rr) * 6.3 * 9)
    assert y["direct_om_fte"].sum() == 0


def test_domestic_share_and_price_factor_scale_the_bok_part():
    base = dict(name="p", calendar_years=[2025], capex_krw_by_year=[1e9], operating_fraction_by_year=[0],
                pv_kwp=1000.0)
    full = project_jobs(facts=_facts(), **base).by_year.loc[2025]
    imported = project_jobs(facts=_facts(equipment_domestic_fraction=0.0), **base).by_year.loc[2025]
    # imported equipment removes exactly its manufactured-goods jobs, all of them indirect
    assert full["indirect_jobs"] - imported["indirect_jobs"] == pytest.approx(6.3 * 0.3685)
    assert full["direct_construction_job_years"] == imported["direct_construction_job_years"]
    halved = project_jobs(facts=_facts(demand_price_factor_to_coefficient_year=0.5), **base).by_year.loc[2025]
    assert halved["bok_total_jobs"] == pytest.approx(full["bok_total_jobs"] / 2)


def test_zero_project_gives_zero(facts):
    r = project_jobs(name="none", calendar_years=YEARS, capex_krw_by_year=0.0, operating_fraction_by_year=0.0,
                     facts=facts)
    assert (r.by_year.to_numpy() == 0).all()
    assert all(v == 0 for v in r.totals.values())


def test_bad_inputs_are_rejected(facts):
    with pytest.raises(ValueError, match="pv_kind"):
        project_jobs(name="x", calendar_years=[2025], capex_krw_by_year=[1.0], operating_fraction_by_year=[0],
                     pv_kwp=1.0, pv_kind="floating", facts=facts)
    with pytest.raises(ValueError, match="calendar years"):
        project_jobs(name="x", calendar_years=[2025, 2026], capex_krw_by_year=[1.0], operating_fraction_by_year=0,
                     facts=facts)
    with pytest.raises(ValueError, match=">= 0"):
        project_jobs(name="x", calendar_years=[2025], capex_krw_by_year=[-1.0], operating_fraction_by_year=0,
                     facts=facts)
