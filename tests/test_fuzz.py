"""Property-based fuzzing of the scenario boundary (hypothesis): a mutated default scenario - values of
the wrong type or out of range, keys deleted or misspelt, tables and arrays swapped, other encodings -
ends as the command line would end it: valid (exit 0), an input error (exit 2) or an infeasible case
(exit 3), never an internal error or a traceback.

Each case loads the scenario and, when it is valid, builds its demand and checks its meters on one
weather year built once for all cases (the stages the scenario's values reach before any solve).
"""

from __future__ import annotations

import copy
import math
import tomllib

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvcluster.errors import InfeasibleError, InputError
from pvcluster.resources import data_root
from pvcluster.scenario import load_scenario

DEFAULT = tomllib.loads((data_root() / "models" / "yeongwol.toml").read_text(encoding="utf-8"))


def _paths(node, prefix=()):
    """Every key path of a nested TOML structure (tables and array items)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, dict):
                yield prefix + (i,)
                yield from _paths(v, prefix + (i,))


PATHS = list(_paths(DEFAULT))

VALUES = st.one_of(
    st.integers(min_value=-10**12, max_value=10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e308, -1e-300, 2**63 - 1, 0.5, 1.5, 1e6]),
    st.text(max_size=30), st.sampled_from(["", "../../../victim", "/etc/passwd", "a/b", "x" * 300, "yeongwol"]),
    st.booleans(), st.lists(st.integers(min_value=-5, max_value=5), max_size=4), st.just({}),
    st.just([{}]), st.just({"name": "x"}), st.lists(st.text(max_size=5), max_size=3))


def _get(root, path):
    node = root
    for p in path[:-1]:
        node = node[p]
    return node


@st.composite
def mutated(draw):
    doc = copy.deepcopy(DEFAULT)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = list(_paths(doc))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _get(doc, path)
        key = path[-1]
        action = draw(st.sampled_from(["replace", "replace", "delete", "rename", "wrap", "unwrap"]))
        if action == "replace":
            parent[key] = draw(VALUES)
        elif action == "delete":
            del parent[key]
        elif action == "rename" and isinstance(key, str):
            parent[key + draw(st.sampled_from(["_", "s", "x"]))] = parent.pop(key)
        elif action == "wrap":  # a table where a value or an array belongs, an array where a table belongs
            parent[key] = [parent[key]] if not isinstance(parent[key], list) else {"0": parent[key]}
        elif action == "unwrap" and isinstance(parent[key], list) and parent[key]:
            parent[key] = parent[key][0]
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "latin-1", "bytes"]))
    return doc, encoding


def _serialize(doc) -> str | None:
    def clean(v):  # TOML has no null and no NaN keys; floats stay floats (nan and inf are TOML)
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v
    try:
        return tomli_w.dumps(clean(doc))
    except (TypeError, ValueError):  # a structure TOML cannot hold (mixed arrays of tables and values)
        return None


@pytest.fixture(scope="module")
def shared():
    """One weather year and the default scenario's generation, built once for every case."""
    from pvcluster.weather import build_weather

    base = load_scenario(overrides=["weather.ensemble_years=0"])
    return build_weather(base)


def _outcome(path, weather) -> int:
    """The command line's exit code for this scenario, up to the first solve; other exceptions escape."""
    from pvcluster.demand import build_demand
    from pvcluster.pipeline import check_meters_or_raise

    try:
        scenario = load_scenario(path)
        check_meters_or_raise(scenario, build_demand(scenario, weather))
    except InputError:
        return 2
    except InfeasibleError:
        return 3
    return 0


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow,
                                                                                   HealthCheck.function_scoped_fixture])
@given(case=mutated())
def test_a_mutated_scenario_never_crashes(case, shared, tmp_path_factory):
    doc, encoding = case
    text = _serialize(doc)
    if text is None:
        return
    path = tmp_path_factory.mktemp("fuzz") / "s.toml"
    if encoding == "bytes":
        path.write_bytes(b"\xff\xfe\x00garbage" + text.encode("utf-8")[:200])
    else:
        path.write_bytes(text.encode(encoding, errors="replace"))
    assert _outcome(path, shared) in (0, 2, 3)


def test_deep_nesting_and_huge_numbers_are_input_errors(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(InputError):
        load_scenario(deep)
    with pytest.raises(InputError, match="plant.capacity_kwp"):
        load_scenario(overrides=[f"plant.capacity_kwp={math.inf}"])
