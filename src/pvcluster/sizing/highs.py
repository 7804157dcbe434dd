"""Pyomo's persistent HiGHS interface, with a fast path for linear constraints.

``pyomo.contrib.solver``'s ``Highs`` hands a model to HiGHS constraint by constraint: for each
one it walks the expression to collect its variables (``collect_vars_and_named_exprs``), adds
any new column with its own ``addVars`` call, then walks it again for its coefficients
(``generate_standard_repn``). On a village's hourly year (44,166 rows, 52,930 columns) that
took 1.25-1.6 s, against 0.005 s for passing the same LP to highspy as a sparse matrix.

:class:`PersistentHighs` is that interface with one change: :meth:`add_constraints` reads a
linear constraint's coefficients in a single pass over its expression (sums, monomials,
variables, constant scalings and named ``Expression`` components), adds all new columns
with one ``addVars`` call and all rows with one ``addRows`` call. It fills the same
bookkeeping as Pyomo's (referenced variables, named expressions, the constraint maps), so
persistent re-solves (``update``: new costs, bounds, fixed variables, added or removed
constraints) work as before. A constraint the fast path does not recognise (mutable
parameters in a coefficient or a bound, nonlinear terms, fixed variables when fixed
variables are not treated as parameters) goes through Pyomo's own code unchanged, in order.

Python's cyclic garbage collector is paused while the model is transferred (Pyomo's
``PauseGC``, as its file writers do): the transfer allocates hundreds of thousands of small
objects, and each collection walks every live object of the process again.

:class:`PersistentHighs` also offers one algorithm of its own, ``solver = "pdlp"``
(:func:`pdlp_vertex`): HiGHS's first-order PDLP to a loose tolerance, IPX's crossover from that
point to a basis, and the dual simplex from the basis to the optimal vertex. The answer is the
simplex's optimum, the same guarantee as IPX with crossover; on the default scenario's hourly
years it took 0.5-4.1 s per site against 1.0-12.7 s for IPX (``benchmarks/sizing_speed.py --part f``).
"""

from __future__ import annotations

from itertools import chain
from operator import attrgetter

import highspy
import numpy as np
from pyomo.common.gc_manager import PauseGC
from pyomo.common.numeric_types import native_numeric_types
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.core.expr.numeric_expr import (DivisionExpression, MonomialTermExpression, NegationExpression,
                                          ProductExpression)
from pyomo.core.expr.numvalue import NumericConstant
from pyomo.core.expr.relational_expr import EqualityExpression, InequalityExpression, RangedExpression

from pvcluster.sizing.expressions import SUM_TYPES as _SUM_TYPES
from pvcluster.sizing.expressions import VAR_TYPES as _VAR_TYPES
from pvcluster.sizing.expressions import is_named as _is_named
from pvcluster.sizing.expressions import is_var as _is_var

__all__ = ["PersistentHighs", "linear_row", "solver_interface", "fast_transfer_status", "pdlp_vertex", "PDLP"]

#: The ``solver`` option value that :class:`PersistentHighs` runs as :func:`pdlp_vertex` (not HiGHS's own).
PDLP = "pdlp-vertex"
#: PDLP's relative optimality tolerance in :func:`pdlp_vertex`. The simplex finishes the job, so the
#: tolerance trades PDLP's iterations against the simplex's: on the default scenario's hourly years
#: 1e-6 took green_village 4.1 s (7,880 PDLP iterations, then 1 simplex iteration), 1e-7 7.1 s
#: (13,480, then 0), 1e-5 3.7 s but 11,556 simplex iterations on the industrial complex.
PDLP_TOLERANCE = 1e-6
#: PDLP's iteration limit in :func:`pdlp_vertex`. The default scenario's sites need 720-7,880; a
#: small test site with a flat price (storage worth nothing, a degenerate LP) needs 22,480, and a
#: 200-hour store over 100,000. At the limit HiGHS keeps no point, so IPX starts from scratch: the
#: limit bounds what a slow PDLP can waste (on a village's year, 30,000 iterations take about as
#: long as 2 IPX solves).
PDLP_ITERATIONS = 30000

