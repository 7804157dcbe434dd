"""Size every site of the cluster under one shared capital budget.

The sites are coupled only by the budget, ``sum_s capex_s <= B``. :func:`solve_decomposed`
prices that row (Lagrangian decomposition): for a price lambda each site solves

    v_s(lambda) = min  cost_s(x_s) + lambda * capex_s(x_s)

on its own, in parallel worker processes that keep each site's model and persistent HiGHS
solver alive between prices (a new price changes only objective coefficients, so HiGHS
restarts from its last basis). The dual function g(lambda) = sum_s v_s(lambda) - lambda B is
concave and, for LPs, piecewise linear; its maximum is found by bracketing it between a price
where the budget is exceeded and one where it is not and intersecting the two supporting lines
(Kelley's cutting planes on one variable), until the lines' value and g differ by less than
``rel_tol``. The two bracketing solutions are then blended, ``theta x_lo + (1 - theta) x_hi`` with
``theta`` putting total capex exactly on the budget; that blend is feasible for every site, and its
cost equals the lines' value, so it is within ``rel_tol`` of the optimum of the monolithic model
(:func:`solve_monolithic`, kept as the reference). When the budget does not bind at lambda = 0
the sites' own optima are the answer after one parallel round.

Lagrangian decomposition is exact for LPs. With binary decisions (pilot enrollment, a minimum
storage size) a binding budget can leave a duality gap, so that case is solved monolithically.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from pvcluster import processes as _processes
from pvcluster.errors import InfeasibleError
from pvcluster.sizing.bounds import target_needs_storage
from pvcluster.sizing.data import (INFEASIBLE, OPTIMAL, SiteData, SolverSettings, pilot_screening_periods,
                                  screens_pilot)
from pvcluster.sizing.results import SiteSolution

if TYPE_CHECKING:
    from pvcluster.sizing.solve import SiteModel

# Pyomo, HiGHS and the models (pvcluster.sizing.solve) are imported where a site is built or solved, not
# with this module: the process that runs a sizing on workers only sends them sites and reads their
# answers, and it starts 0.3-0.6 s sooner without them (Pyomo's import also loads scipy.stats there).
# A sizing worker imports pvcluster.sizing.solve as it starts (pvcluster.pipeline._SIZING).


def _site_model() -> type[SiteModel]:
    """:class:`pvcluster.sizing.solve.SiteModel`, imported when a site is first built here."""
    from pvcluster.sizing.solve import SiteModel

    return SiteModel


@dataclass
class ClusterSolution:
    sites: dict[str, SiteSolution]
    method: str  # "decomposed" or "monolithic"
    budget_krw: float
    budget_price: float  # lambda: KRW of objective per KRW of capex at the optimum
    objective_krw: float
    capex_krw: float
    iterations: int
    wall_s: float
    timings: dict = field(default_factory=dict)
    interface: str = ""  # how the models went to HiGHS (pvcluster.sizing.highs.fast_transfer_status)


# ---------------------------------------------------------------------------------------------
# workers: each holds the models of some sites and solves them at the prices it is sent

def start_afresh(solver) -> bool:
    """Make a persistent HiGHS interface solve its (unchanged) model as a new one would: drop the basis
    and solution (``clearSolver``) and the options the last solves set (``resetOptions``; each solve
    sets its own again). False when the interface holds no HiGHS model to do this on."""
    h = getattr(solver, "_solver_model", None)
    if h is None or not hasattr(h, "clearSolver") or not hasattr(h, "resetOptions"):
        return False
    h.clearSolver()
    h.resetOptions()
    return True


class ModelCache:
    """Built site models kept between sizings in one process, by a fingerprint of their data and solver
    settings. A study's next case whose site has the same data (a different budget, or another site's
    target changed) takes the model back: no rebuild, and HiGHS restarts from the last basis. It holds
    the models of the last sizing only, so memory stays that of one case. ``warm``: HiGHS restarts from
    the last case's basis (see :meth:`SiteModel.reuse`); else from scratch, with a new model's answer."""

    #: the most time steps of all sites whose models are kept (4 full-year sites, what a default run
    #: holds): a larger sizing builds, solves and drops its models one at a time instead
    max_steps = 4 * 8760

    def __init__(self, warm: bool = False):
        self.warm = warm
        self.models: dict[bytes, SiteModel] = {}
        self.built = 0
        self.reused = 0

    @staticmethod
    def fingerprint(s: SiteData, settings: SolverSettings) -> bytes:
        """A hash of the site's data and settings, without the values a built model takes as new."""
        import hashlib
        import pickle

        return hashlib.sha256(pickle.dumps((_site_model().structure(s), settings), protocol=5)).digest()

    def take(self, s: SiteData, settings: SolverSettings) -> tuple[bytes, SiteModel]:
        key = self.fingerprint(s, settings)
        model = self.models.pop(key, None)
        if model is not None and model.can_reuse(s):
            again = model.reuse(s, self.warm)
            if again is model:
                self.reused += 1
                return key, again
            self.built += 1  # the interface could not start afresh: reuse built a new model
            return key, again
        self.built += 1
        return key, _site_model()(s, settings)

    def fits(self, sites: list[SiteData]) -> bool:
        """Whether the models of ``sites`` may be kept (see :attr:`max_steps`)."""
        return sum(s.steps for s in sites) <= self.max_steps

    def keep_only(self, models: dict[bytes, SiteModel]) -> None:
        self.models = dict(models)

    def clear(self) -> None:
        self.models = {}
        self.cluster = None

    #: (key, model, solver, site data) of the last monolithic sizing (a binding budget with binaries),
    #: kept beside the site models: memory stays that of one case's models and one cluster model
    cluster = None

    def take_cluster(self, sites: list[SiteData], settings: SolverSettings):
        """The last monolithic model and its solver when built for sites of the same structure (see
        :meth:`SiteModel.structure`), readied for ``sites``; else None. Keeps the site models too."""
        import hashlib
        import pickle

        key = hashlib.sha256(pickle.dumps(([_site_model().structure(s) for s in sites], settings), protocol=5)).digest()
        kept, self.cluster = self.cluster, None
        if kept is None or kept[0] != key:
            return key, None
        self.reused += 1
        _, m, solver, _ = kept
        for s in sites:
            block = m.site[s.name]
            if hasattr(block, "self_sufficiency_target"):
                block.self_sufficiency_target.set_value(s.self_sufficiency_target_fraction)
        if not self.warm and not start_afresh(solver):
            return key, None
        return key, (m, solver)

    def keep_cluster(self, key: bytes, m, solver, sites: list[SiteData]) -> None:
        self.cluster = (key, m, solver, sites)


class _Sites:
    """The site models of one worker (in-process or in a child process).

    ``one_at_a_time``: each site's model is built when it is solved and dropped once its solution is
    taken, for a sizing without a budget (each site is solved once): a worker then holds one model
    at a time, not all of its sites' (100 full-year villages would not fit in memory otherwise).

    ``own_process``: this is a worker process's state (:mod:`pvcluster.processes`). A dropped model is
    cyclic garbage (its rules close over its blocks) of about a million objects, which Python's collector
    would free during the next site's build or solve: 0.4-1.2 s of the longer worker's time on the default
    scenario. So the worker's automatic collection is off while it sizes, and a site about to be built
    finds at most :data:`COLLECT_EVERY` dropped models uncollected, else it collects them first (memory
    stays that of two models); what is left when the worker is given back is never freed
    (:func:`pvcluster.processes.give_back`: the run ends it). A default run's worker sizes two sites and
    collects nothing."""

    #: Dropped models a worker process may hold as garbage when it builds the next (see ``own_process``).
    COLLECT_EVERY = 2

    def __init__(self, sites: list[SiteData], settings: SolverSettings, cache: ModelCache | None = None,
                 one_at_a_time: bool = False, own_process: bool = False):
        self.settings = settings
        self.one_at_a_time = one_at_a_time
        self.dropped = 0  # models dropped and not collected yet
        self.collect = own_process and one_at_a_time
        if self.collect:
            gc.disable()
        self.pending: dict[str, SiteData] = {}
        self.spent: dict[str, tuple[float, float]] = {}  # build and solve seconds of dropped models
        if cache is not None:
            taken = {s.name: cache.take(s, settings) for s in sites}
            self.models = {name: model for name, (_, model) in taken.items()}
            cache.keep_only({key: model for key, model in taken.values()})
        elif one_at_a_time:
            self.models = {}
            self.pending = {s.name: s for s in sites}
        else:
            self.models = {s.name: _site_model()(s, settings) for s in sites}
        self.kept: dict[float, dict[str, SiteSolution]] = {}

    def solve(self, price: float, keep: bool = True) -> dict[str, tuple[str, float, float]]:
        out = {}
        solutions = {}
        for name, site in self.models.items():
            tc, cost, capex = site.solve(price)
            out[name] = (tc.name, cost, capex)
            if keep and tc.name in OPTIMAL:
                solutions[name] = site.solution()
        for name in list(self.pending):  # build, solve, keep the solution, drop the model
            self._room()
            site = _site_model()(self.pending.pop(name), self.settings)
            tc, cost, capex = site.solve(price)
            out[name] = (tc.name, cost, capex)
            if tc.name in OPTIMAL:
                solutions[name] = site.solution()
            self.spent[name] = (site.build_s, site.solve_s)
            del site
            self.dropped += 1
        if keep or self.spent:
            self.kept[price] = solutions
        return out

    def add_and_solve(self, s: SiteData, price: float) -> dict[str, tuple[str, float, float]]:
        """Take one more site (a worker given sites one at a time as it falls idle) and solve it at
        ``price``, keeping its solution; in ``one_at_a_time`` mode its model is dropped after."""
        self._room()
        site = _site_model()(s, self.settings)
        if not self.one_at_a_time:
            self.models[s.name] = site
        tc, cost, capex = site.solve(price)
        if tc.name in OPTIMAL:
            self.kept.setdefault(price, {})[s.name] = site.solution()
        if self.one_at_a_time:
            self.spent[s.name] = (site.build_s, site.solve_s)
            del site
            self.dropped += 1
        return {s.name: (tc.name, cost, capex)}

    def screen(self, s: SiteData) -> tuple[tuple[bool, ...], dict]:
        """``s``'s pilot enrollment screened on typical days, and the screening's report
        (:func:`pvcluster.sizing.solve.screened_enrollment`), for a site another worker may size."""
        from pvcluster.sizing.solve import screened_enrollment

        return screened_enrollment(s, self.settings)

    def _room(self) -> None:
        """Before a site is built: the dropped models collected if there are too many (see ``own_process``)."""
        if self.collect and self.dropped >= self.COLLECT_EVERY:
            gc.collect()
            self.dropped = 0

    def solutions(self, price: float) -> dict[str, SiteSolution]:
        return self.kept[price]

    def integer(self) -> bool:
        return any(site.integer for site in self.models.values())

    @staticmethod
    def interface() -> str:
        from pvcluster.sizing.highs import fast_transfer_status

        return fast_transfer_status()[1]

    def times(self) -> dict[str, tuple[float, float]]:
        return {**self.spent, **{n: (s.build_s, s.solve_s) for n, s in self.models.items()}}


