"""What a study's cases say: distributions, the probability of a loss, and sensitivity indices.

Percentiles follow the exceedance convention of energy yield (and of lenders): P90 is the value
exceeded in 90 % of the cases, the 10th percentile; P10 is exceeded in 10 %. Sobol' indices (first
order and total, with 95 % confidence intervals) and Morris screening (mu*, sigma) come from
SALib's analysers on the same unit-hypercube design the cases were drawn from; the one-at-a-time
method gives each parameter's swing of each output (a tornado).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvcluster.study.sampling import WEATHER_YEAR, oat_levels
from pvcluster.study.spec import StudySpec


def describe(values: np.ndarray, is_npv: bool) -> dict:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return {"cases": 0}
    out = {"cases": int(len(v)), "mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
           "min": float(v.min()), "max": float(v.max()),
           "p10": float(np.percentile(v, 90)), "p50": float(np.percentile(v, 50)), "p90": float(np.percentile(v, 10))}
    if is_npv:
        out["probability_negative"] = float((v < 0).mean())
    return out


def _names(spec: StudySpec, table: pd.DataFrame) -> list[str]:
    return [p.key for p in spec.parameters] + ([WEATHER_YEAR] if WEATHER_YEAR in table.columns else [])


def _unit_design(spec: StudySpec, table: pd.DataFrame) -> np.ndarray:
    from pvcluster.study.sampling import unit_design

    names = _names(spec, table)
    return unit_design(spec, len(names), names)


def analyse(spec: StudySpec, table: pd.DataFrame, cases: pd.DataFrame, base) -> dict:
    keys = list(base.output_keys)
    status = cases["status"].value_counts().to_dict() if not cases.empty else {}
    out: dict = {
        "method": spec.method, "design": spec.design, "cases": int(len(table)),
        "status": {str(k): int(v) for k, v in status.items()},
        "parameters": [{"key": p.key, "label": p.label, "distribution": p.distribution or None,
                        "values": list(p.values) or None} for p in spec.parameters],
        "weather_years": bool(spec.weather_years),
        "convention": "p90 is the value exceeded in 90 % of the cases (the 10th percentile), p10 in 10 %",
        "base": {k: _base_output(base, k) for k in keys},
        "outputs": {},
    }
    ok = cases[cases["status"] == "ok"] if not cases.empty else cases
    for k in keys:
        col = f"out:{k}"
        values = ok[col].to_numpy(dtype=float) if col in ok else np.zeros(0)
        out["outputs"][k] = describe(values, k.endswith("npv_krw"))
    if spec.method == "oat":
        out["tornado"] = oat_swings(spec, table, cases, keys, base)
    elif spec.method in ("sobol", "morris"):
        out["indices"] = indices(spec, table, cases, keys)
    elif spec.method in ("monte_carlo", "lhs") and len(ok) > 2:
        out["rank_correlation"] = rank_correlations(spec, table, ok, keys)
    return out


def _base_output(base, key: str):
    from pvcluster.compare import flatten

    v = flatten(base.summary).get(key)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def oat_swings(spec: StudySpec, table: pd.DataFrame, cases: pd.DataFrame, keys: list[str], base) -> dict:
    """Per output, each parameter's output at its first and last level and the swing, largest first."""
    by_case = cases.set_index("case")
    row = 1
    per_param = []
    for p in spec.parameters:
        levels = oat_levels(p, table.loc[0, p.key], spec.delta_fraction)
        ids = list(range(row, row + len(levels)))
        row += len(levels)
        per_param.append((p, levels, ids))
    out = {}
    for k in keys:
        col = f"out:{k}"
        base_value = by_case.loc[0, col] if 0 in by_case.index and by_case.loc[0, "status"] == "ok" else None
        items = []
        for p, levels, ids in per_param:
            vals = [by_case.loc[i, col] if i in by_case.index and by_case.loc[i, "status"] == "ok" else None for i in ids]
            lo, hi = vals[0], vals[-1]
            swing = abs(hi - lo) if lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi) else None
            items.append({"parameter": p.key, "label": p.label, "levels": [_plain(v) for v in levels],
                          "outputs": [None if v is None or not np.isfinite(v) else float(v) for v in vals],
                          "low": lo if lo is None else float(lo), "high": hi if hi is None else float(hi),
                          "swing": swing})
        items.sort(key=lambda d: -(d["swing"] or 0.0))
        out[k] = {"base": None if base_value is None else float(base_value), "parameters": items}
    return out


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def indices(spec: StudySpec, table: pd.DataFrame, cases: pd.DataFrame, keys: list[str]) -> dict:
    """Sobol' (S1, ST with 95 % intervals) or Morris (mu*, sigma) for every output without failed cases."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    names = _names(spec, table)
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    by_case = cases.set_index("case").reindex(range(len(table)))
    x = _unit_design(spec, table)
    out = {}
    for k in keys:
        y = by_case[f"out:{k}"].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            out[k] = {"note": f"{int((~np.isfinite(y)).sum())} cases without a value: indices need every case"}
            continue
        if np.ptp(y) == 0:
            out[k] = {"note": "the output does not vary"}
            continue
        if spec.method == "sobol":
            r = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=spec.seed)
            out[k] = {n: {"S1": float(r["S1"][i]), "S1_conf": float(r["S1_conf"][i]), "ST": float(r["ST"][i]),
                          "ST_conf": float(r["ST_conf"][i])} for i, n in enumerate(names)}
        else:
            r = morris_analyze.analyze(problem, x, y, num_levels=4, seed=spec.seed)
            out[k] = {n: {"mu_star": float(r["mu_star"][i]), "mu_star_conf": float(r["mu_star_conf"][i]),
                          "sigma": float(r["sigma"][i])} for i, n in enumerate(names)}
    return out


def rank_correlations(spec: StudySpec, table: pd.DataFrame, ok: pd.DataFrame, keys: list[str]) -> dict:
    """Spearman rank correlation of each numeric parameter with each output (what drives it)."""
    out = {}
    for k in keys:
        y = ok[f"out:{k}"]
        if y.nunique() < 2:
            continue
        row = {}
        for name in _names(spec, table):
            x = ok.get(f"in:{name}")
            if x is None or not pd.api.types.is_numeric_dtype(x) or x.nunique() < 2:
                continue
            row[name] = float(pd.Series(x.to_numpy()).rank().corr(pd.Series(y.to_numpy()).rank()))
        out[k] = dict(sorted(row.items(), key=lambda kv: -abs(kv[1])))
    return out
