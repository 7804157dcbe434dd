"""Cross-check pvcluster's PVWatts-like model against PVWatts v8 in NREL's PySAM, on identical weather.

    python benchmarks/pvwatts_crosscheck.py [--files NAME ...] [--routes table file] [--repeat N]

For each system (fixed tilts and orientations, flat, roof mount, a small system, single-axis
trackers with and without backtracking, a tilted axis) and each TMY file that ships with pvlib
(723170TYA.CSV and 703165TY.csv are TMY3, 12839.tm2 is TMY2) it prints our annual AC energy,
PySAM's, the difference, the worst month, and the time per call of each.

Both runs see the same hourly values: the file is normalized once (8760 hour-beginning rows on the
calendar year ``--year``, DESIGN.md) and those numbers are handed to both models. PySAM gets them
by one of two routes, and ours is run in the matching sun-position mode:

- ``table``: ``SolarResource.solar_resource_data`` (a dict with a *required* minute column, set to
  30). ssc then treats each row as instantaneous at HH:30: sun at mid-hour, no sunrise/sunset-hour
  adjustment. Ours: ``simulate(..., sunrise_sunset_adjust=False)``.
- ``file``: a SAM CSV weather file *without* a minute column, written from the same frame. ssc then
  treats rows as hourly means: sun at mid-hour except in the sunrise and sunset hours, where it is
  placed midway through the lit part of the hour. Ours: the default ``sunrise_sunset_adjust=True``.

PySAM is configured explicitly so the comparison is like for like: bifaciality 0, snow model off,
no soiling, no shading inputs, no wind stow, no transformer losses, no availability adjustments,
and the same pressure (standard atmosphere at the site's altitude) that our model uses.

Times are per call on this machine (best of ``--repeat``): ours is ``simulate()``; PySAM's is
filling the inputs plus ``execute()``. Read them as a ratio, not as absolute numbers.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

from pvcluster.generation.pvwatts import PVWattsSystem, simulate

YEAR = 2023  # any non-leap year; both models get the same calendar
PVLIB_DATA = Path(os.path.dirname(pvlib.__file__)) / "data"
FILES = ("723170TYA.CSV", "703165TY.csv", "12839.tm2")
ROUTES = ("table", "file")

_MW = 1000.0
CASES: dict[str, PVWattsSystem] = {
    "fixed 20 S": PVWattsSystem(_MW, 20, 180),
    "fixed 35 S": PVWattsSystem(_MW, 35, 180),
    "fixed 30 SE (135)": PVWattsSystem(_MW, 30, 135),
    "fixed 30 SW (225)": PVWattsSystem(_MW, 30, 225),
    "flat 0": PVWattsSystem(_MW, 0, 180),
    "roof 25 S": PVWattsSystem(_MW, 25, 180, array_type="roof_mount"),
    "fixed 25 S, 5 kW": PVWattsSystem(5.0, 25, 180),
    "1-axis N-S, backtrack, gcr 0.35": PVWattsSystem(_MW, 0, 180, tracking="single-axis", gcr=0.35),
    "1-axis N-S, no backtrack, gcr 0.35": PVWattsSystem(_MW, 0, 180, tracking="single-axis", gcr=0.35,
                                                        backtrack=False),
    "1-axis tilt 20, backtrack, gcr 0.4": PVWattsSystem(_MW, 20, 180, tracking="single-axis", gcr=0.4),
}


@dataclass(frozen=True)
class Site:
    name: str
    data: pd.DataFrame  # normalized: 8760 hour-beginning rows, pvlib column names
    latitude_deg: float
    longitude_deg: float
    altitude_m: float

    @property
    def utc_offset_hours(self) -> float:
        return self.data.index[0].utcoffset().total_seconds() / 3600.0


@lru_cache(maxsize=None)
def load_site(name: str, year: int = YEAR) -> Site:
    """A pvlib sample TMY file, normalized with pvcluster's reader (or directly with pvlib).

    The direct route is a fallback for when the reader is unavailable: it relabels the rows in
    order onto ``year`` in the file's fixed UTC offset, hour-beginning (TMY2/TMY3 rows are
    hour-ending, first row = the hour ending 01:00), and scales TMY2's tenths.
    """
    path = PVLIB_DATA / name
    try:
        from pvcluster.weather.readers import read_weather_file

        wf = read_weather_file(path, year)
        return Site(name, wf.data, wf.latitude_deg, wf.longitude_deg, wf.altitude_m)
    except Exception as exc:  # noqa: BLE001 - the reader is optional here, the data are not
        print(f"note: reader failed on {name} ({type(exc).__name__}); reading it with pvlib", file=sys.stderr)
    if name.lower().endswith(".tm2"):
        data, meta = pvlib.iotools.read_tmy2(str(path))
        data = data.rename(columns={"GHI": "ghi", "DNI": "dni", "DHI": "dhi"})
        data["temp_air"] = data["DryBulb"] / 10.0  # TMY2 stores tenths of a degree
        data["wind_speed"] = data["Wspd"] / 10.0  # and tenths of m/s
        albedo = np.full(len(data), 0.2)
    else:
        data, meta = pvlib.iotools.read_tmy3(str(path), map_variables=True)
        albedo = data["albedo"].to_numpy(dtype=float)
    tz = float(meta["TZ"])
    zone = "UTC" if tz == 0 else f"Etc/GMT{'-' if tz > 0 else '+'}{abs(int(tz))}"
    index = pd.date_range(f"{year}-01-01", periods=8760, freq="h", tz=zone)
    frame = pd.DataFrame({c: data[c].to_numpy(dtype=float)
                          for c in ("ghi", "dni", "dhi", "temp_air", "wind_speed")}, index=index)
    frame["albedo"] = np.where(np.isfinite(albedo) & (albedo > 0) & (albedo < 1), albedo, 0.2)
    return Site(name, frame, float(meta["latitude"]), float(meta["longitude"]), float(meta["altitude"]))


def _pressure_mbar(site: Site) -> float:
    return float(pvlib.atmosphere.alt2pres(site.altitude_m)) / 100.0


@lru_cache(maxsize=None)
def _sam_csv(name: str, year: int = YEAR) -> str:
    """The site's frame as a SAM CSV weather file without a minute column (cached per file)."""
    site = load_site(name, year)
    d, idx = site.data, site.data.index
    lines = ["Source,Location ID,City,State,Country,Latitude,Longitude,Time Zone,Elevation",
             f"pvcluster,{name},{name},-,-,{site.latitude_deg},{site.longitude_deg},"
             f"{site.utc_offset_hours},{site.altitude_m}",
             "Year,Month,Day,Hour,GHI,DNI,DHI,Tdry,Wspd,Albedo,Pressure"]
    pres = _pressure_mbar(site)
    cols = [idx.year, idx.month, idx.day, idx.hour, d["ghi"], d["dni"], d["dhi"], d["temp_air"],
            d["wind_speed"], d["albedo"]]
    for row in zip(*(np.asarray(c) for c in cols)):
        y, m, dd, h, *vals = row
        lines.append(f"{y},{m},{dd},{h}," + ",".join(repr(float(v)) for v in vals) + f",{pres!r}")
    folder = Path(tempfile.mkdtemp(prefix="pvwatts_crosscheck_"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / f"{Path(name).stem}_{year}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def run_pysam(site: Site, system: PVWattsSystem, route: str = "table") -> dict:
    """PVWatts v8 in PySAM on the site's frame; hourly AC kW, annual and monthly kWh, seconds."""
    import PySAM.Pvwattsv8 as pvwatts  # imported here: optional test dependency

    start = time.perf_counter()
    model = pvwatts.default("PVWattsNone")
    if route == "table":
        d, idx = site.data, site.data.index
        n = len(idx)
        model.SolarResource.solar_resource_data = {
            "lat": site.latitude_deg, "lon": site.longitude_deg, "tz": site.utc_offset_hours,
            "elev": site.altitude_m,
            "year": idx.year.astype(float).tolist(), "month": idx.month.astype(float).tolist(),
            "day": idx.day.astype(float).tolist(), "hour": idx.hour.astype(float).tolist(),
            "minute": [30.0] * n,  # the record's instant: mid-hour of an hour-beginning label
            "dn": d["dni"].tolist(), "df": d["dhi"].tolist(), "gh": d["ghi"].tolist(),
            "tdry": d["temp_air"].tolist(), "wspd": d["wind_speed"].tolist(),
            "alb": d["albedo"].tolist(),  # the table key is 'alb' ('albedo' is silently ignored)
            "pres": [_pressure_mbar(site)] * n,
        }
    elif route == "file":
        model.SolarResource.solar_resource_file = _sam_csv(site.name)
    else:
        raise ValueError(f"route must be 'table' or 'file', not {route!r}")
    model.SolarResource.use_wf_albedo = 1
    sd = model.SystemDesign
    sd.system_capacity = system.capacity_kw
    sd.dc_ac_ratio = system.dc_ac_ratio
    sd.losses = system.losses_fraction * 100.0
    sd.inv_eff = system.inverter_efficiency_fraction * 100.0
    sd.tilt = system.tilt_deg
    sd.azimuth = system.azimuth_deg
    sd.gcr = system.gcr
    sd.rotlim = system.max_angle_deg
    sd.module_type = {"standard": 0, "premium": 1, "thin_film": 2}[system.module_type]
    if system.tracking == "fixed":
        sd.array_type = 0 if system.array_type == "open_rack" else 1
    else:
        sd.array_type = 3 if system.backtrack else 2
    sd.bifaciality = 0.0
    sd.en_snowloss = 0.0
    sd.enable_wind_stow = 0.0
    sd.soiling = (0.0,) * 12
    sd.xfmr_ll = 0.0
    sd.xfmr_nll = 0.0
    model.AdjustmentFactors.adjust_constant = 0.0
    model.execute()
    seconds = time.perf_counter() - start
    out = model.Outputs
    # copy everything out before `model` goes away (its Outputs do not keep it alive)
    return {"ac_kw": np.asarray(out.ac, dtype=float) / 1000.0, "annual_kwh": float(out.annual_energy),
            "monthly_kwh": np.asarray(out.monthly_energy, dtype=float), "seconds": seconds}


def crosscheck(case: str, name: str, route: str = "table", repeat: int = 1) -> dict:
    """One comparison row: our and PySAM's annual MWh, differences in %, seconds per call."""
    site = load_site(name)
    system = CASES[case]
    adjust = route == "file"
    ours_s, sam_s = [], []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        ours = simulate(site.data, site.latitude_deg, site.longitude_deg, site.altitude_m, system,
                        sunrise_sunset_adjust=adjust)
        ours_s.append(time.perf_counter() - t0)
        sam = run_pysam(site, system, route)
        sam_s.append(sam["seconds"])
    monthly_diff = 100.0 * (np.asarray(ours.monthly_mwh) * 1000.0 / sam["monthly_kwh"] - 1.0)
    worst = int(np.argmax(np.abs(monthly_diff)))
    return {"case": case, "file": name, "route": route, "ours_mwh": ours.annual_mwh,
            "pysam_mwh": sam["annual_kwh"] / 1000.0,
            "annual_diff_pct": 100.0 * (ours.annual_mwh * 1000.0 / sam["annual_kwh"] - 1.0),
            "monthly_diff_pct": monthly_diff, "worst_month": worst + 1,
            "worst_month_diff_pct": float(monthly_diff[worst]),
            "ours_s": min(ours_s), "pysam_s": min(sam_s)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", nargs="+", default=list(FILES), metavar="NAME",
                        help="pvlib sample files (default: %(default)s)")
    parser.add_argument("--routes", nargs="+", default=list(ROUTES), choices=ROUTES)
    parser.add_argument("--repeat", type=int, default=3, help="calls per timing, best kept (default 3)")
    args = parser.parse_args(argv)
    try:
        import PySAM
    except ImportError:
        print("nrel-pysam is not installed (pip install -e '.[test]')", file=sys.stderr)
        return 1
    print(f"pvcluster PVWatts-like model vs PVWatts v8 (PySAM {PySAM.__version__}), pvlib {pvlib.__version__}, "
          f"calendar year {YEAR}; capacities in kWp DC, dc/ac {CASES['flat 0'].dc_ac_ratio}, "
          f"losses {CASES['flat 0'].losses_fraction:.2%}")
    rows = []
    for case, system in CASES.items():
        print(f"\n{case}: {system.capacity_kw:g} kWp, {system.tracking}, tilt {system.tilt_deg:g}, "
              f"azimuth {system.azimuth_deg:g}" + (f", gcr {system.gcr:g}" if system.tracking != "fixed"
                                                   or system.array_type == "open_rack" else "")
              + (f", {'backtracking' if system.backtrack else 'no backtracking'}"
                 if system.tracking != "fixed" else f", {system.array_type}"))
        print(f"  {'file':<15}{'route':<7}{'ours MWh':>10}{'PySAM MWh':>11}{'diff %':>9}"
              f"{'worst month %':>15}{'ours ms':>9}{'PySAM ms':>10}")
        for name in args.files:
            for route in args.routes:
                r = crosscheck(case, name, route, args.repeat)
                rows.append(r)
                print(f"  {name:<15}{route:<7}{r['ours_mwh']:>10.3f}{r['pysam_mwh']:>11.3f}"
                      f"{r['annual_diff_pct']:>+9.3f}{r['worst_month_diff_pct']:>+11.3f} ({r['worst_month']:>2})"
                      f"{1000 * r['ours_s']:>9.1f}{1000 * r['pysam_s']:>10.1f}")
    worst_annual = max(abs(r["annual_diff_pct"]) for r in rows)
    worst_month = max(float(np.max(np.abs(r["monthly_diff_pct"]))) for r in rows)
    ratio = np.median([r["ours_s"] / r["pysam_s"] for r in rows])
    ok = worst_annual <= 1.0 and worst_month <= 3.0
    print(f"\n{len(rows)} comparisons: worst annual difference {worst_annual:.3f} %, worst month {worst_month:.3f} % "
          f"(acceptance: 1 % and 3 %) -> {'PASS' if ok else 'FAIL'}; median time ours/PySAM {ratio:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
