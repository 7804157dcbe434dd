"""Write a minimal but valid EPW file for reader tests (pvlib ships no EPW sample)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HEADER = [
    "LOCATION,Testville,GW,KOR,pvcluster-test,471210,{lat},{lon},{tz},{elev}",
    "DESIGN CONDITIONS,0",
    "TYPICAL/EXTREME PERIODS,0",
    "GROUND TEMPERATURES,0",
    "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
    "COMMENTS 1,written by the pvcluster test suite",
    "COMMENTS 2,",
    "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
]


def write_epw(path: Path, frame: pd.DataFrame, lat=37.18, lon=128.46, tz=9.0, elev=240.0, year=2001) -> Path:
    """Rows are hour-ending, 1..24, as in EPW; ``frame`` is hour-beginning with pvlib names."""
    lines = [h.format(lat=lat, lon=lon, tz=tz, elev=elev) for h in HEADER]
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
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[8 + row].split(",")
    fields[column] = value
    lines[8 + row] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GHI_COLUMN = 13
NaN_TEXT = "nan"
__all__ = ["write_epw", "corrupt", "GHI_COLUMN", "np"]
