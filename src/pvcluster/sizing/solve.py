"""Solve a site's model with HiGHS through Pyomo's persistent interface (no files on disk).

The interface is :class:`~pvcluster.sizing.highs.PersistentHighs`, Pyomo's own with a one-pass
transfer of linear constraints.

:class:`SiteModel` keeps a site's Pyomo model and its persistent HiGHS instance alive, so the
shared budget's price can change between solves and HiGHS restarts from its last basis. The
status, objective, MIP gap and solve time are reported. An infeasible or unbounded case raises
:class:`~pvcluster.errors.InfeasibleError` with a diagnosis from an elastic re-solve: the
requirement that cannot be met and by how much it would have to be relaxed.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np
import pyomo.core as pyo
from pyomo.contrib.solver.common.results import TerminationCondition

from pvcluster.costs import marginal_tax_rate
from pvcluster.errors import InfeasibleError
from pvcluster.market import Dispatch, residential_basic_krw
from pvcluster.sizing.bounds import target_needs_storage
from pvcluster.sizing.data import INFEASIBLE, OPTIMAL, SiteData, pilot_screening_periods, screens_pilot
from pvcluster.sizing.data import SolverSettings  # noqa: F401  (re-exported: its home before sizing/data.py)
from pvcluster.sizing.expressions import value
from pvcluster.sizing.highs import solver_interface
from pvcluster.sizing import storage
from pvcluster.sizing.model import build_site_model, technologies_for
from pvcluster.sizing.results import SiteSolution

_OPTIMAL = {TerminationCondition[name] for name in OPTIMAL}
#: HiGHS's algorithm for a site's LP with the storage held at zero (:meth:`SiteModel._solve_without_storage`),
#: whatever the site's first algorithm: without storage the hourly year barely couples its hours, and the
#: dual simplex took nammyeon's 0.44-0.53 s against 0.76-0.90 s for PDLP taken to a vertex and 1.7 s for IPX
#: (``benchmarks/sizing_speed.py --part i``).
WITHOUT_STORAGE_ALGORITHM = "simplex"
_INFEASIBLE = {TerminationCondition[name] for name in INFEASIBLE}
#: The least reduced cost (KRW per kW + kWh of storage) below which storage pricing says the storage may pay.
PRICING_TOLERANCE_KRW = 1e-6


def has_integers(m: pyo.Block) -> bool:
    """Whether any active variable of ``m`` is integer (binaries included): a variable's domain is integer
    where its interval steps by 1, as Pyomo's ``is_integer`` reads it. Each domain (a few shared sets) is
    asked once: on a full-year site's 70,000 variables, 0.024 s against 0.058 s for each variable's
    ``is_integer()`` and ``is_binary()``."""
    integer: dict[int, bool] = {}
    for c in m.component_objects(pyo.Var, active=True):
        for v in c.values():
            domain = v.domain
            known = integer.get(id(domain))
            if known is None:
                interval = domain.get_interval()
                known = integer[id(domain)] = interval is not None and interval[2] == 1
            if known:
                return True
    return False


def solver_options(settings: SolverSettings, integer: bool, algorithm: str | None = None,
                   simplex_strategy: int | None = None, solver=None) -> dict:
    """HiGHS's options for a solve through ``solver`` (the interface): ``algorithm`` (else
    ``settings.solver``) ``pdlp`` is :func:`pvcluster.sizing.highs.pdlp_vertex` where the interface
    is pvcluster's own, and IPX with crossover on Pyomo's."""
    from pvcluster.sizing.highs import PDLP, PersistentHighs

    # HiGHS fixes its thread pool at the first solve in a process, so "threads" is left alone;
    # IPX, PDLP, the serial dual simplex and HiGHS's MIP search are deterministic, which keeps
    # summary.json reproducible.
    options = {"random_seed": 0}
    if integer:
        options["mip_rel_gap"] = settings.mip_gap_fraction
    else:
        options["solver"] = algorithm or settings.solver
        if options["solver"] == "auto":  # a model of several sites (the monolithic reference): HiGHS's choice
            options["solver"] = "choose"
        if options["solver"] == "pdlp":
            options["solver"] = PDLP if isinstance(solver, PersistentHighs) else "ipm"
        if simplex_strategy is not None and options["solver"] == "simplex":
            options["simplex_strategy"] = simplex_strategy
        if options["solver"] == "ipm":
            options["run_crossover"] = "on"  # a vertex solution: clean sizes, no tiny flows
    return options


def first_algorithm(s: SiteData) -> str:
    """HiGHS's algorithm for a site's first solve when ``solver = "auto"``.

    PDLP taken to a vertex (:func:`pvcluster.sizing.highs.pdlp_vertex`) on the hourly year: on the
    default scenario it sized green_village in 4.1 s against 12.7 s for IPX with crossover and
    18.7 s for the dual simplex, the industrial complex in 1.2 s against 11.3 s for IPX
    (``benchmarks/sizing_speed.py --part f``). The dual simplex on typical days: on the default
    scenario's 24 typical days (4,552-7,193 rows) it took 0.15-0.27 s per site against
    0.23-0.38 s for IPX, and the sizing stage 1.38 s against 1.84 s.
    """
    return "pdlp" if s.time.is_full_year else "simplex"


class SiteModel:
    """A site's model with its persistent HiGHS solver; ``solve(price)`` re-solves cheaply."""

    def __init__(self, s: SiteData, settings: SolverSettings, *, elastic: bool = False):
        t0 = time.perf_counter()
        self.screening = s.pilot_screening  # a screening done ahead, on another worker (see screened_enrollment)
        # the data as given (before pilot screening)
        self.input = s if s.pilot_screening is None else replace(s, pilot_enrollment=None, pilot_screening=None)
        if screens_pilot(s, settings):
            s, self.screening = screen_pilot(s, settings)
        if settings.solver == "auto":
            settings = replace(settings, solver=first_algorithm(s))
        self.data, self.settings = s, settings
        self.technologies = technologies_for(s)
        self.model = build_site_model(s, elastic=elastic, objective=settings.objective,
                                      technologies=self.technologies)
        self.integer = has_integers(self.model)
        self.solver = solver_interface()
        # Once built, the model's structure never changes: between solves only the budget price
        # (a mutable parameter) and the bounds and domains of binaries (branch and bound) do. So
        # each re-solve checks only variables and parameters, not every constraint and expression.
        updates = self.solver.config.auto_updates
        for check in ("check_for_new_or_removed_constraints", "check_for_new_or_removed_vars",
                      "check_for_new_or_removed_params", "check_for_new_objective", "update_constraints",
                      "update_named_expressions", "update_objective"):
            setattr(updates, check, False)
        self.build_s = time.perf_counter() - t0
        self.solve_s = 0.0
        self.solves = 0
        self.result = None
        # A full year whose storage may be built is solved first with the storage's capacity held at
        # zero (see _solve_without_storage); only on the interface whose private maps were checked.
        from pvcluster.sizing.highs import PersistentHighs

        st = getattr(self.model, "storage", None)
        self.price_storage = (st is not None and s.allow_storage and s.time.is_full_year and not self.integer
                              and not elastic and settings.storage_pricing and isinstance(self.solver, PersistentHighs))
        self.storage_certified = 0  # solves certified without storage
        self.cold = False  # the next solve starts from scratch (the storage may pay after all)
        self.price_storage0 = self.price_storage
        self.rate0 = self.data.annualization.tax_rate_fraction  # the tax rate a sizing starts from
        self.prior_solves = 0  # solves of earlier sizings that reused this model (see reuse)
        self.reused = False

    @staticmethod
    def structure(s: SiteData) -> SiteData:
        """``s`` without what a built model can take as a new value (:meth:`reuse`): the self-sufficiency
        target, as long as it stays above zero (at zero the model has no such row)."""
        tau = s.self_sufficiency_target_fraction
        return replace(s, self_sufficiency_target_fraction=1.0 if tau > 0 else 0.0)

    def can_reuse(self, s: SiteData) -> bool:
        """Whether this model, built for data of the same :meth:`structure`, can solve ``s``: pilot
        screening decided enrollment under the old target, so a screened model keeps its target."""
        return self.screening is None or \
            s.self_sufficiency_target_fraction == self.input.self_sufficiency_target_fraction

    def reuse(self, s: SiteData | None = None, warm: bool = False) -> SiteModel:
        """Ready this built model for another sizing (a study's next case) of ``s``, data of the same
        :meth:`structure` (the same data when None). The LP starts from the same tax rate as a new model
        would. ``warm``: HiGHS restarts from the last case's basis, faster, but where the LP has several
        optima (a degenerate dispatch) it may land on another one than a new model would: the same
        objective and sizes, another hourly dispatch, so finance may differ slightly and a case's
        answer depends on the case before it. Cold (the default), HiGHS starts from scratch on the same
        LP as a new model, and the answer is the new model's."""
        if s is not None and s.self_sufficiency_target_fraction != self.input.self_sufficiency_target_fraction:
            tau = s.self_sufficiency_target_fraction
            self.model.self_sufficiency_target.set_value(tau)
            self.data = replace(self.data, self_sufficiency_target_fraction=tau)
            self.input = s
        if abs(self.data.annualization.tax_rate_fraction - self.rate0) > 1e-12:
            self.set_tax_rate(self.rate0)
        if not warm:
            from pvcluster.sizing.cluster import start_afresh

            if not start_afresh(self.solver):  # an interface without HiGHS's model: rebuild
                return SiteModel(self.input, self.settings)
            self.solves = 0
            self.price_storage, self.storage_certified, self.cold = self.price_storage0, 0, False
        self.prior_solves = self.solves
        self.build_s = self.solve_s = 0.0
        self.reused = True
        return self

    def _solve_lp(self, strategy: int = 1, load: list | None = None) -> TerminationCondition:
        """Solve the LP; after the first solve, simplex restarts from the last basis: primal
        (``strategy`` 4) after a change of costs, which keeps the basis primal feasible (3-6x
        faster than dual on a village's year), dual (1) after a change of bounds. ``load``: the
        variables whose values are loaded back into the model (all when None)."""
        if self.price_storage and target_needs_storage(self.data):
            self.price_storage = False  # the LP without storage cannot meet the target (a bound shows it)
        if self.price_storage:
            tc = self._solve_without_storage(strategy, load)
            if tc is not None:
                return tc
        algorithm = "simplex" if self.solves and not self.cold else None
        self.cold = False
        t0 = time.perf_counter()
        res = self.solver.solve(self.model, solver_options=solver_options(self.settings, False, algorithm, strategy, self.solver),
                                time_limit=self.settings.time_limit_s, load_solutions=False,
                                raise_exception_on_nonoptimal_result=False)
        self.solve_s += time.perf_counter() - t0
        self.solves += 1
        self.result = res
        if res.termination_condition in _OPTIMAL:
            res.solution_loader.load_vars(load)
        return res.termination_condition

    def _solve_without_storage(self, strategy: int, load: list | None) -> TerminationCondition | None:
        """Solve the LP with the storage's energy and power held at zero, and keep that optimum if the
        storage cannot pay at its prices; None when it may (the caller then solves the whole LP).

        A storage that is not built makes the hourly year's LP degenerate: every charge, discharge
        and state of charge is zero, and any shift of energy within a month is worth the same under
        monthly block prices and net metering. IPX took 34-40 s on nammyeon for what takes 1 s
        without the storage. The certificate is LP duality: with y the row duals of the LP without
        storage, the storage's columns have reduced costs r = c - A'y over the rows they share with
        the rest (balance, meter rows). If no dispatch of a storage normalized to P + E = 1 over the
        storage's own rows (a cone: they pass through zero) has r'x < 0, then y, with the duals of that pricing LP for the
        storage's rows, is a dual solution of the whole LP with the same objective: the optimum
        without storage is the optimum with it. Else the storage may pay: the whole LP is solved
        from scratch, as before, and this path is not tried again for this site.
        """
        import highspy

        st = self.model.storage
        bounds = [(v, v.ub) for v in (st.energy_kwh, st.power_kw)]
        for v, _ in bounds:
            v.setub(0.0)
        algorithm = WITHOUT_STORAGE_ALGORITHM  # from its last basis after the first solve
        t0 = time.perf_counter()
        try:
            res = self.solver.solve(self.model, solver_options=solver_options(self.settings, False, algorithm, strategy, self.solver),
                                    time_limit=self.settings.time_limit_s, load_solutions=False,
                                    raise_exception_on_nonoptimal_result=False)
            certified = res.termination_condition in _OPTIMAL and self._storage_cannot_pay(highspy)
        finally:
            for v, ub in bounds:
                v.setub(ub)
            self.solve_s += time.perf_counter() - t0
        if certified:
            self.solves += 1
            self.storage_certified += 1
            self.result = res
            res.solution_loader.load_vars(load)
            return res.termination_condition
        if res.termination_condition in _OPTIMAL and self.data.tax is not None:
            # The whole LP starts at the tax rate of this year's income with the PV it builds: the tax
            # rate's iteration (solve) then only checks it against the whole LP's own income, where it
            # would otherwise solve the whole LP again when that income lies above the first bracket
            # (the industrial complex: 1.2 s). A rate only counts as tried once the LP is solved at it.
            res.solution_loader.load_vars()
            rate = self.income_tax_rate()
            if abs(rate - self.data.annualization.tax_rate_fraction) > 1e-9:
                self.set_tax_rate(rate)
        self.price_storage = False
        self.solver._solver_model.clearSolver()  # the whole LP from scratch, with the first algorithm
        self.cold = True
        return None

    def _storage_cannot_pay(self, highspy) -> bool:
        """The pricing LP of :meth:`_solve_without_storage` on the HiGHS model just solved: the least
        reduced cost of a storage dispatch normalized to P + E = 1 (kW + kWh). Every nonzero point of
        the storage's cone has P + E > 0 (without power there is no flow, without energy no state of
        charge), so a least cost >= 0 means no storage of any size can pay. False when in doubt.

        The storage's columns come from HiGHS (``getColsEntries``), not through scipy.sparse: with Pyomo
        imported, importing scipy makes Pyomo's import hook load scipy.stats, sparse, spatial and
        integrate (0.45-0.5 s in a sizing worker, which needs none of them)."""
        try:
            h = self.solver._solver_model
            var_col = self.solver._pyomo_var_to_solver_var_map
            con_row = self.solver._pyomo_con_to_solver_con_map
            st = self.model.storage
            cols = np.array(sorted(var_col[id(v)] for v in st.component_data_objects(pyo.Var)), dtype=np.int32)
            rows = np.array(sorted(con_row[c] for c in st.component_data_objects(pyo.Constraint, active=True)),
                            dtype=np.int32)
            ok = highspy.HighsStatus.kOk
            if len(rows) == 0 or h.getObjectiveSense() != (ok, highspy.ObjSense.kMinimize):
                return False
            got_cols, _, cost, col_lower, _, _ = h.getCols(len(cols), cols)
            got_rows, _, row_lower, row_upper, _ = h.getRows(len(rows), rows)
            if got_cols != ok or got_rows != ok:
                return False
            if np.any(np.isfinite(row_lower) & (row_lower != 0)) or np.any(np.isfinite(row_upper) & (row_upper != 0)) \
                    or np.any(col_lower != 0):
                return False  # the argument needs a cone: rows through zero, columns from zero
            got, start, index, value = h.getColsEntries(len(cols), cols)  # column-wise, in the order of cols
            if got != ok:
                return False
            y = np.asarray(h.getSolution().row_dual, dtype=float)
            y[rows] = 0.0  # only the rows the storage shares with the rest of the site
            column = np.repeat(np.arange(len(cols)), np.diff(np.append(start, len(index))))
            reduced = cost - np.bincount(column, weights=value * y[index], minlength=len(cols))
            size = [int(np.searchsorted(cols, var_col[id(v)])) for v in (st.power_kw, st.energy_kwh)]
            local = np.searchsorted(rows, index)  # each entry's row among the storage's own rows
            own = rows[np.minimum(local, len(rows) - 1)] == index
            own_start = np.append(0, np.cumsum(np.bincount(column[own], minlength=len(cols)))[:-1])
            hourly = [reduced[np.searchsorted(cols, [var_col[id(v)] for v in var.values()])]
                      for var in (st.charge_kw, st.discharge_kw, st.soc_kwh)]
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):  # another layout than the one checked
            return False
        # A daily cycle that pays under these reduced costs answers without the pricing LP (on the default
        # scenario the county's and the industrial complex's LPs, 0.5 s each, answered so every run), where
        # the storage has only the rows that cycle is known to meet
        rows_of = {c.local_name for c in st.component_objects(pyo.Constraint, active=True)}
        if rows_of == storage.CYCLE_ROWS and storage.daily_cycle_cost(
                *hourly, reduced[size[0]], reduced[size[1]], self.data) < -PRICING_TOLERANCE_KRW:
            return False
        q = highspy.Highs()
        q.setOptionValue("output_flag", False)
        q.setOptionValue("solver", "simplex")
        q.setOptionValue("simplex_strategy", 1)  # dual: 0.15-0.33 s on the default sites against 0.38-5.6 s for primal
        q.addRows(len(rows), row_lower, row_upper, 0, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32),
                  np.zeros(0))
        q.addCols(len(cols), reduced, np.zeros(len(cols)), np.full(len(cols), highspy.kHighsInf), int(own.sum()),
                  own_start.astype(np.int32), local[own].astype(np.int32), value[own])
        q.addRow(1.0, 1.0, 2, np.array(size, dtype=np.int32), np.ones(2))  # P + E = 1
        q.run()
        if q.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
        return q.getInfo().objective_function_value >= -PRICING_TOLERANCE_KRW

    def solve(self, price: float = 0.0) -> tuple[TerminationCondition, float, float]:
        """Solve at budget price ``price``; return (termination, site cost, site capex).

        The LP's capex factor depends on the project's marginal tax rate, which depends on its
        taxable income: after a solve, if the income (:meth:`taxable_income_krw`) falls in another
        bracket than the rate used, the factor is updated and the LP solved again (three solves at
        most, after which the rate of the last one stays; a rate that would flip back to one the LP was
        solved at keeps the higher one, which builds less)."""
        m = self.model
        changed = self.solves > 0 and float(m.budget_price.value) != price
        m.budget_price.set_value(price)
        strategy = 4 if changed else 1
        tried: set[float] = set()  # the rates the LP was solved at (a solve may move the rate first)
        for solves in range(1, 4):
            tc = self._branch_and_bound(strategy) if self.integer else self._solve_lp(strategy)
            if tc not in _OPTIMAL or self.data.tax is None:
                break
            solved = self.data.annualization.tax_rate_fraction
            tried.add(round(solved, 6))
            rate = self.income_tax_rate()
            if abs(rate - solved) < 1e-9:
                break
            if round(rate, 6) in tried:
                rate = max(rate, solved)
                if abs(rate - solved) < 1e-9:
                    break
            if solves == 3:
                break  # the rate the LP was last solved at stays (its cost and capex are the answer)
            self.set_tax_rate(rate)
            strategy = 4
        if tc not in _OPTIMAL:
            return tc, math.nan, math.nan
        return tc, value(m.cost_krw), value(m.capex_krw)

    def income_tax_rate(self) -> float:
        """The marginal tax rate of the taxable income of the solution loaded (:meth:`taxable_income_krw`)."""
        return marginal_tax_rate(self.taxable_income_krw(), *self.data.tax)

    def set_tax_rate(self, rate: float) -> None:
        """Update the LP's capex factor (and the -NPV scale) for a marginal tax rate."""
        from pvcluster.sizing.model import cost_factors

        self.data = replace(self.data, annualization=replace(self.data.annualization, tax_rate_fraction=rate))
        f_capex, scale = cost_factors(self.data, self.settings.objective)
        self.model.capex_factor.set_value(f_capex)
        if hasattr(self.model, "annual_scale"):  # objective "npv" only (1 for the annualized cost)
            self.model.annual_scale.set_value(scale)

    def taxable_income_krw(self) -> float:
        """The project's taxable income in a year of the solved dispatch: bills saved, exports and pilot
        revenue, less yearly costs and straight-line depreciation of its capex (real KRW)."""
        m, s = self.model, self.data
        revenue = s.baseline_bill_krw_per_year if s.meters else 0.0
        if hasattr(m, "grid"):
            revenue += -value(m.grid.bill_krw) + value(m.grid.export_revenue_krw)
        if hasattr(m, "pilot"):
            revenue += -value(m.pilot.annual_krw)
        costs = sum(value(getattr(m, t).annual_krw) for t in ("pv", "storage") if hasattr(m, t))
        depreciation = value(m.capex_krw) / max(s.annualization.depreciation_years, 1)
        return revenue - costs - depreciation

    def _branch_and_bound(self, first_strategy: int = 1) -> TerminationCondition:
        """Exact branch and bound over the site's few binaries, on warm-started LP relaxations.

        HiGHS's own MIP search took 480 s on the county site (9 pilot candidates, 8760 hours):
        its dual simplex restarts and heuristics each pay for the whole year-long LP. Here the
        root relaxation is solved by IPX, then every node only changes bounds, so HiGHS's dual
        simplex restarts from the parent's basis. Nodes are explored depth first, the branch
        nearer the relaxed value first; a node whose relaxation cannot beat the incumbent by
        more than ``mip_gap_fraction`` is pruned. A branch sets the binary's bounds (0 or 1 on
        both) rather than fixing it: the persistent interface then only changes two column
        bounds in HiGHS, where fixing a variable re-sends every row it appears in (for a pilot
        candidate, every balance row).
        """
        binaries = [v for v in self.model.component_data_objects(pyo.Var) if v.is_binary()]
        for v in binaries:
            v.domain = pyo.UnitInterval
        gap = self.settings.mip_gap_fraction
        best, best_fix, best_bound = math.inf, None, -math.inf
        stack: list[dict] = [{}]
        nodes = 0
        while stack:
            fix = stack.pop()
            for i, v in enumerate(binaries):
                v.setlb(fix.get(i, 0))
                v.setub(fix.get(i, 1))
            nodes += 1
            # a node needs only its objective and the binaries' values: loading every variable
            # back into Pyomo cost as much as the node's simplex run on typical days
            tc = self._solve_lp(first_strategy if nodes == 1 else 1, load=binaries)
            if tc in _INFEASIBLE:
                continue
            if tc not in _OPTIMAL:
                return tc
            obj = self.result.incumbent_objective
            if nodes == 1:
                best_bound = obj
            if obj >= best - gap * max(abs(best), 1.0):
                continue
            frac = [(abs(v.value - 0.5), i) for i, v in enumerate(binaries)
                    if i not in fix and 1e-6 < v.value < 1 - 1e-6]
            if not frac:
                best, best_fix = obj, {i: round(v.value) for i, v in enumerate(binaries)}
                continue
            _, i = min(frac)
            near = round(binaries[i].value)
            stack.append({**fix, i: 1 - near})
            stack.append({**fix, i: near})
        self.nodes = nodes
        if best_fix is None:
            for v in binaries:
                v.setlb(0)
                v.setub(1)
                v.domain = pyo.Binary
            return TerminationCondition.provenInfeasible
        for i, v in enumerate(binaries):
            v.setlb(best_fix[i])
            v.setub(best_fix[i])
        tc = self._solve_lp()  # leave the model holding the best solution
        self.bound = best_bound
        for v in binaries:
            v.setlb(0)
            v.setub(1)
            v.domain = pyo.Binary
        return tc

    def check(self, tc: TerminationCondition) -> None:
        s = self.data
        if tc in _INFEASIBLE:
            raise InfeasibleError(f"sizing of site {s.name!r} is {tc.name}: {diagnose(s, self.settings)}")
        if tc not in _OPTIMAL:
            raise InfeasibleError(f"sizing of site {s.name!r} did not reach an optimum: HiGHS stopped with "
                                  f"{tc.name} (time limit {self.settings.time_limit_s:g} s)")

    def solution(self) -> SiteSolution:
        res = self.result
        kept = self._basic_charge_on_dispatch()
        try:
            sol = extract(self.model, self.data, self.technologies, self.settings.objective)
        finally:  # restore: the decomposition compares objective values across prices (and cases reuse it)
            for g, value in kept.items():
                self.model.grid.fixed_krw[g].set_value(value)
        sol.tax_rate_fraction = self.data.annualization.tax_rate_fraction
        sol.status = res.termination_condition.name
        sol.build_s, sol.solve_s = self.build_s, self.solve_s
        # branch and bound prunes only nodes that cannot beat the incumbent by mip_gap_fraction,
        # so that is an upper bound on the relative gap (0 for an LP)
        sol.extra["mip_gap_fraction"] = self.settings.mip_gap_fraction if self.integer else 0.0
        sol.extra["solves"] = self.solves - self.prior_solves
        if self.reused:
            sol.extra["model_reused"] = True
        if self.integer:
            sol.extra["branch_and_bound_nodes"] = getattr(self, "nodes", 0)
        if self.screening:
            sol.extra["pilot_screening"] = self.screening
        return sol


    def _basic_charge_on_dispatch(self) -> dict[int, float]:
        """Set each block-tariff meter's basic charge (a constant of the LP, stepping with the block a
        household reaches) from the solved monthly energy; return the values it replaced."""
        m = self.model
        kept = {}
        if not hasattr(m, "grid"):
            return kept
        for g, md in enumerate(self.data.grid_meters):
            blk = getattr(m.grid, f"blocks_{g}", None)
            if blk is None or md.meter is None or md.meter.tariff.kind != "blocks":
                continue
            monthly = np.array([value(blk.billed_kwh[i]) if i in blk.billed_kwh.index_set() else 0.0
                                for i in range(12)])
            kept[g] = float(m.grid.fixed_krw[g].value)
            m.grid.fixed_krw[g].set_value(float(residential_basic_krw(md.meter.tariff, md.meter.count, monthly).sum()))
        return kept