# The worker processes themselves (spawned, started ahead by a run, given back after): pvcluster.processes.
_SPARE = _processes._SPARE  # the run's idle workers (read by the tests)
prestarted_workers = _processes.prestarted_workers


def _weight(s: SiteData, settings: SolverSettings) -> float:
    """A rough guess of a site's solve time, so that the longest start first: the columns a time step
    adds to the LP the site solves first (an import for each meter, the export and the curtailment, and
    the storage's charge, discharge and state when that LP holds them: on typical days, without storage
    pricing, with binaries (which skip it), or when a bound shows the target needs storage), times one
    plus the meters with demand charges (a month's peak rows couple its hours), times the pilot
    candidates when branch and bound decides them on the full year.

    On the default scenario this starts the industrial complex and green_village, then the county and
    nammyeon: the two longest first (3.4 and 6.1-6.6 s), the shortest (2.0 s) last. The guess it replaced
    (steps times meters and PV segments) started nammyeon first."""
    binaries = bool(s.pilot) and s.pilot_enrollment is None and not screens_pilot(s, settings)
    pilot = 1 + len(s.pilot) if binaries else 1
    storage = "storage" in s.technologies and s.allow_storage
    storage_first = storage and (not s.time.is_full_year or not settings.storage_pricing or binaries
                                 or s.storage_min_energy_kwh > 0 or target_needs_storage(s))
    columns = len(s.grid_meters) + 2 + (3 if storage_first else 0)
    demand = sum(md.terms.demand_rate_krw_per_kw_month > 0 for md in s.grid_meters)
    return s.steps * columns * (1 + demand) * pilot + 1e-6 * len(s.name)


