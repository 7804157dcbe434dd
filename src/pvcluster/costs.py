"""What an asset costs, year by year and as one annual figure: the cost layer sizing and finance share.

Finance charges each asset a capex and a set of yearly cost streams (O&M, insurance and taxes,
land lease, replacements); the sizing LP sees the same asset as coefficients per unit of size. Both
come from one :class:`AssetCosts` record, and the LP's coefficients from :class:`Annualization`,
so an asset the optimizer builds is priced by finance exactly as the optimizer priced it.

Annualization (an after-tax level annual equivalent). With real discount rate r (v = 1/(1 + r)),
inflation i, c construction years, N operating years (operating year k at t = c + k - 1),
A = sum_k v^t the annuity factor and tau the marginal tax rate of the project, the project NPV
(unlevered, after tax, as :func:`pvcluster.finance.project.evaluate_project` computes it) of
capex X, a revenue stream R_1 g_k and yearly costs O_k is

    NPV = -X (PV_capex - tau TS) + (1 - tau) sum_k (R_1 g_k - O_k) v^t

where PV_capex discounts the capex schedule and TS is the present value of straight-line tax
depreciation of one KRW over Y years on the nominal basis, discounted at the nominal rate
(depreciation is fixed in nominal KRW, so inflation erodes it). Dividing by (1 - tau) A gives the
LP's objective, in KRW a year::

    -NPV / ((1 - tau) A) = K X + sum_k O_k v^t / A - W R_1
    K = (PV_capex - tau TS) / ((1 - tau) A)     capex factor
    W = sum_k g_k v^t / A                       weight of a stream that changes by g_k (degradation,
                                                a real price path)

so the sizing objective's terms are: capex x K, each cost stream's present value over A, and each
revenue or bill stream of the design year times its W. With objective "npv" the same terms times
(1 - tau) A are -NPV itself. A project the LP builds with a positive margin has a positive NPV in
finance, up to what the LP cannot see: losses carried forward (tax paid later than tau assumes), tax
brackets crossed within the life, and load changes from year to year (finance uses the design year's
load every year; see README).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def capital_recovery_factor(rate_fraction: float, years: float) -> float:
    """CRF = r (1 + r)^n / ((1 + r)^n - 1); 1/n when r = 0. Annualizes an overnight cost."""
    if years <= 0:
        raise ValueError("years must be positive")
    if abs(rate_fraction) < 1e-12:
        return 1.0 / years
    growth = (1.0 + rate_fraction) ** years
    return rate_fraction * growth / (growth - 1.0)


def annuity_factor(rate_fraction: float, years: float) -> float:
    """Present value of 1 KRW a year for ``years`` years: 1 / CRF."""
    return 1.0 / capital_recovery_factor(rate_fraction, years)


def replacement_factor(rate_fraction: float, life_years: float, horizon_years: float) -> float:
    """Present value of buying an asset now and again at the end of each life within the horizon."""
    k = np.arange(0.0, horizon_years, life_years)
    return float(np.sum((1.0 + rate_fraction) ** -k))


def marginal_tax_rate(taxable_income_krw: float, thresholds, rates, local_fraction_of_cit: float) -> float:
    """Corporate plus local income tax on the next KRW of a taxable income (the lowest bracket's rate
    for income at or below zero: the first profit is taxed there)."""
    k = int(np.searchsorted(np.asarray(thresholds, dtype=float), max(taxable_income_krw, 0.0), side="right"))
    return float(rates[k]) * (1.0 + local_fraction_of_cit)


@dataclass(frozen=True)
class Annualization:
    """Discounting, tax and life terms that turn year-by-year costs into the LP's annual coefficients."""

    discount_rate_fraction: float = 0.0  # real
    operating_years: int = 25
    construction_years: int = 1
    inflation_fraction_per_year: float = 0.0
    tax_rate_fraction: float = 0.0  # marginal corporate + local rate the project pays
    depreciation_years: int = 20

    @property
    def _v(self) -> float:
        return 1.0 / (1.0 + self.discount_rate_fraction)

    def operating_discount(self) -> np.ndarray:
        """v^t of each operating year k = 1..N (t = c + k - 1)."""
        return self._v ** (self.construction_years + np.arange(self.operating_years, dtype=float))

    @property
    def annuity(self) -> float:
        """A = sum_k v^t over the operating years."""
        return float(self.operating_discount().sum())

    def weight(self, relative_by_year=None) -> float:
        """W = sum_k g_k v^t / A for a stream that is g_k times its design-year value in year k."""
        d = self.operating_discount()
        g = np.ones(len(d)) if relative_by_year is None else np.asarray(relative_by_year, dtype=float)
        return float(g @ d) / self.annuity

    def one_off(self, operating_year: int) -> float:
        """Weight of a cost paid once in an operating year (0 outside the life)."""
        if not 1 <= operating_year <= self.operating_years:
            return 0.0
        return float(self.operating_discount()[operating_year - 1]) / self.annuity

    def capex_factor(self) -> float:
        """K = (PV_capex - tau TS) / ((1 - tau) A), capex spent evenly over the construction years."""
        c, r, i = self.construction_years, self.discount_rate_fraction, self.inflation_fraction_per_year
        share = np.full(c, 1.0 / c)
        t = np.arange(c, dtype=float)
        pv_capex = float(share @ (1.0 + r) ** -t)
        basis_nominal = float(share @ (1.0 + i) ** t)
        r_nom = (1.0 + r) * (1.0 + i) - 1.0
        years = min(int(self.depreciation_years), self.operating_years)
        td = c + np.arange(years, dtype=float)
        ts = basis_nominal / self.depreciation_years * float(np.sum((1.0 + r_nom) ** -td))
        tau = self.tax_rate_fraction
        return (pv_capex - tau * ts) / ((1.0 - tau) * self.annuity)

    def objective_scale(self, objective: str) -> float:
        """1 for the annualized objective; (1 - tau) A turns it into -NPV for objective "npv"."""
        return (1.0 - self.tax_rate_fraction) * self.annuity if objective == "npv" else 1.0


@dataclass(frozen=True)
class AssetCosts:
    """What one unit of an asset (a kWp, a kWh, a kW, a retrofit) costs, as finance charges it.

    ``fixed_krw_per_unit_year`` holds the named yearly costs (O&M, insurance and taxes, land lease),
    real and constant; ``one_off_krw_per_unit`` the costs paid once in an operating year
    (replacements), by name: ``{"inverter_replacement": (12, 79,583.3)}``.
    """

    capex_krw_per_unit: float
    fixed_krw_per_unit_year: dict[str, float] = field(default_factory=dict)
    one_off_krw_per_unit: dict[str, tuple[int, float]] = field(default_factory=dict)

    def lp_coefficient(self, a: Annualization) -> tuple[float, float]:
        """(capex coefficient K c, yearly coefficient: fixed costs plus one-offs spread over A) per unit."""
        yearly = sum(self.fixed_krw_per_unit_year.values())
        yearly += sum(cost * a.one_off(year) for year, cost in self.one_off_krw_per_unit.values())
        return a.capex_factor() * self.capex_krw_per_unit, yearly

    def streams(self, units: float, operating_years: int) -> dict[str, np.ndarray]:
        """Finance's yearly cost streams (real KRW per operating year) of ``units`` of the asset."""
        out = {name: np.full(operating_years, value * units) for name, value in self.fixed_krw_per_unit_year.items()}
        for name, (year, cost) in self.one_off_krw_per_unit.items():
            s = np.zeros(operating_years)
            if 1 <= year <= operating_years:
                s[year - 1] = cost * units
            out[name] = out.get(name, 0.0) + s
        return out


def add_streams(*groups: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Sum cost streams by name."""
    out: dict[str, np.ndarray] = {}
    for g in groups:
        for name, s in g.items():
            out[name] = out[name] + s if name in out else np.asarray(s, dtype=float).copy()
    return out


def pv_costs(capex_krw_per_kwp: float, om_fraction_of_capex: float, insurance_tax_krw_per_kwp_year: float,
             inverter_krw_per_kw_ac: float, inverter_year: int, dc_ac_ratio: float,
             land_lease_krw_per_kwp_year: float = 0.0) -> AssetCosts:
    """A kWp of PV: capex, O&M (a share of capex), insurance and taxes, land lease, and the inverter
    replacement (per kW AC, so per kWp divided by the DC/AC ratio)."""
    fixed = {"om": om_fraction_of_capex * capex_krw_per_kwp, "insurance_and_tax": insurance_tax_krw_per_kwp_year}
    if land_lease_krw_per_kwp_year:
        fixed["land_lease"] = land_lease_krw_per_kwp_year
    return AssetCosts(capex_krw_per_kwp, fixed,
                      {"inverter_replacement": (int(inverter_year), inverter_krw_per_kw_ac / dc_ac_ratio)})


def storage_costs(capex_krw_per_unit: float, om_fraction_of_capex: float, life_years: float,
                  operating_years: int) -> AssetCosts:
    """A kWh (or kW) of storage: capex, O&M, and one replacement at the end of its life within the
    analysis period, at today's cost (no salvage value at the end of the period, as finance)."""
    life = int(round(life_years))
    one_off = {"storage_replacement": (life + 1, capex_krw_per_unit)} if life < operating_years else {}
    return AssetCosts(capex_krw_per_unit, {"storage_om": om_fraction_of_capex * capex_krw_per_unit}, one_off)


#: What a PV segment is built as, for its costs: a house roof (about 3 kW), another building's roof
#: (10-100 kW), or single-axis trackers on land.
PV_COST_KINDS = ("house_roof", "building_roof", "tracker")


def pv_kind_costs(costs, finance, kind: str, dc_ac_ratio: float) -> AssetCosts:
    """A kWp of PV of ``kind`` from the cost and finance facts (sizing and finance both call this)."""
    if kind == "house_roof":
        capex, lease = costs.rooftop_pv_capex_krw_per_kwp, 0.0
    elif kind == "building_roof":
        capex, lease = costs.building_pv_capex_krw_per_kwp, 0.0
    elif kind == "tracker":
        capex = costs.utility_pv_capex_krw_per_kwp * (1.0 + costs.tracker_capex_premium_fraction)
        lease = finance.land_lease_krw_per_kwp_year
    else:
        raise ValueError(f"kind: expected one of {', '.join(PV_COST_KINDS)}; found {kind!r}")
    return pv_costs(capex, costs.pv_fixed_om_fraction_of_capex, finance.pv_insurance_and_tax_krw_per_kwp_year,
                    finance.inverter_replacement_krw_per_kw, int(round(finance.inverter_replacement_year)),
                    dc_ac_ratio, lease)


def storage_kind_costs(costs, operating_years: int) -> tuple[AssetCosts, AssetCosts]:
    """(a kWh, a kW) of storage from the cost facts."""
    return (storage_costs(costs.storage_energy_capex_krw_per_kwh, costs.storage_fixed_om_fraction_of_capex,
                          costs.storage_life_years, operating_years),
            storage_costs(costs.storage_power_capex_krw_per_kw, costs.storage_fixed_om_fraction_of_capex,
                          costs.storage_life_years, operating_years))
