"""Fund structure: capital calls, management fee and a European (whole-fund) distribution waterfall.

A closed-end fund invests in the cluster's projects. It has tranches (central government,
Gangwon province, Yeongwol county, a policy bank, private limited partners and the general
partner, GP), each with a commitment. The model runs on annual steps t = 0 .. T-1 (T = length
of the input arrays); every flow sits at the end of its year, as in ``cashflow.py``. Money is
real KRW. The model does not know how its inputs were made: ``investments_krw[t]`` is what the
fund pays into projects in year t, ``proceeds_krw[t]`` what comes back (e.g. the projects'
equity cash flows times the fund's share).

Symbols
-------

=========  ==========================================================  ===========================  ========
symbol     meaning                                                     name in code                 unit
=========  ==========================================================  ===========================  ========
t, T       year index, number of years                                 ``t``, ``years``             -
K_i, K     commitment of tranche i, sum over tranches                  ``commitment_krw``           KRW
c_t        fraction of commitment called in year t (sum 1)             ``call_schedule_fractions``  fraction
C_i,t      capital called from tranche i in year t = c_t K_i           ``contributions_krw``        KRW
I_t        fund's investments into projects                            ``investments_krw``          KRW
P_t        project proceeds received by the fund                       ``proceeds_krw``             KRW
f          management fee rate per year                                ``management_fee_fraction``  fraction
Y          investment period                                           ``investment_period_years``  years
N_t        net invested capital (fee base after the period)            ``net_invested_capital_krw`` KRW
F_t        management fee                                              ``management_fee_krw``       KRW
R_t        called cash not yet spent (reserve) at the end of year t    ``cash_reserve_krw``         KRW
S_t        part of I_t + F_t paid from the same year's proceeds        ``uses_from_proceeds_krw``   KRW
V          value of holdings left at the end of year T-1 (NAV)         ``terminal_nav_krw``         KRW
D_t        distributable cash                                          ``distributable_krw``        KRW
h          preferred return (hurdle), compounding                      ``hurdle_fraction``          fraction
k          carried interest                                            ``carry_fraction``           fraction
q          GP share of cash in the catch-up zone                       ``catch_up_fraction``        fraction
rho_i      return cap of tranche i (None: uncapped)                    ``return_cap_fraction``      fraction
U_i        contributed capital of i not yet returned                   ``unreturned``               KRW
A_i        hurdle account of i (capital plus compounded pref owed)     ``hurdle_account``           KRW
B_i        cap account of i (what i may still receive under its cap)   ``cap_room``                 KRW
Pi         profit distributed so far (all but return of capital)      ``profit``                   KRW
G          carry paid to the GP so far (catch-up + carry split)        ``carry_paid``               KRW
=========  ==========================================================  ===========================  ========

Calls, fees and funding
-----------------------

    C_i,t = c_t K_i                                              pro rata; the GP's commitment too
    N_t   = max(0, sum_{s<=t} I_s - sum_{s<t} P_s)               cost not yet recovered by proceeds
    F_t   = f K            for t < Y                             on commitments during the period
          = f N_t          for t >= Y                            on net invested capital after it
    S_t   = max(0, I_t + F_t - R_{t-1} - C_t)                    must be <= P_t, else the inputs are
    R_t   = R_{t-1} + C_t + S_t - I_t - F_t                      invalid (funding shortfall)
    D_t   = P_t - S_t + [t = T-1] R_{T-1}                        idle called cash is paid back at the end

Fees are paid from called capital (LP money, every tranche pro rata, the GP's included) and are
the manager's income; they are reported separately and are not part of the GP tranche's cash
flows. When the called cash is spent, fees and investments of a year may use that year's
proceeds (S_t); proceeds are not otherwise reinvested.

Waterfall, each year t on D_t (European: whole fund, all contributed capital first)
----------------------------------------------------------------------------------

Before distributing: U_i += C_i,t;  A_i = A_i (1 + h) + C_i,t;  B_i = B_i (1 + rho_i) + C_i,t.
Every payment x_i to tranche i lowers B_i by x_i; no payment exceeds B_i (the cap).

1. Return of capital: pay U_i pro rata to U_i, first to the senior tranches (all but first-loss),
   then to the first-loss tranches. Lowers U_i and A_i.
2. Preferred return: pay the pref owed A_i - U_i pro rata to it, senior tranches first, then
   first-loss. Lowers A_i. (A_i - U_i is the hurdle h compounded on outstanding contributed
   capital and on unpaid pref, so a tranche paid steps 1-2 in full has an IRR of exactly h.)
3. GP catch-up (only if q > k > 0 and there is a GP): in the catch-up zone a share q goes to the
   GP as carry and 1 - q to all tranches pro rata to commitment, until G = k Pi. The zone's size is
       X = (k Pi - G) / (q - k),   capped by the cash left (partial catch-up when cash runs out).
4. Split: of what is left, k to the GP as carry, 1 - k to all tranches pro rata to commitment.

Pi counts everything but return of capital: pref, both sides of the catch-up and of the split.
The GP's own commitment is an LP interest pari passu with the others (calls, fees, steps 1-4) and
the GP additionally receives the carry, which is thus computed on the whole fund's profit
(including the GP's own interest; a simplification). There is no clawback: carry paid in an
early year is not taken back if later years disappoint.

Options that bring in private capital
-------------------------------------

- ``first_loss`` (public tranches only): the tranche is junior in steps 1 and 2. Its capital is
  returned only after every other tranche got its capital back, and its pref is paid only after
  every other tranche's pref. A shortfall of capital therefore hits it first. In steps 3-4 it is
  pari passu.
- ``return_cap_fraction`` rho_i (public tranches): the tranche's distributions stop once they
  give it an IRR of rho_i; formally its cap account B_i (contributions compounded at rho_i minus
  distributions compounded at rho_i) never goes negative, so the NPV at rho_i of its cash flows
  is <= 0 and its IRR is <= rho_i. What it cannot take in a step goes to the other tranches of
  that step pro rata (water-filling); in steps 3-4 that is the uncapped tranches. Cash no
  tranche can take (all capped and no GP commitment) is reported as ``residual_krw`` and kept.
  A cap below the hurdle also limits its pref.

Outputs
-------

Per tranche: contributions, distributions (the GP's include its carry), net cash flow, IRR on
the net cash flow plus its share of V in year T-1 (``None`` when no IRR exists), and

    DPI  = distributions / contributions
    TVPI = (distributions + NAV share) / contributions

where a tranche's NAV share is what a hypothetical liquidation of V at the end of year T-1 would
pay it through the same waterfall (run once with D_{T-1} + V and take the difference). With
V = 0 (default) everything is realized.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pvcluster.finance.cashflow import irr

__all__ = ["Tranche", "FundTerms", "TrancheResult", "FundResult", "run_fund", "check_fund_inputs",
           "allocate_pro_rata", "management_fees", "funding", "catch_up_zone", "waterfall", "STEPS"]

STEPS = ("return_of_capital", "preferred_return", "catch_up", "carried_interest", "lp_split")
ROLES = ("lp", "gp")
_CALL_SUM_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Tranche:
    """One investor class of the fund."""

    name: str
    commitment_krw: float
    role: str = "lp"  # "lp" or "gp" (at most one GP)
    public: bool = False
    first_loss: bool = False  # junior in return of capital and pref; public tranches only
    return_cap_fraction: float | None = None  # IRR cap on its distributions; None: uncapped


@dataclass(frozen=True)
class FundTerms:
    """Fund terms (fractions, never percent)."""

    hurdle_fraction: float = 0.08
    carry_fraction: float = 0.20
    catch_up_fraction: float = 1.0  # 0: no catch-up; otherwise at least carry_fraction
    management_fee_fraction: float = 0.02
    investment_period_years: int = 5
    call_schedule_fractions: tuple[float, ...] = (1.0,)  # year t calls this fraction of commitments


@dataclass
class TrancheResult:
    name: str
    commitment_krw: float
    contributions_krw: np.ndarray
    distributions_krw: np.ndarray
    nav_krw: float  # share of the terminal NAV under the waterfall
    irr_fraction: float | None
    tvpi_multiple: float | None
    dpi_multiple: float | None
    table: pd.DataFrame  # per year: contributions, distributions by step, net cash flow

    @property
    def net_cash_flow_krw(self) -> np.ndarray:
        return self.distributions_krw - self.contributions_krw

    @property
    def tvpi(self) -> float | None:
        return self.tvpi_multiple

    @property
    def dpi(self) -> float | None:
        return self.dpi_multiple

    def step_totals_krw(self) -> dict[str, float]:
        """Total received per waterfall step (the GP's catch-up and carried interest are carry)."""
        return {s: float(self.table[f"{s}_krw"].sum()) for s in STEPS}


@dataclass
class FundResult:
    terms: FundTerms
    table: pd.DataFrame  # fund level, one row per year, columns by waterfall step
    tranches: dict[str, TrancheResult]
    carry_krw: float  # total carried interest to the GP (catch-up + carry split), realized
    fees_krw: float  # total management fees (manager income)
    residual_krw: float = 0.0  # cash no tranche could take (all capped)
    terminal_nav_krw: float = 0.0
    gp_name: str | None = None
    irr_fraction: float | None = None  # all investors together (fees as contributions)

    def to_summary(self) -> dict:
        """JSON-ready headline numbers with units in the key names."""
        t = self.table
        contributions = float(t["contributions_krw"].sum())
        distributions = float(t["distributions_krw"].sum())
        return {
            "commitment_krw": float(sum(r.commitment_krw for r in self.tranches.values())),
            "contributions_krw": contributions,
            "investments_krw": float(t["investments_krw"].sum()),
            "proceeds_krw": float(t["proceeds_krw"].sum()),
            "distributions_krw": distributions,
            "management_fees_krw": self.fees_krw,
            "carried_interest_krw": self.carry_krw,
            "residual_krw": self.residual_krw,
            "terminal_nav_krw": self.terminal_nav_krw,
            "irr_fraction": self.irr_fraction,
            "dpi_multiple": _ratio(distributions, contributions),
            "tvpi_multiple": _ratio(distributions + self.terminal_nav_krw, contributions),
            "steps_krw": {s: float(t[f"{s}_krw"].sum()) for s in STEPS},
            "tranches": {
                name: {
                    "commitment_krw": r.commitment_krw,
                    "contributions_krw": float(r.contributions_krw.sum()),
                    "distributions_krw": float(r.distributions_krw.sum()),
                    "nav_krw": r.nav_krw,
                    "irr_fraction": r.irr_fraction,
                    "tvpi_multiple": r.tvpi_multiple,
                    "dpi_multiple": r.dpi_multiple,
                }
                for name, r in self.tranches.items()
            },
        }


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------

def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _check_fraction(problems: list[str], label: str, value) -> bool:
    if not _finite(value):
        problems.append(f"{label}: expected a finite number in [0, 1], found {value!r}")
        return False
    if not 0.0 <= float(value) <= 1.0:
        hint = " (fractions, not percent)" if float(value) > 1.0 else ""
        problems.append(f"{label}: expected a fraction in [0, 1]{hint}, found {value!r}")
        return False
    return True


def _as_array(problems: list[str], label: str, values) -> np.ndarray | None:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        problems.append(f"{label}: expected numbers per year, found {values!r}")
        return None
    if arr.ndim != 1 or arr.size == 0:
        problems.append(f"{label}: expected a non-empty 1-D array (one value per year), found shape {arr.shape}")
        return None
    bad = [i for i, v in enumerate(arr) if not math.isfinite(v)]
    if bad:
        problems.append(f"{label}: non-finite values in years {bad}")
        return None
    negative = [i for i, v in enumerate(arr) if v < 0]
    if negative:
        problems.append(f"{label}: expected non-negative values, found negative values in years {negative}")
        return None
    return arr


def check_fund_inputs(terms: FundTerms, tranches: list[Tranche], investments_krw=None, proceeds_krw=None,
                      terminal_nav_krw: float = 0.0) -> list[str]:
    """All problems with the fund's inputs (an empty list when they are valid).

    Without the two arrays, only the terms and tranches are checked.
    """
    problems: list[str] = []
    # terms
    for attr in ("hurdle_fraction", "carry_fraction", "catch_up_fraction", "management_fee_fraction"):
        _check_fraction(problems, f"fund terms {attr}", getattr(terms, attr))
    carry, catch_up = terms.carry_fraction, terms.catch_up_fraction
    if _finite(carry) and _finite(catch_up) and 0 < catch_up < carry <= 1:
        problems.append(f"fund terms catch_up_fraction: expected 0 (no catch-up) or at least carry_fraction "
                        f"({carry!r}), found {catch_up!r}")
    period = terms.investment_period_years
    if isinstance(period, bool) or not isinstance(period, (int, np.integer)) or period < 0:
        problems.append(f"fund terms investment_period_years: expected a whole number >= 0, found {period!r}")
    schedule = None
    try:
        schedule = np.asarray(terms.call_schedule_fractions, dtype=float)
    except (TypeError, ValueError):
        problems.append(f"fund terms call_schedule_fractions: expected fractions per year, "
                        f"found {terms.call_schedule_fractions!r}")
    if schedule is not None:
        if schedule.ndim != 1 or schedule.size == 0:
            problems.append("fund terms call_schedule_fractions: expected a non-empty list of fractions per year")
            schedule = None
        else:
            ok = all(_check_fraction(problems, f"fund terms call_schedule_fractions[{i}]", v)
                     for i, v in enumerate(schedule))
            if ok and abs(schedule.sum() - 1.0) > _CALL_SUM_TOLERANCE:
                problems.append(f"fund terms call_schedule_fractions: expected a sum of 1 "
                                f"(within {_CALL_SUM_TOLERANCE:g}), found {schedule.sum():.12g}")
            if not ok or abs(schedule.sum() - 1.0) > _CALL_SUM_TOLERANCE:
                schedule = None
    # tranches
    if not tranches:
        problems.append("fund tranches: expected at least one tranche, found none")
    names = [t.name for t in tranches]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"fund tranche {name!r}: name used {names.count(name)} times, expected unique names")
    gps = [t.name for t in tranches if t.role == "gp"]
    if len(gps) > 1:
        problems.append(f"fund tranches: expected at most one GP (role 'gp'), found {len(gps)}: {gps}")
    if _finite(carry) and carry > 0 and not gps:
        problems.append(f"fund terms carry_fraction is {carry!r} but no tranche has role 'gp' to receive it")
    total = 0.0
    for t in tranches:
        label = f"fund tranche {t.name!r}"
        if not isinstance(t.name, str) or not t.name:
            problems.append(f"fund tranche name: expected a non-empty string, found {t.name!r}")
        if not _finite(t.commitment_krw):
            problems.append(f"{label} commitment_krw: expected a finite number >= 0, found {t.commitment_krw!r}")
        elif t.commitment_krw < 0:
            problems.append(f"{label} commitment_krw: expected >= 0, found {t.commitment_krw!r}")
        else:
            total += float(t.commitment_krw)
        if t.role not in ROLES:
            problems.append(f"{label} role: expected one of {list(ROLES)}, found {t.role!r}")
        if t.first_loss and not t.public:
            problems.append(f"{label}: a first-loss tranche must be public (public = true)")
        if t.first_loss and t.role == "gp":
            problems.append(f"{label}: the GP cannot be the first-loss tranche")
        if t.return_cap_fraction is not None:
            _check_fraction(problems, f"{label} return_cap_fraction", t.return_cap_fraction)
            if t.role == "gp":
                problems.append(f"{label}: the GP cannot have a return cap (its carry is the manager's incentive)")
    if tranches and total <= 0 and not any(not _finite(t.commitment_krw) or t.commitment_krw < 0 for t in tranches):
        problems.append(f"fund tranches: expected a total commitment > 0, found {total!r}")
    # arrays
    if investments_krw is None and proceeds_krw is None:
        return problems
    inv = _as_array(problems, "fund investments_krw", investments_krw)
    pro = _as_array(problems, "fund proceeds_krw", proceeds_krw)
    if not _finite(terminal_nav_krw) or terminal_nav_krw < 0:
        problems.append(f"fund terminal_nav_krw: expected a finite number >= 0, found {terminal_nav_krw!r}")
    if inv is None or pro is None:
        return problems
    if inv.size != pro.size:
        problems.append(f"fund investments_krw and proceeds_krw: expected the same number of years, "
                        f"found {inv.size} and {pro.size}")
        return problems
    if schedule is not None and schedule.size > inv.size:
        problems.append(f"fund terms call_schedule_fractions: {schedule.size} years of calls for a fund of "
                        f"{inv.size} years")
        schedule = None
    if problems or schedule is None:
        return problems
    fees = management_fees(terms.management_fee_fraction, terms.investment_period_years, total, inv, pro)
    calls = np.zeros(inv.size)
    calls[:schedule.size] = schedule * total
    *_, shortfall = funding(calls, inv, fees, pro)
    for t in np.flatnonzero(shortfall > 1e-9 * max(total, 1.0)):
        problems.append(f"fund year {t}: investments + management fee ({inv[t] + fees[t]:.6g} KRW) exceed the "
                        f"called cash on hand plus that year's proceeds by {shortfall[t]:.6g} KRW; call capital "
                        f"earlier (call_schedule_fractions) or raise the commitments")
    return problems


