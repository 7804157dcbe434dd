"""Write examples/factory_load_15min.csv: a SYNTHETIC 15-minute load of the agro-food factories.

No Korean AMI (smart-meter) data of a factory was at hand, so this script makes up a year that looks
like one, for the measured-load example (``examples/measured_load.toml``, README "Measured loads").
It is not metered: replace the CSV with a site's own 15-minute export to use real data.

What it draws, for 2025 in Korea standard time (UTC+09:00), 35,040 steps of 15 minutes:

* two shifts (06:00-14:00, 14:00-22:00) on workdays, with a start-up ramp from 05:30, a lunch dip
  (12:00-13:00), a shift change (14:00-14:30), an evening meal (18:00-18:45) and a wind-down
  (22:00-22:30); no production on Saturdays, Sundays and Korean public holidays
  (``pvcluster.calendar.day_off_mask``, from the ``holidays`` package);
* production scaled by the month factors of the catalogue's ``factory_two_shift`` type (the autumn
  harvest peaks in September-November) and by a day-to-day level (lognormal, 6 %);
* a base load of cold stores and compressors all year round, higher in summer;
* 15-minute noise (AR(1), 4 %, lag-1 correlation 0.8).

Seeded (``numpy.random.default_rng(2025)``) and written with one decimal, so running it again
writes the same file byte for byte::

    python examples/make_factory_load.py            # writes examples/factory_load_15min.csv
    python examples/make_factory_load.py --out other.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from pvcluster.calendar import day_off_mask

YEAR = 2025
SEED = 2025
PROCESS_KW = 500.0  # production load of the two plants at full output, above the base
BASE_KW = 100.0  # cold stores, compressors, lighting: the base load in a mild month
BASE_SUMMER_FRACTION = 0.35  # the base rises by this share at the height of summer (refrigeration)
MONTH_FACTORS = [0.95, 0.9, 0.95, 0.95, 1.0, 1.0, 1.05, 1.0, 1.1, 1.15, 1.05, 0.95]  # factory_two_shift
DAY_LEVEL_SD = 0.06
NOISE_SD = 0.04
NOISE_LAG1 = 0.8

# Share of PROCESS_KW in each 15-minute step of a workday, from (hour, minute) on.
WORKDAY_STEPS = [((0, 0), 0.0), ((5, 30), 0.5), ((6, 0), 1.0), ((12, 0), 0.8), ((13, 0), 1.0), ((14, 0), 0.85),
                 ((14, 30), 1.0), ((18, 0), 0.85), ((18, 45), 0.95), ((22, 0), 0.45), ((22, 30), 0.0)]


def workday_shape() -> np.ndarray:
    """Share of the production load in each of the 96 quarters of a workday."""
    shape = np.zeros(96)
    for (hour, minute), share in WORKDAY_STEPS:
        shape[(hour * 60 + minute) // 15:] = share
    return shape


def factory_load() -> pd.Series:
    """The synthetic 15-minute load (kW, mean of each step), indexed by the beginning of each step."""
    rng = np.random.default_rng(SEED)
    index = pd.date_range(f"{YEAR}-01-01 00:00", f"{YEAR}-12-31 23:45", freq="15min", tz="Asia/Seoul")
    days = len(index) // 96
    off = day_off_mask(index)
    month = np.asarray(MONTH_FACTORS)[index.month.to_numpy() - 1]
    level = np.repeat(rng.lognormal(0.0, DAY_LEVEL_SD, days), 96)
    process = PROCESS_KW * np.tile(workday_shape(), days) * np.where(off, 0.0, 1.0) * month * level
    day_of_year = index.day_of_year.to_numpy()
    summer = 0.5 * (1.0 - np.cos(2.0 * np.pi * (day_of_year - 21) / 365.0))  # 0 in late January, 1 in late July
    base = BASE_KW * (1.0 + BASE_SUMMER_FRACTION * summer)
    noise = np.empty(len(index))
    shocks = rng.normal(0.0, NOISE_SD * np.sqrt(1.0 - NOISE_LAG1 ** 2), len(index))
    noise[0] = rng.normal(0.0, NOISE_SD)
    for k in range(1, len(index)):
        noise[k] = NOISE_LAG1 * noise[k - 1] + shocks[k]
    return pd.Series(np.round((base + process) * (1.0 + noise), 1), index=index, name="kw")


HEADER = """\
# SYNTHETIC, NOT METERED: a made-up 15-minute load of the agro-industrial complex's food factories
# (two plants on two shifts, 06-22 h, on workdays) for 2025. No Korean AMI data was at hand; written by
# examples/make_factory_load.py (seed {seed}). Replace it with a site's own 15-minute export for real data.
# time: beginning of each 15-minute step, Korea standard time (UTC+09:00); kw: mean power of the step (kW)
"""


def write(path: Path) -> pd.Series:
    load = factory_load()
    stamps = load.index.strftime("%Y-%m-%dT%H:%M+09:00")
    lines = [HEADER.format(seed=SEED), "time,kw\n"]
    lines += [f"{t},{v:.1f}\n" for t, v in zip(stamps, load.to_numpy())]
    path.write_text("".join(lines), encoding="utf-8", newline="\n")
    return load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "factory_load_15min.csv")
    args = parser.parse_args()
    load = write(args.out)
    print(f"{args.out}: {len(load)} steps, {load.sum() / 4 / 1000:,.1f} MWh, peak {load.max():,.1f} kW, "
          f"median {load.median():,.1f} kW, {args.out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
