"""One PV system, PVWatts v8-like, from pvlib building blocks.

What NREL's PVWatts v8 does (read from SAM's ``ssc`` source, ``ssc/cmod_pvwattsv8.cpp`` and the
``shared/lib_*.cpp`` it calls), and what this module mirrors, stage by stage:

1. **Sun position** (``lib_irradproc.cpp``: ``irrad::calc``, ``solarpos_spa``): NREL's SPA with
   refraction from the hour's air temperature and station pressure (we use the standard-atmosphere
   pressure at the site's altitude, and give ssc the same). How ssc places the sun depends on how
   the weather arrives (``cmod_pvwattsv8.cpp``, ``ts_shift_hours``):

   - an hourly file *without* a minute column is read as hourly means: the sun at mid-hour, except
     in the hour that contains sunrise (sunset), where it is placed midway between sunrise and the
     hour's end (the hour's start and sunset), and that hour counts as daylight. This is our
     default (``sunrise_sunset_adjust=True``): it is what our hour-beginning, hour-mean weather is.
   - records *with* a minute column (PySAM's ``solar_resource_data`` table requires one) are read
     as instantaneous: the sun at the stamp (HH:30 for our labels), no sunrise/sunset adjustment,
     and the hour is daylight only if that instant lies between SPA sunrise and sunset (sun centre
     at -0.8333 deg). ``sunrise_sunset_adjust=False`` reproduces that; it gives ~0.05-0.15 % less
     energy a year (the lit part of the sunrise and sunset hours is lost).

   pvlib: ``solarposition.get_solarposition(method='nrel_numpy')`` and
   ``solarposition.sun_rise_set_transit_spa``.
2. **Orientation** (``incidence``, ``truetrack``, ``backtrack``): fixed, or single-axis with axis
   tilt = tilt and axis azimuth = azimuth, true tracking clipped at ``rotlim`` (45 deg), closed-form
   backtracking (Anderson & Mikofski, zero cross-axis slope). pvlib: ``tracking.singleaxis``.
3. **Transposition** (``perez``): Perez 1990 all-sites coefficients with Kasten-1966 air mass
   (93.9 deg form), a fixed 1367 W/m2 extraterrestrial normal irradiance (no eccentricity), ground
   reflection ``albedo * (DNI cos(z) + DHI) (1 - cos(tilt)) / 2`` from the *recomputed* global
   horizontal (the file's GHI is not used). For zenith > 87.5 deg the sky is isotropic and the
   ground term is zero; with DHI <= 0 both diffuse terms are zero. pvlib: ``irradiance.perez``
   with those inputs (its coefficients, bins and epsilon are ssc's), then those two patches.
4. **Row self-shading** (``lib_pvshade.cpp``: ``ss_exec``, ``diffuse_reduce``,
   ``sssky_diffuse_table``; ``shadeFraction1x``): on for fixed open rack and for single-axis
   trackers, off for roof mounts. A nominal layout is derived from the size (300 W modules, 2 up
   portrait on fixed racks, 1 up on trackers, a square field). Beam: fixed racks lose the Appelbaum
   shaded fraction, trackers without backtracking the 1-D tracker shade fraction, backtracking
   trackers none. Sky diffuse and ground-reflected diffuse are reduced by view-factor derates.
   The non-linear (bypass-diode) DC derate is disabled in v8 and therefore here too.
5. **Cover (IAM)** (``lib_pv_incidence_modifier.cpp``: ``calculateIrradianceThroughCoverDeSoto``):
   Fresnel + Bouguer transmittance of an anti-reflective coated glass for beam (n=1.3 coating on
   n=1.526 glass, K=4/m, L=2 mm), and of plain glass at the Duffie-Beckman equivalent angles for sky
   and ground diffuse, all relative to a reference at 1 deg (see :func:`cover_transmitted_irradiance`
   for an ssc quirk we mirror).
5b. **Spectrum** (``lib_cec6par.cpp``: ``air_mass_modifier``): the De Soto air-mass modifier
   (polynomial in Kasten-Young air mass, zenith capped at 86 deg, times exp(-0.0001184 altitude))
   multiplies the transmitted irradiance, for the module *and* for its temperature. The newest ssc
   sources compute it without applying it (a spectral-correction input took its place), but the
   ssc inside PySAM 7.1.1 applies it to both; we measured that rather than trusting either source:
   without it monthly energy differs from PySAM by -1.2 % (winter) to +0.9 % (summer), and with it
   applied to the module only, cell temperatures differ by up to 0.9 C (months +-0.06 %).
   pvlib: ``spectrum.spectral_factor_sapm``.
6. **Cell temperature** (``lib_cec6par.cpp``: ``noct_celltemp_t``): the SAM NOCT model on that
   effective irradiance, NOCT 45 C (open rack and trackers) or 49 C (roof mount), wind factor 0.51
   (height < 22 ft), no stand-off adjustment, tau-alpha 0.9, the module's STC efficiency.
   pvlib: ``temperature.noct_sam``.
7. **Module** (``cec6par_module_t``): not the linear PVWatts equation: the CEC single-diode model of
   a representative module per type (standard: Canadian Solar CS1H-320MS), at the maximum power
   point, scaled by ``capacity / (Vmp Imp)``; zero below 1 W/m2 effective irradiance. pvlib:
   ``pvsystem.calcparams_cec`` + ``pvsystem.max_power_point``. (The ``gamma`` -0.37 %/C of the
   "standard" type is implied by these parameters, not used as such.)
8. **Losses**: one DC derate ``(1 - losses)`` after the module model (default 14.08 %); no snow,
   soiling, shading tables, degradation, transformer or availability losses (ssc defaults).
9. **Inverter**: the Sandia model with C0..C3 = 0 (linear), ``Paco = capacity / dc_ac``,
   ``Pdco = Paco / eta``, ``Pso`` = 0.4931 % of ``Paco`` and no night tare, clipped at ``Paco``.
   ssc picks ``Pso`` by size class but compares the thresholds (10 and 1000) with the DC nameplate in
   *watts*, so every system above 1 kW gets the utility value; we do the same. pvlib:
   ``inverter.sandia``.

Public entry point: :func:`simulate` (weather frame + site + :class:`PVWattsSystem` ->
:class:`PVWattsResult`). The stage functions above are pure (arrays in, arrays out) and usable alone.

Agreement with PySAM 7.1.1's ``Pvwattsv8`` on identical weather (``benchmarks/pvwatts_crosscheck.py``:
10 systems x 3 pvlib TMY files x both weather routes): annual energy within 0.01 %, every month
within 0.05 %. What remains, all below 0.01 % of annual energy: ssc's CEC solver (golden-section
search to 1e-4, Boltzmann constant 8.618e-5 eV/K) against pvlib's exact maximum power point; pvlib's
delta-T against ssc's polynomial (seconds of sun time); the sky-diffuse derate evaluated on a
0.01 deg tilt grid; trackers facing the horizon (not the sun) in the rare daylight hours whose sun
centre is just below it; and sun-up flags of hours whose decisive instant falls within seconds of
sunrise or sunset (about one hour a year).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pvlib

from pvcluster.errors import Problem

MAX_CAPACITY_KW = 1e7  # 10 GWp: above any single PV system built (the largest are ~5 GWp); bounds the arithmetic
TRACKING_MODES = ("fixed", "single-axis")
ARRAY_TYPES = ("open_rack", "roof_mount")
WEATHER_COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed", "albedo")

# Representative modules per PVWatts v8 module type (cmod_pvwattsv8.cpp): CEC single-diode
# parameters, the nominal STC efficiency used for the layout, and the temperature coefficient
# PVWatts documents for the type (for reference; the CEC parameters imply it).
MODULE_TYPES: dict[str, dict[str, float]] = {
    "standard": dict(  # Canadian Solar CS1H-320MS
        area_m2=1.6864, v_mp=35.8, i_mp=9.01, v_oc=43.3, i_sc=9.51, alpha_sc=0.004755,
        beta_oc=-0.12557, a_ref=1.65916, I_L_ref=9.51393, I_o_ref=4.37813e-11, R_s=0.269953,
        R_sh_ref=654.059, Adjust=5.79586, stc_efficiency_fraction=0.19, gamma_pdc_per_c=-0.0037),
    "premium": dict(  # SunPower SPR-E20-327
        area_m2=1.6297, v_mp=54.7, i_mp=5.98, v_oc=64.9, i_sc=6.46, alpha_sc=0.0026,
        beta_oc=-0.1766, a_ref=2.45326, I_L_ref=6.4704, I_o_ref=2.01784e-11, R_s=0.421231,
        R_sh_ref=261.723, Adjust=9.56482, stc_efficiency_fraction=0.21, gamma_pdc_per_c=-0.0035),
    "thin_film": dict(  # First Solar FS-6435A
        area_m2=2.4751, v_mp=183.6, i_mp=2.37, v_oc=219.6, i_sc=2.55, alpha_sc=0.00102,
        beta_oc=-0.61488, a_ref=7.97293, I_L_ref=2.55475, I_o_ref=2.69243e-12, R_s=4.60991,
        R_sh_ref=2476.95, Adjust=-2.49865, stc_efficiency_fraction=0.18, gamma_pdc_per_c=-0.0032),
}

# Geometry ssc assumes for self-shading only (cmod_pvwattsv8.cpp): 300 W modules of aspect 1.7.
_LAYOUT_MODULE_W = 300.0
_LAYOUT_ASPECT = 1.7
_MODULES_PER_STRING = 7
_SOLAR_CONSTANT_W_PER_M2 = 1367.0  # ssc's Perez uses a fixed value, no eccentricity correction
_PEREZ_ISOTROPIC_ZENITH_DEG = 87.5  # 1.5271631 rad in lib_irradproc.cpp
_SPA_SUNRISE_ELEVATION_DEG = -0.8333  # SPA h0': refraction 0.5667 + solar radius 0.26667
_INVERTER_PSO_FRACTION = 0.004931  # 'utility' self-consumption, see the module docstring


@dataclass(frozen=True)
class PVWattsSystem:
    """A PV system described with PVWatts' inputs (units in names; azimuth clockwise from north).

    For ``tracking="single-axis"`` the tilt and azimuth are those of the tracker axis (0 and 180
    for the usual horizontal north-south axis), ``array_type`` is ignored (trackers are open rack).
    """

    capacity_kw: float
    tilt_deg: float = 20.0
    azimuth_deg: float = 180.0
    tracking: str = "fixed"
    array_type: str = "open_rack"
    module_type: str = "standard"
    dc_ac_ratio: float = 1.15  # SAM's PVWatts default (ssc's own default is 1.1, the web app 1.2)
    losses_fraction: float = 0.1408  # PVWatts' default 14.08 %
    inverter_efficiency_fraction: float = 0.96
    gcr: float = 0.3  # ssc default; used for self-shading (fixed rack, trackers) and backtracking
    max_angle_deg: float = 45.0  # tracker rotation limit ('rotlim'), ssc default
    backtrack: bool = True

    @property
    def ac_capacity_kw(self) -> float:
        return self.capacity_kw / self.dc_ac_ratio

    def problems(self, where: str = "PV system") -> list[Problem]:
        """Everything wrong with the parameters (empty when valid), one :class:`Problem` each."""
        out: list[Problem] = []

        def bad(key: str, expected: str, value) -> None:
            out.append(Problem(where, key, expected, repr(value)))

        def number(value) -> bool:
            return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

        if not number(self.capacity_kw) or not 0 < self.capacity_kw <= MAX_CAPACITY_KW:
            bad("capacity_kw", f"a positive number of kWp, at most {MAX_CAPACITY_KW:,.0f} (10 GWp)", self.capacity_kw)
        if not number(self.tilt_deg) or not 0 <= self.tilt_deg <= 90:
            bad("tilt_deg", "degrees from 0 (flat) to 90 (vertical)", self.tilt_deg)
        if not number(self.azimuth_deg) or not 0 <= self.azimuth_deg <= 360:
            bad("azimuth_deg", "degrees clockwise from north, 0 to 360 (180 = south)", self.azimuth_deg)
        if self.tracking not in TRACKING_MODES:
            bad("tracking", " or ".join(TRACKING_MODES), self.tracking)
        if self.array_type not in ARRAY_TYPES:
            bad("array_type", " or ".join(ARRAY_TYPES), self.array_type)
        if self.module_type not in MODULE_TYPES:
            bad("module_type", " or ".join(MODULE_TYPES), self.module_type)
        if not number(self.dc_ac_ratio) or self.dc_ac_ratio <= 0:
            bad("dc_ac_ratio", "a positive ratio (typically 1.1 to 1.4)", self.dc_ac_ratio)
        if not number(self.losses_fraction) or not 0 <= self.losses_fraction < 1:
            bad("losses_fraction", "a fraction from 0 to below 1 (0.1408 = 14.08 %)", self.losses_fraction)
        if not number(self.inverter_efficiency_fraction) or not 0.9 <= self.inverter_efficiency_fraction <= 0.995:
            bad("inverter_efficiency_fraction", "a fraction from 0.9 to 0.995 (as PVWatts)",
                self.inverter_efficiency_fraction)
        if not number(self.gcr) or not 0 < self.gcr < 1:
            bad("gcr", "a ground coverage ratio strictly between 0 and 1", self.gcr)
        if not number(self.max_angle_deg) or not 0 < self.max_angle_deg <= 90:
            bad("max_angle_deg", "a rotation limit above 0 and at most 90 degrees", self.max_angle_deg)
        if not isinstance(self.backtrack, bool):
            bad("backtrack", "true or false", self.backtrack)
        return out


@dataclass(frozen=True)
class PVWattsResult:
    """Hourly AC output (kW, hour means = kWh per hour) and its annual and monthly sums."""

    system: PVWattsSystem
    ac_kw: pd.Series
    annual_mwh: float
    monthly_mwh: tuple[float, ...]  # January .. December
    capacity_factor_fraction: float  # on the DC nameplate, as PVWatts reports it
    specific_yield_kwh_per_kwp: float
    hourly: pd.DataFrame  # intermediate quantities (sun, plane of array, cell temperature, dc_kw, ac_kw)

    def summary(self) -> dict:
        """A JSON-ready summary: inputs echoed, annual and monthly energy, yield, capacity factor."""
        return {
            "system": asdict(self.system),
            "ac_capacity_kw": self.system.ac_capacity_kw,
            "annual_mwh": self.annual_mwh,
            "monthly_mwh": list(self.monthly_mwh),
            "specific_yield_kwh_per_kwp": self.specific_yield_kwh_per_kwp,
            "capacity_factor_fraction": self.capacity_factor_fraction,
        }


# ---------------------------------------------------------------------------------------------
# Pure functions (arrays in, arrays out)
# ---------------------------------------------------------------------------------------------

def solar_position(index: pd.DatetimeIndex, latitude_deg: float, longitude_deg: float, altitude_m: float,
                   temp_air_c, pressure_pa=None, sunrise_sunset_adjust: bool = True) -> pd.DataFrame:
    """Sun position for hour-beginning labels: apparent zenith, azimuth (deg) and a sun-up flag.

    The sun is placed at mid-hour; the hour is daylight if the sun's centre is above -0.8333 deg
    (SPA sunrise/sunset) at that instant. With ``sunrise_sunset_adjust`` (as ssc for hourly files
    without a minute column), in the hour that contains sunrise (sunset) the sun is instead placed
    midway between sunrise and the hour's end (the hour's start and sunset), and that hour counts
    as daylight. ``pressure_pa`` defaults to the standard atmosphere at ``altitude_m``.
    """
    temp = np.broadcast_to(np.asarray(temp_air_c, dtype=float), (len(index),))
    pressure = pvlib.atmosphere.alt2pres(altitude_m) if pressure_pa is None else pressure_pa
    mid = index + pd.Timedelta(minutes=30)
    pos = pvlib.solarposition.get_solarposition(mid, latitude_deg, longitude_deg, altitude=altitude_m,
                                                pressure=pressure, temperature=temp, method="nrel_numpy")
    zenith = pos["apparent_zenith"].to_numpy(dtype=float, copy=True)
    azimuth = pos["azimuth"].to_numpy(dtype=float, copy=True)
    sun_up = pos["elevation"].to_numpy(dtype=float) >= _SPA_SUNRISE_ELEVATION_DEG
    if sunrise_sunset_adjust:
        day = index.normalize()
        days = pd.DatetimeIndex(day.unique())
        rs = pvlib.solarposition.sun_rise_set_transit_spa(days + pd.Timedelta(hours=12), latitude_deg,
                                                          longitude_deg)

        def hours_after_midnight(column: str) -> np.ndarray:
            t = pd.DatetimeIndex(rs[column])  # NaT where the sun does not rise or set that day
            h = np.asarray((t - days) / pd.Timedelta(hours=1), dtype=float)
            return pd.Series(h, index=days).reindex(day).to_numpy()

        rise, sset = hours_after_midnight("sunrise"), hours_after_midnight("sunset")
        start = np.asarray(index.hour, dtype=float)
        rising = (rise >= start) & (rise < start + 1.0)
        setting = (sset > start) & (sset <= start + 1.0) & ~rising
        moved = rising | setting
        if moved.any():
            t_calc = np.where(rising, (rise + start + 1.0) / 2.0, (start + sset) / 2.0)[moved]
            when = day[moved] + pd.to_timedelta(np.round(t_calc * 3600.0), unit="s")
            adj = pvlib.solarposition.get_solarposition(
                when, latitude_deg, longitude_deg, altitude=altitude_m, pressure=pressure,
                temperature=temp[moved], method="nrel_numpy")
            zenith[moved] = adj["apparent_zenith"].to_numpy(dtype=float)
            azimuth[moved] = adj["azimuth"].to_numpy(dtype=float)
            sun_up = sun_up | moved
    return pd.DataFrame({"solar_zenith": zenith, "solar_azimuth": azimuth, "sun_up": sun_up}, index=index)


def orientation(solar_zenith, solar_azimuth, tracking: str, tilt_deg: float, azimuth_deg: float,
                max_angle_deg: float = 45.0, backtrack: bool = True, gcr: float = 0.3) -> dict[str, np.ndarray]:
    """Surface tilt, surface azimuth, angle of incidence and tracker angles (degrees).

    ``rotation`` is the tracker angle used, ``true_tracking`` the unlimited ideal angle (NaN for
    fixed systems).
    """
    zen = np.asarray(solar_zenith, dtype=float)
    azi = np.asarray(solar_azimuth, dtype=float)
    if tracking == "fixed":
        tilt = np.full_like(zen, tilt_deg)
        surf_az = np.full_like(zen, azimuth_deg)
        rotation = true_tracking = np.full_like(zen, np.nan)
    else:
        # pvlib returns NaN with the sun's centre below the horizon; ssc tracks it there too
        # (daylight hours can have an apparent zenith up to ~90.3 deg): track the horizon instead.
        zen_t = np.minimum(zen, 90.0)
        track = pvlib.tracking.singleaxis(zen_t, azi, axis_tilt=tilt_deg, axis_azimuth=azimuth_deg,
                                          max_angle=max_angle_deg, backtrack=backtrack, gcr=gcr)
        tilt = np.asarray(track["surface_tilt"], dtype=float)
        surf_az = np.asarray(track["surface_azimuth"], dtype=float)
        rotation = np.asarray(track["tracker_theta"], dtype=float)
        true_tracking = pvlib.shading.projected_solar_zenith_angle(zen_t, azi, tilt_deg, azimuth_deg)
        true_tracking = np.asarray(true_tracking, dtype=float)
    aoi = np.asarray(pvlib.irradiance.aoi(tilt, surf_az, zen, azi), dtype=float)
    return {"surface_tilt": tilt, "surface_azimuth": surf_az, "aoi": aoi, "rotation": rotation,
            "true_tracking": true_tracking}


def kasten1966_airmass(solar_zenith) -> np.ndarray:
    """Relative air mass as ssc's Perez model computes it: 1 / (cos z + 0.15 (93.9 - z)^-1.253)."""
    z = np.minimum(np.asarray(solar_zenith, dtype=float), 90.0)
    return 1.0 / (np.cos(np.radians(z)) + 0.15 * (93.9 - z) ** -1.253)


