"""Read hourly weather files (through ``pvlib.iotools`` where it can) and normalize them.

``read_weather_file(path, year, fmt=None) -> WeatherFile`` reads one file and returns the weather
normalized as DESIGN.md asks: 8760 rows, hourly, labelled by the *beginning* of each hour on the
calendar of ``year`` in the site's fixed-offset local standard time (``Etc/GMT-9`` for Korea),
with pvlib's column names ``ghi, dni, dhi`` (W/m2), ``temp_air`` (degC), ``wind_speed`` (m/s)
and ``albedo`` (fraction). ``WeatherFile.notes`` lists, in plain words, everything the reader
changed on the way (dropped leap days, resampling, time-zone moves, filled albedo, clipped noise).

Formats (``WEATHER_FORMATS``; detected from the file's first lines and suffix, or forced by
``fmt``) and the label convention of each, as read:

``epw``
    EnergyPlus weather, ``pvlib.iotools.read_epw``. The file counts hours 1-24, each *ending* at
    its number; pvlib already labels row "hour h" by ``h - 1:00``, the beginning of the hour, so
    nothing is shifted. Missing-value codes (9999 irradiance, 99.9 degC, 999 m/s, 999 albedo)
    become missing values. Messages quote rows as ``2001-01-05 hour 5``.
``tmy3``
    NSRDB TMY3 CSV, ``pvlib.iotools.read_tmy3``. Rows are labelled by the *end* of the hour
    (``01:00`` .. ``24:00``); the reader labels each row by the hour before (``01:00`` becomes
    ``00:00``, ``24:00`` becomes ``23:00`` of the same day). pvlib's own index moves ``24:00`` to
    the next day (and Feb 29 to Mar 1), so the labels are rebuilt from the Date/Time columns.
    -9900 means missing; albedo flagged ``?`` or <= 0 is treated as missing. Messages quote rows
    as ``01/05/1997 05:00`` (hour ending, as in the file).
``tmy2``
    NSRDB TMY2 fixed-width, ``pvlib.iotools.read_tmy2``. The file's hours are 1-24, ending; pvlib
    already subtracts one hour (hour-beginning) so nothing is shifted. Dry-bulb temperature and
    wind speed are stored in tenths and are divided by 10. Messages quote ``62-01-05 hour 5``.
``pvgis_csv``, ``pvgis_json``
    PVGIS TMY, ``pvlib.iotools.read_pvgis_tmy``. Timestamps ``YYYYMMDD:HH00`` are in UTC and
    taken as the beginning of the hour (as pvlib does). The site's local standard time is
    UTC + round(longitude / 15) h (UTC+9 at 128 E); rows are moved to it and the hours that cross
    the year boundary wrap around to the other end of the typical year (a note says so). PVGIS has
    no albedo. Messages quote ``20180105:0400 UTC``.
``psm3``
    NSRDB PSM3 CSV (2 metadata lines, then Year,Month,Day,Hour,Minute,GHI,DNI,...), parsed with
    ``pvlib.iotools.read_nsrdb_psm4`` (pvlib 0.16 has no PSM3 reader; the PSM4 reader parses the
    PSM3 layout, which it shares). Stamps are in the header's 'Time Zone'; if 'Local Time Zone'
    differs (a UTC download), rows are moved to local time as for PVGIS. Hourly data stamped at
    minute 30 describe the hour they fall in and are labelled by its beginning (floored).
    Messages quote ``2019-01-05 04:30`` (Year..Minute as written).
``sam_csv``
    SAM weather CSV: line 1 metadata names (Latitude, Longitude, Time Zone, Elevation, ... or
    SAM's aliases lat, lon, tz, elev), line 2 their values, line 3 column names: Year, Month, Day,
    Hour, [Minute], GHI, DNI, DHI, Tdry, Wspd, [Albedo], matched case-insensitively with SAM's
    aliases (e.g. 'Temperature', 'Wind Speed', 'Surface Albedo'; units in brackets are ignored).
    Hour 0-23 with Minute as in PSM3: floored to the beginning of the hour; messages as PSM3.
``csv``
    A plain CSV with pvlib names. Optional comment lines at the top, ``# key=value``::

        # latitude=37.18
        # longitude=128.46
        # altitude=240
        # utc_offset=9
        # name=Yeongwol
        time,ghi,dni,dhi,temp_air,wind_speed,albedo
        2025-01-01T00:00+09:00,0,0,0,-3.2,1.4,0.2

    ``latitude`` and ``longitude`` are required; ``altitude`` (m, default 0) and ``name`` are
    optional. The first column holds timestamps pandas can parse, each the *beginning* of its
    interval. They carry a UTC offset, or ``utc_offset`` (hours, e.g. ``9`` or ``+09:00``, or a
    zone without daylight saving such as ``Asia/Seoul``) gives it; if both are given, rows are
    moved from the timestamps' offset to ``utc_offset`` (which is the site's local standard
    time). Timestamps whose offset changes (daylight saving) need ``utc_offset`` and are converted
    to it (note). ``albedo`` is optional. Messages quote ``2025-01-05 04:00+09:00``.

Normalization, common to all formats, in this order: rows of 29 February are dropped (note);
values are checked on the rows as read; sub-hourly rows (an interval that divides 60 min) are
averaged into hourly means labelled by the beginning of their hour (note); rows are moved from the
file's clock to local standard time if they differ (note); each row is then placed by its
(month, day, hour) on ``year``'s calendar, so typical years that mix source years (and actual
years other than ``year``) line up by date. Missing albedo is filled with 0.2 (note).

Errors: every problem found is collected and raised together as an ``InputError`` whose
``Problem``s name the file, the column (pvlib name, with the file's own name when different) and
the first offending row, quoted in the file's own time convention plus its line number:
missing required columns (listing the columns found); empty or non-numeric values (count, first
row); irradiance below -5 W/m2 (count, first row; values from -5 to 0 are night-time sensor noise
and are set to 0, with a note); values beyond physical bounds, with a guess of the unit when most
values are off (e.g. kJ/m2 per hour instead of W/m2), and a yearly GHI maximum below 200 W/m2
(e.g. kWh/m2 or Wh/ft2); duplicated timestamps (count, first);
timestamps that repeat another year's date and hour (more than one year of data); missing
timestamps (count, first); intervals longer than an hour; an unreadable or malformed file (what
the parser said).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pvlib

from pvcluster.errors import InputError, Problem
from pvcluster.calendar import HOURS_PER_YEAR, hourly_index

WEATHER_FORMATS = ("epw", "tmy3", "tmy2", "pvgis_csv", "pvgis_json", "psm3", "sam_csv", "csv")
FORMAT_NAMES = {
    "epw": "EnergyPlus EPW", "tmy3": "NSRDB TMY3", "tmy2": "NSRDB TMY2", "pvgis_csv": "PVGIS TMY CSV",
    "pvgis_json": "PVGIS TMY JSON", "psm3": "NSRDB PSM3 CSV", "sam_csv": "SAM CSV",
    "csv": "CSV with pvlib column names",
}
REQUIRED_COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
IRRADIANCE_COLUMNS = ("ghi", "dni", "dhi")
# Physical bounds for hourly means; values outside mean a wrong unit or a corrupt file.
BOUNDS = {
    "ghi": (0.0, 1500.0),
    "dni": (0.0, 1400.0),
    "dhi": (0.0, 1000.0),
    "temp_air": (-70.0, 60.0),
    "wind_speed": (0.0, 75.0),
    "albedo": (0.0, 1.0),
}
UNITS = {"ghi": "W/m2", "dni": "W/m2", "dhi": "W/m2", "temp_air": "degC", "wind_speed": "m/s",
         "albedo": "(fraction)"}
# Irradiance from -5 W/m2 up to 0 is night-time sensor (or model) noise: set to 0, with a note.
NOISE_FLOOR_W_PER_M2 = -5.0
DEFAULT_ALBEDO_FRACTION = 0.2
MINUTES_PER_YEAR = HOURS_PER_YEAR * 60
# first day-of-year (0-based) of each month in a 365-day year
_MONTH_START_DAY = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])
_NONLEAP_DAYS = pd.date_range("2001-01-01", periods=365, freq="D")

# SAM's column-name aliases (lower case, units in brackets removed), from SAM's weatherfile.cpp
SAM_COLUMN_ALIASES = {
    "year": ("year", "yr"),
    "month": ("month", "mo"),
    "day": ("day",),
    "hour": ("hour", "hr"),
    "minute": ("minute", "min"),
    "ghi": ("ghi", "gh", "global", "global horizontal", "global horizontal irradiance"),
    "dni": ("dni", "dn", "beam", "direct normal", "direct normal irradiance",
            "direct (beam) normal irradiance"),
    "dhi": ("dhi", "df", "diffuse", "diffuse horizontal", "diffuse horizontal irradiance"),
    "temp_air": ("tdry", "dry bulb", "dry bulb temp", "dry bulb temperature", "temperature", "ambient",
                 "ambient temp", "tamb", "air temperature"),
    "wind_speed": ("wspd", "wind speed", "windspeed", "ws", "windvel"),
    "albedo": ("albedo", "alb", "surface albedo"),
}
SAM_META_ALIASES = {
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "long", "lng"),
    "tz": ("time zone", "timezone", "tz"),
    "elevation": ("elevation", "elev", "el", "site elevation", "altitude"),
}


@dataclass(frozen=True)
class WeatherFile:
    """A weather file normalized to one 8760-hour year (see the module docstring)."""

    data: pd.DataFrame
    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    timezone: str
    name: str
    notes: tuple[str, ...] = ()


@dataclass
class _Parsed:
    """What a format parser hands to the common normalization.

    ``data`` has a RangeIndex in file order and pvlib column names (raw values, any dtype);
    ``stamps`` are naive interval-*beginning* labels on the file's own clock (UTC offset
    ``file_offset_h``); ``label`` writes such a stamp as the file would; ``row_ref(i)`` names data
    row ``i`` (a line number, or a JSON path).
    """

    fmt: str
    data: pd.DataFrame
    stamps: pd.DatetimeIndex
    label: Callable[[pd.Timestamp], str]
    row_ref: Callable[[int], str]
    time_columns: str
    file_columns: dict[str, str]
    found_columns: list[str]
    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    name: str
    file_offset_h: float
    site_offset_h: float
    site_offset_source: str = ""
    notes: list[str] = field(default_factory=list)


def _fixed_offset_zone(hours: float) -> str:
    """An IANA fixed-offset zone name for a UTC offset in hours (note the inverted sign)."""
    if float(hours).is_integer():
        h = int(hours)
        return "UTC" if h == 0 else f"Etc/GMT{'-' if h > 0 else '+'}{abs(h)}"
    raise ValueError(f"fractional UTC offset {hours}")


def _line_ref(first_line: int) -> Callable[[int], str]:
    return lambda i: f"line {first_line + i}"


def _stamps_from_parts(year, month, day, hour, minute=0) -> pd.DatetimeIndex:
    parts = pd.DataFrame({"year": np.asarray(year, dtype=int), "month": np.asarray(month, dtype=int),
                          "day": np.asarray(day, dtype=int), "hour": np.asarray(hour, dtype=int),
                          "minute": np.broadcast_to(np.asarray(minute, dtype=int), len(year))})
    return pd.DatetimeIndex(pd.to_datetime(parts))


# ----------------------------------------------------------------------------------------------
# format detection


def _head(path: Path, n: int = 2) -> list[str]:
    lines = []
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for line in f:
            lines.append(line.rstrip("\r\n"))
            if len(lines) >= n:
                break
    return lines + [""] * (n - len(lines))


_TMY2_HEADER = re.compile(r"^\s*\S+\s+\S+.*\s[NS]\s+\d+\s+\d+\s+[EW]\s+\d+\s+\d+\s+-?\d+\s*$")


def detect_format(path: str | Path) -> str:
    """The format name (one of ``WEATHER_FORMATS``) of a weather file, from its first lines."""
    path = Path(path)
    first, second = _head(path)
    suffix = path.suffix.lower()
    fields = [f.strip().lower() for f in next(csv.reader([first]), [])]
    if suffix == ".json" or first.lstrip().startswith("{"):
        return "pvgis_json"
    if first.startswith("LOCATION,"):
        return "epw"
    if first.lower().startswith("latitude (decimal degrees)"):
        return "pvgis_csv"
    if suffix in (".tm2", ".tmy2") or _TMY2_HEADER.match(first):
        return "tmy2"
    if "local time zone" in fields:
        return "psm3"
    if set(fields) & set(SAM_META_ALIASES["latitude"]) and set(fields) & set(SAM_META_ALIASES["longitude"]):
        return "sam_csv"
    if len(fields) == 7 and second.startswith("Date (MM/DD/YYYY)"):
        return "tmy3"
    if first.startswith("#") or "ghi" in [f.strip().lower() for f in second.split(",")] or "ghi" in fields:
        return "csv"
    if suffix == ".epw":
        return "epw"
    raise InputError(Problem(
        str(path), "", "a weather file in one of the formats " + ", ".join(WEATHER_FORMATS)
        + " (or pass fmt= to say which)", f"a file starting with {first[:60]!r}"),
        headline=f"cannot tell the format of weather file {path}")


# ----------------------------------------------------------------------------------------------
# parsers: one per format, each returning a _Parsed


def _parse_epw(path: Path) -> _Parsed:
    data, meta = pvlib.iotools.read_epw(path)
    stamps = data.index.tz_localize(None)
    data = data.reset_index(drop=True)
    for column, missing in (("ghi", 9999), ("dni", 9999), ("dhi", 9999), ("temp_air", 99.9),
                            ("wind_speed", 999), ("albedo", 999)):
        values = pd.to_numeric(data[column], errors="coerce")
        data[column] = values.where(values < missing)
    return _Parsed(
        "epw", data, pd.DatetimeIndex(stamps),
        label=lambda s: f"{s.year}-{s.month:02d}-{s.day:02d} hour {s.hour + 1}",
        row_ref=_line_ref(9), time_columns="year, month, day, hour",
        file_columns={c: c for c in (*REQUIRED_COLUMNS, "albedo")},
        found_columns=list(data.columns),
        latitude_deg=meta["latitude"], longitude_deg=meta["longitude"], altitude_m=meta["altitude"],
        name=str(meta.get("city") or path.stem), file_offset_h=meta["TZ"], site_offset_h=meta["TZ"])


def _tmy3_label(stamp: pd.Timestamp) -> str:
    end = stamp + pd.Timedelta(hours=1)
    if end.hour == 0 and end.minute == 0:
        return f"{stamp:%m/%d/%Y} 24:00"
    return f"{end:%m/%d/%Y %H:%M}"


def _parse_tmy3(path: Path) -> _Parsed:
    data, meta = pvlib.iotools.read_tmy3(path, map_variables=True)
    data = data.reset_index(drop=True)
    date = pd.to_datetime(data["Date (MM/DD/YYYY)"], format="%m/%d/%Y")
    hhmm = data["Time (HH:MM)"].astype(str).str.split(":")
    ends = date + pd.to_timedelta(hhmm.str[0].astype(int), unit="h") \
        + pd.to_timedelta(hhmm.str[1].astype(int), unit="min")
    stamps = pd.DatetimeIndex(ends - pd.Timedelta(hours=1))  # hour-ending -> hour-beginning
    for column in (*REQUIRED_COLUMNS, "albedo"):
        if column in data.columns:
            values = pd.to_numeric(data[column], errors="coerce")
            data[column] = values.where(values > -9900)
    if "albedo" in data.columns:  # NSRDB writes 0 (source '?') where it has no albedo
        unknown = data["albedo"] <= 0
        if "Alb source" in data.columns:
            unknown |= data["Alb source"].astype(str).str.strip() == "?"
        data["albedo"] = data["albedo"].where(~unknown)
    names = {"ghi": "GHI (W/m^2)", "dni": "DNI (W/m^2)", "dhi": "DHI (W/m^2)", "temp_air": "Dry-bulb (C)",
             "wind_speed": "Wspd (m/s)", "albedo": "Alb (unitless)"}
    return _Parsed(
        "tmy3", data, stamps, label=_tmy3_label, row_ref=_line_ref(3),
        time_columns="Date (MM/DD/YYYY), Time (HH:MM)", file_columns=names,
        found_columns=[{v: k for k, v in pvlib.iotools.tmy.VARIABLE_MAP.items()}.get(c, c)
                       for c in data.columns],
        latitude_deg=meta["latitude"], longitude_deg=meta["longitude"], altitude_m=meta["altitude"],
        name=str(meta.get("Name", path.stem)).strip('"'), file_offset_h=meta["TZ"],
        site_offset_h=meta["TZ"])


def _parse_tmy2(path: Path) -> _Parsed:
    raw, meta = pvlib.iotools.read_tmy2(str(path))
    raw = raw.reset_index(drop=True)
    # pvlib labels each row by (hour - 1), the beginning of the hour, on the row's own date
    stamps = _stamps_from_parts(1900 + raw["year"], raw["month"], raw["day"], raw["hour"] - 1)
    data = pd.DataFrame({
        "ghi": raw["GHI"], "dni": raw["DNI"], "dhi": raw["DHI"],
        "temp_air": raw["DryBulb"] / 10.0,  # tenths of degC
        "wind_speed": raw["Wspd"] / 10.0,  # tenths of m/s
    }).astype(float)
    for column in IRRADIANCE_COLUMNS:
        data[column] = data[column].where(data[column] < 9999)
    return _Parsed(
        "tmy2", data, stamps,
        label=lambda s: f"{s.year % 100:02d}-{s.month:02d}-{s.day:02d} hour {s.hour + 1}",
        row_ref=_line_ref(2), time_columns="year, month, day, hour",
        file_columns={"ghi": "GHI", "dni": "DNI", "dhi": "DHI", "temp_air": "DryBulb", "wind_speed": "Wspd"},
        found_columns=list(raw.columns),
        latitude_deg=meta["latitude"], longitude_deg=meta["longitude"], altitude_m=meta["altitude"],
        name=str(meta.get("City", path.stem)).replace("_", " "), file_offset_h=meta["TZ"],
        site_offset_h=meta["TZ"])


def _first_line_starting(path: Path, prefix: str) -> int:
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if line.startswith(prefix):
                return number
    return 0


def _parse_pvgis(path: Path, kind: str) -> _Parsed:
    data, meta = pvlib.iotools.read_pvgis_tmy(path, pvgis_format=kind, map_variables=True)
    stamps = pd.DatetimeIndex(data.index.tz_convert("UTC").tz_localize(None))
    data = data.reset_index(drop=True)
    if kind == "json":
        location = meta["inputs"]["location"]
        row_ref = lambda i: f"outputs.tmy_hourly[{i}]"  # noqa: E731
    else:
        location = meta["inputs"]
        row_ref = _line_ref(_first_line_starting(path, "time(UTC)") + 1)
    lat, lon = float(location["latitude"]), float(location["longitude"])
    names = {v: k for k, v in pvlib.iotools.pvgis.VARIABLE_MAP.items()}
    return _Parsed(
        f"pvgis_{kind}", data, stamps, label=lambda s: f"{s:%Y%m%d:%H%M} UTC", row_ref=row_ref,
        time_columns="time(UTC)", file_columns={c: names.get(c, c) for c in REQUIRED_COLUMNS},
        found_columns=[names.get(c, c) for c in data.columns],
        latitude_deg=lat, longitude_deg=lon, altitude_m=float(location["elevation"]),
        name=f"PVGIS TMY {lat:.3f}, {lon:.3f}", file_offset_h=0.0,
        site_offset_h=float(round(lon / 15.0)), site_offset_source="round(longitude / 15)")


def _psm_label(stamp: pd.Timestamp) -> str:
    return f"{stamp:%Y-%m-%d %H:%M}"


def _parse_psm3(path: Path) -> _Parsed:
    data, meta = pvlib.iotools.read_nsrdb_psm4(path, map_variables=True)
    data = data.reset_index(drop=True)
    stamps = _stamps_from_parts(data["Year"], data["Month"], data["Day"], data["Hour"], data["Minute"])
    names = {v: k for k, v in pvlib.iotools.psm4.VARIABLE_MAP.items()}
    city = str(meta.get("City", "-")).strip()
    return _Parsed(
        "psm3", data, stamps, label=_psm_label, row_ref=_line_ref(4),
        time_columns="Year, Month, Day, Hour, Minute",
        file_columns={c: names.get(c, c) for c in (*REQUIRED_COLUMNS, "albedo")},
        found_columns=[names.get(c, c) for c in data.columns],
        latitude_deg=float(meta["latitude"]), longitude_deg=float(meta["longitude"]),
        altitude_m=float(meta["altitude"]),
        name=f"NSRDB {meta.get('Location ID', '')}{'' if city in ('', '-') else ' ' + city}".strip(),
        file_offset_h=float(meta["Time Zone"]), site_offset_h=float(meta["Local Time Zone"]),
        site_offset_source="'Local Time Zone' in the header")


def _plain_name(name: str) -> str:
    return re.sub(r"\s*[(\[].*?[)\]]", "", str(name)).strip().lower()


def _parse_sam(path: Path) -> _Parsed:
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        names, values = next(reader), next(reader)
    meta = {n.strip().lower(): v.strip() for n, v in zip(names, values)}
    problems, header = [], {}
    for key, aliases in SAM_META_ALIASES.items():
        text = next((meta[a] for a in aliases if meta.get(a, "") != ""), None)
        if text is None and key != "elevation":
            problems.append(Problem(str(path), f"line 1: {aliases[0].title()}",
                                    f"a metadata field named {' or '.join(aliases)} with its value on line 2",
                                    "fields " + ", ".join(n.strip() for n in names if n.strip())))
            continue
        try:
            header[key] = float(text) if text is not None else 0.0
        except ValueError:
            problems.append(Problem(str(path), f"line 2: {aliases[0].title()}", "a number", repr(text)))
    if problems:
        raise InputError(problems, headline=f"cannot use weather file {path}")
    units_row = meta.get("units", meta.get("hasunits", "")).lower() in ("yes", "1", "true")
    table = pd.read_csv(path, skiprows=[0, 1, 3] if units_row else [0, 1], dtype=str,
                        skipinitialspace=True)
    table.columns = [str(c).strip() for c in table.columns]
    lookup = {_plain_name(c): c for c in table.columns}
    file_columns = {"ghi": "GHI", "dni": "DNI", "dhi": "DHI", "temp_air": "Tdry", "wind_speed": "Wspd",
                    "albedo": "Albedo"}  # SAM's own names, quoted in messages when a column is missing
    for column, aliases in SAM_COLUMN_ALIASES.items():
        found = next((lookup[a] for a in aliases if a in lookup), None)
        if found is not None:
            file_columns[column] = found
    missing = [c for c in ("year", "month", "day", "hour") if c not in file_columns]
    if missing:
        raise InputError([Problem(str(path), f"line 3: {c.title()}",
                                  f"a time column named {' or '.join(SAM_COLUMN_ALIASES[c])}",
                                  "columns " + ", ".join(table.columns)) for c in missing],
                         headline=f"cannot use weather file {path}")
    parts = {c: pd.to_numeric(table[file_columns[c]], errors="raise")
             for c in ("year", "month", "day", "hour")}
    minute = (pd.to_numeric(table[file_columns["minute"]], errors="raise")
              if "minute" in file_columns else 0)
    stamps = _stamps_from_parts(parts["year"], parts["month"], parts["day"], parts["hour"], minute)
    data = pd.DataFrame({c: table[file_columns[c]] for c in (*REQUIRED_COLUMNS, "albedo")
                         if file_columns[c] in table.columns})
    city = meta.get("city", "") or meta.get("location id", "") or path.stem
    time_columns = ", ".join(file_columns[c] for c in ("year", "month", "day", "hour", "minute")
                             if c in file_columns)
    return _Parsed(
        "sam_csv", data, stamps, label=_psm_label, row_ref=_line_ref(5 if units_row else 4),
        time_columns=time_columns, file_columns=file_columns, found_columns=list(table.columns),
        latitude_deg=header["latitude"], longitude_deg=header["longitude"],
        altitude_m=header["elevation"], name=str(city), file_offset_h=header["tz"],
        site_offset_h=header["tz"])


def _parse_offset_hours(text: str) -> float:
    """'9', '+9', '-5.5', '+09:00', 'UTC+9', or a zone without daylight saving ('Asia/Seoul')
    -> hours east of UTC."""
    if "/" in text:
        zone = ZoneInfo(text.strip())
        offsets = {zone.utcoffset(datetime(2001, month, 1)) for month in (1, 7)}
        if len(offsets) != 1:
            raise ValueError(f"{text} has daylight saving")
        return offsets.pop().total_seconds() / 3600.0
    body = text.strip().upper().removeprefix("UTC").removeprefix("GMT").strip() or "0"
    match = re.fullmatch(r"([+-]?)(\d{1,2}):(\d{2})", body)
    if match:
        sign = -1.0 if match.group(1) == "-" else 1.0
        return sign * (int(match.group(2)) + int(match.group(3)) / 60.0)
    return float(body)


def _offset_text(hours: float) -> str:
    sign = "-" if hours < 0 else "+"
    minutes = int(round(abs(hours) * 60))
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_csv(path: Path) -> _Parsed:
    header, skip = {}, 0
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for line in f:
            text = line.strip()
            if text.startswith("#"):
                body = text.lstrip("#").strip()
                if "=" in body:
                    key, value = body.split("=", 1)
                    header[key.strip().lower()] = (value.strip(), skip + 1)
            elif text:
                break
            skip += 1
    table = pd.read_csv(path, skiprows=skip, dtype=str, skipinitialspace=True)
    table.columns = [str(c).strip() for c in table.columns]
    first_line = skip + 2
    problems = []

    def number(key: str, aliases: tuple[str, ...], default: float | None):
        hit = next((header[a] for a in aliases if a in header), None)
        if hit is None:
            if default is None:
                problems.append(Problem(str(path), key, f"a '# {key}=<number>' line at the top of the file",
                                        "no such line"))
            return default
        try:
            return _parse_offset_hours(hit[0]) if key == "utc_offset" else float(hit[0])
        except (ValueError, KeyError):  # KeyError: ZoneInfoNotFoundError
            expected = ("hours east of UTC (e.g. 9 or +09:00) or a zone without daylight saving"
                        if key == "utc_offset" else "a number")
            problems.append(Problem(str(path), f"line {hit[1]}: {key}", expected, repr(hit[0])))
            return default

    lat = number("latitude", ("latitude", "lat"), None)
    lon = number("longitude", ("longitude", "lon"), None)
    alt = number("altitude", ("altitude", "elevation", "altitude_m"), 0.0)
    offset_keys = ("utc_offset", "utc_offset_h", "timezone")
    header_offset = number("utc_offset", offset_keys, float("nan"))
    offset_line = any(k in header for k in offset_keys)  # given, even if unreadable (reported above)
    if table.shape[1] == 0 or len(table) == 0:
        problems.append(Problem(str(path), "", "a header line and data rows", "no data rows"))
        raise InputError(problems, headline=f"cannot use weather file {path}")
    time_column = table.columns[0]
    text = table[time_column].astype(str).str.strip()
    aware, notes = True, []
    try:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        if parsed.isna().all():
            parsed = pd.to_datetime(text, errors="coerce")
    except ValueError:  # mixed UTC offsets (daylight saving) cannot share one fixed-offset clock
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
        if not offset_line:
            offsets = sorted(set(text.str.extract(r"([+-]\d{2}:?\d{2}|Z)$")[0].dropna()))
            problems.append(Problem(str(path), time_column, "timestamps with one fixed UTC offset "
                                    "(no daylight saving), or a '# utc_offset=<hours>' line",
                                    "offsets " + ", ".join(offsets[:4])))
        if problems or not float(header_offset).is_integer():
            if not problems:
                problems.append(Problem(str(path), "utc_offset", "a whole-hour UTC offset", f"{header_offset:g}"))
            raise InputError(problems, headline=f"cannot use weather file {path}") from None
        parsed = parsed.dt.tz_convert(_fixed_offset_zone(header_offset))
        offsets = sorted(set(text.str.extract(r"([+-]\d{2}:?\d{2}|Z)$")[0].dropna()))
        notes.append(f"timestamps with UTC offsets {', '.join(offsets[:4])} (daylight saving) converted to "
                     f"the fixed offset UTC{_offset_text(header_offset)} of the '# utc_offset' line")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        problems.append(Problem(str(path), time_column, "a timestamp pandas can parse in every row",
                                f"{int(bad.sum())} unparseable values, the first {text.iloc[i]!r} "
                                f"at line {first_line + i}"))
    if parsed.dt.tz is None:
        aware = False
        if not offset_line:
            problems.append(Problem(str(path), time_column, "timestamps with a UTC offset (e.g. "
                                    "2025-01-01T00:00+09:00) or a '# utc_offset=<hours>' line",
                                    f"timestamps without an offset, e.g. {text.iloc[0]!r}"))
    if problems:
        raise InputError(problems, headline=f"cannot use weather file {path}")
    if aware:
        file_offset = parsed.dropna().iloc[0].utcoffset().total_seconds() / 3600.0
        stamps = pd.DatetimeIndex(parsed.dt.tz_localize(None))
    else:
        file_offset = header_offset
        stamps = pd.DatetimeIndex(parsed)
    site_offset = file_offset if np.isnan(header_offset) else header_offset
    suffix = _offset_text(file_offset) if aware else ""
    data = pd.DataFrame({c: table[c] for c in (*REQUIRED_COLUMNS, "albedo") if c in table.columns})
    name = header["name"][0] if "name" in header else path.stem
    return _Parsed(
        "csv", data, stamps, label=lambda s: f"{s:%Y-%m-%d %H:%M}{suffix}", row_ref=_line_ref(first_line),
        time_columns=time_column, file_columns={c: c for c in (*REQUIRED_COLUMNS, "albedo")},
        found_columns=list(table.columns), latitude_deg=lat, longitude_deg=lon, altitude_m=alt,
        name=name, file_offset_h=file_offset, site_offset_h=site_offset,
        site_offset_source="the '# utc_offset' line", notes=notes)


_PARSERS: dict[str, Callable[[Path], _Parsed]] = {
    "epw": _parse_epw,
    "tmy3": _parse_tmy3,
    "tmy2": _parse_tmy2,
    "pvgis_csv": lambda p: _parse_pvgis(p, "csv"),
    "pvgis_json": lambda p: _parse_pvgis(p, "json"),
    "psm3": _parse_psm3,
    "sam_csv": _parse_sam,
    "csv": _parse_csv,
}


# ----------------------------------------------------------------------------------------------
# checks and normalization, common to all formats


def minute_of_year(stamps: pd.DatetimeIndex) -> np.ndarray:
    """Minutes since 1 January 00:00 on a 365-day calendar (the year itself is ignored)."""
    day = _MONTH_START_DAY[np.asarray(stamps.month) - 1] + np.asarray(stamps.day) - 1
    return (day * 24 + np.asarray(stamps.hour)) * 60 + np.asarray(stamps.minute)


def _stamp_at(minute: int, year: int) -> pd.Timestamp:
    day = _NONLEAP_DAYS[minute // 1440]
    return pd.Timestamp(year, day.month, day.day, (minute // 60) % 24, minute % 60)


def _column_key(parsed: _Parsed, column: str) -> str:
    name = parsed.file_columns.get(column, column)
    return column if name == column else f"{column} ('{name}' in the file)"


def _unit_guess(column: str, values: np.ndarray, out: np.ndarray) -> str:
    """A guess at the unit when most values are off, e.g. '; looks like kJ/m2 per hour ...'."""
    finite = values[np.isfinite(values)]
    if finite.size == 0 or out.sum() < 0.05 * max(1, int((finite > 0).sum())):
        return ""  # a few bad rows: a corrupt file rather than a wrong unit
    high = BOUNDS[column][1]
    top = float(finite.max())
    if column in IRRADIANCE_COLUMNS:
        for unit, factor in (("kJ/m2 per hour", 3.6), ("J/m2 per hour", 3600.0)):
            if high / 4 <= top / factor <= high:
                return f"; looks like {unit} (divide by {factor:g}), not W/m2"
    elif column == "temp_air":
        if finite.min() > 150:
            return "; looks like kelvin (subtract 273.15), not degC"
        if top <= 140:
            return "; looks like degF, not degC"
    elif column == "wind_speed" and top / 3.6 <= high:
        return "; looks like km/h (divide by 3.6), not m/s"
    elif column == "albedo" and top <= 100:
        return "; looks like percent (divide by 100), not a fraction"
    return ""


def _too_small_ghi_guess(top: float) -> str:
    if top <= 0:
        return "; the file holds no irradiance at all (a placeholder or an empty export?)"
    if top <= 1.5:
        return "; looks like kWh/m2 per hour (multiply by 1000), not W/m2"
    if top <= 5.4:
        return "; looks like MJ/m2 per hour (multiply by 277.8), not W/m2"
    if 20 <= top <= 150:
        return "; looks like W/ft2 or Wh/ft2 per hour (multiply by 10.764), not W/m2"
    return ""


def _check_values(data: pd.DataFrame, parsed: _Parsed, path: Path, where: Callable[[int], str],
                  problems: list[Problem], notes: list[str]) -> pd.DataFrame:
    """Check every value on the rows as read; return float columns with sensor noise clipped."""
    out = {}
    for column in [c for c in (*REQUIRED_COLUMNS, "albedo") if c in data.columns]:
        key = _column_key(parsed, column)
        raw = data[column]
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        text = raw.astype(str).str.strip() if raw.dtype == object or pd.api.types.is_string_dtype(raw) else None
        if text is not None:
            blank = raw.isna().to_numpy() | text.isin(["", "nan", "NaN", "NA", "N/A"]).to_numpy()
            not_number = np.isnan(values) & ~blank
            if not_number.any():
                i = int(np.argmax(not_number))
                problems.append(Problem(str(path), key, "a number in every row",
                                        f"{int(not_number.sum())} values that are not numbers, the first "
                                        f"{text.iloc[i]!r} at {where(i)}"))
        else:
            not_number = np.zeros(len(values), dtype=bool)
        missing = np.isnan(values) & ~not_number
        if column != "albedo" and missing.any():
            i = int(np.argmax(missing))
            problems.append(Problem(str(path), key, "a number in every row",
                                    f"{int(missing.sum())} empty or missing values, the first at {where(i)}"))
        low, high = BOUNDS[column]
        unit = UNITS[column]
        with np.errstate(invalid="ignore"):
            if column in IRRADIANCE_COLUMNS:
                negative = values < NOISE_FLOOR_W_PER_M2
                if negative.any():
                    i = int(np.argmax(negative))
                    problems.append(Problem(
                        str(path), key, f"irradiance of at least {NOISE_FLOOR_W_PER_M2:g} W/m2 (values from "
                        f"{NOISE_FLOOR_W_PER_M2:g} to 0 are night-time sensor noise and are set to 0)",
                        f"{int(negative.sum())} values below {NOISE_FLOOR_W_PER_M2:g} W/m2, the first "
                        f"{values[i]:g} at {where(i)}"))
                noise = (values < 0) & ~negative
                if noise.any():
                    notes.append(f"{column}: set {int(noise.sum())} small negative values (from "
                                 f"{NOISE_FLOOR_W_PER_M2:g} W/m2 up to 0, sensor noise) to 0")
                    values = np.where(noise, 0.0, values)
                bad = values > high
            else:
                bad = (values < low) | (values > high)
        if bad.any():
            i = int(np.argmax(bad))
            problems.append(Problem(
                str(path), key, f"values from {low:g} to {high:g} {unit}",
                f"{values[i]:g} at {where(i)} ({int(bad.sum())} rows out of range)"
                f"{_unit_guess(column, values, bad)}"))
        elif column == "ghi" and np.isfinite(values).sum() >= 24 * 300 and np.nanmax(values) < 200:
            i = int(np.nanargmax(values))
            problems.append(Problem(
                str(path), key, "W/m2, with a yearly maximum of at least 200",
                f"a yearly maximum of {values[i]:g} at {where(i)}{_too_small_ghi_guess(values[i])}"))
        out[column] = values
    return pd.DataFrame(out)


def _normalize(parsed: _Parsed, path: Path, year: int) -> WeatherFile:
    src = str(path)
    headline = f"cannot use weather file {path}"
    notes = list(parsed.notes)
    missing = [c for c in REQUIRED_COLUMNS if c not in parsed.data.columns]
    if missing:
        def wanted(column: str) -> str:
            text = f"a column {parsed.file_columns.get(column, column)!r}"
            if parsed.fmt == "sam_csv":
                text += " (or one of SAM's names " + ", ".join(SAM_COLUMN_ALIASES[column]) + ")"
            return text

        raise InputError([Problem(src, _column_key(parsed, c), wanted(c),
                                  "none; columns present: " + ", ".join(map(str, parsed.found_columns[:30])))
                          for c in missing], headline=headline)
    if len(parsed.stamps) == 0:
        raise InputError(Problem(src, "", "one year of data rows", "no data rows"), headline=headline)

    stamps = parsed.stamps
    rows = np.arange(len(stamps))  # data-row numbers in the file, kept through filtering
    leap = np.asarray((stamps.month == 2) & (stamps.day == 29))
    if leap.any():
        years = sorted(set(stamps[leap].year))
        notes.append(f"dropped {int(leap.sum())} rows of 29 February ({', '.join(map(str, years))}) "
                     "to keep a 365-day year")
        stamps, rows = stamps[~leap], rows[~leap]
    data = parsed.data.iloc[rows].reset_index(drop=True)

    def where(i: int) -> str:  # row i of the filtered rows, as the file shows it
        return f"{parsed.label(stamps[i])} ({parsed.row_ref(int(rows[i]))})"

    problems: list[Problem] = []
    values = _check_values(data, parsed, path, where, problems, notes)

    time_key = parsed.time_columns
    duplicated = np.asarray(stamps.duplicated(keep="first"))
    if duplicated.any():
        i = int(np.argmax(duplicated))
        first = int(np.argmax(np.asarray(stamps == stamps[i])))
        problems.append(Problem(src, time_key, "one row per timestamp",
                                f"{int(duplicated.sum())} duplicated timestamps, the first {where(i)}, "
                                f"already at {parsed.row_ref(int(rows[first]))}"))
    minutes = minute_of_year(stamps)
    unique = ~duplicated
    repeated = pd.Series(minutes[unique]).duplicated().to_numpy()
    interval = 60
    if repeated.any():
        problems.append(Problem(src, time_key, "one year of data (8760 hourly rows, each day and hour once)",
                                f"{len(stamps)} rows from {where(0)} to {where(len(stamps) - 1)}: "
                                f"{int(repeated.sum())} repeat a day and hour of another year"))
    else:
        present = np.sort(minutes[unique])
        steps = np.diff(present)
        if steps.size:
            options, counts = np.unique(steps, return_counts=True)
            interval = int(options[np.argmax(counts)])
        if interval > 60 or 60 % interval:
            i = int(np.argmax(unique))
            problems.append(Problem(src, time_key,
                                    "hourly or sub-hourly rows (an interval dividing 60 minutes)",
                                    f"rows every {interval} minutes, starting at {where(i)}"))
        else:
            phase = int(present[0] % interval)
            expected = np.arange(phase, MINUTES_PER_YEAR, interval)
            absent = np.setdiff1d(expected, present, assume_unique=True)
            if absent.size:
                order = np.argsort(minutes, kind="stable")  # borrow the year of the row before the gap
                neighbour = order[max(int(np.searchsorted(minutes[order], absent[0])) - 1, 0)]
                stamp = _stamp_at(int(absent[0]), int(stamps[neighbour].year))
                problems.append(Problem(
                    src, time_key, f"{expected.size} rows, one every {interval} minutes for a whole year "
                    "(8760 hourly rows; 29 February may be present and is dropped)",
                    f"{len(present)} rows: {absent.size} timestamps missing, the first "
                    f"{parsed.label(stamp)}"))
    if problems:
        raise InputError(problems, headline=headline)

    # sub-hourly -> hourly means, labelled by the beginning of the hour
    hours = minutes // 60
    values = values.loc[unique].groupby(hours[unique]).mean()
    if interval < 60:
        notes.append(f"resampled {interval}-minute data ({int(unique.sum())} rows) to hourly means, "
                     "each labelled by the beginning of its hour")
    elif minutes[0] % 60:
        notes.append(f"hourly rows stamped at minute {int(minutes[0] % 60)} describe the hour they fall in; "
                     "labelled by the beginning of that hour")
    if len(values) != HOURS_PER_YEAR:  # the gap check above makes this unreachable
        raise InputError(Problem(src, time_key, f"{HOURS_PER_YEAR} hours", f"{len(values)} hours"),
                         headline=headline)

    # the file's clock -> the site's local standard time, wrapping around the year
    problems = []
    zones = ((("time zone", parsed.file_offset_h),) if parsed.file_offset_h == parsed.site_offset_h else
             (("time zone of the timestamps", parsed.file_offset_h), ("local time zone", parsed.site_offset_h)))
    for label, hours_east in zones:
        try:
            _fixed_offset_zone(float(hours_east))
        except (TypeError, ValueError):
            problems.append(Problem(src, label, "a whole-hour UTC offset", repr(hours_east)))
    if problems:
        raise InputError(problems, headline=headline)
    shift = int(round(parsed.site_offset_h - parsed.file_offset_h))
    zone = _fixed_offset_zone(float(parsed.site_offset_h))
    keys = (values.index.to_numpy() + shift) % HOURS_PER_YEAR
    if shift:
        notes.append(f"timestamps are UTC{_offset_text(parsed.file_offset_h)}; moved {shift:+d} h to local "
                     f"standard time UTC{_offset_text(parsed.site_offset_h)} (from "
                     f"{parsed.site_offset_source or 'the header'}), wrapping the {abs(shift)} hours that "
                     "cross the year boundary around to the other end of the year")
    values = values.set_axis(keys).sort_index()

    frame = pd.DataFrame({c: values[c].to_numpy() for c in REQUIRED_COLUMNS}, index=hourly_index(year, zone))
    if "albedo" in values.columns:
        albedo = values["albedo"].to_numpy()
        unknown = np.isnan(albedo)
        if unknown.any():
            notes.append(f"albedo missing in {int(unknown.sum())} of {HOURS_PER_YEAR} hours; "
                         f"filled with {DEFAULT_ALBEDO_FRACTION:g}")
        frame["albedo"] = np.where(unknown, DEFAULT_ALBEDO_FRACTION, albedo)
    else:
        notes.append(f"the file has no albedo; used {DEFAULT_ALBEDO_FRACTION:g}")
        frame["albedo"] = DEFAULT_ALBEDO_FRACTION
    return WeatherFile(frame, float(parsed.latitude_deg), float(parsed.longitude_deg),
                       float(parsed.altitude_m), zone, str(parsed.name), tuple(notes))


def _malformed_hint(fmt: str, path: Path) -> str:
    """Where a file the parser rejected goes wrong, for the formats whose parser does not say."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    if fmt == "epw":  # 8 header lines, then 35 fields per row starting with year, month, day, hour
        for number, line in enumerate(lines[8:], start=9):
            fields = line.split(",")
            if len(fields) != 35 or not all(f.strip().lstrip("-").isdigit() for f in fields[:4]):
                return f"; line {number} has {len(fields)} fields (35 expected): {line[:60]!r}"
    if fmt == "pvgis_csv":  # 8760 rows after the 'time(UTC)' header line, then a blank line
        start = next((i for i, line in enumerate(lines) if line.startswith("time(UTC)")), None)
        if start is not None:
            body = lines[start + 1:]
            rows = next((i for i, line in enumerate(body) if not line.strip()), len(body))
            if rows != HOURS_PER_YEAR:
                return f"; {rows} data rows after line {start + 1} ('time(UTC),...'), a PVGIS TMY has 8760"
    return ""


