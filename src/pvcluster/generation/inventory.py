"""Rooftop inventories: one row per building roof, read from a CSV file or generated.

Columns (units in names): ``building_id``, ``village``, ``class`` (house, public or
commercial), ``tilt_deg``, ``azimuth_deg`` (clockwise from north, 180 = south),
``usable_area_m2`` (roof area that can hold modules) and ``shading_fraction`` (share of the
plane-of-array irradiance lost to obstacles over a year).

No public building-level inventory exists for the Yeongwol villages, so
:func:`generate_inventory` draws one, deterministically from a seed, with the parameters in
the ``rooftops`` input file (each an assumption with its reason). The inventories shipped in
``inputs/`` were written by it; ``python -m pvcluster.generation.inventory SCENARIO`` rewrites them.
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from pvcluster.errors import InputError, Problem

CLASSES = ("house", "public", "commercial")
COLUMNS = ("building_id", "village", "class", "tilt_deg", "azimuth_deg", "usable_area_m2", "shading_fraction")
_BOUNDS = {"tilt_deg": (0.0, 90.0), "azimuth_deg": (0.0, 360.0), "usable_area_m2": (0.0, 1.0e5),
           "shading_fraction": (0.0, 1.0)}


def generate_inventory(village: str, counts: dict[str, int], params, seed: int) -> pd.DataFrame:
    """Draw an inventory of ``counts[class]`` roofs per class for one village.

    Per class c (parameters from the ``rooftops`` facts, lists ordered as :data:`CLASSES`):
    usable area ~ lognormal(median_c, sigma_c); a share ``flat_roof_fraction_c`` of roofs is
    flat and carries south-facing racks at ``flat_roof_rack_tilt_deg``; pitched roofs have
    tilt ~ N(mean, sd) clipped to 5-45 deg and azimuth ~ 180 + N(0, sd) clipped to 90-270 deg
    (installers use the better face); shading ~ Beta with mean ``shading_fraction_mean_c``.
    The stream is keyed by the seed and the village name, so villages do not share draws.
    Values are rounded as they are written to CSV, so a written and re-read inventory is equal.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(village.encode()),)))
    frames = []
    for c, cls in enumerate(CLASSES):
        n = int(counts.get(cls, 0))
        if n == 0:
            continue
        area = params.usable_roof_area_m2_median[c] * np.exp(params.usable_roof_area_sigma[c] * rng.standard_normal(n))
        flat = rng.random(n) < params.flat_roof_fraction[c]
        pitch = np.clip(params.pitched_roof_tilt_deg_mean + params.pitched_roof_tilt_deg_sd * rng.standard_normal(n),
                        5.0, 45.0)
        facing = np.clip(180.0 + params.azimuth_sd_deg * rng.standard_normal(n), 90.0, 270.0)
        k, m = params.shading_fraction_concentration, params.shading_fraction_mean[c]
        shading = rng.beta(m * k, (1.0 - m) * k, n) if m > 0 else np.zeros(n)
        frames.append(pd.DataFrame({
            "building_id": [f"{village}-{cls[0].upper()}{i + 1:03d}" for i in range(n)],
            "village": village,
            "class": cls,
            "tilt_deg": np.round(np.where(flat, params.flat_roof_rack_tilt_deg, pitch), 1),
            "azimuth_deg": np.round(np.where(flat, 180.0, facing), 1),
            "usable_area_m2": np.round(area, 1),
            "shading_fraction": np.round(shading, 3),
        }))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=float if c in _BOUNDS else str) for c in COLUMNS})
    return pd.concat(frames, ignore_index=True)


def village_counts(village) -> dict[str, int]:
    """Buildings per class of a scenario village: a house per household, the hall and others."""
    return {"house": village.households,
            "public": int(village.village_hall) + village.public_buildings,
            "commercial": village.commercial_buildings}


def read_inventory(path: str | Path, village: str | None = None) -> pd.DataFrame:
    """Read and validate an inventory CSV; rows of other villages are dropped if ``village`` is given.

    Every problem is reported at once, naming the file, the column and the row (1-based data
    row as a spreadsheet shows it, the header being row 1).
    """
    path = Path(path)
    where = str(path)
    try:
        frame = pd.read_csv(path, dtype={"building_id": str, "village": str, "class": str}, comment="#")
    except Exception as exc:  # pandas raises many kinds on a malformed file
        raise InputError(Problem(where, "", "a readable CSV roof inventory", f"{type(exc).__name__}: {exc}"),
                         headline=f"cannot read roof inventory {path}") from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(Problem(where, ", ".join(missing), "columns " + ", ".join(COLUMNS),
                                 "a header with " + ", ".join(map(str, frame.columns))),
                         headline=f"cannot use roof inventory {path}")
    problems: list[Problem] = []
    for column, (low, high) in _BOUNDS.items():
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | (values < low) | (values > high) | ((column == "azimuth_deg") & (values >= high))
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            problems.append(Problem(where, column, f"a number from {low:g} to {high:g} in every row",
                                    f"{frame[column].iloc[i]!r} in row {i + 2} ({int(bad.sum())} bad rows)"))
        frame[column] = values
    bad_class = ~frame["class"].isin(CLASSES)
    if bad_class.any():
        i = int(np.argmax(bad_class.to_numpy()))
        problems.append(Problem(where, "class", "one of " + ", ".join(CLASSES),
                                f"{frame['class'].iloc[i]!r} in row {i + 2}"))
    dup = frame["building_id"].duplicated()
    if dup.any():
        i = int(np.argmax(dup.to_numpy()))
        problems.append(Problem(where, "building_id", "a unique id per row",
                                f"{frame['building_id'].iloc[i]!r} again in row {i + 2}"))
    if problems:
        raise InputError(problems, headline=f"cannot use roof inventory {path}")
    if village is not None:
        frame = frame[frame["village"] == village].reset_index(drop=True)
    return frame[list(COLUMNS)]


def main(argv: list[str] | None = None) -> int:
    """``python -m pvcluster.generation.inventory OUT_DIR [SCENARIO]``: write each village's
    generated inventory to ``OUT_DIR/buildings_<village>.csv`` (regenerate on purpose only)."""
    from pvcluster.scenario import load_scenario

    argv = list(argv or [])
    if not argv:
        print(main.__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    scenario = load_scenario(argv[1] if len(argv) > 1 else None)
    for v in scenario.villages:
        frame = generate_inventory(v.name, village_counts(v), scenario.facts.rooftops, scenario.scenario.seed)
        path = out / f"buildings_{v.name}.csv"
        header = (f"# assumption: no public roof inventory exists; drawn by pvcluster.generation.inventory "
                  f"with the parameters in the rooftops input (each an assumption with its reason) and seed "
                  f"{scenario.scenario.seed}\n")
        path.write_text(header + frame.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
        print(f"wrote {len(frame)} roofs to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