def screen_pilot(s: SiteData, settings: SolverSettings) -> tuple[SiteData, dict]:
    """Decide a full-year site's pilot enrollment on typical days, then fix it.

    With enrollment free, each candidate's binary multiplies its load in every hour, so the
    year-long relaxations have one dense column per candidate: IPX took about 60 s per LP on
    the county site (9 candidates) against 4.4 s with enrollment fixed. So the site is first
    solved exactly (branch and bound) on ``screening_days`` typical days of its own profiles,
    where those columns are short, and the full year is then sized with that enrollment fixed.
    On the default county site this took 8.9 s in all, against 44.6 s (7 nodes) for branch and
    bound on the full year (``screening_days = 0``), with the same enrollment and objective.
    """
    enrolled, info = screened_enrollment(s, settings)
    return replace(s, pilot_enrollment=enrolled), info


def screened_enrollment(s: SiteData, settings: SolverSettings) -> tuple[tuple[bool, ...], dict]:
    """The pilot enrollment :func:`screen_pilot` decides for ``s``, and what the screening reports
    (``pilot_screening``: typical days, objective, seconds, nodes, the enrolled candidates). A sizing on
    workers runs it as a job of its own, ahead of the site (:class:`pvcluster.sizing.cluster._Pool`)."""
    grid, hours = pilot_screening_periods(s, settings)
    small = s.on_grid(grid, hours, rescale=True)  # the candidates' yearly energy, as on typical days
    t0 = time.perf_counter()
    site = SiteModel(small, replace(settings, screening_days=365))
    tc, cost, _ = site.solve()
    site.check(tc)
    enrolled = tuple(bool(pyo.value(site.model.pilot.enrolled[f]) > 0.5) for f in range(len(s.pilot)))
    info = {"typical_days": settings.screening_days, "objective_krw": cost, "seconds": time.perf_counter() - t0,
            "branch_and_bound_nodes": site.nodes,
            "enrolled": [f.name for f, e in zip(s.pilot, enrolled) if e]}
    return enrolled, info


