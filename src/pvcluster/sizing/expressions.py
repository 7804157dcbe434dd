"""Pyomo expression helpers of the sizing: what a node is, and a fast value of a linear expression.

:func:`value` is ``pyomo.environ.value`` for the expressions a site's model builds (sums, monomials,
products and quotients by numbers or parameters, named ``Expression`` components), in one recursive
pass instead of Pyomo's generic visitor. It does the same arithmetic in the same order (a sum is
Python's ``sum`` of its terms' values started from the first, as Pyomo's evaluation is; a named
expression gives its body as stored), so it returns the same number, a zero's sign and type included.
On a full-year site's bill (26,280 hourly terms) it took 0.005-0.008 s against 0.04-0.06 s, and a
site's sizing reads its cost, capex, bill and yearly terms five to ten times. Any other node (and a
variable without a value) goes to Pyomo's own ``value``, with its errors.
"""

from __future__ import annotations

import pyomo.core as pyo
from pyomo.common.numeric_types import native_numeric_types
from pyomo.core.base.var import ScalarVar, VarData
from pyomo.core.expr.numeric_expr import (DivisionExpression, LinearExpression, MonomialTermExpression,
                                          NegationExpression, ProductExpression, SumExpression)

__all__ = ["value"]

VAR_TYPES = {VarData, ScalarVar}
SUM_TYPES = {SumExpression, LinearExpression}
NAMED_TYPES: set = set()
OTHER_TYPES: set = set()  # seen, neither variable nor named expression


def is_var(cls, node) -> bool:
    if cls in VAR_TYPES:
        return True
    if cls in NAMED_TYPES or cls in OTHER_TYPES or cls in native_numeric_types:
        return False
    if getattr(node, "is_variable_type", None) and node.is_variable_type():
        VAR_TYPES.add(cls)
        return True
    return False


def is_named(cls, node) -> bool:
    if cls in NAMED_TYPES:
        return True
    if cls in OTHER_TYPES:
        return False
    if getattr(node, "is_named_expression_type", None) and node.is_named_expression_type():
        NAMED_TYPES.add(cls)
        return True
    OTHER_TYPES.add(cls)
    return False


def value(expr) -> float:
    """The value of ``expr`` at the variables' current values (see the module's docstring)."""
    try:
        return _value(expr)
    except (TypeError, RecursionError):  # a variable without a value (Pyomo says which), or a deep tree
        return pyo.value(expr)


def _value(expr):
    cls = expr.__class__
    if cls in native_numeric_types:
        return expr
    if cls in SUM_TYPES:
        terms = []
        add = terms.append
        for arg in expr.args:
            a = arg.__class__
            if a is MonomialTermExpression:
                c, v = arg._args_
                if c.__class__ in native_numeric_types and v.__class__ in VAR_TYPES:
                    add(c * v._value)
                    continue
            elif a in VAR_TYPES:
                add(arg._value)
                continue
            add(_value(arg))
        if not terms:
            return 0
        first = iter(terms)
        return sum(first, next(first))
    if cls is MonomialTermExpression or cls is ProductExpression:
        a, b = expr._args_
        return _value(a) * _value(b)
    if cls is NegationExpression:
        return -_value(expr._args_[0])
    if cls is DivisionExpression:
        a, b = expr._args_
        return _value(a) / _value(b)
    if is_var(cls, expr) and expr.value is not None:
        return expr.value
    if is_named(cls, expr) and expr.args[0] is not None:
        return _value(expr.args[0])  # as stored (``.expr`` would turn a number into a constant object)
    return pyo.value(expr)