class _Pool:
    """Sites spread over worker processes (or kept in this process when ``processes`` is 1)."""

    def __init__(self, sites: list[SiteData], settings: SolverSettings, processes: int,
                 cache: ModelCache | None = None, one_at_a_time: bool = False):
        processes = max(1, min(processes, len(sites))) if _processes.can_start_workers() else 1
        # the largest sites first (a rough guess of each one's solve time); in worker processes each
        # site goes to the first worker that falls idle (first_solve), which keeps the workers busy
        # together whatever the guess misses (a storage that pricing rules out, a screened pilot)
        self.order = sorted(sites, key=lambda s: -_weight(s, settings))
        self.settings = settings
        self.local = None
        self.conns = []
        self.procs = []
        self.waiting: set = set()  # connections with a message not yet answered
        if processes == 1:
            self.local = _Sites(self.order, settings, cache, one_at_a_time)
            return
        # a screened site's typical days are clustered here, where scipy imports without Pyomo's import hook
        # (see pilot_screening_periods), and travel with its data
        self.order = [replace(s, screening_periods=pilot_screening_periods(s, settings)) if screens_pilot(s, settings)
                      else s for s in self.order]
        try:
            for _ in range(processes):
                parent, proc = _processes.take_worker()
                self.conns.append(parent)
                self.procs.append(proc)
            for c in self.conns:
                self._send(c, ("start", (_Sites, ([], settings, None, one_at_a_time, True))))
            for c in self.conns:
                self._receive(c)
        except BaseException:  # a worker that failed or an interrupt: none of them outlives this
            self.close()
            raise

    def _send(self, conn, message) -> None:
        self.waiting.add(conn)
        try:
            conn.send(message)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the worker is dead: _receive says so

    def _receive(self, conn):
        proc = self.procs[self.conns.index(conn)] if self.procs else None
        def died():
            if proc is not None:
                proc.join(timeout=5)
            self.close()
            return RuntimeError(f"a sizing worker process died (exit code {proc.exitcode if proc else None}); "
                                "a script that sizes a cluster needs an `if __name__ == '__main__':` guard")

        try:
            while not conn.poll(0.2):
                if proc is not None and not proc.is_alive():
                    raise died()
            status, value = conn.recv()
        except (EOFError, OSError):  # the worker closed its end, or the connection broke: it is gone
            raise died() from None
        self.waiting.discard(conn)
        if status != "ok":
            raise RuntimeError(f"a sizing worker failed: {value}")
        return value

    def first_solve(self, price: float) -> dict[str, tuple[str, float, float]]:
        """Solve every site once at ``price``: each worker is sent the next site when it falls idle and
        keeps that site's model for later prices (in this process: all of them, in order).

        A site whose pilot enrollment is screened on typical days (:func:`screens_pilot`) is screened
        first, as a job of its own (:meth:`_Sites.screen`) on the first idle
        worker, and sized later with that enrollment: the screening (0.3-0.4 s for the default county)
        then falls on the worker whose chain of sites is shorter, not on the county's (README, "Levers
        for the default run"). Until its screening is back a site waits, and the next one goes first."""
        if self.local is not None:
            return self.local.solve(price)
        from multiprocessing.connection import wait

        # (kind, data): "screen" jobs first, then the sites; a site screened ahead waits for its screening
        queue = [("screen", s) for s in self.order if screens_pilot(s, self.settings)]
        unscreened = {s.name for _, s in queue}
        queue += [("site", s) for s in self.order]
        idle, busy, out = list(self.conns), {}, {}
        while queue or busy:
            while idle and (k := next((k for k, (kind, s) in enumerate(queue)
                                       if kind == "screen" or s.name not in unscreened), None)) is not None:
                c = idle.pop(0)
                busy[c] = kind, s = queue.pop(k)
                if kind == "screen":
                    self._send(c, ("screen", (s,)))
                else:
                    self._send(c, ("add_and_solve", (s, price)))
            for c in wait(list(busy), timeout=0.5) or list(busy):
                try:
                    ready = c.poll()
                except OSError:  # a broken connection: _receive reports the dead worker
                    ready = True
                proc = self.procs[self.conns.index(c)]
                if ready or not proc.is_alive():
                    value = self._receive(c)
                    kind, s = busy.pop(c)
                    if kind == "screen":
                        enrolled, info = value
                        k = next(k for k, (kind, x) in enumerate(queue) if kind == "site" and x.name == s.name)
                        queue[k] = "site", replace(s, pilot_enrollment=enrolled, pilot_screening=info)
                        unscreened.discard(s.name)
                    else:
                        out.update(value)
                    idle.append(c)
                    if not queue and busy:  # no site left for it while another sizes: it imports what
                        _processes.prepare((c, proc))  # the run gives it back for (the report's figures)
        return out

    def call(self, command: str, *args) -> list:
        if self.local is not None:
            return [getattr(self.local, command)(*args)]
        for c in self.conns:
            self._send(c, (command, args))
        return [self._receive(c) for c in self.conns]

    def merged(self, command: str, *args) -> dict:
        out = {}
        for part in self.call(command, *args):
            out.update(part)
        return out

    def close(self) -> None:
        """Give the idle workers back to the run (:func:`pvcluster.processes.give_back`: they drop their
        models, and the run's next stages may use them) and end any that still owes an answer."""
        workers = list(zip(self.conns, self.procs))
        self.conns, self.procs = [], []
        _processes.give_back([w for w in workers if w[0] not in self.waiting])
        _processes.end_workers([w for w in workers if w[0] in self.waiting])
        self.waiting = set()