def read_weather_file(path: str | Path, year: int, fmt: str | None = None) -> WeatherFile:
    """Read a weather file and normalize it to ``year``'s 8760-hour calendar.

    ``fmt`` forces one of ``WEATHER_FORMATS``; by default the format is detected from the first
    lines and the suffix. Conventions per format and the checks made are in the module docstring.
    Raises ``InputError`` listing every problem found (file, column, first row, count).
    """
    path = Path(path)
    if fmt is not None and fmt not in WEATHER_FORMATS:
        raise InputError(Problem(str(path), "fmt", "one of " + ", ".join(WEATHER_FORMATS), repr(fmt)))
    if not path.is_file():
        raise InputError(Problem(str(path), "", "an existing weather file",
                                 "a directory" if path.is_dir() else "no such file"))
    try:
        fmt = fmt or detect_format(path)
        parsed = _PARSERS[fmt](path)
    except InputError:
        raise
    except Exception as exc:  # the parsers raise many kinds on a malformed file
        message = " ".join(str(exc).split())[:200]
        raise InputError(Problem(str(path), "", f"a readable {FORMAT_NAMES.get(fmt, 'weather')} file",
                                 f"{type(exc).__name__}: {message}{_malformed_hint(fmt, path)}"),
                         headline=f"cannot read weather file {path}") from None
    return _normalize(parsed, path, year)


__all__ = ["WEATHER_FORMATS", "WeatherFile", "detect_format", "read_weather_file", "minute_of_year"]