#: The Pyomo releases (major, minor) whose persistent HiGHS interface this module was written against
#: and tested with. Another release falls back to Pyomo's own ``Highs`` (slower to build, same LP).
TESTED_PYOMO = {(6, 10)}
#: The private attributes of Pyomo's ``Highs`` that :class:`PersistentHighs` fills or reads.
_PRIVATE = ("_pyomo_var_to_solver_var_map", "_pyomo_con_to_solver_con_map", "_solver_con_to_pyomo_con_map",
            "_vars_referenced_by_con", "_referenced_variables", "_named_expressions", "_active_constraints",
            "_solver_model", "_solve", "_active_config", "_vars", "_sol", "_get_primals", "_process_domain_and_bounds",
            "_mutable_bounds", "_last_results_object")
#: The slots of Pyomo's ``VarData`` that :meth:`PersistentHighs.add_variables` reads.
_VAR_SLOTS = ("_value", "_lb", "_ub", "_domain", "_fixed")
#: Set this environment variable (to anything) to use Pyomo's own interface (CI runs the sizing tests so).
FALLBACK_ENV = "PVCLUSTER_PYOMO_FALLBACK"

_NONE = ()  # the named expressions of a constraint that has none (shared: one object fewer per row)
_EXPR = attrgetter("expr")


class _NotLinear(Exception):
    """The fast path does not handle this expression; Pyomo's generic code will."""


def _collect(expr, scale: float, coefs: dict, variables: dict, named: dict) -> float:
    """Add ``scale * expr``'s linear terms to ``coefs`` (by variable id); return its constant.

    Fixed variables count as constants (at their value) and are still recorded in
    ``variables``, as Pyomo does when it treats fixed variables as parameters.
    """
    cls = expr.__class__
    if cls in native_numeric_types:
        return scale * expr
    if cls is MonomialTermExpression:
        c, v = expr._args_
        if c.__class__ not in native_numeric_types:
            raise _NotLinear
        return _collect(v, scale * c, coefs, variables, named)
    if cls in _SUM_TYPES:
        constant = 0.0
        for arg in expr.args:
            a = arg.__class__
            if a is MonomialTermExpression:
                c, v = arg._args_
                if c.__class__ in native_numeric_types and v.__class__ in _VAR_TYPES and not v.fixed:
                    i = id(v)
                    variables[i] = v
                    coefs[i] = coefs.get(i, 0.0) + scale * c
                    continue
            elif a in _VAR_TYPES and not arg.fixed:
                i = id(arg)
                variables[i] = arg
                coefs[i] = coefs.get(i, 0.0) + scale
                continue
            constant += _collect(arg, scale, coefs, variables, named)
        return constant
    if _is_var(cls, expr):
        i = id(expr)
        variables[i] = expr
        if expr.fixed:
            if expr.value is None:
                raise _NotLinear
            return scale * expr.value
        coefs[i] = coefs.get(i, 0.0) + scale
        return 0.0
    if _is_named(cls, expr):
        named[id(expr)] = expr
        return _collect(expr.expr, scale, coefs, variables, named) if expr.expr is not None else 0.0
    if cls is NegationExpression:
        return _collect(expr._args_[0], -scale, coefs, variables, named)
    if cls is ProductExpression:
        a, b = expr._args_
        if a.__class__ in native_numeric_types:
            return _collect(b, scale * a, coefs, variables, named)
        if b.__class__ in native_numeric_types:
            return _collect(a, scale * b, coefs, variables, named)
        raise _NotLinear
    if cls is DivisionExpression:
        a, b = expr._args_
        if b.__class__ in native_numeric_types and b != 0:
            return _collect(a, scale / b, coefs, variables, named)
    if cls is NumericConstant:
        return scale * expr.value
    raise _NotLinear  # mutable parameters and anything nonlinear