# ---------------------------------------------------------------------------------------------

def _check(results: dict[str, tuple[str, float, float]], sites: dict[str, SiteData], settings) -> None:
    for name, (tc_name, _, _) in results.items():
        if tc_name in INFEASIBLE:
            from pvcluster.sizing.solve import diagnose

            raise InfeasibleError(f"sizing of site {name!r} is {tc_name}: {diagnose(sites[name], settings)}")
        if tc_name not in OPTIMAL:
            raise InfeasibleError(f"sizing of site {name!r} did not reach an optimum: HiGHS stopped with "
                                  f"{tc_name} (time limit {settings.time_limit_s:g} s)")


def blend(lo: SiteSolution, hi: SiteSolution, theta: float) -> SiteSolution:
    """``theta * lo + (1 - theta) * hi``: sizes, hourly series and costs of two solutions of a site."""
    def mix(a, b):
        return theta * np.asarray(a) + (1.0 - theta) * np.asarray(b)

    sizes = {k: float(mix(lo.sizes[k], hi.sizes[k])) for k in lo.sizes}
    hourly = {k: mix(lo.hourly[k], hi.hourly[k]) for k in lo.hourly}
    costs = {k: float(mix(lo.costs_krw_per_year[k], hi.costs_krw_per_year[k])) for k in lo.costs_krw_per_year}
    extra = {k: (float(mix(v, hi.extra[k])) if isinstance(v, float) else v) for k, v in lo.extra.items()}
    if theta not in (0.0, 1.0):
        extra["blend_theta"] = theta
    return SiteSolution(lo.name, lo.status, float(mix(lo.objective_krw, hi.objective_krw)),
                        lo.build_s, lo.solve_s + hi.solve_s, sizes, hourly, costs, extra,
                        float(mix(lo.capex_krw, hi.capex_krw)))