def extract(m: pyo.Block, s: SiteData, technologies, objective: str) -> SiteSolution:
    """Sizes, full-year hourly series, the dispatch by meter and annualized costs by block, from a solved
    site block."""
    from pvcluster.sizing.model import cost_factors

    sizes, hourly, costs, extra = {}, {}, {}, {}
    year_hours = len(s.time.day_to_period) * s.time.period_hours if not s.time.is_full_year else s.steps
    surplus = np.zeros(s.steps)
    f_capex = pyo.value(m.capex_factor) / cost_factors(s, objective)[1]  # K, in KRW a year
    for tech in technologies:
        b = getattr(m, tech.NAME)
        r = tech.results(b, s)
        sizes.update(r.pop("sizes"))
        hourly.update(r.pop("hourly"))
        surplus = surplus + r.pop("surplus_kw", 0.0)
        capex, annual = value(b.capex_krw), value(b.annual_krw)
        costs[tech.NAME] = f_capex * capex + annual
        extra.update(r)
    for key in ("storage_charge_kw", "storage_discharge_kw", "storage_soc_kwh"):  # a site without storage
        hourly.setdefault(key, np.zeros(year_hours))
    sizes.setdefault("storage_energy_kwh", 0.0)
    sizes.setdefault("storage_power_kw", 0.0)
    hourly["pv_curtailed_kw"] = hourly.get("pv_curtailed_kw", 0.0) + surplus
    pilot_load = hourly.pop("pilot_load_kw", np.zeros(s.steps))
    hourly["load_kw"] = s.load_kw + pilot_load

    def full(values):
        values = np.asarray(values, dtype=float) * np.ones(s.steps) if np.ndim(values) == 0 else np.asarray(values)
        return values if len(values) == year_hours else s.time.expand(values)

    for key, values in list(hourly.items()):
        hourly[key] = full(values)
    imports = {name: full(a) for name, a in extra.pop("imports_by_meter_kw", {}).items()}
    loads = {md.name: full(pilot_load if md.pilot_supply else md.load_kw) for md in s.grid_meters}
    dispatch = Dispatch(hourly["pv_generation_kw"], hourly["pv_curtailed_kw"], hourly["grid_export_kw"], imports,
                        loads, hourly["storage_charge_kw"], hourly["storage_discharge_kw"], s.export_limit_kw)
    return SiteSolution(name=s.name, status="", objective_krw=value(m.cost_krw), build_s=0.0, solve_s=0.0,
                        sizes=sizes, hourly=hourly, costs_krw_per_year=costs, extra=extra,
                        capex_krw=value(m.capex_krw), dispatch=dispatch,
                        meters={md.name: md.meter for md in s.meters})


