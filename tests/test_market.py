"""The market: KEPCO bills by tariff class against hand calculations from the published rates, the
time-of-use calendar's day rules, net metering, and the dispatch of another year of a PV life."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pvcluster.market import (Dispatch, Meter, TariffCalendar, TariffRules, bill, check_meter, net_monthly,
                              scale_pv, tariff_calendar)

# The add-ons of 2025 (market_korea.toml): climate 9.0 + fuel 5.0 KRW/kWh, fund 2.7 %, VAT 10 %.
RULES = TariffRules(climate_krw_per_kwh=9.0, fuel_krw_per_kwh=5.0, vat_fraction=0.10, fund_fraction=0.027,
                    band_by_hour=np.zeros((3, 24), dtype=int))


@pytest.fixture(scope="module")
def tariffs(scenario):
    return scenario.tariffs


def _calendar(months, bands=None, season=None) -> TariffCalendar:
    months = np.asarray(months, dtype=int)
    from pvcluster.calendar import SEASON_OF_MONTH

    return TariffCalendar(months, SEASON_OF_MONTH[months - 1] if season is None else np.asarray(season),
                          np.zeros(len(months), dtype=int) if bands is None else np.asarray(bands, dtype=int))


def _one_month(kwh: float, month: int, hours: int = 10):
    """``kwh`` spread over ``hours`` hours of one month (the other months empty)."""
    return np.full(hours, kwh / hours), _calendar([month] * hours)


def _month(table, m):
    return table.loc[m]


# --- residential blocks -------------------------------------------------------------------------

def test_residential_other_season_blocks_by_hand(tariffs):
    # March, 350 kWh: 200 x 120.0 + 150 x 214.6 = 56,190; basic of block 2 (201-400 kWh) 1,600;
    # climate and fuel 14 x 350 = 4,900; charge 62,690; fund 2.7 % 1,692.63; VAT 10 % 6,269; 70,651.63
    kw, cal = _one_month(350.0, 3)
    row = _month(bill(Meter("h", tariffs["residential_low"], 3.0, 1, bears_vat=True), kw, cal, RULES), 3)
    assert row["energy_krw"] == pytest.approx(56190.0)
    assert row["basic_krw"] == pytest.approx(1600.0)
    assert row["charge_krw"] == pytest.approx(62690.0)
    assert row["total_krw"] == pytest.approx(62690.0 * 1.127)


def test_residential_summer_blocks_and_super_user_by_hand(tariffs):
    meter = Meter("h", tariffs["residential_low"], 3.0, 1, bears_vat=True)
    # July, 350 kWh: summer blocks 300 / 450: 300 x 120 + 50 x 214.6 = 46,730; basic 1,600
    kw, cal = _one_month(350.0, 7)
    row = _month(bill(meter, kw, cal, RULES), 7)
    assert row["energy_krw"] == pytest.approx(46730.0) and row["basic_krw"] == pytest.approx(1600.0)
    # August, 1,100 kWh: 300 x 120 + 150 x 214.6 + 550 x 307.3 + 100 x 736.2 (super user) = 310,825; basic 7,300
    kw, cal = _one_month(1100.0, 8)
    row = _month(bill(meter, kw, cal, RULES), 8)
    assert row["energy_krw"] == pytest.approx(310825.0) and row["basic_krw"] == pytest.approx(7300.0)
    # the same 1,100 kWh in April has no super-user block: 200 x 120 + 200 x 214.6 + 700 x 307.3 = 282,030
    kw, cal = _one_month(1100.0, 4)
    assert _month(bill(meter, kw, cal, RULES), 4)["energy_krw"] == pytest.approx(282030.0)


def test_residential_households_share_blocks_per_meter(tariffs):
    # 50 households using 17,500 kWh in March: 350 each, so 50 x one household's bill
    kw, cal = _one_month(17500.0, 3)
    many = _month(bill(Meter("v", tariffs["residential_low"], 3.0, 50, bears_vat=True), kw, cal, RULES), 3)
    assert many["energy_krw"] == pytest.approx(50 * 56190.0) and many["basic_krw"] == pytest.approx(50 * 1600.0)


# --- general service, industrial, street lights ------------------------------------------------------

def test_general_gap1_seasonal_on_contract_by_hand(tariffs):
    # April (spring-autumn), 2,000 kWh, contract 10 kW on a meter without a demand meter:
    # basic 6,160 x 10 = 61,600; energy 91.9 x 2,000 = 183,800; climate and fuel 28,000; charge 273,400
    kw, cal = _one_month(2000.0, 4)
    t = bill(Meter("hall", tariffs["general_gap1_low"], 10.0, 1, bears_vat=True), kw, cal, RULES)
    row = _month(t, 4)
    assert row["basic_krw"] == pytest.approx(61600.0) and row["energy_krw"] == pytest.approx(183800.0)
    assert row["charge_krw"] == pytest.approx(273400.0)
    # the contract basic charge is billed every month, used or not
    assert t["basic_krw"].sum() == pytest.approx(12 * 61600.0)


def test_industrial_gap2_tou_with_days_off_by_hand(tariffs):
    # Winter hours of 10 kW each: a workday light (103.1), mid (120.0) and peak (149.4) hour, a Saturday peak
    # hour billed as mid, a Sunday peak hour billed as light: 10 x (103.1 + 120.0 + 149.4 + 120.0 + 103.1)
    index = pd.DatetimeIndex(["2025-01-08 03:00", "2025-01-08 08:00", "2025-01-08 10:00", "2025-01-11 10:00",
                              "2025-01-12 10:00"], tz="Asia/Seoul")
    bands = np.zeros((3, 24), dtype=int)
    bands[2, 8], bands[2, 10] = 1, 2  # as KEPCO's winter table: 08-09 mid, 09-12 peak
    rules = TariffRules(9.0, 5.0, 0.10, 0.027, bands)
    cal = tariff_calendar(index, rules, holidays=np.zeros(5, dtype=bool))
    assert cal.band.tolist() == [0, 1, 2, 1, 0]
    meter = Meter("f", tariffs["industrial_gap2_high_a_1"], 100.0, 1, bears_vat=False)
    row = _month(bill(meter, np.full(5, 10.0), cal, rules), 1)
    assert row["energy_krw"] == pytest.approx(10 * (103.1 + 120.0 + 149.4 + 120.0 + 103.1))
    # billing demand: the month's peak in mid and peak hours (10 kW), above 30 % of 100 kW: 6,490 x 30
    assert row["billing_demand_kw"] == pytest.approx(30.0) and row["basic_krw"] == pytest.approx(6490.0 * 30.0)
    assert row["total_krw"] == pytest.approx(row["charge_krw"] * 1.027)  # a business recovers VAT


def test_public_holiday_is_light_and_saturday_peak_is_mid():
    # 2025-01-01 (New Year, a Wednesday) and 2025-03-01 (Independence Movement Day, a Saturday) are holidays
    index = pd.DatetimeIndex(["2025-01-01 10:00", "2025-01-02 10:00", "2025-01-04 10:00", "2025-03-01 14:00"],
                             tz="Asia/Seoul")
    bands = np.full((3, 24), 2, dtype=int)
    cal = tariff_calendar(index, TariffRules(band_by_hour=bands))
    assert cal.band.tolist() == [0, 2, 1, 0]


def test_clock_fields_are_pandas_fields_memoized_and_read_only():
    from pvcluster.calendar import clock_fields, hourly_index

    index = hourly_index(2025, "Asia/Seoul")
    month, hour, weekday = clock_fields(index)
    np.testing.assert_array_equal(month, index.month)
    np.testing.assert_array_equal(hour, index.hour)
    np.testing.assert_array_equal(weekday, index.day_of_week)
    assert clock_fields(hourly_index(2025, "Asia/Seoul"))[0] is month  # equal timestamps: taken back
    assert not month.flags.writeable and clock_fields(hourly_index(2026, "Asia/Seoul"))[0] is not month


def test_industrial_eul_billing_demand_ratchet_and_floor(tariffs):
    # one mid-band hour a month: 1,000 kW in August, 400 kW in every other month. Billing demand is the
    # largest of the month's peak, the Dec/Jan/Feb/Jul/Aug/Sep peaks (1,000 from August), and 30 % of the
    # 3,000 kW contract (900): 1,000 kW in every month, 12 x 1,000 x 8,320 KRW
    months = np.arange(1, 13)
    kw = np.where(months == 8, 1000.0, 400.0)
    cal = _calendar(months, bands=np.ones(12, dtype=int))
    meter = Meter("p", tariffs["industrial_eul_high_a_2"], 3000.0, 1)
    t = bill(meter, kw, cal, RULES)
    np.testing.assert_allclose(t["billing_demand_kw"], 1000.0)
    assert t["basic_krw"].sum() == pytest.approx(12 * 1000.0 * 8320.0)
    # the peak in October (not a billing-demand month) only counts for October
    kw = np.where(months == 10, 1000.0, 400.0)
    t = bill(meter, kw, cal, RULES)
    assert t.loc[10, "billing_demand_kw"] == pytest.approx(1000.0)
    assert t.loc[11, "billing_demand_kw"] == pytest.approx(900.0)  # the 30 % floor of 3,000 kW


def test_street_lights_flat_per_lamp_and_metered(tariffs):
    # (갑): 40 lamps x 100 W = 4,000 W at 47.2 KRW/W a month = 188,800, whatever is imported;
    # climate and fuel on the lamps' own energy (flat-rate billing estimates it)
    load, cal = _one_month(600.0, 12)
    lamp = Meter("sl", tariffs["street_light_gap"], 0.0, 1, bears_vat=True, lamps_w=4000.0)
    a = _month(bill(lamp, load, cal, RULES, load_kw=load), 12)
    b = _month(bill(lamp, np.zeros_like(load), cal, RULES, load_kw=load), 12)
    assert a["energy_krw"] == pytest.approx(188800.0) and a["total_krw"] == pytest.approx(b["total_krw"])
    assert a["climate_fuel_krw"] == pytest.approx(14.0 * 600.0)
    # (을) metered: 6,290 x 4 kW + 112.6 x 600 kWh
    metered = _month(bill(Meter("sl", tariffs["street_light_eul"], 4.0, 1), load, cal, RULES), 12)
    assert metered["charge_krw"] == pytest.approx(6290.0 * 4 + 112.6 * 600 + 14.0 * 600)


def test_educational_seasonal_summer_by_hand(tariffs):
    # July, 5,000 kWh at 123.6 on a 40 kW contract of 5,230
    kw, cal = _one_month(5000.0, 7)
    row = _month(bill(Meter("s", tariffs["educational_gap_low"], 40.0, 1, bears_vat=True), kw, cal, RULES), 7)
    assert row["charge_krw"] == pytest.approx(5230.0 * 40 + 123.6 * 5000 + 14.0 * 5000)


# --- net metering ------------------------------------------------------------------------------

def test_net_metering_carries_surplus_forward_and_lapses_in_december():
    imports = np.array([300.0, 300.0] + [0.0] * 9 + [100.0])
    exports = np.array([500.0, 0.0] + [0.0] * 9 + [400.0])
    billed, carried = net_monthly(imports, exports)
    assert billed[:2].tolist() == [0.0, 100.0] and carried[0] == 200.0
    assert billed[11] == 0.0 and carried[11] == 300.0  # lapses: January starts from nothing


def test_net_metering_bill_nets_energy_through_the_blocks(tariffs):
    # March: 500 kWh imported, 150 exported: billed 350 kWh through the blocks as above
    cal = _calendar([3, 3])
    meter = Meter("h", tariffs["residential_low"], 3.0, 1, bears_vat=True, net_metering=True)
    row = _month(bill(meter, np.array([500.0, 0.0]), cal, RULES, export_kw=np.array([0.0, 150.0])), 3)
    assert row["billed_kwh"] == pytest.approx(350.0) and row["energy_krw"] == pytest.approx(56190.0)


# --- contracts against classes -------------------------------------------------------------------

def test_contract_checked_against_class_and_peak(tariffs):
    ok = check_meter(Meter("f", tariffs["general_eul_high_a_2"], 500.0), 450.0, "s.toml", "facilities.2.contract_kw")
    assert ok == []
    small = check_meter(Meter("f", tariffs["general_eul_high_a_2"], 200.0), 150.0, "s.toml", "facilities.2.contract_kw")
    assert len(small) == 1 and "at least 300 kW" in small[0].expected and small[0].key == "facilities.2.contract_kw"
    over = check_meter(Meter("f", tariffs["general_gap1_low"], 100.0), 250.0, "s.toml", "facilities.2.contract_kw")
    assert "peak before PV" in over[0].expected and "general_gap1_low" in over[0].expected


# --- another year of a PV life -----------------------------------------------------------------

def _dispatch():
    return Dispatch(pv_kw=np.array([10.0, 10.0, 0.0]), curtailed_kw=np.array([1.0, 0.0, 0.0]),
                    export_kw=np.array([2.0, 0.0, 0.0]), imports_kw={"a": np.array([0.0, 2.0, 5.0])},
                    load_kw={"a": np.array([7.0, 12.0, 5.0])}, charge_kw=np.zeros(3), discharge_kw=np.zeros(3))


def test_less_pv_cuts_curtailment_then_exports_then_adds_imports():
    d = scale_pv(_dispatch(), 0.5)  # 5 kW lost in hours 1 and 2
    assert d.curtailed_kw.tolist() == [0.0, 0.0, 0.0]
    assert d.export_kw.tolist() == [0.0, 0.0, 0.0]
    assert d.imports_kw["a"].tolist() == [2.0, 7.0, 5.0]
    assert d.balance_error_kw() == pytest.approx(0.0)


def test_more_pv_cuts_imports_then_exports_up_to_the_limit():
    base = _dispatch()
    d = scale_pv(Dispatch(**{**base.__dict__, "export_limit_kw": 3.0}), 1.5)  # 5 kW more in hours 1 and 2
    assert d.imports_kw["a"].tolist() == [0.0, 0.0, 5.0]
    assert d.export_kw.tolist() == [3.0, 3.0, 0.0]
    assert d.curtailed_kw.tolist() == [5.0, 0.0, 0.0]
    assert d.balance_error_kw() == pytest.approx(0.0)