# --------------------------------------------------------------------------------------------
# Wiring
# --------------------------------------------------------------------------------------------

def run_fund(terms: FundTerms, tranches: list[Tranche], investments_krw, proceeds_krw,
             terminal_nav_krw: float = 0.0) -> FundResult:
    """Run the fund year by year; raise ValueError listing every input problem."""
    problems = check_fund_inputs(terms, tranches, investments_krw, proceeds_krw, terminal_nav_krw)
    if problems:
        raise ValueError("invalid fund inputs:\n- " + "\n- ".join(problems))
    inv = np.asarray(investments_krw, dtype=float)
    pro = np.asarray(proceeds_krw, dtype=float)
    years = inv.size
    commitment = np.array([t.commitment_krw for t in tranches], dtype=float)
    total = float(commitment.sum())
    schedule = np.zeros(years)
    schedule[:len(terms.call_schedule_fractions)] = terms.call_schedule_fractions
    contributions = np.outer(commitment, schedule)  # tranche x year
    calls = contributions.sum(axis=0)
    fees = management_fees(terms.management_fee_fraction, terms.investment_period_years, total, inv, pro)
    reserve, from_proceeds, _ = funding(calls, inv, fees, pro)
    distributable = pro - from_proceeds
    distributable[-1] += reserve[-1]
    net_invested = _net_invested(inv, pro)

    gp = next((i for i, t in enumerate(tranches) if t.role == "gp"), None)
    junior = np.array([t.first_loss for t in tranches])
    caps = np.array([np.nan if t.return_cap_fraction is None else t.return_cap_fraction for t in tranches])
    wf = waterfall(contributions, distributable, junior, caps, gp, terms.hurdle_fraction,
                   terms.carry_fraction, terms.catch_up_fraction)
    if terminal_nav_krw > 0:
        liquidated = distributable.copy()
        liquidated[-1] += terminal_nav_krw
        wf_nav = waterfall(contributions, liquidated, junior, caps, gp, terms.hurdle_fraction,
                           terms.carry_fraction, terms.catch_up_fraction)
        nav_share = wf_nav["received"].sum(axis=1) - wf["received"].sum(axis=1)
    else:
        nav_share = np.zeros(len(tranches))

    results: dict[str, TrancheResult] = {}
    index = pd.RangeIndex(years, name="year")
    for i, t in enumerate(tranches):
        is_gp = i == gp
        steps = {
            "return_of_capital": wf["return_of_capital"][i],
            "preferred_return": wf["preferred_return"][i],
            "catch_up": wf["catch_up_lp"][i] + (wf["catch_up_gp"] if is_gp else 0.0),
            "carried_interest": wf["carry_split"] if is_gp else np.zeros(years),
            "lp_split": wf["lp_split"][i],
        }
        received = wf["received"][i]
        net = received - contributions[i]
        table = pd.DataFrame({"contributions_krw": contributions[i],
                              **{f"{s}_krw": v for s, v in steps.items()},
                              "distributions_krw": received, "net_cash_flow_krw": net,
                              "cumulative_net_cash_flow_krw": np.cumsum(net)}, index=index)
        paid_in = float(contributions[i].sum())
        with_nav = net.copy()
        with_nav[-1] += nav_share[i]
        results[t.name] = TrancheResult(
            name=t.name, commitment_krw=float(t.commitment_krw), contributions_krw=contributions[i].copy(),
            distributions_krw=received.copy(), nav_krw=float(nav_share[i]), irr_fraction=irr(with_nav),
            tvpi_multiple=_ratio(float(received.sum() + nav_share[i]), paid_in),
            dpi_multiple=_ratio(float(received.sum()), paid_in), table=table)

    distributions = wf["received"].sum(axis=0)
    table = pd.DataFrame({
        "contributions_krw": calls,
        "investments_krw": inv,
        "management_fee_krw": fees,
        "net_invested_capital_krw": net_invested,
        "proceeds_krw": pro,
        "uses_from_proceeds_krw": from_proceeds,
        "cash_reserve_krw": reserve,
        "distributable_krw": distributable,
        "return_of_capital_krw": wf["return_of_capital"].sum(axis=0),
        "preferred_return_krw": wf["preferred_return"].sum(axis=0),
        "catch_up_gp_krw": wf["catch_up_gp"],
        "catch_up_lp_krw": wf["catch_up_lp"].sum(axis=0),
        "catch_up_krw": wf["catch_up_gp"] + wf["catch_up_lp"].sum(axis=0),
        "carried_interest_krw": wf["carry_split"],
        "lp_split_krw": wf["lp_split"].sum(axis=0),
        "residual_krw": wf["residual"],
        "distributions_krw": distributions,
        "gp_carry_krw": wf["catch_up_gp"] + wf["carry_split"],
        "manager_income_krw": fees + wf["catch_up_gp"] + wf["carry_split"],
        "net_cash_flow_krw": distributions - calls,
    }, index=index)
    fund_net = distributions - calls
    fund_net[-1] += float(nav_share.sum())
    return FundResult(terms=terms, table=table, tranches=results,
                      carry_krw=float((wf["catch_up_gp"] + wf["carry_split"]).sum()), fees_krw=float(fees.sum()),
                      residual_krw=float(wf["residual"].sum()), terminal_nav_krw=float(terminal_nav_krw),
                      gp_name=None if gp is None else tranches[gp].name, irr_fraction=irr(fund_net))


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator <= 0 else float(numerator / denominator)


