"""Bounds on a site's LP that need no solve: the most power its PV can give, the least energy it must
import. The prechecks (:func:`pvcluster.sizing.precheck`) and the solver's choices use them."""

from __future__ import annotations

import numpy as np

from pvcluster.sizing.data import SiteData


def pv_upper_bound_kw(s: SiteData) -> tuple[np.ndarray, bool]:
    """The most AC power the site's PV can give each step: every segment at its largest size, or, where
    a net-metered meter caps the PV's total size, that cap on the best segment of the step. Returns the
    bound and whether the net-metering cap is the tighter one somewhere."""
    if not s.segments:
        return np.zeros(s.steps), False
    each = np.array([max(g.max_kwp, g.existing_kwp) * np.asarray(g.kw_per_kwp, dtype=float) for g in s.segments])
    pv = each.sum(axis=0)
    capped = False
    if np.isfinite(s.net_metering_max_kw) and any(md.terms.net_metering for md in s.meters):
        best = np.max([np.asarray(g.kw_per_kwp, dtype=float) for g in s.segments], axis=0)
        cap = max(s.net_metering_max_kw, sum(g.existing_kwp for g in s.segments)) * best
        capped = bool(np.any(cap < pv - 1e-9))
        pv = np.minimum(pv, cap)
    return pv * s.pv_output_factor, capped


def pv_bound_kw(s: SiteData) -> tuple[np.ndarray, bool]:
    """:func:`pv_upper_bound_kw`, or no PV where the site's technologies leave PV out."""
    return pv_upper_bound_kw(s) if "pv" in s.technologies else (np.zeros(s.steps), False)


def least_import_kwh(s: SiteData, storage: bool | None = None) -> float:
    """A lower bound on the energy the site must import in a year to serve its own loads L_t.

    With PV_t the most its PV can give (:func:`pv_upper_bound_kw`), each step's deficit
    D_t = max(0, L_t - PV_t) and surplus S_t = max(0, PV_t - L_t): PV serves the load first, and
    storage can serve a deficit only with energy it charged; charged from the grid, that energy was
    imported, and from PV it is at most sum S_t, of which the round trip eta returns eta sum S_t. So
    sum_t I_t >= sum_t D_t - eta sum_t S_t (without storage, eta = 0), and >= 0. ``storage``: whether
    storage may be built (None: as the site allows).
    """
    load = np.asarray(s.load_kw, dtype=float)
    w = np.asarray(s.time.weights, dtype=float)
    pv, _ = pv_bound_kw(s)
    deficit = float(np.sum(w * np.clip(load - pv, 0.0, None)))
    surplus = float(np.sum(w * np.clip(pv - load, 0.0, None)))
    if storage is None:
        storage = s.allow_storage and "storage" in s.technologies
    eta = s.storage_round_trip_efficiency_fraction if storage else 0.0
    return max(0.0, deficit - eta * surplus)


def load_energy_kwh(s: SiteData) -> float:
    """The energy the site's own loads use over its time steps (kWh, steps weighted)."""
    return float(np.sum(np.asarray(s.time.weights, dtype=float) * np.asarray(s.load_kw, dtype=float)))


def target_bound_applies(s: SiteData) -> bool:
    """Whether the site has a self-sufficiency row the bound speaks to: a target above zero, a grid, and no
    pilot candidates (whose enrollment moves both sides of the row)."""
    return s.self_sufficiency_target_fraction > 0 and "grid" in s.technologies and not s.pilot


def most_self_sufficiency_fraction(s: SiteData, storage: bool | None = None) -> float:
    """1 - :func:`least_import_kwh` / the loads' energy: no self-sufficiency above it can be met (the LP's
    row is sum_t I_t <= (1 - tau) E). ``storage`` as for least_import_kwh; 1 without load."""
    energy_kwh = load_energy_kwh(s)
    return 1.0 - least_import_kwh(s, storage) / energy_kwh if energy_kwh > 0 else 1.0


def target_needs_storage(s: SiteData) -> bool:
    """Whether the site's self-sufficiency target is beyond what it can reach without storage
    (:func:`most_self_sufficiency_fraction` without storage)."""
    return target_bound_applies(s) and \
        s.self_sufficiency_target_fraction > most_self_sufficiency_fraction(s, storage=False) + 1e-6