def diagnose(s: SiteData, settings: SolverSettings) -> str:
    """Re-solve with penalized slack on each requirement and say which ones cannot be met."""
    site = SiteModel(s, settings, elastic=True)
    tc, _, _ = site.solve()
    if tc not in _OPTIMAL:
        return f"the elastic re-solve also failed ({tc.name})"
    m = site.model
    w = s.time.weights
    lines = []
    unserved = np.array([pyo.value(m.unserved_kw[t]) for t in m.T])
    if float(w @ unserved) > 1e-3:
        lines.append(
            f"load cannot be served in {float(w @ (unserved > 1e-6)):,.0f} hours of the year "
            f"({float(w @ unserved):,.0f} kWh a year, "
            f"at most {unserved.max():,.1f} kW): raise grid_import_limit_kw by at least "
            f"{unserved.max():,.1f} kW or allow more PV and storage")
    shortfall = pyo.value(m.shortfall_kwh["self_sufficiency"])
    roof = sum(g.max_kwp for g in s.segments)
    if shortfall > 1e-3:
        load = s.annual(s.load_kw)
        target = s.self_sufficiency_target_fraction
        if target > 0 and load > 0:
            achievable = target - shortfall / load
            lines.append(
                f"self_sufficiency_target_fraction = {target:g} cannot be met: at most {achievable:.3f} is "
                f"achievable with {roof:,.1f} kWp of PV (the roof inventory's potential, or max_rooftop_kwp); "
                f"relax the target by {shortfall / load:.3f} (to {achievable:.3f}) or allow more rooftop PV")
        else:
            lines.append(f"the pilot program's pv_share_fraction = {s.pilot_pv_share_fraction:g} cannot be met "
                         f"for the enrolled facilities: {shortfall:,.0f} kWh a year short with {roof:,.1f} kWp of PV")
    re_short = pyo.value(m.shortfall_kwh["re100"])
    if re_short > 1e-3:
        lines.append(f"re100 cannot be met: PV falls {re_short:,.0f} kWh a year short of the site's demand with "
                     f"{roof:,.1f} kWp of PV; allow more PV or drop re100")
    return "; ".join(lines) or "no requirement needed relaxing in the elastic model (numerical trouble?)"


def solve_site(s: SiteData, settings: SolverSettings) -> SiteSolution:
    """Size and dispatch one site on its own (no shared budget)."""
    site = SiteModel(s, settings)
    tc, _, _ = site.solve()
    site.check(tc)
    return site.solution()
