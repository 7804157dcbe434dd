"""Weather file readers: every format round-trips to the normalized year; every bad file is named.

pvlib's sample files cover TMY3 and TMY2; ``weatherfiles`` writes the other formats from a frame.
The frame (2001 in UTC+9) is read back onto 2025 and compared value by value, so a one-hour shift
or a time-zone mistake shows up as a mismatch.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest
from weatherfiles import (
    COLUMNS, GHI_COLUMN, corrupt, csv_data_line, drop_lines, sample_frame, set_field, utc_year, write_csv,
    write_epw, write_psm3, write_pvgis_csv, write_pvgis_json, write_sam_csv,
)

from pvcluster.errors import InputError
from pvcluster.calendar import hourly_index
from pvcluster.weather.readers import WEATHER_FORMATS, detect_format, read_weather_file

PVLIB_DATA = Path(os.path.join(os.path.dirname(pvlib.__file__), "data"))
TMY3 = PVLIB_DATA / "703165TY.csv"
TMY3_NO_ALBEDO = PVLIB_DATA / "723170TYA.CSV"
TMY2 = PVLIB_DATA / "12839.tm2"
KST = "Etc/GMT-9"  # UTC+9, Korea standard time as a fixed offset


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return sample_frame()


def assert_year_equals(wf, frame, year=2025, columns=COLUMNS):
    """``wf`` holds ``frame``'s values, in order, on ``year``'s hour-beginning calendar."""
    assert len(wf.data) == 8760
    assert wf.data.index.equals(hourly_index(year, wf.timezone))
    assert list(wf.data.columns) == list(COLUMNS)
    expected = frame[list(columns)].set_axis(wf.data.index)
    pd.testing.assert_frame_equal(wf.data[list(columns)], expected, check_dtype=False)


def problems_of(path, year=2025, **kwargs):
    with pytest.raises(InputError) as info:
        read_weather_file(path, year, **kwargs)
    for problem in info.value.problems:
        assert problem.where == str(path)  # every message names the file
    return info.value.problems


# ------------------------------------------------------------------------------- formats


def test_formats_are_detected_from_content(tmp_path, frame):
    files = {
        "epw": write_epw(tmp_path / "a.epw", frame),
        "pvgis_csv": write_pvgis_csv(tmp_path / "b.csv", frame),
        "pvgis_json": write_pvgis_json(tmp_path / "c.json", frame),
        "psm3": write_psm3(tmp_path / "d.csv", frame),
        "sam_csv": write_sam_csv(tmp_path / "e.csv", frame),
        "csv": write_csv(tmp_path / "f.csv", frame),
    }
    assert set(files) | {"tmy3", "tmy2"} == set(WEATHER_FORMATS)
    for fmt, path in files.items():
        assert detect_format(path) == fmt
    assert detect_format(TMY3) == detect_format(TMY3_NO_ALBEDO) == "tmy3"
    assert detect_format(TMY2) == "tmy2"


def test_tmy3_hour_ending_rows_become_hour_beginning():
    wf = read_weather_file(TMY3, 2025)
    raw, _ = pvlib.iotools.read_tmy3(TMY3, map_variables=True)
    assert wf.data.index[0] == pd.Timestamp("2025-01-01 00:00", tz="Etc/GMT+9")  # Sand Point, Alaska: UTC-9
    assert (wf.latitude_deg, wf.longitude_deg, wf.name) == (pytest.approx(55.317), pytest.approx(-160.517),
                                                           "SAND POINT")
    # the row '01/01/1997,13:00' (the hour ending 13:00) is the hour beginning 12:00
    assert raw["Time (HH:MM)"].iloc[12] == "13:00"
    assert wf.data.loc["2025-01-01 12:00", "ghi"].item() == raw["ghi"].iloc[12]
    # the last row, '12/31/1998,24:00', is the last hour of 31 December, not 1 January
    assert raw["Time (HH:MM)"].iloc[-1] == "24:00"
    assert wf.data["temp_air"].iloc[-1] == raw["temp_air"].iloc[-1]
    np.testing.assert_array_equal(wf.data["albedo"], raw["albedo"])
    assert wf.notes == ()


def test_tmy3_without_albedo_is_filled_and_noted():
    wf = read_weather_file(TMY3_NO_ALBEDO, 2025)  # Greensboro: albedo 0 with source '?'
    assert (wf.data["albedo"] == 0.2).all()
    assert wf.notes == ("albedo missing in 8760 of 8760 hours; filled with 0.2",)
    assert wf.timezone == "Etc/GMT+5"


def test_tmy2_is_already_hour_beginning_and_in_tenths():
    wf = read_weather_file(TMY2, 2025)
    raw, meta = pvlib.iotools.read_tmy2(str(TMY2))
    assert (raw["hour"].iloc[0], raw.index[0].hour) == (1, 0)  # pvlib already maps hour 1 to 00:00
    assert wf.data.index[0] == pd.Timestamp("2025-01-01 00:00", tz="Etc/GMT+5")  # Miami: UTC-5
    np.testing.assert_array_equal(wf.data["ghi"], raw["GHI"])
    np.testing.assert_allclose(wf.data["temp_air"], raw["DryBulb"] / 10)  # tenths of degC
    np.testing.assert_allclose(wf.data["wind_speed"], raw["Wspd"] / 10)  # tenths of m/s
    assert wf.latitude_deg == pytest.approx(25.8) and wf.longitude_deg == pytest.approx(-80.267, abs=1e-3)
    assert wf.notes == ("the file has no albedo; used 0.2",)


def test_epw_round_trip(tmp_path, frame):
    wf = read_weather_file(write_epw(tmp_path / "t.epw", frame), 2025)
    assert_year_equals(wf, frame)
    assert wf.timezone == KST and wf.name == "Testville" and wf.altitude_m == 240.0
    assert wf.notes == ()


@pytest.mark.parametrize("writer", [write_pvgis_csv, write_pvgis_json])
def test_pvgis_utc_rows_move_to_local_time_and_wrap(tmp_path, frame, writer):
    path = writer(tmp_path / ("t.json" if writer is write_pvgis_json else "t.csv"), frame)
    wf = read_weather_file(path, 2025)
    # equal hour by hour: the file's first row (UTC 00:00 on 1 January) is local 09:00, and the
    # local hours 00:00-08:00 come from the file's last nine UTC hours of 31 December
    assert_year_equals(wf, frame, columns=("ghi", "dni", "dhi", "temp_air", "wind_speed"))
    assert wf.timezone == KST  # round(128.46 / 15) = 9
    assert (wf.data["albedo"] == 0.2).all()
    assert any("UTC+00:00; moved +9 h to local standard time UTC+09:00" in n and "wrapping the 9 hours" in n
               for n in wf.notes)
    assert "the file has no albedo; used 0.2" in wf.notes


def test_psm3_minute_30_stamps_label_their_hour(tmp_path, frame):
    stamped = frame.set_axis(frame.index.tz_localize(None) + pd.Timedelta(minutes=30))
    wf = read_weather_file(write_psm3(tmp_path / "p.csv", stamped, tz=9), 2025)
    assert_year_equals(wf, frame)
    assert wf.name == "NSRDB 1234567" and wf.altitude_m == 240.0
    assert wf.notes == ("hourly rows stamped at minute 30 describe the hour they fall in; "
                        "labelled by the beginning of that hour",)


def test_psm3_downloaded_in_utc_moves_to_local_time_zone(tmp_path, frame):
    utc = utc_year(frame)
    wf = read_weather_file(write_psm3(tmp_path / "p.csv", utc, tz=0, local_tz=9), 2025)
    assert_year_equals(wf, frame)
    assert wf.timezone == KST and any("moved +9 h" in n for n in wf.notes)


@pytest.mark.parametrize("names", [
    {},  # SAM's own names: GHI, DNI, DHI, Tdry, Wspd, Albedo
    {"ghi": "Global Horizontal Irradiance", "temp_air": "Temperature", "wind_speed": "Wind Speed (m/s)",
     "albedo": "Surface Albedo"},
])
def test_sam_csv_round_trip_with_aliases(tmp_path, frame, names):
    wf = read_weather_file(write_sam_csv(tmp_path / "s.csv", frame, names=names), 2025)
    assert_year_equals(wf, frame)
    assert (wf.latitude_deg, wf.timezone, wf.name) == (37.18, KST, "Yeongwol")


def test_forced_format_reads_psm3_as_sam_csv(tmp_path, frame):
    path = write_psm3(tmp_path / "p.csv", frame.set_axis(frame.index.tz_localize(None)))
    assert_year_equals(read_weather_file(path, 2025, fmt="sam_csv"), frame)


def test_plain_csv_with_offsets_and_header(tmp_path, frame):
    header = {"latitude": 37.18, "longitude": 128.46, "altitude": 360, "name": "Yeongwol"}
    wf = read_weather_file(write_csv(tmp_path / "w.csv", frame, header), 2025)
    assert_year_equals(wf, frame)
    assert (wf.latitude_deg, wf.longitude_deg, wf.altitude_m, wf.name, wf.timezone) == (
        37.18, 128.46, 360.0, "Yeongwol", KST)
    assert wf.notes == ()


def test_plain_csv_naive_stamps_with_utc_offset_line(tmp_path, frame):
    naive = frame.set_axis(frame.index.tz_localize(None))
    for offset in ("+09:00", "Asia/Seoul"):
        header = {"latitude": 37.18, "longitude": 128.46, "utc_offset": offset}
        wf = read_weather_file(write_csv(tmp_path / "w.csv", naive, header), 2024)  # onto a leap year
        assert_year_equals(wf, frame, year=2024)
    header = {"latitude": 37.18, "longitude": 128.46, "utc_offset": "Europe/Paris"}
    (problem,) = problems_of(write_csv(tmp_path / "w.csv", naive, header))
    assert problem.key == "line 3: utc_offset" and problem.found == "'Europe/Paris'"


def test_plain_csv_in_utc_moves_to_the_given_offset(tmp_path, frame):
    utc = frame.set_axis(frame.index.tz_convert("UTC"))  # 2000-12-31 15:00+00:00 ... 2001-12-31 14:00+00:00
    header = {"latitude": 37.18, "longitude": 128.46, "utc_offset": 9}
    wf = read_weather_file(write_csv(tmp_path / "w.csv", utc, header), 2025)
    assert_year_equals(wf, frame)
    assert any("moved +9 h" in n for n in wf.notes)


# ----------------------------------------------------------------------- what the reader changes


def test_sub_hourly_data_becomes_hourly_means_with_a_note(tmp_path, frame):
    start = frame.index.tz_localize(None)
    half = pd.DatetimeIndex(np.sort(np.concatenate([start, start + pd.Timedelta(minutes=30)])))
    fine = frame.loc[frame.index.repeat(2)].set_axis(half)
    fine["temp_air"] += np.tile([-0.5, 0.5], 8760)  # the hourly mean is the hour's value
    wf = read_weather_file(write_psm3(tmp_path / "p30.csv", fine), 2025)
    assert_year_equals(wf, frame)
    assert wf.notes == ("resampled 30-minute data (17520 rows) to hourly means, each labelled by the "
                        "beginning of its hour",)


def test_leap_year_file_loses_feb_29_with_a_note(tmp_path):
    leap = sample_frame(pd.date_range("2020-01-01", periods=8784, freq="h", tz=KST))
    wf = read_weather_file(write_csv(tmp_path / "leap.csv", leap), 2025)
    kept = leap[~((leap.index.month == 2) & (leap.index.day == 29))]
    assert_year_equals(wf, kept)
    march_first = wf.data.loc["2025-03-01 12:00", "wind_speed"].item()
    assert march_first == leap.loc["2020-03-01 12:00", "wind_speed"].item()
    assert wf.notes == ("dropped 24 rows of 29 February (2020) to keep a 365-day year",)


def test_small_negative_irradiance_is_night_noise_set_to_zero(tmp_path, frame):
    noisy = frame.copy()
    noisy.iloc[[0, 1], noisy.columns.get_loc("dhi")] = [-3.0, -0.4]
    wf = read_weather_file(write_csv(tmp_path / "w.csv", noisy), 2025)
    assert_year_equals(wf, frame)
    assert wf.notes == ("dhi: set 2 small negative values (from -5 W/m2 up to 0, sensor noise) to 0",)


def test_missing_albedo_is_filled_with_a_note(tmp_path, frame):
    partial = frame.copy()
    partial.iloc[:48, partial.columns.get_loc("albedo")] = np.nan
    wf = read_weather_file(write_csv(tmp_path / "w.csv", partial), 2025)
    assert (wf.data["albedo"].iloc[:48] == 0.2).all()
    assert wf.notes == ("albedo missing in 48 of 8760 hours; filled with 0.2",)


# ------------------------------------------------------------------------------------- errors


def test_missing_columns_are_listed_with_what_was_found(tmp_path, frame):
    path = write_sam_csv(tmp_path / "s.csv", frame.drop(columns=["dni", "wind_speed"]))
    problems = problems_of(path)
    assert [p.key for p in problems] == ["dni ('DNI' in the file)", "wind_speed ('Wspd' in the file)"]
    assert all("Year, Month, Day, Hour, Minute, GHI, DHI, Tdry, Albedo" in p.found for p in problems)


def test_gap_names_first_missing_timestamp_and_count(tmp_path, frame):
    stamped = frame.set_axis(frame.index.tz_localize(None) + pd.Timedelta(minutes=30))
    path = write_psm3(tmp_path / "p.csv", stamped)
    row = stamped.index.get_loc(pd.Timestamp("2001-03-10 10:30"))
    (problem,) = problems_of(drop_lines(path, 4 + row, count=5))
    assert problem.key == "Year, Month, Day, Hour, Minute"
    assert "8760 hourly rows" in problem.expected
    assert problem.found == "8755 rows: 5 timestamps missing, the first 2001-03-10 10:30"


def test_short_epw_is_a_gap(tmp_path, frame):
    path = write_epw(tmp_path / "short.epw", frame.iloc[:8000])
    (problem,) = problems_of(path)
    first = frame.index[8000]
    assert problem.found == (f"8000 rows: 760 timestamps missing, the first {first:%Y-%m-%d} "
                             f"hour {first.hour + 1}")  # EPW's hour ending


def test_nan_names_column_count_and_first_timestamp(tmp_path, frame):
    holes = frame.copy()
    holes.iloc[[100, 200, 300], holes.columns.get_loc("ghi")] = np.nan
    (problem,) = problems_of(write_csv(tmp_path / "w.csv", holes))
    assert problem.key == "ghi"
    assert problem.found == (f"3 empty or missing values, the first at 2001-01-05 04:00+09:00 "
                             f"(line {csv_data_line(None, 100)})")


def test_text_in_a_number_column(tmp_path, frame):
    path = set_field(write_csv(tmp_path / "w.csv", frame), csv_data_line(None, 5), 4, "n/a?")
    (problem,) = problems_of(path)
    assert problem.key == "temp_air"
    assert problem.found == "1 values that are not numbers, the first 'n/a?' at 2001-01-01 05:00+09:00 (line 9)"


def test_negative_irradiance_beyond_noise_is_an_error(tmp_path, frame):
    bad = frame.copy()
    bad.iloc[[4000, 4010], bad.columns.get_loc("dni")] = [-50.0, -7.0]
    (problem,) = problems_of(write_csv(tmp_path / "w.csv", bad))
    assert problem.key == "dni"
    assert problem.found == (f"2 values below -5 W/m2, the first -50 at {bad.index[4000]:%Y-%m-%d %H:%M}+09:00 "
                             f"(line {csv_data_line(None, 4000)})")


def test_irradiance_in_the_wrong_unit_is_guessed(tmp_path, frame):
    kj = frame.copy()
    kj[["ghi", "dni", "dhi"]] *= 3.6  # kJ/m2 per hour
    problems = problems_of(write_csv(tmp_path / "kj.csv", kj))
    ghi = next(p for p in problems if p.key == "ghi")
    first = int(np.argmax(kj["ghi"].to_numpy() > 1500))
    assert ghi.expected == "values from 0 to 1500 W/m2"
    assert ghi.found.startswith(f"{kj['ghi'].iloc[first]:g} at {kj.index[first]:%Y-%m-%d %H:%M}+09:00 (line ")
    assert ghi.found.endswith("; looks like kJ/m2 per hour (divide by 3.6), not W/m2")

    kwh = frame.copy()
    kwh[["ghi", "dni", "dhi"]] /= 1000  # kWh/m2 per hour
    (problem,) = problems_of(write_csv(tmp_path / "kwh.csv", kwh))
    assert problem.key == "ghi"
    assert problem.found.endswith("looks like kWh/m2 per hour (multiply by 1000), not W/m2")


def test_one_unphysical_value_is_named_without_a_unit_guess(tmp_path, frame):
    path = corrupt(write_epw(tmp_path / "bad.epw", frame), 100, GHI_COLUMN, "5000")
    (problem,) = problems_of(path)
    assert problem.key == "ghi"
    assert problem.found == "5000 at 2001-01-05 hour 5 (line 109) (1 rows out of range)"


def test_tmy3_messages_quote_hour_ending_labels(tmp_path):
    path = Path(shutil.copy(TMY3, tmp_path / "t.csv"))
    set_field(path, 3 + 12, 4, "")  # GHI of '01/01/1997,13:00'
    (problem,) = problems_of(path)
    assert problem.key == "ghi ('GHI (W/m^2)' in the file)"
    assert problem.found == "1 empty or missing values, the first at 01/01/1997 13:00 (line 15)"


def test_pvgis_messages_quote_utc_stamps(tmp_path, frame):
    path = write_pvgis_csv(tmp_path / "t.csv", frame)
    set_field(path, 19 + 100, 3, "-50.0")  # G(h) of UTC row 100
    (problem,) = problems_of(path)
    assert problem.key == "ghi ('G(h)' in the file)"
    assert problem.found == "1 values below -5 W/m2, the first -50 at 20180105:0400 UTC (line 119)"


def test_duplicated_timestamps(tmp_path, frame):
    doubled = pd.concat([frame.iloc[:51], frame.iloc[50:]])
    (problem,) = problems_of(write_csv(tmp_path / "w.csv", doubled))
    assert problem.key == "time"
    assert problem.found == ("1 duplicated timestamps, the first 2001-01-03 02:00+09:00 (line 55), "
                             "already at line 54")


def test_two_years_is_not_one_year(tmp_path):
    two = sample_frame(pd.date_range("2019-01-01", "2020-12-31 23:00", freq="h", tz=KST))
    (problem,) = problems_of(write_csv(tmp_path / "w.csv", two))
    assert problem.key == "time" and "one year of data" in problem.expected
    assert problem.found == ("17520 rows from 2019-01-01 00:00+09:00 (line 4) to 2020-12-31 23:00+09:00 "
                             "(line 17547): 8760 repeat a day and hour of another year")


def test_rows_further_apart_than_an_hour(tmp_path, frame):
    (problem,) = problems_of(write_csv(tmp_path / "w.csv", frame.iloc[::3]))
    assert problem.found == "rows every 180 minutes, starting at 2001-01-01 00:00+09:00 (line 4)"


def test_all_problems_are_reported_together(tmp_path, frame):
    bad = pd.concat([frame.iloc[:11], frame.iloc[10:]])
    bad.iloc[3, bad.columns.get_loc("ghi")] = np.nan
    bad.iloc[2000, bad.columns.get_loc("dhi")] = -40.0
    problems = problems_of(write_csv(tmp_path / "w.csv", bad))
    assert [p.key for p in problems] == ["ghi", "dhi", "time"]
    message = str(InputError(problems))
    assert message.count(str(tmp_path / "w.csv")) == 3 and "Traceback" not in message


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pvlib's parser, on the damaged PVGIS CSV
@pytest.mark.parametrize("damage, fmt, said", [
    (lambda p: p.write_text(p.read_text()[:5000]), "pvgis_json", "JSONDecodeError"),
    (lambda p: drop_lines(p, 200, count=8000), "pvgis_csv", "; 760 data rows after line 18 ('time(UTC),...')"),
    (lambda p: set_field(p, 20, 3, "noon"), "epw", "; line 20 has 35 fields (35 expected): '2001,1,1,noon,"),
])
def test_malformed_files_name_the_parser_message(tmp_path, frame, damage, fmt, said):
    writer = {"pvgis_json": write_pvgis_json, "pvgis_csv": write_pvgis_csv, "epw": write_epw}[fmt]
    path = writer(tmp_path / f"bad.{'json' if fmt == 'pvgis_json' else 'csv'}", frame)
    damage(path)
    (problem,) = problems_of(path, fmt=fmt)
    assert problem.expected.startswith("a readable ") and said in problem.found


def test_forced_wrong_format_is_a_read_error(tmp_path, frame):
    (problem,) = problems_of(write_epw(tmp_path / "t.epw", frame), fmt="tmy3")
    assert problem.expected == "a readable NSRDB TMY3 file"


def test_unknown_format_missing_file_and_bad_fmt(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("x")
    with pytest.raises(InputError, match="epw, tmy3, tmy2, pvgis_csv, pvgis_json, psm3, sam_csv, csv"):
        read_weather_file(path, 2025)
    (problem,) = problems_of(tmp_path / "nope.epw")
    assert problem.found == "no such file"
    (problem,) = problems_of(path, fmt="xlsx")
    assert problem.key == "fmt"


def test_csv_without_site_or_offset_lists_each_missing_item(tmp_path, frame):
    naive = frame.set_axis(frame.index.tz_localize(None))
    problems = problems_of(write_csv(tmp_path / "w.csv", naive, header={"longitude": 128.46}))
    assert [p.key for p in problems] == ["latitude", "time"]
    assert "utc_offset" in problems[1].expected


def test_daylight_saving_offsets_need_a_fixed_offset(tmp_path, frame):
    local = frame.set_axis(pd.date_range("2001-01-01", periods=8760, freq="h", tz="UTC")).tz_convert(
        "America/New_York")
    body = "\n".join(f"{t.isoformat()},{r.ghi},{r.dni},{r.dhi},{r.temp_air},{r.wind_speed}"
                     for t, r in zip(local.index, local.itertuples()))
    path = tmp_path / "dst.csv"
    path.write_text("# latitude=40.7\n# longitude=-74.0\ntime,ghi,dni,dhi,temp_air,wind_speed\n" + body + "\n")
    (problem,) = problems_of(path)
    assert problem.key == "time" and problem.found == "offsets -04:00, -05:00"
    path.write_text(path.read_text().replace("# longitude=-74.0", "# longitude=-74.0\n# utc_offset=-5"))
    wf = read_weather_file(path, 2025)
    assert wf.timezone == "Etc/GMT+5"
    assert wf.notes == ("timestamps with UTC offsets -04:00, -05:00 (daylight saving) converted to the "
                        "fixed offset UTC-05:00 of the '# utc_offset' line", "the file has no albedo; used 0.2")
    assert wf.data["wind_speed"].iloc[0] == frame["wind_speed"].iloc[5]  # 00:00-05:00 is 05:00 UTC


def test_fractional_time_zone_is_an_error(tmp_path, frame):
    (problem,) = problems_of(write_epw(tmp_path / "in.epw", frame, tz=5.5))
    assert problem.key == "time zone" and problem.found == "5.5"