# --------------------------------------------------------------------------------------------
# Pure functions (numbers in, numbers out)
# --------------------------------------------------------------------------------------------

def _net_invested(investments: np.ndarray, proceeds: np.ndarray) -> np.ndarray:
    """N_t = max(0, sum_{s<=t} I_s - sum_{s<t} P_s)."""
    prior_proceeds = np.concatenate([[0.0], np.cumsum(proceeds)[:-1]])
    return np.maximum(0.0, np.cumsum(investments) - prior_proceeds)


def management_fees(fee_fraction: float, investment_period_years: int, commitment_krw: float,
                    investments_krw: np.ndarray, proceeds_krw: np.ndarray) -> np.ndarray:
    """F_t = f K during the investment period (t < Y), then f N_t on net invested capital."""
    investments = np.asarray(investments_krw, dtype=float)
    base = _net_invested(investments, np.asarray(proceeds_krw, dtype=float))
    years = np.arange(investments.size)
    base = np.where(years < investment_period_years, commitment_krw, base)
    return fee_fraction * base


def funding(calls_krw: np.ndarray, investments_krw: np.ndarray, fees_krw: np.ndarray,
            proceeds_krw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pay investments and fees from called cash, then from the same year's proceeds.

    Returns (reserve R_t at year end, S_t paid from proceeds, shortfall not covered by either).
    """
    reserve = np.zeros(len(calls_krw))
    from_proceeds = np.zeros(len(calls_krw))
    shortfall = np.zeros(len(calls_krw))
    cash = 0.0
    for t in range(len(calls_krw)):
        cash += calls_krw[t]
        uses = investments_krw[t] + fees_krw[t]
        need = max(0.0, uses - cash)
        from_proceeds[t] = min(need, proceeds_krw[t])
        shortfall[t] = need - from_proceeds[t]
        cash = max(0.0, cash + from_proceeds[t] - uses)
        reserve[t] = cash
    return reserve, from_proceeds, shortfall


def allocate_pro_rata(amount: float, weights: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """Split ``amount`` pro rata to ``weights`` with nobody above its limit (water-filling).

    What a saturated party cannot take goes to the others pro rata to their weights. Parties
    with zero weight get nothing. The allocation sums to at most ``amount``.
    """
    weights = np.asarray(weights, dtype=float)
    limits = np.maximum(np.asarray(limits, dtype=float), 0.0)
    alloc = np.zeros(weights.size)
    remaining = float(amount)
    tol = 1e-12 * max(1.0, abs(float(amount)))
    active = (weights > 0) & (limits > tol)
    while remaining > tol and active.any():
        w = weights[active]
        room = limits[active] - alloc[active]
        per_weight = remaining / w.sum()  # amount per unit weight if nobody saturates
        step = min(per_weight, float(np.min(room / w)))
        alloc[active] += step * w
        remaining -= step * w.sum()
        full = active & (limits - alloc <= tol)
        alloc[full] = limits[full]
        active &= ~full
        if step == per_weight:
            break
    return alloc


def catch_up_zone(profit_krw: float, carry_paid_krw: float, carry_fraction: float,
                  catch_up_fraction: float) -> float:
    """Cash X needed in the catch-up zone until the GP holds k of all profit: X = (k Pi - G)/(q - k)."""
    if catch_up_fraction <= carry_fraction or carry_fraction <= 0:
        return 0.0
    return max(0.0, (carry_fraction * profit_krw - carry_paid_krw) / (catch_up_fraction - carry_fraction))


def waterfall(contributions_krw: np.ndarray, distributable_krw: np.ndarray, junior: np.ndarray,
              cap_fractions: np.ndarray, gp: int | None, hurdle_fraction: float, carry_fraction: float,
              catch_up_fraction: float) -> dict[str, np.ndarray]:
    """European whole-fund waterfall, year by year (see the module docstring).

    ``contributions_krw`` is tranche x year, ``distributable_krw`` per year, ``junior`` marks
    first-loss tranches, ``cap_fractions`` is NaN for uncapped tranches, ``gp`` the GP's index.
    Returns tranche x year arrays ``return_of_capital``, ``preferred_return``, ``catch_up_lp``,
    ``lp_split``, ``received`` (all a tranche got, the GP's carry included) and per-year arrays
    ``catch_up_gp``, ``carry_split``, ``residual``.
    """
    contributions = np.asarray(contributions_krw, dtype=float)
    n, years = contributions.shape
    commitment = contributions.sum(axis=1)
    capped = ~np.isnan(cap_fractions)
    growth_cap = np.where(capped, 1.0 + np.nan_to_num(cap_fractions), 1.0)
    out = {key: np.zeros((n, years)) for key in ("return_of_capital", "preferred_return", "catch_up_lp", "lp_split")}
    out.update({key: np.zeros(years) for key in ("catch_up_gp", "carry_split", "residual")})
    unreturned = np.zeros(n)
    hurdle_account = np.zeros(n)
    cap_room = np.where(capped, 0.0, np.inf)
    profit = 0.0
    carry_paid = 0.0
    classes = (~junior, junior)
    for t in range(years):
        unreturned += contributions[:, t]
        hurdle_account = hurdle_account * (1.0 + hurdle_fraction) + contributions[:, t]
        cap_room = np.where(capped, cap_room * growth_cap + contributions[:, t], np.inf)
        cash = float(distributable_krw[t])
        # 1. return of capital, seniors first
        for members in classes:
            paid = allocate_pro_rata(cash, np.where(members, unreturned, 0.0), np.minimum(unreturned, cap_room))
            out["return_of_capital"][:, t] += paid
            unreturned -= paid
            hurdle_account -= paid
            cap_room -= paid
            cash -= paid.sum()
        # 2. preferred return, seniors first
        for members in classes:
            owed = np.maximum(hurdle_account - unreturned, 0.0)
            paid = allocate_pro_rata(cash, np.where(members, owed, 0.0), np.minimum(owed, cap_room))
            out["preferred_return"][:, t] += paid
            hurdle_account -= paid
            cap_room -= paid
            cash -= paid.sum()
            profit += paid.sum()
        if gp is None:
            # no GP (validation ensures carry_fraction == 0): everything left is split pro rata
            paid = allocate_pro_rata(cash, commitment, cap_room)
            out["lp_split"][:, t] = paid
            cap_room -= paid
            out["residual"][t] = max(0.0, cash - paid.sum())
            continue
        # 3. GP catch-up
        zone = min(cash, catch_up_zone(profit, carry_paid, carry_fraction, catch_up_fraction))
        if zone > 0:
            to_gp = catch_up_fraction * zone
            paid = allocate_pro_rata(zone - to_gp, commitment, cap_room)
            out["catch_up_gp"][t] = to_gp
            out["catch_up_lp"][:, t] = paid
            out["residual"][t] += max(0.0, zone - to_gp - paid.sum())
            cap_room -= paid
            cash -= zone
            carry_paid += to_gp
            profit += to_gp + paid.sum()
        # 4. split
        if cash > 0:
            to_gp = carry_fraction * cash
            paid = allocate_pro_rata(cash - to_gp, commitment, cap_room)
            out["carry_split"][t] = to_gp
            out["lp_split"][:, t] = paid
            out["residual"][t] += max(0.0, cash - to_gp - paid.sum())
            cap_room -= paid
            carry_paid += to_gp
            profit += to_gp + paid.sum()
    received = out["return_of_capital"] + out["preferred_return"] + out["catch_up_lp"] + out["lp_split"]
    if gp is not None:
        received[gp] += out["catch_up_gp"] + out["carry_split"]
    out["received"] = received
    return out
