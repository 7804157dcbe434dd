"""Read hourly weather files through ``pvlib.iotools`` and normalize them.

Normalized weather follows DESIGN.md: 8760 rows, hour-beginning tz-aware labels, pvlib column
names (ghi, dni, dhi, temp_air, wind_speed, albedo). Files in typical-year formats label each
row by the *end* of its hour and mix calendar years; rows are therefore relabeled in order onto
the scenario's calendar year in the file's own fixed UTC offset. Problems are reported as an
InputError that names the file, the column and the first offending timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

from pvcluster.errors import InputError, Problem
from pvcluster.weather.calendar import HOURS_PER_YEAR, hourly_index

REQUIRED_COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
# Physical bounds for hourly means; values outside mean a wrong unit or a corrupt file.
BOUNDS = {
    "ghi": (0.0, 1500.0),
    "dni": (0.0, 1400.0),
    "dhi": (0.0, 1000.0),
    "temp_air": (-70.0, 60.0),
    "wind_speed": (0.0, 75.0),
    "albedo": (0.0, 1.0),
}


@dataclass(frozen=True)
class WeatherFile:
    data: pd.DataFrame
    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    timezone: str
    name: str


def _fixed_offset_zone(hours: float) -> str:
    """An IANA fixed-offset zone name for a UTC offset in hours (note the inverted sign)."""
    if float(hours).is_integer():
        h = int(hours)
        return "UTC" if h == 0 else f"Etc/GMT{'-' if h > 0 else '+'}{abs(h)}"
    raise ValueError(f"fractional UTC offset {hours}")


def _read_raw(path: Path) -> tuple[pd.DataFrame, dict]:
    """Read with pvlib; return data indexed by hour-*beginning* labels, and site metadata.

    pvlib already labels EPW rows by the beginning of the hour (EPW hour 1 -> 00:00) but keeps
    TMY3's hour-ending labels (01:00 for the first hour), so TMY3 is shifted back one hour.
    """
    suffix = path.suffix.lower()
    if suffix == ".epw":
        data, meta = pvlib.iotools.read_epw(path)  # pvlib >= 0.13 always maps names
        meta = {"latitude": meta["latitude"], "longitude": meta["longitude"],
                "altitude": meta["altitude"], "tz": meta["TZ"], "name": meta.get("city", path.stem)}
    elif suffix == ".csv":
        data, meta = pvlib.iotools.read_tmy3(path, map_variables=True)
        meta = {"latitude": meta["latitude"], "longitude": meta["longitude"],
                "altitude": meta["altitude"], "tz": meta["TZ"],
                "name": str(meta.get("Name", path.stem)).strip('"')}
        data.index = data.index - pd.Timedelta(hours=1)
    else:
        raise InputError(Problem(str(path), "", "an EPW (.epw) or TMY3 (.csv) weather file",
                                 f"a file ending in {path.suffix or '(nothing)'!r}"))
    return data, meta


def read_weather_file(path: str | Path, year: int) -> WeatherFile:
    """Read an EPW or TMY3 file and normalize it to ``year``'s 8760-hour calendar."""
    path = Path(path)
    try:
        data, meta = _read_raw(path)
    except InputError:
        raise
    except Exception as exc:  # pvlib raises many kinds on a malformed file
        raise InputError(Problem(str(path), "", "a readable EPW or TMY3 file",
                                 f"{type(exc).__name__}: {exc}")) from None

    problems: list[Problem] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in data.columns]
    if missing:
        problems.append(Problem(str(path), ", ".join(missing), "columns " + ", ".join(REQUIRED_COLUMNS),
                                "none (columns present: " + ", ".join(map(str, data.columns[:12])) + ")"))
        raise InputError(problems, headline=f"cannot use weather file {path}")

    original = data.index
    keep = ~((original.month == 2) & (original.day == 29))
    data = data.loc[keep]
    if len(data) != HOURS_PER_YEAR:
        problems.append(Problem(str(path), "", f"{HOURS_PER_YEAR} hourly rows (8784 in a leap year)",
                                f"{len(original)} rows"))
        raise InputError(problems, headline=f"cannot use weather file {path}")

    try:
        zone = _fixed_offset_zone(float(meta["tz"]))
    except (TypeError, ValueError):
        raise InputError(Problem(str(path), "header time zone", "a whole-hour UTC offset",
                                 repr(meta.get("tz")))) from None
    index = hourly_index(year, zone)
    frame = pd.DataFrame({c: data[c].to_numpy(dtype=float) for c in REQUIRED_COLUMNS}, index=index)
    frame["albedo"] = (data["albedo"].to_numpy(dtype=float) if "albedo" in data.columns
                       else np.full(len(index), np.nan))
    labels = original[keep].strftime("%Y-%m-%d %H:%M (hour beginning, as in the file)")
    for column in [*REQUIRED_COLUMNS, "albedo"]:
        values = frame[column].to_numpy()
        if column == "albedo":
            values = np.where(np.isnan(values), 0.2, values)  # EPW often leaves albedo empty (999)
            values = np.where(values > 1.0, 0.2, values)
            frame[column] = values
        nan = np.isnan(values)
        if nan.any():
            problems.append(Problem(str(path), column, "a number in every row",
                                    f"{int(nan.sum())} missing values, the first at {labels[np.argmax(nan)]}"))
            continue
        low, high = BOUNDS[column]
        bad = (values < low) | (values > high)
        if bad.any():
            i = int(np.argmax(bad))
            problems.append(Problem(str(path), column, f"values from {low:g} to {high:g}",
                                    f"{values[i]:g} at {labels[i]} ({int(bad.sum())} rows out of range)"))
    if problems:
        raise InputError(problems, headline=f"cannot use weather file {path}")
    return WeatherFile(frame, float(meta["latitude"]), float(meta["longitude"]),
                       float(meta["altitude"]), zone, str(meta["name"]))