def plane_of_array(surface_tilt, surface_azimuth, aoi, solar_zenith, solar_azimuth, dni, dhi, albedo
                   ) -> dict[str, np.ndarray]:
    """Beam, sky-diffuse and ground-reflected irradiance on the plane (W/m2), ssc's Perez variant."""
    tilt = np.asarray(surface_tilt, dtype=float)
    zen = np.asarray(solar_zenith, dtype=float)
    dni = np.maximum(np.asarray(dni, dtype=float), 0.0)
    dhi = np.asarray(dhi, dtype=float)
    cos_aoi = np.cos(np.radians(np.asarray(aoi, dtype=float)))
    cos_zen = np.cos(np.radians(zen))
    beam = dni * np.maximum(cos_aoi, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sky = pvlib.irradiance.perez(tilt, surface_azimuth, np.maximum(dhi, 1e-9), dni,
                                     _SOLAR_CONSTANT_W_PER_M2, np.minimum(zen, 90.0), solar_azimuth,
                                     kasten1966_airmass(zen))
    sky = np.nan_to_num(np.asarray(sky, dtype=float))
    ground = np.asarray(albedo, dtype=float) * (dni * cos_zen + dhi) * (1.0 - np.cos(np.radians(tilt))) / 2.0
    no_diffuse = dhi <= 0.0
    sky = np.where(no_diffuse, 0.0, sky)
    ground = np.where(no_diffuse, 0.0, ground)
    low = zen > _PEREZ_ISOTROPIC_ZENITH_DEG  # ssc: isotropic sky, no ground term, no beam below horizon
    sky = np.where(low, np.maximum(dhi, 0.0) * (1.0 + np.cos(np.radians(tilt))) / 2.0, sky)
    ground = np.where(low, 0.0, ground)
    beam = np.where(low & (zen >= 90.0), 0.0, beam)
    return {"poa_beam": beam, "poa_sky_diffuse": sky, "poa_ground_diffuse": ground}


@dataclass(frozen=True)
class Layout:
    """The nominal field ssc assumes for self-shading (cmod_pvwattsv8.cpp)."""

    modules: int
    modules_up: int  # modules up the row's slope (portrait)
    rows: int
    modules_along_row: int
    module_width_m: float
    module_length_m: float
    row_spacing_m: float
    strings_along_row: int


def layout(capacity_kw: float, tracking: str, array_type: str, gcr: float, module_type: str = "standard") -> Layout:
    """ssc's guess of the field: 300 W portrait modules, 2 up on racks, 1 up on trackers, square."""
    area = _LAYOUT_MODULE_W / MODULE_TYPES[module_type]["stc_efficiency_fraction"] / 1000.0
    width = math.sqrt(area / _LAYOUT_ASPECT)
    length = width * _LAYOUT_ASPECT
    modules = max(1, math.ceil(capacity_kw * 1000.0 / _LAYOUT_MODULE_W))
    up = 1 if tracking == "single-axis" else 2
    rows = 1 if (tracking == "fixed" and array_type == "roof_mount") else math.ceil(math.sqrt(modules / up))
    along = max(1, math.ceil(modules / (rows * up)))
    return Layout(modules, up, rows, along, width, length, length * up / gcr, int(along / _MODULES_PER_STRING))


def fixed_rack_beam_shade_fraction(surface_tilt, surface_azimuth, solar_zenith, solar_azimuth,
                                   lay: Layout) -> np.ndarray:
    """Shaded fraction of a fixed row's beam (Appelbaum & Bany 1979 as in ssc ``ss_exec``)."""
    tilt = np.radians(np.asarray(surface_tilt, dtype=float))
    zen = np.asarray(solar_zenith, dtype=float)
    az_eff = np.asarray(solar_azimuth, dtype=float) - np.asarray(surface_azimuth, dtype=float)  # no wrap, as ssc
    side = lay.module_length_m * lay.modules_up
    row_length = lay.modules_along_row * lay.module_width_m
    lit = (zen < 90.0) & (tilt != 0.0) & (np.abs(az_eff) < 90.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tan_elev = np.tan(np.radians(90.0 - zen))
        py = np.where(lit, side * (np.cos(tilt) + np.cos(np.radians(az_eff)) * np.sin(tilt) / tan_elev), 0.0)
        px = np.where(lit, side * np.sin(tilt) * np.sin(np.radians(az_eff)) / tan_elev, 0.0)
        g = np.where(py == 0, 0.0, lay.row_spacing_m * px / py)
        hs = np.where(py == 0, 0.0, side * (1.0 - lay.row_spacing_m / py))
    g = np.clip(g, 0.0, row_length)
    if lay.strings_along_row > 1:  # horizontal stringing across long rows: ssc sets g = 0
        g = np.zeros_like(g)
    hs = np.clip(hs, 0.0, side)
    return hs * (row_length - g) / (side * row_length)


def tracker_beam_shade_fraction(solar_zenith, solar_azimuth, axis_tilt_deg: float, axis_azimuth_deg: float,
                                gcr: float, rotation) -> np.ndarray:
    """Shaded fraction of a single-axis row's width (ssc ``shadeFraction1x``, no cross-axis slope)."""
    zen = np.minimum(np.asarray(solar_zenith, dtype=float), 90.0)
    true_angle = np.radians(np.asarray(pvlib.shading.projected_solar_zenith_angle(
        zen, solar_azimuth, axis_tilt_deg, axis_azimuth_deg), dtype=float))
    rot = np.radians(np.asarray(rotation, dtype=float))
    num = gcr * np.cos(rot) + gcr * np.sin(rot) * np.tan(true_angle) - 1.0
    den = gcr * (np.sin(rot) * np.tan(true_angle) + np.cos(rot))
    with np.errstate(divide="ignore", invalid="ignore"):
        fs = num / den
    return np.clip(np.nan_to_num(fs, nan=0.0), 0.0, 1.0)


def sky_diffuse_shade_factor(surface_tilt, gcr: float, steps: int = 250) -> np.ndarray:
    """Fraction of sky diffuse a row in the middle of the field still sees (ssc sky-diffuse table).

    Evaluated once per distinct tilt to 0.01 deg (ssc caches a table the same way); the factor
    changes by ~1e-3 per degree, so the rounding is below 1e-5.
    """
    shape = np.shape(surface_tilt)
    keys, inverse = np.unique(np.round(np.atleast_1d(np.asarray(surface_tilt, dtype=float)), 2),
                              return_inverse=True)
    factors = _sky_diffuse_shade_factor_exact(keys, gcr, steps)
    return factors[inverse].reshape(shape) if shape else factors[inverse]


def _sky_diffuse_shade_factor_exact(surface_tilt, gcr: float, steps: int) -> np.ndarray:
    tilt = np.atleast_1d(np.asarray(surface_tilt, dtype=float))
    out = np.ones_like(tilt)
    tilted = tilt != 0.0
    if tilted.any():
        t = np.radians(tilt[tilted])[:, None]
        n = np.arange(steps)[None, :] / steps
        a_sky = np.pi + np.pi / np.sqrt(1.0 + np.tan(t) ** 2)
        gamma = -np.pi / 2 + np.arctan(1.0 / np.tan(t) - 1.0 / (gcr * np.sin(t) * (1.0 - n)))
        shade = np.pi + np.pi / np.sqrt(1.0 + np.tan(t + gamma) ** 2)
        shade = np.where(t + gamma > np.pi / 2, 2 * np.pi - shade, shade)
        out[tilted] = np.minimum((shade / a_sky).sum(axis=1) / steps, 1.0)
    return out


def ground_diffuse_shade_factor(surface_tilt, solar_zenith, dni, dhi, albedo, gcr: float, rows: int) -> np.ndarray:
    """Fraction of ground-reflected diffuse left after rows block the view (ssc ``diffuse_reduce``)."""
    tilt = np.asarray(surface_tilt, dtype=float)
    zen = np.asarray(solar_zenith, dtype=float)
    alb = np.asarray(albedo, dtype=float)
    dhi = np.asarray(dhi, dtype=float)
    gbh = np.asarray(dni, dtype=float) * np.cos(np.radians(zen))
    r = 1.0 / gcr
    alt = 90.0 - zen
    with np.errstate(divide="ignore", invalid="ignore"):
        y1 = r - np.sin(np.radians(180.0 - alt - tilt)) / np.sin(np.radians(alt))
    y1 = np.maximum(np.nan_to_num(y1, nan=1e-5), 1e-5)
    cos_back = np.cos(np.radians(180.0 - tilt))
    f1 = alb * np.sin(np.radians(tilt / 2.0)) ** 2
    f2 = 0.5 * alb * (1.0 + y1 - np.sqrt(y1 ** 2 - 2 * y1 * cos_back + 1.0))
    f3 = 0.5 * alb * (1.0 + r - np.sqrt(r ** 2 - 2 * r * cos_back + 1.0))
    reduced = (f1 + (rows - 1) * f2) / rows * gbh + (f1 + (rows - 1) * f3) / rows * dhi
    unshaded = f1 * (gbh + dhi)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(unshaded > 0, reduced / unshaded, 1.0)
    return factor


def _transmittance(theta_deg, n_cover: float, n_incoming: float, k_per_m: float, thickness_m: float):
    """Fresnel (unpolarized) + Bouguer transmittance of one cover layer and the refraction angle."""
    theta1 = np.radians(np.asarray(theta_deg, dtype=float))
    theta2 = np.arcsin(n_incoming / n_cover * np.sin(theta1))
    tr = 1 - 0.5 * (np.sin(theta2 - theta1) ** 2 / np.sin(theta2 + theta1) ** 2
                    + np.tan(theta2 - theta1) ** 2 / np.tan(theta2 + theta1) ** 2)
    return tr * np.exp(-k_per_m * thickness_m / np.cos(theta2)), np.degrees(theta2)


def cover_transmitted_irradiance(aoi, surface_tilt, poa_beam, poa_sky_diffuse, poa_ground_diffuse,
                                 anti_reflective: bool = True) -> np.ndarray:
    """Irradiance through the module cover (W/m2), ssc's DeSoto-style IAM on each component."""
    n_glass, k_glass, l_glass = 1.526, 4.0, 0.002
    n_arc, k_arc, l_arc = 1.3, 4.0, 0.002 * 0.01

    def through(theta):
        if anti_reflective:
            tau_c, theta_c = _transmittance(theta, n_arc, 1.0, k_arc, l_arc)
            return tau_c * _transmittance(theta_c, n_glass, n_arc, k_glass, l_glass)[0]
        return _transmittance(theta, n_glass, 1.0, k_glass, l_glass)[0]

    tilt = np.asarray(surface_tilt, dtype=float)
    theta = np.clip(np.asarray(aoi, dtype=float), 1.0, 89.0)
    # ssc's normal-incidence reference passes the glass layer an incoming index of 1.0 even behind
    # the coating, so it is lower than through(1.0): beam modifiers near normal incidence reach the
    # cap of 1 and the diffuse ones (plain glass) sit ~4 % above a plain-glass IAM. Mirrored as is.
    if anti_reflective:
        tau_c, theta_c = _transmittance(1.0, n_arc, 1.0, k_arc, l_arc)
        tau_norm = tau_c * _transmittance(theta_c, n_glass, 1.0, k_glass, l_glass)[0]
    else:
        tau_norm = through(1.0)
    k_beam = np.minimum(through(theta) / tau_norm, 1.0)
    theta_sky = 59.7 - 0.1388 * tilt + 0.001497 * tilt ** 2
    theta_gnd = 90.0 - 0.5788 * tilt + 0.002693 * tilt ** 2
    k_sky = np.minimum(_transmittance(theta_sky, n_glass, 1.0, k_glass, l_glass)[0] / tau_norm, 1.0)
    k_gnd = np.minimum(_transmittance(theta_gnd, n_glass, 1.0, k_glass, l_glass)[0] / tau_norm, 1.0)
    total = (np.asarray(poa_beam, dtype=float) * k_beam + np.asarray(poa_sky_diffuse, dtype=float) * k_sky
             + np.asarray(poa_ground_diffuse, dtype=float) * k_gnd)
    return np.maximum(total, 0.0)


# De Soto et al. (2006) air-mass modifier coefficients a0..a4, as in ssc's cec6par model.
DESOTO_AIR_MASS_COEFFICIENTS = {"A0": 0.918093, "A1": 0.086257, "A2": -0.024459, "A3": 0.002816, "A4": -0.000126}


def spectral_modifier(solar_zenith, altitude_m: float) -> np.ndarray:
    """ssc's air-mass modifier: Kasten-Young air mass (zenith capped at 86 deg), altitude-corrected."""
    z = np.clip(np.asarray(solar_zenith, dtype=float), 0.0, 86.0)
    air_mass = 1.0 / (np.cos(np.radians(z)) + 0.5057 * (96.080 - z) ** -1.634)
    air_mass = air_mass * math.exp(-0.0001184 * altitude_m)
    return np.asarray(pvlib.spectrum.spectral_factor_sapm(air_mass, DESOTO_AIR_MASS_COEFFICIENTS), dtype=float)


def cell_temperature_c(effective_irradiance, temp_air_c, wind_speed_m_per_s, array_type: str = "open_rack",
                       module_type: str = "standard") -> np.ndarray:
    """SAM's NOCT cell temperature (C) as PVWatts v8 configures it, from the irradiance reaching the cells."""
    m = MODULE_TYPES[module_type]
    noct_c = 49.0 if array_type == "roof_mount" else 45.0
    eta = m["v_mp"] * m["i_mp"] / (1000.0 * m["area_m2"])
    wind = np.maximum(np.asarray(wind_speed_m_per_s, dtype=float), 0.001 / 0.51)
    return np.asarray(pvlib.temperature.noct_sam(
        np.asarray(effective_irradiance, dtype=float), temp_air_c, wind, noct=noct_c, module_efficiency=eta,
        transmittance_absorptance=0.9, array_height=1, mount_standoff=4.0), dtype=float)


def module_dc_per_kwp(effective_irradiance, temp_cell_c, module_type: str = "standard") -> np.ndarray:
    """DC power (kW) per kWp of nameplate before system losses: CEC single-diode at max power."""
    m = MODULE_TYPES[module_type]
    g = np.asarray(effective_irradiance, dtype=float)
    t = np.broadcast_to(np.asarray(temp_cell_c, dtype=float), g.shape)
    out = np.zeros_like(g, dtype=float)
    on = g >= 1.0
    if on.any():
        il, io, rs, rsh, nnsvth = pvlib.pvsystem.calcparams_cec(
            g[on], t[on], m["alpha_sc"], m["a_ref"], m["I_L_ref"], m["I_o_ref"], m["R_sh_ref"], m["R_s"],
            m["Adjust"], EgRef=1.12, dEgdT=-0.0002677)
        mpp = pvlib.pvsystem.max_power_point(il, io, rs, rsh, nnsvth, method="newton")
        out[on] = np.maximum(np.asarray(mpp["p_mp"], dtype=float), 0.0) / (m["v_mp"] * m["i_mp"])
    return out


def inverter_ac_kw(dc_kw, ac_capacity_kw: float, efficiency_fraction: float = 0.96,
                   self_consumption_fraction: float = _INVERTER_PSO_FRACTION) -> np.ndarray:
    """PVWatts v8 inverter: linear Sandia model (C0..C3 = 0), clipped at the AC rating, never < 0."""
    params = {"Paco": ac_capacity_kw, "Pdco": ac_capacity_kw / efficiency_fraction, "Vdco": 0.0,
              "Pso": self_consumption_fraction * ac_capacity_kw, "C0": 0.0, "C1": 0.0, "C2": 0.0,
              "C3": 0.0, "Pnt": 0.0}
    dc = np.asarray(dc_kw, dtype=float)
    ac = pvlib.inverter.sandia(np.zeros_like(dc), dc, params)
    return np.clip(np.asarray(ac, dtype=float), 0.0, ac_capacity_kw)


# ---------------------------------------------------------------------------------------------
# The wiring
# ---------------------------------------------------------------------------------------------

def simulate(weather: pd.DataFrame, latitude_deg: float, longitude_deg: float, altitude_m: float,
             system: PVWattsSystem, sunrise_sunset_adjust: bool = True) -> PVWattsResult:
    """Hourly AC output of one system on a normalized weather frame (hour-beginning, tz-aware).

    ``weather`` needs the columns ghi, dni, dhi, temp_air, wind_speed (albedo optional; values
    outside (0, 1) become 0.2 as in ssc). Its GHI is not used (see the module docstring).
    ``sunrise_sunset_adjust``: see point 1 of the module docstring (True: rows are hour means).
    """
    problems = system.problems()
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    missing = [c for c in WEATHER_COLUMNS[:5] if c not in weather.columns]
    if missing:
        raise ValueError(f"weather frame lacks columns {missing}")
    index = pd.DatetimeIndex(weather.index)
    if index.tz is None:
        raise ValueError("weather index must be tz-aware (hour-beginning labels)")
    dni = weather["dni"].to_numpy(dtype=float)
    dhi = weather["dhi"].to_numpy(dtype=float)
    temp = weather["temp_air"].to_numpy(dtype=float)
    wind = weather["wind_speed"].to_numpy(dtype=float)
    alb = weather["albedo"].to_numpy(dtype=float) if "albedo" in weather else np.full(len(index), 0.2)
    alb = np.where(np.isfinite(alb) & (alb > 0) & (alb < 1), alb, 0.2)

    sun = solar_position(index, latitude_deg, longitude_deg, altitude_m, temp,
                         sunrise_sunset_adjust=sunrise_sunset_adjust)
    zen = sun["solar_zenith"].to_numpy()
    azi = sun["solar_azimuth"].to_numpy()
    up = sun["sun_up"].to_numpy()
    single_axis = system.tracking == "single-axis"
    azimuth_deg = system.azimuth_deg % 360.0  # 360 is north, as 0 (ssc itself rejects 360)
    geo = orientation(zen, azi, system.tracking, system.tilt_deg, azimuth_deg,
                      system.max_angle_deg, system.backtrack, system.gcr)
    poa = plane_of_array(geo["surface_tilt"], geo["surface_azimuth"], geo["aoi"], zen, azi, dni, dhi, alb)
    beam, sky, gnd = poa["poa_beam"], poa["poa_sky_diffuse"], poa["poa_ground_diffuse"]
    poa_nominal = beam + sky + gnd

    self_shaded = single_axis or system.array_type == "open_rack"
    if self_shaded:
        lay = layout(system.capacity_kw, system.tracking, system.array_type, system.gcr, system.module_type)
        if not single_axis:
            beam = beam * (1.0 - fixed_rack_beam_shade_fraction(
                geo["surface_tilt"], geo["surface_azimuth"], zen, azi, lay))
        elif not system.backtrack:
            beam = beam * (1.0 - tracker_beam_shade_fraction(
                zen, azi, system.tilt_deg, azimuth_deg, system.gcr, geo["rotation"]))
        diffuse_seen = (sky + gnd) >= 0.1  # ssc skips the derates below 0.1 W/m2 of diffuse
        sky = np.where(diffuse_seen, sky * sky_diffuse_shade_factor(geo["surface_tilt"], system.gcr), sky)
        gnd = np.where(diffuse_seen, gnd * ground_diffuse_shade_factor(
            geo["surface_tilt"], zen, dni, dhi, alb, system.gcr, lay.rows), gnd)

    transmitted = cover_transmitted_irradiance(geo["aoi"], geo["surface_tilt"], beam, sky, gnd)
    effective = transmitted * spectral_modifier(zen, altitude_m)
    t_cell = cell_temperature_c(effective, temp, wind, "roof_mount" if (
        system.tracking == "fixed" and system.array_type == "roof_mount") else "open_rack", system.module_type)
    dc_kw = system.capacity_kw * module_dc_per_kwp(effective, t_cell, system.module_type)
    dc_kw = dc_kw * (1.0 - system.losses_fraction)
    ac = inverter_ac_kw(dc_kw, system.ac_capacity_kw, system.inverter_efficiency_fraction)

    ac = np.where(up, ac, 0.0)
    dc_kw = np.where(up, dc_kw, 0.0)
    ac_kw = pd.Series(ac, index=index, name="ac_kw")
    hourly = pd.DataFrame({
        "solar_zenith": zen, "solar_azimuth": azi, "sun_up": up, "surface_tilt": geo["surface_tilt"],
        "surface_azimuth": geo["surface_azimuth"], "aoi": geo["aoi"], "poa_nominal": np.where(up, poa_nominal, 0.0),
        "poa_shaded": np.where(up, beam + sky + gnd, 0.0), "poa_transmitted": np.where(up, transmitted, 0.0),
        "poa_effective": np.where(up, effective, 0.0), "temp_cell": np.where(up, t_cell, temp),
        "dc_kw": dc_kw, "ac_kw": ac}, index=index)
    return summarize(ac_kw, system, hourly)


def summarize(ac_kw: pd.Series, system: PVWattsSystem, hourly: pd.DataFrame | None = None) -> PVWattsResult:
    """Annual and monthly sums of an hourly AC series (kW means over each hour)."""
    annual_kwh = float(ac_kw.sum())
    months = pd.DatetimeIndex(ac_kw.index).month
    monthly = tuple(float(ac_kw[months == m].sum()) / 1000.0 for m in range(1, 13))
    hours = len(ac_kw)
    return PVWattsResult(
        system=system, ac_kw=ac_kw, annual_mwh=annual_kwh / 1000.0, monthly_mwh=monthly,
        capacity_factor_fraction=annual_kwh / (system.capacity_kw * hours) if hours else 0.0,
        specific_yield_kwh_per_kwp=annual_kwh / system.capacity_kw,
        hourly=hourly if hourly is not None else pd.DataFrame({"ac_kw": ac_kw}))