def solve_decomposed(sites: list[SiteData], budget_krw: float, settings: SolverSettings, *,
                     processes: int = 2, rel_tol: float = 1e-9, max_iterations: int = 60,
                     progress=None, models: ModelCache | None = None) -> ClusterSolution:
    """Size every site, sharing ``budget_krw`` of capital (0 = no budget), by price decomposition.
    ``models``: built site models to reuse and keep (in-process sizing only, ``processes`` 1)."""
    t0 = time.perf_counter()
    by_name = {s.name: s for s in sites}
    # without a budget each site is solved once: a worker builds, solves and drops one model at a time
    if models is not None and not (processes <= 1 or len(sites) <= 1) or models is not None and not models.fits(sites):
        models = None  # kept models live in this process, and only as many as a default run holds
    pool = _Pool(sites, settings, processes, models, one_at_a_time=budget_krw <= 0)
    evaluated: list[float] = []
    try:
        def evaluate(price):
            r = pool.merged("solve", price) if evaluated else pool.first_solve(price)
            evaluated.append(price)
            _check(r, by_name, settings)
            cost = sum(v[1] for v in r.values())
            capex = sum(v[2] for v in r.values())
            return cost, capex

        cost0, capex0 = evaluate(0.0)
        iterations = 1
        if budget_krw <= 0 or capex0 <= budget_krw * (1.0 + 1e-12):
            sols = pool.merged("solutions", 0.0)
            return ClusterSolution(sols, "decomposed", budget_krw, 0.0, cost0, capex0, iterations,
                                   time.perf_counter() - t0, _timings(pool), pool.call("interface")[0])
        if any(pool.call("integer")):
            pool.close()
            if progress:
                progress("the budget binds and a site has binary decisions: solving the cluster monolithically")
            return solve_monolithic(sites, budget_krw, settings, models)

        def g(price, cost, capex):
            return cost + price * (capex - budget_krw)

        lo = (0.0, cost0, capex0)
        price = 0.02  # KRW per KRW of capex: about a third of a 25-year CRF at 4.5 %
        while True:
            cost, capex = evaluate(price)
            iterations += 1
            if capex <= budget_krw:
                hi = (price, cost, capex)
                break
            lo = (price, cost, capex)
            price *= 4.0
            if price > 1e4:
                raise InfeasibleError(
                    f"the capital budget of {budget_krw:,.0f} KRW cannot be met: the sites' requirements "
                    f"(self-sufficiency, RE100, pilot share) need at least {capex:,.0f} KRW of capital; "
                    "raise sizing.capital_budget_krw or relax the requirements")
        while iterations < max_iterations:
            (l_lo, c_lo, k_lo), (l_hi, c_hi, k_hi) = lo, hi
            s_lo, s_hi = k_lo - budget_krw, k_hi - budget_krw  # slopes of g: > 0 and <= 0
            g_lo, g_hi = g(l_lo, c_lo, k_lo), g(l_hi, c_hi, k_hi)
            if s_lo - s_hi <= 0:
                break
            price = (g_hi - g_lo + s_lo * l_lo - s_hi * l_hi) / (s_lo - s_hi)
            line = g_lo + s_lo * (price - l_lo)
            cost, capex = evaluate(price)
            iterations += 1
            value = g(price, cost, capex)
            if line - value <= rel_tol * max(abs(line), 1.0):
                break
            if capex > budget_krw:
                lo = (price, cost, capex)
            else:
                hi = (price, cost, capex)
        (l_lo, _, k_lo), (l_hi, _, k_hi) = lo, hi
        theta = (budget_krw - k_hi) / (k_lo - k_hi) if k_lo != k_hi else 1.0
        sol_lo, sol_hi = pool.merged("solutions", l_lo), pool.merged("solutions", l_hi)
        blended = {n: blend(sol_lo[n], sol_hi[n], theta) for n in sol_lo}
        objective = sum(s.objective_krw for s in blended.values())
        capex = sum(s.capex_krw for s in blended.values())
        return ClusterSolution(blended, "decomposed", budget_krw, price, objective, capex, iterations,
                               time.perf_counter() - t0, _timings(pool), pool.call("interface")[0])
    finally:
        pool.close()


def _timings(pool: _Pool) -> dict:
    return pool.merged("times")