def linear_row(con):
    """``(lb, ub, coefs, variables, named)`` of a linear constraint, or None when not handled.

    ``coefs`` maps variable ids to coefficients (repeated variables merged), ``variables``
    maps ids to all variables met (fixed ones included), ``named`` the named expressions met.
    Bounds are floats (+-inf when absent), with the constant terms moved to them.
    """
    expr = con.expr
    cls = expr.__class__
    coefs: dict = {}
    variables: dict = {}
    named: dict = {}
    try:
        if cls is EqualityExpression:
            lhs, rhs = expr.args
            constant = _collect(lhs, 1.0, coefs, variables, named) + _collect(rhs, -1.0, coefs, variables, named)
            return -constant, -constant, coefs, variables, named
        if cls is InequalityExpression:
            lhs, rhs = expr.args
            constant = _collect(lhs, 1.0, coefs, variables, named) + _collect(rhs, -1.0, coefs, variables, named)
            return -highspy.kHighsInf, -constant, coefs, variables, named
        if cls is RangedExpression:
            lb, body, ub = expr.args
            for bound in (lb, ub):
                if bound is not None and bound.__class__ not in native_numeric_types:
                    return None
            constant = _collect(body, 1.0, coefs, variables, named)
            return (-highspy.kHighsInf if lb is None else lb - constant,
                    highspy.kHighsInf if ub is None else ub - constant, coefs, variables, named)
    except _NotLinear:
        return None
    return None


def _option(h: highspy.Highs, name: str) -> int:
    value = h.getOptionValue(name)
    return int(value[1] if isinstance(value, tuple) else value)  # (status, value) in highspy 1.16


def pdlp_vertex(h: highspy.Highs, steps: list | None = None) -> highspy.HighsStatus:
    """Solve the LP in ``h`` to an optimal vertex: PDLP, crossover, dual simplex; IPX if that fails.

    1. PDLP (``hipdlp``) to :data:`PDLP_TOLERANCE`, or :data:`PDLP_ITERATIONS` iterations;
    2. IPX's crossover from PDLP's primal and dual point to a basis (``Highs.crossover``);
    3. the dual simplex from that basis, with Devex pricing (the default dual steepest edge first
       computes a weight for every row: 5 s on a village's hourly year, for one iteration).

    The answer is the simplex's: an optimal basis of the whole LP, as IPX with crossover gives.
    When PDLP stops without a point (at its iteration limit) or the simplex does not end optimal
    (an infeasible or unbounded LP, which PDLP cannot prove), IPX with crossover solves the LP from
    scratch, and its status is the answer. A time limit PDLP reaches is the answer (the caller's
    limit is spent; in highspy 1.16 it counts every run of the HiGHS object so far).
    ``steps`` (a list) receives the names of the steps taken: ``pdlp``, ``crossover``, ``simplex``,
    ``ipm``.
    """
    steps = [] if steps is None else steps
    run = highspy.Highs.run
    steps.append("pdlp")
    h.setOptionValue("solver", "hipdlp")
    h.setOptionValue("pdlp_optimality_tolerance", PDLP_TOLERANCE)
    h.setOptionValue("pdlp_iteration_limit", PDLP_ITERATIONS)
    status = run(h)
    model_status = h.getModelStatus()
    if model_status == highspy.HighsModelStatus.kTimeLimit:
        return status
    solution = h.getSolution()
    if model_status in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kUnknown) \
            and solution.value_valid and solution.dual_valid:
        steps.append("crossover")
        h.crossover(solution)
        if h.getBasis().valid:
            steps.append("simplex")
            kept = {name: _option(h, name) for name in ("simplex_strategy", "simplex_dual_edge_weight_strategy")}
            h.setOptionValue("solver", "simplex")
            h.setOptionValue("simplex_strategy", 1)  # dual (a primal strategy may be left from a re-solve)
            h.setOptionValue("simplex_dual_edge_weight_strategy", 1)  # Devex
            try:
                status = run(h)
            finally:
                for name, value in kept.items():
                    h.setOptionValue(name, value)
            if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                return status
    steps.append("ipm")
    h.clearSolver()
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "on")
    return run(h)


