"""Debt: repayment schedules, sculpting to a DSCR target, DSCR and LLCR (pure functions).

Time runs over the operating years of a loan, ``k = 0 .. n-1`` (the first operating year is
``k = 0``). The loan of principal ``D`` is outstanding at the start of year 0.

====== ============================================ ======================= =========
symbol meaning                                      name in code            unit
====== ============================================ ======================= =========
D      principal at the start of operation          ``principal_krw``       KRW
r      interest rate per year (nominal)             ``rate_fraction``       fraction
n      tenor: years from the first operating year   ``tenor_years``         years
g      grace: interest-only years at the start      ``grace_years``         years
B_k    balance at the start of year k               ``balance_krw``         KRW
I_k    interest, r x B_k                            ``interest_krw``        KRW
P_k    principal repaid in year k                   ``principal_paid_krw``  KRW
DS_k   debt service, I_k + P_k                      ``debt_service_krw``    KRW
CFADS  cash flow available for debt service         ``cfads_krw``           KRW
DSCR   CFADS_k / DS_k                               ``dscr``                -
LLCR   sum CFADS_k/(1+r)^(k+1) over the loan / D    ``llcr``                -
====== ============================================ ======================= =========

Repayment styles over the ``m = n - g`` repayment years:

- annuity: level debt service ``DS = D r / (1 - (1 + r)^-m)`` (``D / m`` at r = 0);
- equal principal: ``P_k = D / m``;
- sculpted: ``DS_k = CFADS_k / DSCR``, so the cover is the same in every repayment year.
  The largest loan such a service repays is ``D = sum_{k=g}^{n-1} DS_k / (1 + r)^(k - g + 1)``.
  Grace years in front pay interest only, so the balance stays D through them; they do not
  change D but need ``CFADS_k >= DSCR x r D``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Schedule:
    """A loan's year-by-year schedule over its tenor (arrays of length n)."""

    balance_krw: np.ndarray  # at the start of each year
    interest_krw: np.ndarray
    principal_paid_krw: np.ndarray

    @property
    def debt_service_krw(self) -> np.ndarray:
        return self.interest_krw + self.principal_paid_krw


def annuity_payment(principal_krw: float, rate_fraction: float, years: int) -> float:
    """Level yearly payment that repays ``principal_krw`` in ``years`` at ``rate_fraction``."""
    if years <= 0:
        raise ValueError("an annuity needs at least one year")
    if rate_fraction == 0:
        return principal_krw / years
    return principal_krw * rate_fraction / (1.0 - (1.0 + rate_fraction) ** -years)


def repayment_schedule(principal_krw, rate_fraction: float, tenor_years: int, grace_years: int,
                       style: str, service_krw: np.ndarray | None = None) -> Schedule:
    """Interest and principal year by year; ``service_krw`` gives the sculpted debt service.

    ``principal_krw`` of K values (and ``service_krw`` of shape (K, n)) gives K loans on the same terms,
    one a row of each array."""
    n, g = int(tenor_years), int(grace_years)
    if n <= 0 or not 0 <= g < n:
        raise ValueError(f"tenor {n} and grace {g}: need tenor >= 1 and 0 <= grace < tenor")
    if style not in ("annuity", "equal_principal", "sculpted"):
        raise ValueError(f"unknown repayment style {style!r}")
    if style == "sculpted" and service_krw is None:
        raise ValueError("a sculpted schedule needs the debt service per year")
    m = n - g
    start = np.array(principal_krw, dtype=float)
    balance = np.zeros(start.shape + (n,))
    interest = np.zeros(start.shape + (n,))
    principal = np.zeros(start.shape + (n,))
    service = np.asarray(service_krw, dtype=float) if service_krw is not None else None
    b = start.copy()
    level = annuity_payment(b, rate_fraction, m) if style == "annuity" else 0.0
    for k in range(n):
        balance[..., k] = b
        interest[..., k] = rate_fraction * b
        if k == n - 1:
            paid = b  # the last year clears the balance (round-off of the closed forms)
        elif k < g:
            paid = np.zeros(start.shape)
        elif style == "annuity":
            paid = level - interest[..., k]
        elif style == "equal_principal":
            paid = start / m
        else:
            paid = service[..., k] - interest[..., k]
        principal[..., k] = paid
        b = b - paid
    return Schedule(balance, interest, principal)


def sculpted_principal(cfads_krw: np.ndarray, dscr_target: float, rate_fraction: float, tenor_years: int,
                       grace_years: int):
    """Largest loan that a debt service of ``CFADS / DSCR`` repays over the repayment years.

    ``cfads_krw`` covers the tenor (length ``tenor_years``; shape (K, tenor) for K loans, K answers).
    Negative CFADS counts as zero service (the sponsor covers the gap); the grace-year check is the caller's.
    """
    n, g = int(tenor_years), int(grace_years)
    service = np.maximum(np.asarray(cfads_krw, dtype=float)[..., :n], 0.0) / dscr_target
    k = np.arange(g, n)
    out = np.sum(service[..., g:] / (1.0 + rate_fraction) ** (k - g + 1), axis=-1)
    return float(out) if out.ndim == 0 else out


def dscr(cfads_krw: np.ndarray, debt_service_krw: np.ndarray) -> np.ndarray:
    """CFADS / debt service in each year with debt service (NaN where there is none)."""
    cfads = np.asarray(cfads_krw, dtype=float)
    service = np.asarray(debt_service_krw, dtype=float)
    out = np.full(service.shape, np.nan)
    has = service > 1e-9
    out[has] = cfads[has] / service[has]
    return out


def llcr(cfads_krw: np.ndarray, rate_fraction: float, principal_krw: float) -> float | None:
    """Loan life cover ratio at the start of operation: PV of CFADS over the tenor / debt."""
    if principal_krw <= 0:
        return None
    cfads = np.asarray(cfads_krw, dtype=float)
    k = np.arange(len(cfads))
    return float(np.sum(cfads / (1.0 + rate_fraction) ** (k + 1)) / principal_krw)
