"""Measured loads: a facility's metered load read from a CSV (hourly or 15-minute, kW or kWh).

``read_load_file(path, index, unit, column=None, timezone=None) -> MeasuredLoad`` reads one file
and returns its load as hourly means (kW) on the model's calendar ``index`` (the weather year: 8760
hour-beginning labels, Feb 29 dropped); ``measured_kw(measured, annual_kwh)`` scales it and writes
its basis. ``build_demand`` calls both for every ``[[facilities]]`` entry with a ``load_file``, so
``pvcluster run`` and ``pvcluster validate`` read a file the same way and fail with the same
message.

The file
    A text file (UTF-8, or CP949 as Korean exports often are) of comma-, semicolon- or
    tab-separated columns. Lines starting with ``#`` are comments (a header comment may say where
    the data came from). A header line names the columns; without one (the first line holds only
    numbers and timestamps) they are called ``column 1``, ``column 2`` ... The load column is
    ``load_file_column``, or else the only numeric column. Thousands separators (``1,234.5``)
    are allowed.

    With a timestamp column (the first column whose values are mostly dates; ISO 8601 such as
    ``2025-01-01T00:15+09:00`` or ``2025-01-01 00:15``): each timestamp is the *beginning* of its
    step. Timestamps with a UTC offset are converted to the model's time zone; naive ones are
    taken in the scenario's time zone (``site.timezone``). Steps may be 15 minutes or an hour (any
    step that divides 60 minutes is read). The rows must hold one calendar year in that time
    zone, every step once; 29 February is dropped (a note says so), as the weather readers do.
    Without a timestamp column the file must hold exactly 8760 hourly or 35040 15-minute rows,
    taken as 1 January 00:00 to 31 December 24:00 of the model's year.

Units
    ``kw``: the mean power of each step (kW); ``kwh``: the energy of each step (kWh), which is
    divided by the step's length in hours. Sub-hourly steps become the hourly mean kW of the
    four (or more) steps of each hour, labelled by the beginning of the hour, so an hour's energy
    (kWh) equals the sum of its quarters' energy.

Checks (every problem found is collected and raised in one ``InputError``; each ``Problem``
names the file, the column, the timestamp as written and the line):
    unreadable text, rows with the wrong number of fields; no numeric column, several without
    ``load_file_column``, or a column that is not in the file; empty or NaN values and values
    that are not numbers; negative values; values beyond physical bounds, which are **above
    1,000,000 kW, or above 20 x the file's median (in kW) when the median is above 0** (a wrong
    unit, W for kW, or a meter glitch); unparseable timestamps, a mix of timestamps with and
    without a UTC offset; duplicated timestamps; missing steps (gaps); steps longer than an hour
    or off one grid; more than one year of data (a day and time repeated), or a year that is not
    one calendar year (e.g. July to June, or timestamps that mark the end of each step); without
    timestamps, a row count other than 8760 or 35040.

Another year than the model's
    A file of year Ys placed on the model's year Ym (the weather calendar, ``scenario.base_year``)
    keeps its weekdays: model day D takes the measured day of Ys with the same weekday nearest the
    same date (``date(Ys, D.month, D.day)`` moved by -3 to +3 days), so a measured Monday stays a
    Monday and the seasons stay within 3 days. A day that falls outside Ys is taken 52 weeks
    (364 days) back or forward, from the other end of the measured year (same weekday); one that
    falls on a dropped 29 February is taken a week later or earlier, whichever is nearer the same
    date (at most 6 days from it). Up to 3 days of the year are thus
    used twice and as many left out, so the profile is then rescaled to the file's annual
    energy. Public holidays are not moved (lunar holidays change date from year to year): a
    measured holiday keeps its low load on whatever weekday it lands. A note says all this.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from pvcluster.calendar import HOURS_PER_YEAR
from pvcluster.errors import InputError, Problem

__all__ = ["LOAD_FILE_UNITS", "MAX_KW", "SPIKE_FACTOR", "MeasuredLoad", "read_load_file", "measured_kw"]

LOAD_FILE_UNITS = ("kw", "kwh")
#: No single site of the cluster draws 1 GW; a larger value is a wrong unit (W for kW) or a glitch.
MAX_KW = 1.0e6
#: A value above this multiple of the file's median (kW) is a meter glitch or a wrong unit; a
#: two-shift factory peaks at about 6 x its median (its night and weekend base load).
SPIKE_FACTOR = 20.0
MINUTES_PER_YEAR = HOURS_PER_YEAR * 60
#: Rows of a file without timestamps, and the step (minutes) they mean.
ROWS_WITHOUT_TIMESTAMPS = {HOURS_PER_YEAR: 60, 4 * HOURS_PER_YEAR: 15}
_MONTH_START_DAY = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])
_MISSING = {"", "nan", "na", "n/a", "null", "none", "-", "--", "#n/a"}
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_HAS_OFFSET = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$", re.IGNORECASE)
_LOOKS_LIKE_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")


@dataclass(frozen=True)
class MeasuredLoad:
    """A measured load on the model's calendar (see the module docstring).

    kw: hourly mean load (kW) on the model's 8760 hours, as measured (not scaled);
    steps: data rows used (29 February dropped); step_minutes: their length;
    year: calendar year of the data (None without timestamps); annual_kwh: the file's energy
    over its year; notes: what the reader changed (dropped leap day, time-zone or year shift).
    """

    kw: np.ndarray
    path: Path
    column: str
    unit: str
    steps: int
    step_minutes: int
    year: int | None
    annual_kwh: float
    notes: tuple[str, ...] = ()

    @property
    def step_text(self) -> str:
        return "1 h" if self.step_minutes == 60 else f"{self.step_minutes} min"


# ----------------------------------------------------------------------------------------------
# reading the table


def _read_text(path: Path, key: str, headline: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(Problem(str(path), key, "a readable file", f"{type(exc).__name__}: {exc}"),
                         headline=headline) from None
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(Problem(str(path), key, "a CSV text file (UTF-8 or CP949; save a spreadsheet as CSV)",
                             "bytes that are not text"), headline=headline)


@dataclass
class _Table:
    names: list[str]
    columns: list[np.ndarray]  # one array of stripped strings per column
    lines: np.ndarray  # the file's line number of each data row
    header: bool


def _n(count, noun: str) -> str:
    """'1 value', '3 values'."""
    count = int(count)
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "") if _THOUSANDS.match(text) else text)
        return True
    except ValueError:
        return False


def _read_table(path: Path, text: str, key: str, problems: list[Problem]) -> _Table:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        problems.append(Problem(str(path), key, "a header line and one year of data rows", "no data rows"))
        return _Table([], [], np.array([], dtype=int), False)
    first = lines[0][1]
    delimiter = next((d for d in (",", ";", "\t") if d in first), ",")
    rows = list(csv.reader((line for _, line in lines), delimiter=delimiter, skipinitialspace=True))
    fields = [f.strip() for f in rows[0]]
    header = not all(_is_number(f) or _LOOKS_LIKE_DATE.match(f) for f in fields)
    if header:
        names, body, numbers = fields, rows[1:], [n for n, _ in lines[1:]]
    else:
        names, body, numbers = [""] * len(fields), rows, [n for n, _ in lines]
    seen: dict[str, int] = {}
    for j, name in enumerate(names):
        name = name or f"column {j + 1}"
        if name in seen:
            name = f"{name} ({j + 1})"
        seen[name] = j
        names[j] = name
    width = len(names)
    wrong = [i for i, row in enumerate(body) if len(row) != width]
    if wrong:
        i = wrong[0]
        problems.append(Problem(str(path), "", f"{width} fields in every row (as in "
                                + ("the header" if header else f"line {lines[0][0]}") + ")",
                                f"{_n(len(wrong), 'row')} with another number of fields, the first with {len(body[i])} "
                                f"at line {numbers[i]}"))
    padded = [(row + [""] * width)[:width] for row in body]
    columns = [np.array([r[j].strip() for r in padded], dtype=object) for j in range(width)]
    return _Table(names, columns, np.asarray(numbers, dtype=int), header)


def _to_numbers(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Floats of a column's texts, with masks of empty/NaN values and of values that are not numbers."""
    lowered = np.array([t.lower() for t in texts], dtype=object)
    missing = np.isin(lowered, list(_MISSING))
    cleaned = [t.replace(",", "") if _THOUSANDS.match(t) else t for t in texts]
    values = pd.to_numeric(pd.Series(cleaned, dtype=object), errors="coerce").to_numpy(dtype=float)
    not_number = ~np.isfinite(values) & ~missing
    values = np.where(not_number | missing, np.nan, values)
    return values, missing, not_number