def solve_monolithic(sites: list[SiteData], budget_krw: float, settings: SolverSettings,
                     models: ModelCache | None = None) -> ClusterSolution:
    """Every site in one model with the budget row: the reference the decomposition must match.
    ``models``: the last monolithic model is taken back when the sites' structure is the same (its
    budget and self-sufficiency targets are parameters), and kept for the next sizing."""
    import pyomo.core as pyo

    from pvcluster.sizing.highs import solver_interface
    from pvcluster.sizing.model import build_cluster_model, technologies_for
    from pvcluster.sizing.solve import _INFEASIBLE, _OPTIMAL, extract, has_integers, solver_options

    t0 = time.perf_counter()
    key, kept = models.take_cluster(sites, settings) if models is not None else (None, None)
    if kept is not None and (budget_krw > 0) == hasattr(kept[0], "budget_krw"):
        m, solver = kept
        if budget_krw > 0:
            m.budget_krw.set_value(budget_krw)
    else:
        m = build_cluster_model(sites, budget_krw, objective=settings.objective)
        solver = solver_interface()
    integer = has_integers(m)
    t1 = time.perf_counter()
    res = solver.solve(m, solver_options=solver_options(settings, integer, solver=solver), time_limit=settings.time_limit_s,
                       load_solutions=False, raise_exception_on_nonoptimal_result=False)
    if models is not None:
        # the structure never changes between the cases that share it: check only values from now on
        updates = solver.config.auto_updates
        for check in ("check_for_new_or_removed_constraints", "check_for_new_or_removed_vars",
                      "check_for_new_or_removed_params", "check_for_new_objective", "update_constraints",
                      "update_named_expressions", "update_objective"):
            setattr(updates, check, False)
        models.keep_cluster(key, m, solver, sites)
    t2 = time.perf_counter()
    tc = res.termination_condition
    if tc not in _OPTIMAL:
        raise InfeasibleError(f"sizing of the cluster is {tc.name}: {_diagnose_cluster(sites, budget_krw, settings)}"
                              if tc in _INFEASIBLE else f"sizing of the cluster stopped with {tc.name}")
    res.solution_loader.load_vars()
    sols = {}
    for s in sites:
        sol = extract(m.site[s.name], s, technologies_for(s), settings.objective)
        sol.status = tc.name
        sols[s.name] = sol
    price = 0.0
    if budget_krw > 0 and not integer:
        duals = res.solution_loader.get_duals([m.budget])
        price = -float(duals[m.budget])
    objective = float(pyo.value(m.objective))
    capex = sum(s.capex_krw for s in sols.values())
    return ClusterSolution(sols, "monolithic", budget_krw, price, objective, capex, 1, time.perf_counter() - t0,
                           {"build_s": t1 - t0, "solve_s": t2 - t1}, _Sites.interface())


def _diagnose_cluster(sites, budget_krw, settings) -> str:
    import pyomo.core as pyo

    from pvcluster.sizing.highs import solver_interface
    from pvcluster.sizing.model import build_cluster_model
    from pvcluster.sizing.solve import _OPTIMAL, has_integers, solver_options

    m = build_cluster_model(sites, budget_krw, objective=settings.objective, elastic=True)
    solver = solver_interface()
    res = solver.solve(m, solver_options=solver_options(settings, has_integers(m), solver=solver), time_limit=settings.time_limit_s,
                       load_solutions=False, raise_exception_on_nonoptimal_result=False)
    if res.termination_condition not in _OPTIMAL:
        return f"the elastic re-solve also failed ({res.termination_condition.name})"
    res.solution_loader.load_vars()
    excess = pyo.value(m.budget_excess_krw) if budget_krw > 0 else 0.0
    if excess > 1e-3:
        return (f"capital_budget_krw = {budget_krw:,.0f} cannot pay for the sites' requirements: raise it by "
                f"{excess:,.0f} KRW (to {budget_krw + excess:,.0f}) or relax the requirements")
    return "no requirement needed relaxing in the elastic model"


__all__ = ["ClusterSolution", "solve_decomposed", "solve_monolithic", "blend"]
