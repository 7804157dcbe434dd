"""P50 / P90 / P99 annual energy: year-to-year weather spread plus a stated model uncertainty.

For a system with annual energies ``E_1..E_N`` over an ensemble of N synthetic weather years:

    cv_w   = std(E) / mean(E)                      year-to-year (weather) spread, 1 sigma
    s_1    = sqrt(cv_w^2 + u_r^2 + u_m^2)          one-year total uncertainty
    s_10   = sqrt(cv_w^2 / 10 + u_r^2 + u_m^2)     ten-year-average total uncertainty
    P_x    = P50 (1 - z_x s)                       z_90 = 1.2816, z_99 = 2.3263

with ``u_r`` the uncertainty of the long-term mean resource and ``u_m`` the energy model's, both
from the ``pv`` input file, and the errors taken as independent and normal (the usual
lender-report convention). P50 is the ensemble mean unless given (e.g. a measured weather
file's year). Symbols: E energy (MWh), cv coefficient of variation (fraction).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np


@cache
def z_score(p: float) -> float:
    """The standard normal quantile of ``p`` (z_90 = 1.2816): scipy's ``ndtri``, which ``scipy.stats.norm.ppf``
    calls for the standard normal (the same number, bit for bit). scipy.special is already imported (pvlib
    imports it), where importing scipy.stats for ``norm`` took 0.27 s, and 0.5-1.3 s in the run's
    P-values thread beside the sizing (README, "Levers for the default run")."""
    from scipy.special import ndtri

    return float(ndtri(p))


@dataclass(frozen=True)
class Exceedance:
    p50_mwh: float
    p90_mwh: float
    p99_mwh: float
    p90_10yr_mwh: float
    interannual_cv_fraction: float
    uncertainty_1yr_fraction: float
    ensemble_years: int

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)

    def at(self, p50_mwh: float, resource_uncertainty_fraction: float, model_uncertainty_fraction: float) -> Exceedance:
        """The same weather spread (``interannual_cv_fraction``) at another P50 and other stated
        uncertainties: the levels again by the equations above (a study varying them)."""
        fixed = resource_uncertainty_fraction ** 2 + model_uncertainty_fraction ** 2
        cv = self.interannual_cv_fraction
        s1 = float(np.sqrt(cv ** 2 + fixed))
        s10 = float(np.sqrt(cv ** 2 / 10.0 + fixed))
        p50 = float(p50_mwh)
        return Exceedance(p50, p50 * max(1.0 - z_score(0.90) * s1, 0.0), p50 * max(1.0 - z_score(0.99) * s1, 0.0),
                          p50 * max(1.0 - z_score(0.90) * s10, 0.0), cv, s1, self.ensemble_years)


def exceedance(annual_mwh: np.ndarray, resource_uncertainty_fraction: float, model_uncertainty_fraction: float,
               p50_mwh: float | None = None) -> Exceedance:
    """Exceedance levels from an ensemble of annual energies (see the module docstring)."""
    e = np.asarray(annual_mwh, dtype=float)
    if e.size < 2:
        raise ValueError("an exceedance estimate needs at least two ensemble years")
    mean = float(e.mean())
    cv = float(e.std(ddof=1) / mean) if mean > 0 else 0.0
    fixed = resource_uncertainty_fraction ** 2 + model_uncertainty_fraction ** 2
    s1 = float(np.sqrt(cv ** 2 + fixed))
    s10 = float(np.sqrt(cv ** 2 / 10.0 + fixed))
    p50 = mean if p50_mwh is None else float(p50_mwh)
    return Exceedance(p50, p50 * max(1.0 - z_score(0.90) * s1, 0.0), p50 * max(1.0 - z_score(0.99) * s1, 0.0),
                      p50 * max(1.0 - z_score(0.90) * s10, 0.0), cv, s1, int(e.size))