def _is_numeric_column(texts: np.ndarray) -> bool:
    values, missing, _ = _to_numbers(texts)
    given = int((~missing).sum())
    return given > 0 and np.isfinite(values).sum() > 0.5 * given


def _is_time_column(texts: np.ndarray) -> bool:
    given = [t for t in texts if t.lower() not in _MISSING]
    return bool(given) and sum(bool(_LOOKS_LIKE_DATE.match(t)) for t in given) > 0.5 * len(given)


# ----------------------------------------------------------------------------------------------
# timestamps


def _offset_text(hours: float) -> str:
    sign = "-" if hours < 0 else "+"
    minutes = round(abs(hours) * 60)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _zone_offset_h(zone, year: int) -> float:
    return pd.Timestamp(year, 1, 1, tz=zone).utcoffset().total_seconds() / 3600.0


def minute_of_year(stamps: pd.DatetimeIndex) -> np.ndarray:
    """Minutes since 1 January 00:00 on a 365-day calendar (the year itself is ignored)."""
    day = _MONTH_START_DAY[np.asarray(stamps.month) - 1] + np.asarray(stamps.day) - 1
    return (day * 24 + np.asarray(stamps.hour)) * 60 + np.asarray(stamps.minute)


def _parse_stamps(path: Path, texts: np.ndarray, lines: np.ndarray, column: str, model_zone, local_zone: str,
                  year: int, problems: list[Problem], notes: list[str]) -> tuple[pd.DatetimeIndex, bool]:
    """Naive timestamps on the model's clock (NaT where unparseable), and whether a UTC offset moved them."""
    series = pd.Series(texts, dtype=object)
    blank = np.array([t.lower() in _MISSING for t in texts])
    aware = np.array([bool(_HAS_OFFSET.search(t)) for t in texts]) & ~blank
    model_offset = _zone_offset_h(model_zone, year)
    moved = False
    if aware.any() and not aware[~blank].all():
        i = int(np.argmax(~aware & ~blank))
        problems.append(Problem(str(path), column, "timestamps all with a UTC offset or all without",
                                f"{int(aware.sum())} with and {int((~aware & ~blank).sum())} without, the first "
                                f"without {texts[i]!r} at line {lines[i]}"))
        return pd.DatetimeIndex([pd.NaT] * len(texts)), False
    if aware.any():
        try:
            parsed = pd.to_datetime(series, format="ISO8601", errors="coerce")
            several = False
        except (ValueError, TypeError):  # several offsets (daylight saving)
            parsed = pd.to_datetime(series, format="ISO8601", errors="coerce", utc=True)
            several = True
        if parsed.dt.tz is None:  # nothing parsed; the problem is reported below
            parsed = parsed.dt.tz_localize("UTC")
        first = parsed.dropna()
        if several:
            offsets = sorted({m.group(0) for t in texts[aware][:5000]
                              if (m := re.search(r"(Z|[+-]\d{2}:?\d{2})$", t))})
            notes.append(f"timestamps with several UTC offsets ({', '.join(offsets[:4])}) converted to the "
                         f"model's time zone UTC{_offset_text(model_offset)}")
            moved = True
        elif len(first):
            file_offset = first.iloc[0].utcoffset().total_seconds() / 3600.0
            if file_offset != model_offset:
                notes.append(f"timestamps in UTC{_offset_text(file_offset)} converted to the model's time "
                             f"zone UTC{_offset_text(model_offset)}")
                moved = True
        parsed = parsed.dt.tz_convert(model_zone)
    else:
        parsed = pd.to_datetime(series, format="ISO8601", errors="coerce")
        local_offset = _zone_offset_h(local_zone, year)
        parsed = parsed.dt.tz_localize(local_zone).dt.tz_convert(model_zone)
        if local_offset != model_offset:
            notes.append(f"timestamps without a UTC offset taken in {local_zone} (UTC{_offset_text(local_offset)}) "
                         f"and converted to the model's time zone UTC{_offset_text(model_offset)}")
            moved = True
    stamps = pd.DatetimeIndex(parsed.dt.tz_localize(None))
    bad = np.asarray(stamps.isna())
    if bad.any():
        i = int(np.argmax(bad))
        problems.append(Problem(str(path), column, "a timestamp in every row (ISO 8601, e.g. 2025-01-01T00:15+09:00 "
                                "or 2025-01-01 00:15)", f"{_n(bad.sum(), 'value')} not a timestamp, the "
                                f"first {texts[i]!r} at line {lines[i]}"))
    return stamps, moved


