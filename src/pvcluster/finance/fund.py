"""Fund structure: capital called as needed, management fee and a European (whole-fund) waterfall.

A closed-end fund invests in the cluster's projects. It has tranches (central government,
Gangwon province, Yeongwol county, a policy bank, private limited partners and the general
partner, GP), each with a commitment. The model runs on annual steps t = 0 .. T-1 (T = length
of the input arrays); every flow sits at the end of its year, as in ``cashflow.py``.

Money is NOMINAL KRW (the currency of each year), like the projects' equity cash flows it
receives and the commitments, which are contract amounts: every money output carries
``_nominal_krw`` in its name. The hurdle h and a tranche's return cap are nominal rates, and
the IRRs are nominal; TVPI and DPI are ratios of nominal sums. The model does not know how its
inputs were made: ``investments_nominal_krw[t]`` is what the fund pays into projects in year t,
``proceeds_nominal_krw[t]`` what comes back (e.g. the projects' equity cash flows times the
fund's share).

Symbols
-------

=========  ==========================================================  ===================================  ========
symbol     meaning                                                     name in code                         unit
=========  ==========================================================  ===================================  ========
t, T       year index, number of years                                 ``t``, ``years``                     -
K_i, K     commitment of tranche i, sum over tranches                  ``commitment_krw`` (input, nominal)  KRW
c_t        call schedule: fraction of K callable (cap, default) or     ``call_schedule_fractions``          fraction
           called (``call_mode = "schedule"``) in year t
L_t        most that may have been called by the end of year t         ``call_limit``                       KRW
I_t        fund's investments into projects                            ``investments_nominal_krw``          KRW
P_t        project proceeds received by the fund                       ``proceeds_nominal_krw``             KRW
f          management fee rate per year                                ``management_fee_fraction``          fraction
Y          investment period                                           ``investment_period_years``          years
N_t        net invested capital (fee base after the period)            ``net_invested_capital_nominal_krw`` KRW
F_t        management fee                                              ``management_fee_nominal_krw``       KRW
u_t        uses of cash: investments plus fee, I_t + F_t               ``uses``                             KRW
C_t        capital called (all tranches)                               ``contributions_nominal_krw``        KRW
C_i,t      capital called from tranche i, C_t K_i / K                  ``contributions_nominal_krw``        KRW
R_t        called cash not yet spent (idle) at the end of year t       ``cash_reserve_nominal_krw``         KRW
S_t        part of u_t paid from the same year's proceeds              ``uses_from_proceeds_nominal_krw``   KRW
E_t        called cash spent on investments and fees in year t         ``deployed_capital_nominal_krw``     KRW
Z          idle called cash paid back at the end of year T-1           ``idle_cash_returned_nominal_krw``   KRW
V          value of holdings left at the end of year T-1 (NAV)         ``terminal_nav_nominal_krw``         KRW
D_t        distributable cash (through the waterfall)                  ``distributable_nominal_krw``        KRW
h          preferred return (hurdle), compounding                      ``hurdle_fraction``                  fraction
k          carried interest                                            ``carry_fraction``                   fraction
q          GP share of cash in the catch-up zone                       ``catch_up_fraction``                fraction
rho_i      return cap of tranche i (None: uncapped)                    ``return_cap_fraction``              fraction
U_i        deployed capital of i not yet returned                      ``unreturned``                       KRW
A_i        hurdle account of i (capital plus compounded pref owed)     ``hurdle_account``                   KRW
B_i        cap account of i (what i may still receive under its cap)   ``cap_room``                         KRW
Pi         profit distributed so far (all but return of capital)      ``profit``                           KRW
G          carry paid to the GP so far (catch-up + carry split)        ``carry_paid``                       KRW
=========  ==========================================================  ===================================  ========

Calls, fees and funding
-----------------------

The fund calls capital when it needs it: each year's drawdown is that year's investments plus
the management fee, pro rata to commitments (the GP's too), up to the commitments. Commitment
that no investment or fee needs is never called.

    N_t   = max(0, sum_{s<=t} I_s - sum_{s<t} P_s)               cost not yet recovered by proceeds
    F_t   = f K            for t < Y                             on commitments during the period
          = f N_t          for t >= Y                            on net invested capital after it
    u_t   = I_t + F_t
    L_t   = K min(1, sum_{s<=t} c_s)                             (L_t = K without a schedule)
    C_t   = min(u_t, L_t - sum_{s<t} C_s)                        as needed (default)
          = c_t K                                                ``call_mode = "schedule"``: fixed
    C_i,t = C_t K_i / K                                          pro rata; the GP's commitment too
    S_t   = min(max(0, u_t - R_{t-1} - C_t), P_t)                what is still missing must be 0,
    R_t   = R_{t-1} + C_t + S_t - u_t                            else the inputs are invalid
    E_t   = R_{t-1} + C_t - R_t                                  called cash spent this year
    Z     = R_{T-1}                                              idle cash, paid back in year T-1
    D_t   = P_t - S_t                                            into the waterfall

Called as needed, R_t = 0 and E_t = C_t: no cash sits idle. Only a fixed schedule (or a
schedule cap that still leaves room) can call cash before it is needed; then it waits in R_t.
Fees are paid from called capital (LP money, every tranche pro rata, the GP's included) and are
the manager's income; they are reported separately and are not part of the GP tranche's cash
flows. When the commitments (or the schedule cap) are used up, fees and investments of a year
may use that year's proceeds (S_t); proceeds are not otherwise reinvested.

Idle cash earns no preferred return and carries no carry
--------------------------------------------------------

Only deployed capital E_i,t = E_t K_i / K enters the waterfall (U_i, A_i, B_i): the hurdle runs
from the year called cash is spent, not from its call. Idle cash Z_i = Z K_i / K goes back to
each tranche in year T-1 beside the waterfall, as return of capital (it is in the
``return_of_capital`` step and shown as ``idle_cash_returned_nominal_krw``): no pref accrues on
it, it is not profit (Pi), and the GP takes no carry on it. The GP's carry applies only to
profit on invested capital.

Waterfall, each year t on D_t (European: whole fund, all deployed capital first)
--------------------------------------------------------------------------------

Before distributing: U_i += E_i,t;  A_i = A_i (1 + h) + E_i,t;  B_i = B_i (1 + rho_i) + E_i,t.
Every payment x_i to tranche i lowers B_i by x_i; no payment exceeds B_i (the cap).

1. Return of capital: pay U_i pro rata to U_i, first to the senior tranches (all but first-loss),
   then to the first-loss tranches. Lowers U_i and A_i.
2. Preferred return: pay the pref owed A_i - U_i pro rata to it, senior tranches first, then
   first-loss. Lowers A_i. (A_i - U_i is the hurdle h compounded on outstanding deployed
   capital and on unpaid pref, so a tranche paid steps 1-2 in full has an IRR of exactly h on
   its deployed capital.)
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
  give it an IRR of rho_i; formally its cap account B_i (deployed capital compounded at rho_i
  minus distributions compounded at rho_i) never goes negative, so the NPV at rho_i of its cash
  flows is <= 0 and its IRR is <= rho_i (idle cash returned at no gain only lowers it). What it
  cannot take in a step goes to the other tranches of that step pro rata (water-filling); in
  steps 3-4 that is the uncapped tranches. Cash no tranche can take (all capped and no GP
  commitment) is reported as ``residual_nominal_krw`` and kept. A cap below the hurdle also
  limits its pref.

Outputs
-------

Per tranche: contributions (calls), distributions (the GP's include its carry), net cash flow,
IRR on the net cash flow plus its share of V in year T-1 (``None`` when no IRR exists), and

    DPI  = distributions / contributions
    TVPI = (distributions + NAV share) / contributions

where a tranche's NAV share is what a hypothetical liquidation of V at the end of year T-1 would
pay it through the same waterfall (run once with D_{T-1} + V and take the difference). With
V = 0 (default) everything is realized. All money outputs are nominal KRW (``_nominal_krw``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from pvcluster.finance.cashflow import irr

__all__ = ["Tranche", "FundTerms", "TrancheResult", "FundResult", "run_fund", "check_fund_inputs",
           "allocate_pro_rata", "management_fees", "call_limits", "capital_calls", "funding", "catch_up_zone",
           "waterfall", "STEPS", "CALL_MODES"]

STEPS = ("return_of_capital", "preferred_return", "catch_up", "carried_interest", "lp_split")
ROLES = ("lp", "gp")
CALL_MODES = ("as_needed", "schedule")
_CALL_SUM_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Tranche:
    """One investor class of the fund."""

    name: str
    commitment_krw: float  # nominal KRW (a contract amount)
    role: str = "lp"  # "lp" or "gp" (at most one GP)
    public: bool = False
    first_loss: bool = False  # junior in return of capital and pref; public tranches only
    return_cap_fraction: float | None = None  # nominal IRR cap on its distributions; None: uncapped


@dataclass(frozen=True)
class FundTerms:
    """Fund terms (fractions, never percent; rates are nominal).

    Capital is called as needed (``call_mode = "as_needed"``): each year's investments plus fee,
    up to the commitments. ``call_schedule_fractions`` c_t, when given, caps the calls: by the end
    of year t at most K min(1, sum_{s<=t} c_s) is called (``(1.0,)``: everything may be called from
    year 0, the same as None). With ``call_mode = "schedule"`` the fund instead calls exactly
    c_t K in year t, needed or not; cash it does not spend waits idle and is paid back at the end
    as return of capital (no pref, no carry).
    """

    hurdle_fraction: float = 0.08
    carry_fraction: float = 0.20
    catch_up_fraction: float = 1.0  # 0: no catch-up; otherwise at least carry_fraction
    management_fee_fraction: float = 0.02
    investment_period_years: int = 5
    call_schedule_fractions: tuple[float, ...] | None = None  # cap on cumulative calls; None: the commitments
    call_mode: str = "as_needed"  # or "schedule": call c_t K in year t, needed or not


@dataclass
class TrancheResult:
    name: str
    commitment_nominal_krw: float
    contributions_nominal_krw: np.ndarray  # calls
    distributions_nominal_krw: np.ndarray
    nav_nominal_krw: float  # share of the terminal NAV under the waterfall
    irr_fraction: float | None  # nominal
    tvpi_multiple: float | None
    dpi_multiple: float | None
    #: per year: contributions, distributions by step, net cash flow (nominal KRW); :attr:`table` builds the
    #: DataFrame when first read (a study's cases read only the sums)
    columns: dict = field(repr=False)
    year_index: pd.Index = field(repr=False)

    @cached_property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns, index=self.year_index)

    @property
    def net_cash_flow_nominal_krw(self) -> np.ndarray:
        return self.distributions_nominal_krw - self.contributions_nominal_krw

    @property
    def uncalled_commitment_nominal_krw(self) -> float:
        return max(0.0, self.commitment_nominal_krw - float(self.contributions_nominal_krw.sum()))

    @property
    def tvpi(self) -> float | None:
        return self.tvpi_multiple

    @property
    def dpi(self) -> float | None:
        return self.dpi_multiple

    def step_totals_nominal_krw(self) -> dict[str, float]:
        """Total received per waterfall step (the GP's catch-up and carried interest are carry)."""
        return {s: float(np.sum(self.columns[f"{s}_nominal_krw"])) for s in STEPS}


@dataclass
class FundResult:
    terms: FundTerms
    #: fund level, per year, by waterfall step (nominal KRW); :attr:`table` builds the DataFrame when first read
    columns: dict = field(repr=False)
    year_index: pd.Index = field(repr=False)
    tranches: dict[str, TrancheResult]
    carry_nominal_krw: float  # total carried interest to the GP (catch-up + carry split), realized
    fees_nominal_krw: float  # total management fees (manager income)
    residual_nominal_krw: float = 0.0  # cash no tranche could take (all capped)
    terminal_nav_nominal_krw: float = 0.0
    gp_name: str | None = None
    irr_fraction: float | None = None  # all investors together (fees as contributions), nominal
    projects: tuple[str, ...] = ()  # the projects it holds
    not_built: tuple[str, ...] = ()  # projects the scenario lists that sizing built nothing at

    @cached_property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns, index=self.year_index)

    def to_summary(self) -> dict:
        """JSON-ready headline numbers; money keys end in ``_nominal_krw`` (sums of nominal KRW)."""
        t = {name: float(np.sum(values)) for name, values in self.columns.items()}
        contributions = t["contributions_nominal_krw"]
        distributions = t["distributions_nominal_krw"]
        commitment = float(sum(r.commitment_nominal_krw for r in self.tranches.values()))
        return {
            "projects": list(self.projects),
            "projects_not_built": list(self.not_built),
            "commitment_nominal_krw": commitment,
            "contributions_nominal_krw": contributions,
            "uncalled_commitment_nominal_krw": max(0.0, commitment - contributions),
            "investments_nominal_krw": t["investments_nominal_krw"],
            "proceeds_nominal_krw": t["proceeds_nominal_krw"],
            "distributions_nominal_krw": distributions,
            "idle_cash_returned_nominal_krw": t["idle_cash_returned_nominal_krw"],
            "management_fees_nominal_krw": self.fees_nominal_krw,
            "carried_interest_nominal_krw": self.carry_nominal_krw,
            "residual_nominal_krw": self.residual_nominal_krw,
            "terminal_nav_nominal_krw": self.terminal_nav_nominal_krw,
            "irr_fraction": self.irr_fraction,
            "dpi_multiple": _ratio(distributions, contributions),
            "tvpi_multiple": _ratio(distributions + self.terminal_nav_nominal_krw, contributions),
            "steps_nominal_krw": {s: t[f"{s}_nominal_krw"] for s in STEPS},
            "tranches": {
                name: {
                    "commitment_nominal_krw": r.commitment_nominal_krw,
                    "contributions_nominal_krw": float(r.contributions_nominal_krw.sum()),
                    "uncalled_commitment_nominal_krw": r.uncalled_commitment_nominal_krw,
                    "distributions_nominal_krw": float(r.distributions_nominal_krw.sum()),
                    "nav_nominal_krw": r.nav_nominal_krw,
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


def _check_schedule(problems: list[str], terms: FundTerms) -> np.ndarray | None:
    """The call schedule as an array (None when absent or invalid; problems appended)."""
    if terms.call_mode not in CALL_MODES:
        problems.append(f"fund terms call_mode: expected one of {list(CALL_MODES)}, found {terms.call_mode!r}")
    if terms.call_schedule_fractions is None:
        if terms.call_mode == "schedule":
            problems.append("fund terms call_schedule_fractions: expected fractions per year for call_mode "
                            "'schedule', found None")
        return None
    try:
        schedule = np.asarray(terms.call_schedule_fractions, dtype=float)
    except (TypeError, ValueError):
        problems.append(f"fund terms call_schedule_fractions: expected fractions per year, "
                        f"found {terms.call_schedule_fractions!r}")
        return None
    if schedule.ndim != 1 or schedule.size == 0:
        problems.append("fund terms call_schedule_fractions: expected a non-empty list of fractions per year")
        return None
    ok = all([_check_fraction(problems, f"fund terms call_schedule_fractions[{i}]", v)
              for i, v in enumerate(schedule)])
    if ok and schedule.sum() > 1.0 + _CALL_SUM_TOLERANCE:
        problems.append(f"fund terms call_schedule_fractions: expected a sum of at most 1 (within "
                        f"{_CALL_SUM_TOLERANCE:g}; the commitments), found {schedule.sum():.12g}")
        ok = False
    return schedule if ok else None


def check_fund_inputs(terms: FundTerms, tranches: list[Tranche], investments_nominal_krw=None,
                      proceeds_nominal_krw=None, terminal_nav_nominal_krw: float = 0.0) -> list[str]:
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
    schedule = _check_schedule(problems, terms)
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
    if investments_nominal_krw is None and proceeds_nominal_krw is None:
        return problems
    inv = _as_array(problems, "fund investments_nominal_krw", investments_nominal_krw)
    pro = _as_array(problems, "fund proceeds_nominal_krw", proceeds_nominal_krw)
    if not _finite(terminal_nav_nominal_krw) or terminal_nav_nominal_krw < 0:
        problems.append(f"fund terminal_nav_nominal_krw: expected a finite number >= 0, "
                        f"found {terminal_nav_nominal_krw!r}")
    if inv is None or pro is None:
        return problems
    if inv.size != pro.size:
        problems.append(f"fund investments_nominal_krw and proceeds_nominal_krw: expected the same number of "
                        f"years, found {inv.size} and {pro.size}")
        return problems
    if terms.call_mode == "schedule" and schedule is not None and schedule.size > inv.size:
        problems.append(f"fund terms call_schedule_fractions: {schedule.size} years of calls for a fund of "
                        f"{inv.size} years")
        return problems
    if problems:
        return problems
    fees = management_fees(terms.management_fee_fraction, terms.investment_period_years, total, inv, pro)
    calls = capital_calls(inv + fees, total, schedule, terms.call_mode)
    *_, shortfall = funding(calls, inv, fees, pro)
    for t in np.flatnonzero(shortfall > 1e-9 * max(total, 1.0)):
        problems.append(f"fund year {t}: investments + management fee ({inv[t] + fees[t]:.6g} KRW, nominal) "
                        f"exceed the capital callable that year plus that year's proceeds by "
                        f"{shortfall[t]:.6g} KRW; raise the commitments or let more be called by then "
                        f"(call_schedule_fractions)")
    return problems


# --------------------------------------------------------------------------------------------
# Wiring
# --------------------------------------------------------------------------------------------

def run_fund(terms: FundTerms, tranches: list[Tranche], investments_nominal_krw, proceeds_nominal_krw,
             terminal_nav_nominal_krw: float = 0.0) -> FundResult:
    """Run the fund year by year on nominal KRW; raise ValueError listing every input problem."""
    problems = check_fund_inputs(terms, tranches, investments_nominal_krw, proceeds_nominal_krw,
                                 terminal_nav_nominal_krw)
    if problems:
        raise ValueError("invalid fund inputs:\n- " + "\n- ".join(problems))
    inv = np.array(investments_nominal_krw, dtype=float)  # copies: the table, built when read, keeps them
    pro = np.array(proceeds_nominal_krw, dtype=float)
    years = inv.size
    commitment = np.array([t.commitment_krw for t in tranches], dtype=float)
    total = float(commitment.sum())
    share = commitment / total
    schedule = None if terms.call_schedule_fractions is None else np.asarray(terms.call_schedule_fractions, float)
    fees = management_fees(terms.management_fee_fraction, terms.investment_period_years, total, inv, pro)
    calls = capital_calls(inv + fees, total, schedule, terms.call_mode)
    reserve, from_proceeds, _ = funding(calls, inv, fees, pro)
    deployed = np.maximum(np.concatenate([[0.0], reserve[:-1]]) + calls - reserve, 0.0)
    idle = np.zeros(years)
    idle[-1] = reserve[-1]
    distributable = pro - from_proceeds
    net_invested = _net_invested(inv, pro)
    contributions = np.outer(share, calls)  # tranche x year
    idle_back = np.outer(share, idle)

    gp = next((i for i, t in enumerate(tranches) if t.role == "gp"), None)
    junior = np.array([t.first_loss for t in tranches])
    caps = np.array([np.nan if t.return_cap_fraction is None else t.return_cap_fraction for t in tranches])
    wf_args = (junior, caps, gp, terms.hurdle_fraction, terms.carry_fraction, terms.catch_up_fraction)
    wf = waterfall(np.outer(share, deployed), distributable, *wf_args, commitment_krw=commitment)
    if terminal_nav_nominal_krw > 0:
        liquidated = distributable.copy()
        liquidated[-1] += terminal_nav_nominal_krw
        wf_nav = waterfall(np.outer(share, deployed), liquidated, *wf_args, commitment_krw=commitment)
        nav_share = wf_nav["received"].sum(axis=1) - wf["received"].sum(axis=1)
    else:
        nav_share = np.zeros(len(tranches))

    results: dict[str, TrancheResult] = {}
    index = pd.RangeIndex(years, name="year")
    received_all = wf["received"] + idle_back
    for i, t in enumerate(tranches):
        is_gp = i == gp
        steps = {
            "return_of_capital": wf["return_of_capital"][i] + idle_back[i],
            "preferred_return": wf["preferred_return"][i],
            "catch_up": wf["catch_up_lp"][i] + (wf["catch_up_gp"] if is_gp else 0.0),
            "carried_interest": wf["carry_split"] if is_gp else np.zeros(years),
            "lp_split": wf["lp_split"][i],
        }
        received = received_all[i]
        net = received - contributions[i]
        columns = {"contributions_nominal_krw": contributions[i], **{f"{s}_nominal_krw": v for s, v in steps.items()},
                   "idle_cash_returned_nominal_krw": idle_back[i], "distributions_nominal_krw": received,
                   "net_cash_flow_nominal_krw": net, "cumulative_net_cash_flow_nominal_krw": np.cumsum(net)}
        paid_in = float(contributions[i].sum())
        with_nav = net.copy()
        with_nav[-1] += nav_share[i]
        results[t.name] = TrancheResult(
            name=t.name, commitment_nominal_krw=float(t.commitment_krw),
            contributions_nominal_krw=contributions[i].copy(), distributions_nominal_krw=received.copy(),
            nav_nominal_krw=float(nav_share[i]), irr_fraction=irr(with_nav),
            tvpi_multiple=_ratio(float(received.sum() + nav_share[i]), paid_in),
            dpi_multiple=_ratio(float(received.sum()), paid_in), columns=columns, year_index=index)

    distributions = received_all.sum(axis=0)
    columns = {
        "contributions_nominal_krw": calls,
        "uncalled_commitment_nominal_krw": np.maximum(total - np.cumsum(calls), 0.0),
        "investments_nominal_krw": inv,
        "management_fee_nominal_krw": fees,
        "deployed_capital_nominal_krw": deployed,
        "net_invested_capital_nominal_krw": net_invested,
        "proceeds_nominal_krw": pro,
        "uses_from_proceeds_nominal_krw": from_proceeds,
        "cash_reserve_nominal_krw": reserve,
        "distributable_nominal_krw": distributable,
        "idle_cash_returned_nominal_krw": idle,
        "return_of_capital_nominal_krw": wf["return_of_capital"].sum(axis=0) + idle,
        "preferred_return_nominal_krw": wf["preferred_return"].sum(axis=0),
        "catch_up_gp_nominal_krw": wf["catch_up_gp"],
        "catch_up_lp_nominal_krw": wf["catch_up_lp"].sum(axis=0),
        "catch_up_nominal_krw": wf["catch_up_gp"] + wf["catch_up_lp"].sum(axis=0),
        "carried_interest_nominal_krw": wf["carry_split"],
        "lp_split_nominal_krw": wf["lp_split"].sum(axis=0),
        "residual_nominal_krw": wf["residual"],
        "distributions_nominal_krw": distributions,
        "gp_carry_nominal_krw": wf["catch_up_gp"] + wf["carry_split"],
        "manager_income_nominal_krw": fees + wf["catch_up_gp"] + wf["carry_split"],
        "net_cash_flow_nominal_krw": distributions - calls,
    }
    fund_net = distributions - calls
    fund_net[-1] += float(nav_share.sum())
    return FundResult(terms=terms, columns=columns, year_index=index, tranches=results,
                      carry_nominal_krw=float((wf["catch_up_gp"] + wf["carry_split"]).sum()),
                      fees_nominal_krw=float(fees.sum()), residual_nominal_krw=float(wf["residual"].sum()),
                      terminal_nav_nominal_krw=float(terminal_nav_nominal_krw),
                      gp_name=None if gp is None else tranches[gp].name, irr_fraction=irr(fund_net))


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator <= 0 else float(numerator / denominator)


# --------------------------------------------------------------------------------------------
# Pure functions (numbers in, numbers out; the fund passes nominal KRW)
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


def call_limits(commitment_krw: float, call_schedule_fractions, years: int) -> np.ndarray:
    """L_t = K min(1, sum_{s<=t} c_s): the most that may have been called by the end of year t (K without c)."""
    if call_schedule_fractions is None:
        return np.full(years, float(commitment_krw))
    c = np.zeros(years)
    listed = np.asarray(call_schedule_fractions, dtype=float)[:years]
    c[:listed.size] = listed
    return float(commitment_krw) * np.minimum(1.0, np.cumsum(c))


def capital_calls(uses_krw, commitment_krw: float, call_schedule_fractions=None,
                  call_mode: str = "as_needed") -> np.ndarray:
    """C_t: as needed, min(u_t, L_t - sum_{s<t} C_s) with u_t = I_t + F_t; with a fixed schedule, c_t K.

    Called as needed, the fund never calls more than a year's uses, nor beyond the commitments
    (or the schedule's cap); what it does not need stays uncalled.
    """
    uses = np.asarray(uses_krw, dtype=float)
    years = uses.size
    if call_mode == "schedule":
        c = np.zeros(years)
        listed = np.asarray(call_schedule_fractions, dtype=float)[:years]
        c[:listed.size] = listed
        return float(commitment_krw) * c
    if call_mode != "as_needed":
        raise ValueError(f"call_mode: expected one of {list(CALL_MODES)}, found {call_mode!r}")
    limits = call_limits(commitment_krw, call_schedule_fractions, years)
    calls = np.zeros(years)
    called = 0.0
    for t in range(years):
        calls[t] = max(0.0, min(uses[t], limits[t] - called))
        called += calls[t]
    return calls


def funding(calls_krw: np.ndarray, investments_krw: np.ndarray, fees_krw: np.ndarray,
            proceeds_krw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pay investments and fees from called cash, then from the same year's proceeds.

    Returns (idle reserve R_t at year end, S_t paid from proceeds, shortfall not covered by either).
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
              catch_up_fraction: float, commitment_krw: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """European whole-fund waterfall, year by year (see the module docstring).

    ``contributions_krw`` is tranche x year: the capital that earns the hurdle and is returned in
    step 1 (the fund passes deployed capital E_i,t, never idle cash). ``distributable_krw`` is
    per year, ``junior`` marks first-loss tranches, ``cap_fractions`` is NaN for uncapped
    tranches, ``gp`` the GP's index, ``commitment_krw`` the weights of steps 3-4 (default: each
    tranche's contributions). Returns tranche x year arrays ``return_of_capital``,
    ``preferred_return``, ``catch_up_lp``, ``lp_split``, ``received`` (all a tranche got, the GP's
    carry included) and per-year arrays ``catch_up_gp``, ``carry_split``, ``residual``.
    """
    contributions = np.asarray(contributions_krw, dtype=float)
    n, years = contributions.shape
    commitment = contributions.sum(axis=1) if commitment_krw is None else np.asarray(commitment_krw, dtype=float)
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
