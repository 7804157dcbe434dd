"""Write small but valid weather files of each format the readers accept, from a frame.

Frames have pvlib column names (ghi, dni, dhi, temp_air, wind_speed, optional albedo) and a
DatetimeIndex of interval-*beginning* labels, tz-aware in the site's local standard time unless a
writer says otherwise. Layouts follow the real files (and pvlib's parsers and test data):

- EPW: 8 header lines, then year,month,day,hour(1-24, hour ending),minute,... (35 fields).
- PVGIS TMY CSV: Latitude/Longitude/Elevation/Irradiance Time Offset lines, the month,year table,
  then time(UTC),T2m,RH,G(h),Gb(n),Gd(h),IR(h),WS10m,WD10m,SP, 8760 rows in UTC, then a legend.
- PVGIS TMY JSON: {"inputs": {"location": ...}, "outputs": {"months_selected", "tmy_hourly"}, "meta"}.
- NSRDB PSM3 CSV: metadata names line, values line, column names line, data.
- SAM CSV: the same three-line layout with SAM's names (Tdry, Wspd, ... or aliases).
- plain CSV: '# key=value' lines, then time,ghi,dni,dhi,temp_air,wind_speed[,albedo].
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from pvcluster.calendar import hourly_index

LAT, LON, ELEV = 37.18, 128.46, 240.0
COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed", "albedo")
# PVGIS TMY picks each month from a different year
PVGIS_MONTH_YEARS = {1: 2018, 2: 2007, 3: 2009, 4: 2013, 5: 2008, 6: 2006, 7: 2011, 8: 2010,
                     9: 2020, 10: 2006, 11: 2007, 12: 2016}


def sample_frame(index: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """Plausible, hour-distinct weather on ``index`` (default: 2001 in UTC+9), rounded as files store it.

    Irradiance is whole W/m2, temperature and wind have one decimal, albedo two, so every format
    can hold the values exactly. Wind speed cycles with period 17 h and temperature with 10 h, so a
    row shifted by an hour or more is caught.
    """
    if index is None:
        index = hourly_index(2001, "Etc/GMT-9")
    n = len(index)
    i = np.arange(n)
    hour = np.asarray(index.hour + index.minute / 60.0)
    doy = np.asarray(index.day_of_year)
    sun = np.clip(np.sin(np.pi * (hour - 6.0) / 12.0), 0.0, None)
    season = 0.8 + 0.2 * np.cos(2 * np.pi * (doy - 172) / 365.0)
    ghi = np.round(850.0 * sun * season)
    dhi = ghi - np.round(0.6 * ghi)
    dni = np.round(0.9 * (ghi - dhi) / np.maximum(sun, 0.2))
    return pd.DataFrame({
        "ghi": ghi, "dni": dni, "dhi": dhi,
        "temp_air": np.round(12.0 - 14.0 * np.cos(2 * np.pi * (doy - 15) / 365.0) + 0.1 * (i % 10), 1),
        "wind_speed": np.round(1.0 + 0.3 * (i % 17), 1),
        "albedo": np.round(0.15 + 0.01 * (doy % 10), 2),
    }, index=index)


def naive_hours(start: str, periods: int, freq: str = "h") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=periods, freq=freq)


# ---------------------------------------------------------------------------------------- EPW

EPW_HEADER = [
    "LOCATION,Testville,GW,KOR,pvcluster-test,471210,{lat},{lon},{tz},{elev}",
    "DESIGN CONDITIONS,0",
    "TYPICAL/EXTREME PERIODS,0",
    "GROUND TEMPERATURES,0",
    "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
    "COMMENTS 1,written by the pvcluster test suite",
    "COMMENTS 2,",
    "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
]
HEADER = EPW_HEADER  # the name tests/epw.py exported


def write_epw(path: Path, frame: pd.DataFrame, lat=37.18, lon=128.46, tz=9.0, elev=240.0, year=2001) -> Path:
    """Rows are hour-ending, 1..24, as in EPW; ``frame`` is hour-beginning with pvlib names."""
    lines = [h.format(lat=lat, lon=lon, tz=tz, elev=elev) for h in EPW_HEADER]
    for label, row in zip(frame.index, frame.itertuples()):
        end = label + pd.Timedelta(hours=1)
        hour = 24 if end.hour == 0 else end.hour
        day = label if end.hour == 0 else end
        fields = [year, day.month, day.day, hour, 60, "?", f"{row.temp_air:.1f}", 0.0, 50, 100000,
                  9999, 9999, 9999, f"{row.ghi:.0f}", f"{row.dni:.0f}", f"{row.dhi:.0f}",
                  999999, 999999, 999999, 9999, 0, f"{row.wind_speed:.1f}", 5, 5, 9999, 99999, 9,
                  999999999, 999, 0.999, 999, 99, f"{getattr(row, 'albedo', 0.2):.2f}", 999, 99]
        lines.append(",".join(str(f) for f in fields))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def corrupt(path: Path, row: int, column: int, value: str) -> Path:
    """Set field ``column`` (0-based) of EPW data row ``row`` (0-based, after the 8 header lines)."""
    return set_field(path, 9 + row, column, value)


GHI_COLUMN = 13  # EPW field of GHI
NaN_TEXT = "nan"


def set_field(path: Path, line: int, column: int, value: str) -> Path:
    """Set comma-separated field ``column`` (0-based) of file line ``line`` (1-based)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[line - 1].split(",")
    fields[column] = value
    lines[line - 1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def drop_lines(path: Path, first: int, count: int = 1) -> Path:
    """Delete ``count`` lines starting at line ``first`` (1-based)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    del lines[first - 1:first - 1 + count]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -------------------------------------------------------------------------------------- PVGIS

def utc_year(frame: pd.DataFrame, year: int = 2001) -> pd.DataFrame:
    """An 8760-hour local typical year as a file written in UTC holds it (naive UTC labels).

    UTC hour j holds local hour (j + offset) mod 8760: east of Greenwich, the local year's first
    hours are the last UTC hours of December, as in PVGIS files and NSRDB UTC downloads.
    """
    offset_h = int(frame.index[0].utcoffset().total_seconds() // 3600)
    rows = (np.arange(len(frame)) + offset_h) % len(frame)
    return frame.iloc[rows].set_axis(hourly_index(year, "UTC").tz_localize(None))


def _pvgis_rows(frame: pd.DataFrame, month_years: dict[int, int]) -> tuple[list[str], np.ndarray]:
    """UTC stamps (each month from its own year) and values of a PVGIS TMY from a local frame."""
    utc = utc_year(frame)
    stamps = [f"{month_years[t.month]}{t.month:02d}{t.day:02d}:{t.hour:02d}00" for t in utc.index]
    return stamps, utc[["temp_air", "ghi", "dni", "dhi", "wind_speed"]].to_numpy()


def write_pvgis_csv(path: Path, frame: pd.DataFrame, lat=LAT, lon=LON, elev=ELEV,
                    month_years=PVGIS_MONTH_YEARS) -> Path:
    stamps, values = _pvgis_rows(frame, month_years)
    lines = [f"Latitude (decimal degrees): {lat:.3f}", f"Longitude (decimal degrees): {lon:.3f}",
             f"Elevation (m): {elev:.1f}", "Irradiance Time Offset (h): 0.1761", "month,year"]
    lines += [f"{m},{y}" for m, y in month_years.items()]
    lines.append("time(UTC),T2m,RH,G(h),Gb(n),Gd(h),IR(h),WS10m,WD10m,SP")
    for stamp, (t, g, b, d, w) in zip(stamps, values):
        lines.append(f"{stamp},{t:g},80.0,{g:.1f},{b:.2f},{d:.1f},300.0,{w:g},180.0,99000.0")
    lines += ["", "T2m: 2-m air temperature (degree Celsius)", "RH: relative humidity (%)",
              "G(h): Global irradiance on the horizontal plane (W/m2)",
              "Gb(n): Beam/direct irradiance on a plane always normal to sun rays (W/m2)",
              "Gd(h): Diffuse irradiance on the horizontal plane (W/m2)",
              "IR(h): Surface infrared (thermal) irradiance on a horizontal plane (W/m2)",
              "WS10m: 10-m total wind speed (m/s)", "WD10m: 10-m wind direction (0 = N, 90 = E) (degree)",
              "SP: Surface (air) pressure (Pa)", "", "PVGIS (c) European Union, 2001-2025"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_pvgis_json(path: Path, frame: pd.DataFrame, lat=LAT, lon=LON, elev=ELEV,
                     month_years=PVGIS_MONTH_YEARS) -> Path:
    stamps, values = _pvgis_rows(frame, month_years)
    hourly = [{"time(UTC)": s, "T2m": t, "RH": 80.0, "G(h)": g, "Gb(n)": b, "Gd(h)": d, "IR(h)": 300.0,
               "WS10m": w, "WD10m": 180.0, "SP": 99000.0}
              for s, (t, g, b, d, w) in zip(stamps, values.tolist())]
    document = {
        "inputs": {"location": {"latitude": lat, "longitude": lon, "elevation": elev,
                                "irradiance_time_offset": 0.1761},
                   "meteo_data": {"radiation_db": "PVGIS-SARAH3", "meteo_db": "ERA5", "year_min": 2005,
                                  "year_max": 2023, "use_horizon": True, "horizon_db": "DEM-calculated"}},
        "outputs": {"months_selected": [{"month": m, "year": y} for m, y in month_years.items()],
                    "tmy_hourly": hourly},
        "meta": {"inputs": {"location": {"description": "Selected location"}},
                 "outputs": {"tmy_hourly": {"type": "time series", "timestamp": "hourly"}}},
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------- PSM3 and SAM

PSM3_META_NAMES = ["Source", "Location ID", "City", "State", "Country", "Latitude", "Longitude", "Time Zone",
                   "Elevation", "Local Time Zone", "Dew Point Units", "DHI Units", "DNI Units", "GHI Units",
                   "Temperature Units", "Pressure Units", "Wind Direction Units", "Wind Speed Units",
                   "Surface Albedo Units", "Version"]


def _time_parts(index: pd.DatetimeIndex) -> pd.DataFrame:
    return pd.DataFrame({"Year": index.year, "Month": index.month, "Day": index.day, "Hour": index.hour,
                         "Minute": index.minute})


def write_psm3(path: Path, frame: pd.DataFrame, lat=LAT, lon=LON, tz=9, local_tz=None, elev=240) -> Path:
    """Year..Minute are ``frame.index``'s wall clock, which is in UTC``tz``; 'Local Time Zone' is
    ``local_tz`` (default ``tz``)."""
    values = ["NSRDB", "1234567", "-", "-", "-", f"{lat}", f"{lon}", f"{tz}", f"{int(elev)}",
              f"{tz if local_tz is None else local_tz}", "c", "w/m2", "w/m2", "w/m2", "c", "mbar",
              "Degrees", "m/s", "N/A", "3.2.2"]
    table = _time_parts(frame.index)
    for name, column in (("GHI", "ghi"), ("DHI", "dhi"), ("DNI", "dni")):
        table[name] = frame[column].to_numpy()
    table["Temperature"] = frame["temp_air"].to_numpy()
    table["Dew Point"] = -5.0
    table["Pressure"] = 980.0
    table["Wind Speed"] = frame["wind_speed"].to_numpy()
    table["Wind Direction"] = 180.0
    if "albedo" in frame:
        table["Surface Albedo"] = frame["albedo"].to_numpy()
    header = ",".join(PSM3_META_NAMES) + "\n" + ",".join(values) + "\n"
    path.write_text(header + table.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return path


SAM_NAMES = {"ghi": "GHI", "dni": "DNI", "dhi": "DHI", "temp_air": "Tdry", "wind_speed": "Wspd",
             "albedo": "Albedo"}


def write_sam_csv(path: Path, frame: pd.DataFrame, lat=LAT, lon=LON, tz=9, elev=ELEV,
                  names: dict | None = None) -> Path:
    """SAM's weather CSV; ``names`` maps pvlib names to the file's (default Tdry, Wspd, Albedo)."""
    names = {**SAM_NAMES, **(names or {})}
    table = _time_parts(frame.index)
    for column in frame.columns:
        table[names[column]] = frame[column].to_numpy()
    meta = "Source,Location ID,City,State,Country,Latitude,Longitude,Time Zone,Elevation\n" \
           f"pvcluster-test,471210,Yeongwol,Gangwon,KOR,{lat},{lon},{tz},{elev}\n"
    path.write_text(meta + table.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------ plain CSV

def write_csv(path: Path, frame: pd.DataFrame, header: dict | None = None) -> Path:
    """'# key=value' lines (default latitude and longitude), then time + pvlib columns.

    Timestamps are written with the index's UTC offset when it is tz-aware, bare otherwise.
    """
    header = {"latitude": LAT, "longitude": LON} if header is None else header
    index = frame.index
    stamps = index.strftime("%Y-%m-%dT%H:%M")
    if index.tz is not None:
        minutes = int(index[0].utcoffset().total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        stamps = stamps + f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    table = frame.copy()
    table.index = pd.Index(stamps, name="time")
    text = "".join(f"# {k}={v}\n" for k, v in header.items()) + table.to_csv(lineterminator="\n")
    path.write_text(text, encoding="utf-8")
    return path


def csv_data_line(header: dict | None, row: int) -> int:
    """The file line (1-based) of data row ``row`` in a file from ``write_csv``."""
    return len({"latitude": 0, "longitude": 0} if header is None else header) + 2 + row
