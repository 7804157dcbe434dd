"""The Korean electricity market as pure functions: KEPCO tariffs as billed, SMP and REC prices and their
paths, REC weights by the rule in force, the fixed-price contract, net metering.

A bottom-layer package: it imports no stage. Sizing builds its grid costs from :func:`lp_terms`,
finance and the report bill meters with :func:`bill`, so a bill is computed in one place.
"""

from pvcluster.market.dispatch import Dispatch, scale_pv
from pvcluster.market.prices import (RecRule, export_price_krw_per_kwh, fixed_price_krw_per_kwh, load_rec_rules,
                                     path_factors, rec_rule_for_year, rec_weight, smp_hourly_krw_per_kwh)
from pvcluster.market.tariffs import (BILL_COLUMNS, Meter, MeterTerms, Tariff, TariffCalendar, TariffRules,
                                      annual_bill_krw, bill, block_energy_krw, check_meter, load_tariffs, lp_terms,
                                      net_monthly, residential_basic_krw, tariff_calendar)

__all__ = ["Dispatch", "scale_pv", "RecRule", "export_price_krw_per_kwh", "fixed_price_krw_per_kwh",
           "load_rec_rules", "path_factors", "rec_rule_for_year", "rec_weight", "smp_hourly_krw_per_kwh",
           "BILL_COLUMNS", "Meter", "MeterTerms", "Tariff", "TariffCalendar", "TariffRules", "annual_bill_krw", "bill",
           "block_energy_krw", "check_meter", "load_tariffs", "lp_terms", "net_monthly", "residential_basic_krw", "tariff_calendar"]