def _stamp_at(minute: int, year: int) -> pd.Timestamp:
    day = pd.Timestamp(2001, 1, 1) + pd.Timedelta(days=minute // 1440)
    return pd.Timestamp(year, day.month, day.day, (minute // 60) % 24, minute % 60)


# ----------------------------------------------------------------------------------------------
# calendar: the measured year onto the model's


def day_map(model_days: pd.DatetimeIndex, source_year: int) -> np.ndarray:
    """For each model day, the day (0-364 on the 365-day calendar, 29 Feb dropped) of ``source_year``
    whose load it takes: the same weekday, nearest the same date (see the module docstring)."""
    out = np.empty(len(model_days), dtype=int)
    for d, day in enumerate(model_days):
        candidate = date(source_year, day.month, day.day)  # a model day is never 29 February
        shift = (day.weekday() - candidate.weekday() + 3) % 7 - 3
        chosen = candidate + timedelta(days=shift)
        if chosen.year < source_year:
            chosen += timedelta(days=364)  # 52 weeks: the same weekday, from the other end of the year
        elif chosen.year > source_year:
            chosen -= timedelta(days=364)
        if chosen.month == 2 and chosen.day == 29:  # dropped: the same weekday a week on, towards the date
            chosen += timedelta(days=7 if shift < 0 else -7)
        out[d] = _MONTH_START_DAY[chosen.month - 1] + chosen.day - 1
    return out


# ----------------------------------------------------------------------------------------------
# the reader


def read_load_file(path: str | Path, index: pd.DatetimeIndex, unit: str, column: str | None = None,
                   timezone: str | None = None, key: str = "load_file") -> MeasuredLoad:
    """Read a measured load and place it on the model's calendar ``index`` (8760 hours).

    ``unit`` is ``kw`` (mean kW of each step) or ``kwh`` (kWh per step); ``column`` the load
    column (None: the only numeric one); ``timezone`` the zone of naive timestamps (default: the
    index's). ``key`` names the scenario key of the file (``facilities.N.load_file``) in
    problems about the whole file. Raises ``InputError`` listing every problem found.
    """
    path = Path(path)
    src = str(path)
    headline = f"cannot use measured load file {path}"
    if unit not in LOAD_FILE_UNITS:
        raise InputError(Problem(src, key.rsplit(".", 1)[0] + ".load_file_unit" if "." in key else "load_file_unit",
                                 "'kw' (kW, the mean of each step) or 'kwh' (kWh per step)", repr(unit)),
                         headline=headline)
    if len(index) != HOURS_PER_YEAR:
        raise ValueError(f"the model's calendar has {len(index)} hours, not {HOURS_PER_YEAR}")
    model_zone = index.tz
    model_year = int(index[0].year)
    local_zone = timezone or str(model_zone)
    text = _read_text(path, key, headline)
    problems: list[Problem] = []
    notes: list[str] = []
    table = _read_table(path, text, key, problems)
    if not table.names:
        raise InputError(problems, headline=headline)
    if len(table.lines) == 0:
        problems.append(Problem(src, key, "one year of data rows", "a header line and no data rows"))
        raise InputError(problems, headline=headline)

    # the time column, and the load column
    time_j = next((j for j, c in enumerate(table.columns) if _is_time_column(c)), None)
    numeric = [j for j, c in enumerate(table.columns) if j != time_j and _is_numeric_column(c)]
    column_key = key.rsplit(".", 1)[0] + ".load_file_column" if "." in key else "load_file_column"
    listing = ", ".join(repr(n) for n in table.names[:20])
    if column:
        if column not in table.names:
            close = difflib.get_close_matches(column, table.names, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(Problem(src, column_key, f"a column of the file ({listing})",
                                    f"{column!r}, which the file does not have{hint}"))
            raise InputError(problems, headline=headline)
        load_j = table.names.index(column)
        if load_j == time_j:
            problems.append(Problem(src, column_key, "the column of load values, not the timestamps",
                                    f"{column!r}, the timestamp column"))
            raise InputError(problems, headline=headline)
    elif len(numeric) == 1:
        load_j = numeric[0]
    else:
        found = (f"{len(numeric)} numeric columns: " + ", ".join(repr(table.names[j]) for j in numeric)
                 if numeric else f"no numeric column; columns present: {listing}")
        problems.append(Problem(src, column_key if numeric else key,
                                "one numeric column of load values, or load_file_column naming it", found))
        raise InputError(problems, headline=headline)
    name = table.names[load_j]
    texts = table.columns[load_j]
    lines = table.lines
    n_rows = len(texts)

    # timestamps -> rows on the 365-day calendar of one year
    if time_j is None:
        stamps_text = None
        interval = ROWS_WITHOUT_TIMESTAMPS.get(n_rows)
        if interval is None:
            hint = ""
            if n_rows in (8784, 35136):
                hint = " (a leap year: add a timestamp column so that 29 February can be dropped)"
            problems.append(Problem(src, key, "exactly 8760 hourly or 35040 15-minute rows (one 365-day year) "
                                    "when the file has no timestamp column, or a timestamp column",
                                    f"{n_rows} data rows from line {lines[0]} to line {lines[-1]}{hint}"))
        rows = np.arange(n_rows)
        minutes = rows * (interval or 60)
        source_year = None

        def where(i: int) -> str:
            return f"row {i + 1} (line {lines[i]})"
    else:
        time_name = table.names[time_j]
        stamps_text = table.columns[time_j]
        stamps, moved = _parse_stamps(path, stamps_text, lines, time_name, model_zone, local_zone, model_year,
                                      problems, notes)
        keep = ~np.asarray(stamps.isna())
        leap = np.asarray((stamps.month == 2) & (stamps.day == 29)) & keep
        if leap.any():
            years = sorted(set(stamps[leap].year))
            notes.append(f"dropped {int(leap.sum())} steps of 29 February ({', '.join(map(str, years))}) to keep "
                         "a 365-day year")
        rows = np.flatnonzero(keep & ~leap)
        stamps = stamps[rows]

        def where(i: int) -> str:  # i: a position in rows
            return f"{stamps_text[rows[i]]} (line {lines[rows[i]]})"

        interval, minutes, source_year = _check_time(path, time_name, stamps, rows, lines, moved, where,
                                                     problems, notes)

    # values (kW) on the rows as read
    values, missing, not_number = _to_numbers(texts[rows])
    if not_number.any():
        i = int(np.argmax(not_number))
        problems.append(Problem(src, name, "a number in every row",
                                f"{_n(not_number.sum(), 'value')} not a number, the first "
                                f"{texts[rows][i]!r} at {where(i)}"))
    if missing.any():
        i = int(np.argmax(missing))
        problems.append(Problem(src, name, "a number in every row",
                                f"{_n(missing.sum(), 'empty or NaN value')}, the first at {where(i)}"))
    per_hour = 60.0 / (interval or 60)
    kw = values * per_hour if unit == "kwh" else values
    unit_word = "kWh per step" if unit == "kwh" else "kW"

    def quoted(i: int) -> str:
        raw = values[i]
        return f"{raw:g} {unit_word}" + (f" ({kw[i]:g} kW)" if unit == "kwh" else "")

    with np.errstate(invalid="ignore"):
        negative = kw < 0
    if negative.any():
        i = int(np.argmax(negative))
        problems.append(Problem(src, name, "loads of 0 or more (a meter's import; exported energy is not a load)",
                                f"{_n(negative.sum(), 'negative value')}, the first {quoted(i)} at {where(i)}"))
    valid = kw[np.isfinite(kw) & (kw >= 0)]
    median = float(np.median(valid)) if valid.size else 0.0
    limit = min(MAX_KW, SPIKE_FACTOR * median) if median > 0 else MAX_KW
    with np.errstate(invalid="ignore"):
        high = kw > limit
    if high.any():
        i = int(np.nanargmax(np.where(high, kw, -np.inf)))
        rule = (f"the lower of {MAX_KW:,.0f} kW and {SPIKE_FACTOR:g} x the file's median {median:,.6g} kW"
                if median > 0 else f"{MAX_KW:,.0f} kW")
        guess = ""
        if high.sum() > 0.5 * max(valid.size, 1):
            guess = "; most values are off: the file looks like W or Wh (divide by 1000), not kW or kWh"
        problems.append(Problem(src, name, f"values up to {limit:,.6g} kW ({rule}; higher is a wrong unit or a "
                                "meter glitch)", f"{_n(high.sum(), 'value')} above it, the largest {quoted(i)} at "
                                f"{where(i)}{guess}"))
    if problems:
        raise InputError(problems, headline=headline)

    # steps -> hourly means on the measured year's 365-day calendar, then onto the model's days
    steps_per_hour = 60 // interval
    hourly = np.bincount(minutes // 60, weights=kw, minlength=HOURS_PER_YEAR) / steps_per_hour
    measured_kwh = float(hourly.sum())
    if interval < 60:
        notes.append(f"{interval}-minute steps averaged to hourly kW, each labelled by the beginning of its hour")
    if source_year is None:
        notes.append(f"no timestamp column: the {n_rows} rows are taken as 1 January 00:00 to 31 December 24:00 "
                     f"of the model's year {model_year} (UTC{_offset_text(_zone_offset_h(model_zone, model_year))})")
        kw_model = hourly
    else:
        days = pd.DatetimeIndex(index[::24].tz_localize(None))
        source = day_map(days, source_year)
        kw_model = hourly.reshape(365, 24)[source].reshape(-1)
        if source_year != model_year:
            same = int((source == np.arange(365)).sum())
            repeated = 365 - len(set(source.tolist()))
            factor = measured_kwh / kw_model.sum() if kw_model.sum() > 0 else 1.0
            kw_model = kw_model * factor
            shifts = source - np.arange(365)
            shifts = shifts[np.abs(shifts) <= 7]
            typical = int(np.bincount(shifts + 7).argmax()) - 7 if shifts.size else 0
            most = ("the same date for most days" if typical == 0 else
                    f"{abs(typical)} day{'s' if abs(typical) != 1 else ''} {'later' if typical > 0 else 'earlier'} "
                    "for most days")
            notes.append(
                f"the file's year {source_year} is not the model's calendar year {model_year}: each day takes the "
                f"load of the {source_year} day of the same weekday nearest the same date ({most}; {same} of 365 "
                f"on their own date), so a measured Monday stays a Monday; {repeated} measured "
                f"day{'s' if repeated != 1 else ''} near the year's ends used twice (52 weeks apart) and as many left "
                f"out; public holidays are not moved; rescaled by {factor:.6f} to keep the file's energy")
    return MeasuredLoad(np.asarray(kw_model, dtype=float), path, name, unit, len(rows), int(interval),
                        source_year, measured_kwh, tuple(notes))


def _check_time(path: Path, time_name: str, stamps: pd.DatetimeIndex, rows: np.ndarray, lines: np.ndarray,
                moved: bool, where, problems: list[Problem], notes: list[str]) -> tuple[int | None, np.ndarray, int | None]:
    """Duplicates, years and gaps of parsed timestamps; returns the step (minutes; None if unknown),
    each row's minute of the 365-day year and the data's calendar year."""
    src = str(path)
    if len(stamps) == 0:
        return None, np.zeros(0, dtype=int), None
    duplicated = np.asarray(stamps.duplicated(keep="first"))
    if duplicated.any():
        i = int(np.argmax(duplicated))
        first = int(np.argmax(np.asarray(stamps == stamps[i])))
        problems.append(Problem(src, time_name, "one row per timestamp",
                                f"{_n(duplicated.sum(), 'duplicated timestamp')}, the first {where(i)}, already at "
                                f"line {lines[rows[first]]}"))
    minutes = minute_of_year(stamps)
    unique = ~duplicated
    years = np.asarray(stamps.year)
    counts = np.bincount(years - years.min())
    source_year = int(years.min() + counts.argmax())
    span = f"{len(stamps)} rows from {where(0)} to {where(len(stamps) - 1)}"
    repeated = pd.Series(minutes[unique]).duplicated().to_numpy()
    if repeated.any():
        problems.append(Problem(src, time_name, "one year of data: every day and time of the year once (8760 hourly "
                                "or 35040 15-minute rows)", f"{span}: {int(repeated.sum())} repeat a day and time "
                                "of another year"))
        return None, minutes, source_year
    outside = years != source_year
    if outside.any():
        start, end = pd.Timestamp(source_year, 1, 1), pd.Timestamp(source_year + 1, 1, 1)
        near = (stamps >= start - pd.Timedelta(days=1)) & (stamps < end + pd.Timedelta(days=1))
        if moved and np.asarray(near).all():
            notes.append(f"{_n(outside.sum(), 'step')} fell in another year after the conversion to the model's time "
                         f"zone; wrapped around to the other end of {source_year}")
        else:
            others = sorted(set(years[outside].tolist()))
            hint = ""
            last = stamps[-1]
            if (not moved and others == [source_year + 1] and outside.sum() == 1 and last == end):
                hint = ("; the last timestamp is 00:00 of the next year: if the timestamps mark the end of each "
                        "step, move them back one step (each is read as the beginning of its step)")
            problems.append(Problem(src, time_name, f"one calendar year (1 January 00:00 to 31 December 24:00 in "
                                    f"the model's time zone); {source_year} holds most rows",
                                    f"{span}: {_n(outside.sum(), 'row')} in " + ", ".join(map(str, others)) + hint))
            return None, minutes, source_year
    present = np.sort(minutes[unique])
    steps = np.diff(present)
    interval = 60
    if steps.size:
        options, counts = np.unique(steps, return_counts=True)
        interval = int(options[np.argmax(counts)])
    if interval > 60 or 60 % interval:
        problems.append(Problem(src, time_name, "hourly or 15-minute steps (a step that divides 60 minutes)",
                                f"steps of {interval} minutes, from {where(0)}"))
        return None, minutes, source_year
    phase = int(present[0] % interval)
    off_grid = (minutes % interval) != phase
    if off_grid.any():
        i = int(np.argmax(off_grid))
        problems.append(Problem(src, time_name, f"timestamps every {interval} minutes, at minute {phase} of the step",
                                f"{_n(off_grid.sum(), 'timestamp')} off that grid, the first {where(i)}"))
        return None, minutes, source_year
    expected = np.arange(phase, MINUTES_PER_YEAR, interval)
    absent = np.setdiff1d(expected, present, assume_unique=True)
    if absent.size:
        order = np.argsort(minutes, kind="stable")
        before = order[max(int(np.searchsorted(minutes[order], absent[0])) - 1, 0)]
        stamp = _stamp_at(int(absent[0]), source_year)
        at = "the year's first step" if absent[0] == expected[0] else f"after line {lines[rows[before]]}"
        problems.append(Problem(
            src, time_name, f"{expected.size} rows, one every {interval} minutes for the whole year (29 February "
            "may be present and is dropped)",
            f"{int(unique.sum())} rows: {_n(absent.size, 'step')} missing, the first {stamp:%Y-%m-%d %H:%M} ({at})"))
    if phase and interval == 60:
        notes.append(f"hourly rows stamped at minute {phase} describe the hour they fall in; labelled by the "
                     "beginning of that hour")
    return interval, minutes, source_year


def measured_kw(measured: MeasuredLoad, annual_kwh: float = 0.0) -> tuple[np.ndarray, float, str]:
    """The reference hourly load of a measured facility, its annual energy and its basis.

    ``annual_kwh > 0`` scales the measured profile to that energy (the shape stays the measured one);
    0 keeps the measured energy.
    """
    base = f"measured: {measured.path.name}, {measured.steps} steps of {measured.step_text}"
    energy = float(measured.kw.sum())
    if annual_kwh > 0:
        if energy <= 0:
            raise InputError(Problem(str(measured.path), measured.column, "a load with some energy, to scale to "
                                     f"annual_kwh = {annual_kwh:g}", "0 kWh over the year"),
                             headline=f"cannot use measured load file {measured.path}")
        kw = measured.kw * (annual_kwh / energy)
        basis = f"{base}, scaled to {annual_kwh:,.0f} kWh/yr (scenario annual_kwh; the file holds {energy:,.0f} kWh)"
        annual = float(annual_kwh)
    else:
        kw, annual = measured.kw.copy(), energy
        basis = f"{base}, not scaled: the measured {energy:,.0f} kWh/yr"
    if measured.notes:
        basis += " (" + "; ".join(measured.notes) + ")"
    return kw, annual, basis