def _run_without_interrupt_callbacks(h: highspy.Highs, pdlp_steps: list | None) -> highspy.HighsStatus:
    """Run HiGHS on ``h`` (:func:`pdlp_vertex` when ``pdlp_steps`` is a list) with highspy's user
    interrupt callbacks off.

    Pyomo sets ``HandleKeyboardInterrupt`` before it calls ``run()``, which registers a Python callback
    that HiGHS calls at every simplex, IPX and crossover iteration (152,757 calls on the county's hourly
    year, 193,213 on the industrial complex's: 0.15-0.25 s of CPU per site, measured on its LP alone).
    The callback interrupts only after ``cancelSolve()``, or a KeyboardInterrupt caught by highspy's
    ``joinSolve``; Pyomo's ``run()`` uses neither, so no solve here can be interrupted by it."""
    h.HandleKeyboardInterrupt = False
    return pdlp_vertex(h, pdlp_steps) if pdlp_steps is not None else highspy.Highs.run(h)


class _Primals:
    """The variables' values of a solve, as Pyomo's ``_get_primals`` gives them (a map from variables
    to values: ``items()``, ``[var]``, iteration over the variables), without its ``ComponentMap``:
    inserting a full-year site's 70,843 variables into one took 0.53 s, longer than the rest of
    loading them."""

    __slots__ = ("_variables", "_values", "_where")

    def __init__(self, variables: list, values: list):
        self._variables, self._values, self._where = variables, values, None

    def items(self):
        return zip(self._variables, self._values)

    def keys(self):
        return iter(self._variables)

    def values(self):
        return iter(self._values)

    def __iter__(self):
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)

    def __contains__(self, var) -> bool:
        return id(var) in self._index()

    def __getitem__(self, var) -> float:
        return self._values[self._index()[id(var)]]

    def _index(self) -> dict:
        if self._where is None:
            self._where = {id(v): k for k, v in enumerate(self._variables)}
        return self._where


class _Uses(dict):
    """Pyomo's record of the constraints that use one variable (``_referenced_variables[id][0]``, keys in
    the order the constraints were added), filled from the fast transfer's rows only when something reads
    or changes it. Pyomo reads it to remove a constraint, or to send a constraint again after a variable in
    it is fixed; a sizing does neither, and filling it entry by entry took 0.1-0.2 s per full-year site
    (README, "Levers for the default run"). Its truth value (whether any constraint uses the
    variable, which Pyomo asks before it drops a variable or loads its value) needs no filling."""

    __slots__ = ("_solver", "_id")

    def __init__(self, solver: PersistentHighs, var_id: int) -> None:
        super().__init__()
        self._solver, self._id = solver, var_id

    def _filled(self) -> _Uses:
        if self._solver._pending_rows:
            self._solver._fill_uses()
        return self

    def __bool__(self) -> bool:
        return dict.__len__(self) > 0 or self._id in self._solver._pending_vars

    def __len__(self) -> int:
        return dict.__len__(self._filled())

    def __iter__(self):
        return dict.__iter__(self._filled())

    def __contains__(self, key) -> bool:
        return dict.__contains__(self._filled(), key)

    def __getitem__(self, key):
        return dict.__getitem__(self._filled(), key)

    def __setitem__(self, key, value) -> None:
        solver = self._solver
        if solver._deferring and value is None:  # Pyomo's own transfer of a row: pending like the fast rows
            rows = solver._pending_rows
            if not rows or rows[-1] is not key:
                rows.append(key)
            solver._pending_vars.add(self._id)
            return
        dict.__setitem__(self._filled(), key, value)

    def __delitem__(self, key) -> None:
        dict.__delitem__(self._filled(), key)

    def __eq__(self, other) -> bool:
        return dict.__eq__(self._filled(), other)

    def __ne__(self, other) -> bool:
        return dict.__ne__(self._filled(), other)

    def __reversed__(self):
        return dict.__reversed__(self._filled())

    def __or__(self, other):
        return dict.__or__(self._filled(), other)

    def __ror__(self, other):
        return dict.__ror__(self._filled(), other)

    def __ior__(self, other):
        dict.__ior__(self._filled(), other)
        return self

    def __repr__(self) -> str:
        return dict.__repr__(self._filled())

    __hash__ = None

    def keys(self):
        return dict.keys(self._filled())

    def values(self):
        return dict.values(self._filled())

    def items(self):
        return dict.items(self._filled())

    def get(self, key, default=None):
        return dict.get(self._filled(), key, default)

    def pop(self, key, *default):
        return dict.pop(self._filled(), key, *default)

    def popitem(self):
        return dict.popitem(self._filled())

    def setdefault(self, key, default=None):
        return dict.setdefault(self._filled(), key, default)

    def update(self, *args, **kwargs) -> None:
        dict.update(self._filled(), *args, **kwargs)

    def clear(self) -> None:
        dict.clear(self._filled())

    def copy(self) -> dict:
        return dict(dict.items(self._filled()))


