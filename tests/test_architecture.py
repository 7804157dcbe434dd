"""Data flows one way: a static check of every import, anywhere in a file (inside functions too).

* no module of ``pvcluster.finance`` imports ``pvcluster.sizing``;
* the bottom layer (scenario, schema, facts, market, costs, calendar, errors, resources, processes) imports no
  stage (weather, generation, demand, sizing, finance, report, pipeline, cli);
* a stage imports no later stage;
* and, run in a fresh interpreter, a sizing worker's import and the report package stay light.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "pvcluster"
ORDER = ["weather", "generation", "demand", "sizing", "finance", "report", "pipeline", "cli"]
BOTTOM = ["scenario", "schema", "facts", "facts_finance", "facility_catalogue", "pvmodules", "market", "costs", "calendar",
          "errors", "resources", "processes"]


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth of its syntax tree."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _files(part: str) -> list[Path]:
    package = SRC / part
    return sorted(package.rglob("*.py")) if package.is_dir() else [SRC / f"{part}.py"]


def _stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "pvcluster" and parts[1] in ORDER else None


def test_finance_never_imports_sizing():
    offenders = [f"{p.relative_to(SRC)}: {m}" for p in _files("finance") for m in _imports(p)
                 if m == "pvcluster.sizing" or m.startswith("pvcluster.sizing.")]
    assert not offenders, offenders


@pytest.mark.parametrize("part", BOTTOM)
def test_bottom_layer_imports_no_stage(part):
    offenders = [f"{p.relative_to(SRC)}: {m}" for p in _files(part) for m in _imports(p) if _stage_of(m)]
    assert not offenders, offenders


@pytest.mark.parametrize("stage", ORDER[:-2])
def test_a_stage_imports_no_later_stage(stage):
    later = set(ORDER[ORDER.index(stage) + 1:])
    offenders = [f"{p.relative_to(SRC)}: {m}" for p in _files(stage) for m in _imports(p) if _stage_of(m) in later]
    assert not offenders, offenders


def test_the_check_sees_imports_inside_functions(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from pvcluster.sizing import build_sizing\n")
    assert "pvcluster.sizing" in _imports(f)


@pytest.mark.parametrize("module, absent", [
    # what a sizing worker imports: with Pyomo imported, scipy would bring scipy.stats, sparse, spatial and
    # integrate along (Pyomo's import hook), 0.45-0.5 s; pandas comes with the report's figures, after the sizing
    ("pvcluster.pipeline, pvcluster.sizing.cluster, pvcluster.sizing.solve",
     ("pvlib", "matplotlib", "pvcluster.generation", "scipy", "pandas")),
    ("pvcluster.report", ("matplotlib",)),  # a run imports it at its start; matplotlib comes with the figures
    # what a run imports before its stages: Pyomo only where sites are built (0.3-0.6 s with scipy.stats)
    ("pvcluster.pipeline, pvcluster.sizing, pvcluster.report, pvcluster.finance, pvcluster.demand",
     ("pyomo", "highspy", "matplotlib")),
])
def test_light_imports(module, absent):
    """A sizing worker starts without pvlib, scipy and pandas, and a run without Pyomo and matplotlib (each
    takes 0.1-0.5 s to import)."""
    code = f"import sys, {module}; print(sorted(m for m in {absent!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout
