"""Weather stage: a normalized hourly year, read from a file or synthesized from normals.

``build_weather(scenario)`` is the stage's entry point. Its result carries the hourly frame
(pvlib column names, 8760 hour-beginning rows) plus the solar position at mid-hour, computed
once here and reused by generation and demand.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pvlib

from pvcluster.calendar import HOURS_PER_YEAR, hourly_index, weekend_mask
from pvcluster.weather.readers import read_weather_file
from pvcluster.weather.synthetic import SkyGeometry, sky_geometry, synthetic_ensemble, synthetic_year

__all__ = ["Weather", "build_weather", "with_ensemble", "hourly_index", "weekend_mask", "HOURS_PER_YEAR",
           "read_weather_file", "synthetic_year", "synthetic_ensemble", "climate_kwargs"]


@dataclass(frozen=True)
class Weather:
    """An hourly weather year at one location.

    data columns: ghi, dni, dhi (W/m2), temp_air (degC), wind_speed (m/s), albedo (-),
    solar_zenith, solar_azimuth (deg, apparent zenith at the middle of each hour).
    """

    data: pd.DataFrame
    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    timezone: str
    source: str
    notes: tuple[str, ...] = ()  # what a reader changed (resampling, dropped leap day, ...)
    ensemble: tuple[Weather, ...] = ()  # seeded synthetic years of the same climate, for P50/P90

    @property
    def index(self) -> pd.DatetimeIndex:
        return self.data.index

    def monthly_ghi_kwh_per_m2_day(self) -> np.ndarray:
        ghi = self.data["ghi"]
        days = ghi.groupby(ghi.index.month).size() / 24
        return (ghi.groupby(ghi.index.month).sum() / 1000.0 / days).to_numpy()


def _with_solar_position(frame: pd.DataFrame, lat: float, lon: float, alt: float) -> pd.DataFrame:
    mid = frame.index + pd.Timedelta(minutes=30)
    solpos = pvlib.solarposition.get_solarposition(mid, lat, lon, altitude=alt)
    frame = frame.copy()
    frame["solar_zenith"] = solpos["apparent_zenith"].to_numpy()
    frame["solar_azimuth"] = solpos["azimuth"].to_numpy()
    return frame


def climate_kwargs(scenario) -> dict:
    """The keyword arguments of the synthetic generators for a scenario's site and climate."""
    site, c = scenario.site, scenario.facts.climate
    return dict(
        latitude_deg=site.latitude_deg, longitude_deg=site.longitude_deg, altitude_m=site.altitude_m,
        year=scenario.scenario.base_year, timezone=site.timezone,
        ghi_kwh_per_m2_day=np.asarray(c.ghi_kwh_per_m2_day), temp_air_c=np.asarray(c.temp_air_c),
        temp_daily_range_c=np.asarray(c.temp_daily_range_c),
        wind_speed_m_per_s=np.asarray(c.wind_speed_m_per_s), albedo_fraction=c.albedo_fraction,
        clearness_lag1_autocorrelation=c.clearness_lag1_autocorrelation,
        clearness_daily_sd=c.clearness_daily_sd, temp_daily_anomaly_sd_c=c.temp_daily_anomaly_sd_c)


def site_geometry(scenario) -> SkyGeometry:
    """The sun and clear sky of the scenario's site in its base year, shared by its synthetic years."""
    site = scenario.site
    return sky_geometry(site.latitude_deg, site.longitude_deg, site.altitude_m, scenario.scenario.base_year,
                        site.timezone)


def build_ensemble(scenario, geometry: SkyGeometry | None = None) -> tuple[Weather, ...]:
    """``weather.ensemble_years`` seeded random years of the scenario's climate (none if < 2).
    ``geometry`` (:func:`site_geometry`) skips computing the sun again."""
    n = scenario.weather.ensemble_years
    if n < 2:
        return ()
    site = scenario.site
    kwargs = climate_kwargs(scenario)
    years = synthetic_ensemble(n, seed=scenario.scenario.seed,
                               target_annual_cv_fraction=scenario.facts.climate.ghi_interannual_cv_fraction,
                               geometry=geometry, **kwargs)
    return tuple(Weather(frame, site.latitude_deg, site.longitude_deg, site.altitude_m, site.timezone,
                         f"synthetic ensemble year {k + 1} of {n} (seed {scenario.scenario.seed})")
                 for k, frame in enumerate(years))


#: How far a weather file's location may lie from the scenario's site: about the spacing of Korea's
#: synoptic stations, so the nearest station's typical year passes and another region's does not.
MAX_WEATHER_DISTANCE_KM = 100.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, Earth radius 6,371 km)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return float(2 * 6371.0 * np.arcsin(np.sqrt(min(1.0, a))))


def check_location(scenario, wf) -> float:
    """The weather file's location against the site: a valid position within ``MAX_WEATHER_DISTANCE_KM``,
    in the site's UTC offset. Returns the distance; raises InputError naming the file otherwise."""
    from pvcluster.errors import InputError, Problem

    where, site = str(scenario.weather.file), scenario.site
    lat, lon = wf.latitude_deg, wf.longitude_deg
    if not (np.isfinite(lat) and np.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError(Problem(where, "latitude/longitude", "a position with latitude -90..90 and longitude "
                                 "-180..180 degrees", f"latitude {lat!r}, longitude {lon!r}"))
    d = distance_km(lat, lon, site.latitude_deg, site.longitude_deg)
    problems = []
    if d > MAX_WEATHER_DISTANCE_KM:
        problems.append(Problem(where, "latitude/longitude", f"a weather file for the site (within "
                                f"{MAX_WEATHER_DISTANCE_KM:g} km of site.latitude_deg {site.latitude_deg:g}, "
                                f"site.longitude_deg {site.longitude_deg:g})",
                                f"a file for {lat:.4f}, {lon:.4f}, {d:,.0f} km away"))
    site_offset = pd.Timestamp("2025-01-01", tz=site.timezone).utcoffset()
    file_offset = wf.data.index[0].utcoffset() if len(wf.data) else site_offset
    if file_offset != site_offset:
        problems.append(Problem(where, "time zone", f"the site's UTC offset ({site.timezone}, {site_offset})",
                                f"UTC offset {file_offset}"))
    if problems:
        raise InputError(problems, headline="the weather file does not fit the site")
    return d


def build_weather(scenario, ensemble: bool = True) -> Weather:
    """The weather year a scenario asks for, with its synthetic ensemble for P50/P90 (``ensemble`` False:
    without it, for :func:`with_ensemble` to add later; a run that sizes on workers builds it beside the
    sizing, which reads the main year only)."""
    site, year = scenario.site, scenario.scenario.base_year
    if scenario.weather.source == "file":
        ensemble = build_ensemble(scenario) if ensemble else ()
        fmt = None if scenario.weather.format == "auto" else scenario.weather.format
        wf = read_weather_file(scenario.weather.file, year, fmt)
        distance = check_location(scenario, wf)
        frame = _with_solar_position(wf.data, wf.latitude_deg, wf.longitude_deg, wf.altitude_m)
        notes = tuple(getattr(wf, "notes", ())) + (f"the weather file's location is {distance:,.1f} km from the site",)
        return Weather(frame, wf.latitude_deg, wf.longitude_deg, wf.altitude_m, wf.timezone,
                       f"file {scenario.weather.file.name} ({wf.name})", notes, ensemble)
    geometry = site_geometry(scenario)  # the sun once, for the year and its ensemble
    ensemble = build_ensemble(scenario, geometry) if ensemble else ()
    frame = synthetic_year(**climate_kwargs(scenario), seed=scenario.scenario.seed,
                           typical=scenario.weather.synthetic_year == "typical", geometry=geometry)
    return Weather(frame, site.latitude_deg, site.longitude_deg, site.altitude_m, site.timezone,
                   f"synthetic {scenario.weather.synthetic_year} year {year} from monthly normals "
                   f"(seed {scenario.scenario.seed})", (), ensemble)


def with_ensemble(scenario, weather: Weather) -> Weather:
    """``weather`` (from ``build_weather(scenario, ensemble=False)``) with the scenario's synthetic ensemble,
    the same years ``build_weather(scenario)`` gives."""
    if weather.ensemble:
        return weather
    ensemble = build_ensemble(scenario)
    return replace(weather, ensemble=ensemble) if ensemble else weather