class PersistentHighs(Highs):
    """``pyomo.contrib.solver``'s persistent HiGHS interface with a one-pass linear transfer, and
    ``solver = PDLP`` solved by :func:`pdlp_vertex`."""

    pdlp_steps: list = []

    def _solve(self):
        options = self._active_config.solver_options  # a ConfigDict: get() gives the ConfigValue
        h = self._solver_model
        pdlp = dict(options.items()).get("solver") == PDLP
        if pdlp:
            options["solver"] = "hipdlp"  # a valid value for Pyomo to set; pdlp_vertex sets its own
            self.pdlp_steps = []  # what the last solve took (see pdlp_vertex)
        # Pyomo's _solve calls h.run() in its log capture, after setting h.HandleKeyboardInterrupt
        h.run = lambda: _run_without_interrupt_callbacks(h, self.pdlp_steps if pdlp else None)
        try:
            return super()._solve()
        finally:
            del h.run
            if pdlp:
                options["solver"] = PDLP

    def _get_primals(self, vars_to_load=None):
        """Pyomo's own, the same variables and values, in a :class:`_Primals` (see there)."""
        if self._sol is None or not self._sol.value_valid:
            return super()._get_primals(vars_to_load)  # raises Pyomo's NoSolutionError
        if vars_to_load is None:
            ids = [i for i, (using_cons, using_sos, using_obj) in self._referenced_variables.items()
                   if using_cons or using_sos or using_obj is not None]
        else:
            ids = [id(v) for v in vars_to_load]
        columns = np.fromiter((self._pyomo_var_to_solver_var_map[i] for i in ids), dtype=np.int64, count=len(ids))
        values = np.asarray(self._sol.col_value, dtype=float)[columns].tolist()
        return _Primals([self._vars[i][0] for i in ids], values)

    def __init__(self, **kwds):
        super().__init__(**kwds)
        self._pending_rows: list = []  # rows sent whose variables' _Uses are not filled yet (in order)
        self._pending_vars: set = set()  # the ids of those rows' variables
        self._deferring = False  # Pyomo's own add_constraints runs: its rows join the pending ones

    def set_instance(self, model):  # (Pyomo's _reinit calls __init__: the pending rows start empty)
        with PauseGC():
            super().set_instance(model)

    def add_variables(self, variables):
        """Pyomo's ``add_variables`` and ``Highs._add_variables`` in one pass: the same records (``_vars``,
        ``_referenced_variables``, the column map) and the same columns. A variable whose bound is not a
        plain number (a mutable parameter or an expression) goes through Pyomo's own bound handling; so do
        all when the slots read here are not there (another Pyomo release: ``fast_transfer_status``)."""
        referenced, records, var_map = self._referenced_variables, self._vars, self._pyomo_var_to_solver_var_map
        self._sol = None
        if self._last_results_object is not None:
            self._last_results_object.solution_loader.invalidate()
        intervals: dict = {}  # by domain (a few shared sets): its (lb, ub, step)
        first = column = len(var_map)
        lbs, ubs, vtypes = [], [], []
        inf, numbers = highspy.kHighsInf, native_numeric_types
        integer, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
        for v in variables:
            i = id(v)
            if i in referenced:
                raise ValueError(f"Variable {v.name} has already been added")
            domain = v._domain
            interval = intervals.get(id(domain))
            if interval is None:
                interval = intervals[id(domain)] = domain.get_interval()
            lb, ub, fixed, value = v._lb, v._ub, v._fixed, v._value
            referenced[i] = [_Uses(self, i), {}, None]  # in no constraint yet: an empty record, filled lazily
            records[i] = (v, lb, ub, fixed, interval, value)
            var_map[i] = column
            column += 1
            if (lb is None or lb.__class__ in numbers) and (ub is None or ub.__class__ in numbers) \
                    and interval[2] in (0, 1):
                low, high, step = interval
                low = -inf if low is None else low
                high = inf if high is None else high
                if fixed:
                    low = high = value
                else:
                    if lb is not None:
                        low = max(lb, low)
                    if ub is not None:
                        high = min(ub, high)
                vtype = integer if step == 1 else continuous
            else:  # Pyomo's own: a mutable bound (it keeps a helper to update it), or an unknown step
                low, high, vtype = self._process_domain_and_bounds(i)
            lbs.append(low)
            ubs.append(high)
            vtypes.append(vtype)
        self._solver_model.addVars(len(lbs), np.array(lbs, dtype=np.double), np.array(ubs, dtype=np.double))
        self._solver_model.changeColsIntegrality(len(vtypes), np.arange(first, column), np.array(vtypes))

    def _fill_uses(self) -> None:
        """Put the pending rows into their variables' records (:class:`_Uses`), as Pyomo would have."""
        rows, self._pending_rows, self._pending_vars = self._pending_rows, [], set()
        referenced, used_by_con, setitem = self._referenced_variables, self._vars_referenced_by_con, dict.__setitem__
        for con in rows:
            for v in used_by_con[con]:
                setitem(referenced[id(v)][0], con, None)

    def update(self, timer=None):
        with PauseGC():
            super().update(timer)

    def add_constraints(self, cons):
        fast: list = []
        slow: list = []
        for con in cons:
            row = linear_row(con)
            if row is not None and (self._treat_fixed_vars_as_params or all(
                    not v.fixed for v in row[3].values())):
                if slow:
                    self._add_slow(slow)
                    slow = []
                fast.append((con, row))
            else:
                if fast:
                    self._add_linear(fast)
                    fast = []
                slow.append(con)
        if fast:
            self._add_linear(fast)
        if slow:
            self._add_slow(slow)

    def _add_slow(self, cons: list) -> None:
        """Pyomo's own transfer of ``cons``; their variables' records stay pending with the fast rows'."""
        self._deferring = True
        try:
            super().add_constraints(cons)
        finally:
            self._deferring = False

    def _add_linear(self, rows: list) -> None:
        """Send linear rows (``(con, linear_row(con))``) to HiGHS with one ``addRows`` call, their new
        variables first (in the order the rows meet them, as Pyomo adds them), and fill Pyomo's records
        of them in bulk: each record with ``dict.update`` over the rows, the matrix from flat arrays."""
        n = len(rows)
        cons = [con for con, _ in rows]
        con_map, con_inverse = self._pyomo_con_to_solver_con_map, self._solver_con_to_pyomo_con_map
        if not con_map.keys().isdisjoint(cons):  # every row sent is in the map (Pyomo's own rows too)
            con = next(con for con in cons if con in con_map)
            raise ValueError(f"Constraint {con.name} has already been added")
        variables_by_row = [row[3] for _, row in rows]
        met: dict = {}
        for variables in variables_by_row:
            met.update(variables)  # a variable keeps the place of the first row that meets it
        referenced = self._referenced_variables
        new = [v for i, v in met.items() if i not in referenced]
        if new:
            self.add_variables(new)
        self._sol = None
        if self._last_results_object is not None:
            self._last_results_object.solution_loader.invalidate()
        first = len(con_map)
        numbers = range(first, first + n)
        self._active_constraints.update(zip(cons, map(_EXPR, cons)))
        self._named_expressions.update(zip(cons, [[(e, e.expr) for e in row[4].values()] if row[4] else _NONE
                                                  for _, row in rows]))
        self._vars_referenced_by_con.update(zip(cons, map(list, map(dict.values, variables_by_row))))
        # each variable's record of the rows that use it (Pyomo's, fixed variables too) is filled lazily
        self._pending_rows.extend(cons)
        self._pending_vars.update(*variables_by_row)
        con_map.update(zip(cons, numbers))
        con_inverse.update(zip(numbers, cons))
        coefs_by_row = [row[2] for _, row in rows]
        lengths = np.fromiter(map(len, coefs_by_row), dtype=np.int64, count=n)
        entries = int(lengths.sum())
        index = np.fromiter(map(self._pyomo_var_to_solver_var_map.__getitem__, chain.from_iterable(coefs_by_row)),
                            dtype=np.int32, count=entries)
        value = np.fromiter(chain.from_iterable(map(dict.values, coefs_by_row)), dtype=np.double, count=entries)
        kept = value != 0.0
        if not kept.all():  # a coefficient that summed to zero: no entry
            lengths = np.bincount(np.repeat(np.arange(n), lengths)[kept], minlength=n)
            index, value = index[kept], value[kept]
        starts = np.zeros(n, dtype=np.int32)
        np.cumsum(lengths[:-1], out=starts[1:])
        self._solver_model.addRows(n, np.array([row[0] for _, row in rows], dtype=np.double),
                                   np.array([row[1] for _, row in rows], dtype=np.double), len(value), starts, index,
                                   value)


def fast_transfer_status() -> tuple[bool, str]:
    """(use :class:`PersistentHighs`, why or why not): the Pyomo release it was written for, with the
    private attributes it relies on, and not disabled by ``PVCLUSTER_PYOMO_FALLBACK``."""
    import os

    import pyomo.version

    if os.environ.get(FALLBACK_ENV):
        return False, f"Pyomo's own HiGHS interface ({FALLBACK_ENV} is set)"
    release = tuple(pyomo.version.version_info[:2])
    if release not in TESTED_PYOMO:
        return False, (f"Pyomo's own HiGHS interface: Pyomo {pyomo.version.version} is not a release the fast "
                       f"transfer was tested with ({', '.join(f'{a}.{b}' for a, b in sorted(TESTED_PYOMO))})")
    probe = Highs()
    from pyomo.core.base.var import VarData

    missing = [name for name in _PRIVATE if name != "_solver_model" and not hasattr(probe, name)]
    missing += [f"VarData.{name}" for name in _VAR_SLOTS if name not in getattr(VarData, "__slots__", ())]
    if missing:
        return False, f"Pyomo's own HiGHS interface: Pyomo's Highs lacks {', '.join(missing)}"
    return True, f"pvcluster's one-pass transfer (Pyomo {pyomo.version.version})"


def solver_interface():
    """A new persistent HiGHS interface: :class:`PersistentHighs` where :func:`fast_transfer_status`
    allows it, else Pyomo's own ``Highs``."""
    return PersistentHighs() if fast_transfer_status()[0] else Highs()
