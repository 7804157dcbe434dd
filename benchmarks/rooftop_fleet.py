"""Rooftop fleet speed: N roofs x 8760 hours with the vectorized kernel, against PySAM PVWatts v8
called once per roof on the same weather (the way a per-system tool is used for a fleet).

    python benchmarks/rooftop_fleet.py [--roofs 10000] [--pysam-roofs 300] [--threads 2]

PySAM is timed on ``--pysam-roofs`` roofs and its per-roof time is scaled to N (it is a loop of
identical, independent calls, so its time is linear in the number of roofs); pass
``--pysam-roofs`` equal to ``--roofs`` to time the whole loop. The kernel is timed on all N.
The ratio is PySAM's time for N roofs over the kernel's. Annual energies of the roofs both
tools ran are compared too (different models: PVWatts v8's own transposition, cell temperature
and IAM against pvlib's Perez, SAPM close-mount and physical IAM).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pvcluster.generation import RooftopSystem, fleet_ac
from pvcluster.scenario import load_scenario
from pvcluster.weather import build_weather


def pysam_roof(weather, tilt, azimuth, capacity_kw, system: RooftopSystem, losses_percent: float):
    import PySAM.Pvwattsv8 as pvwatts

    idx = weather.index
    d = weather.data
    m = pvwatts.default("PVWattsNone")
    m.SolarResource.solar_resource_data = {
        "lat": weather.latitude_deg, "lon": weather.longitude_deg, "tz": 9.0, "elev": weather.altitude_m,
        "year": list(idx.year), "month": list(idx.month), "day": list(idx.day), "hour": list(idx.hour),
        "minute": [30] * len(idx), "dn": list(d["dni"]), "df": list(d["dhi"]), "gh": list(d["ghi"]),
        "tdry": list(d["temp_air"]), "wspd": list(d["wind_speed"]), "alb": list(d["albedo"])}
    sd = m.SystemDesign
    sd.system_capacity = capacity_kw
    sd.tilt, sd.azimuth, sd.array_type = tilt, azimuth, 1  # fixed roof mount
    sd.dc_ac_ratio, sd.inv_eff, sd.losses = system.dc_ac_ratio, 100 * system.inverter_efficiency_fraction, losses_percent
    m.execute()
    return float(m.Outputs.annual_energy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roofs", type=int, default=10_000)
    parser.add_argument("--pysam-roofs", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    scenario = load_scenario(overrides=["weather.ensemble_years=0"])
    weather = build_weather(scenario)
    rng = np.random.default_rng(0)
    n = args.roofs
    tilt, azimuth = rng.uniform(5, 45, n), rng.uniform(90, 270, n)
    capacity, shading = rng.uniform(3, 15, n), np.zeros(n)
    system = RooftopSystem(gamma_pdc_per_c=-0.0037, dc_loss_fraction=0.1408, ac_loss_fraction=0.0,
                           dc_ac_ratio=1.15, inverter_efficiency_fraction=0.96)

    fleet_ac(weather, tilt[:10], azimuth[:10], capacity[:10], shading[:10], system)  # warm up
    t0 = time.perf_counter()
    result = fleet_ac(weather, tilt, azimuth, capacity, shading, system, threads=args.threads)
    kernel_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    one_thread = fleet_ac(weather, tilt, azimuth, capacity, shading, system, threads=1)
    kernel_1t_s = time.perf_counter() - t1
    assert np.allclose(result.annual_kwh, one_thread.annual_kwh, rtol=1e-6)

    k = min(args.pysam_roofs, n)
    t2 = time.perf_counter()
    pysam_kwh = np.array([pysam_roof(weather, tilt[i], azimuth[i], capacity[i], system, 14.08) for i in range(k)])
    pysam_k_s = time.perf_counter() - t2
    pysam_n_s = pysam_k_s / k * n
    diff = result.annual_kwh[:k].sum() / pysam_kwh.sum() - 1

    print(f"roofs x hours            : {n:,} x {len(weather.index):,} = {n * len(weather.index) / 1e6:,.1f} M roof-hours")
    print(f"vectorized kernel        : {kernel_s:8.2f} s on {args.threads} threads "
          f"({kernel_s / n * 1e3:.3f} ms per roof); {kernel_1t_s:.2f} s on 1 thread")
    print(f"PySAM PVWatts v8 per roof: {pysam_k_s / k * 1e3:8.2f} ms per call, timed on {k:,} roofs "
          f"-> {pysam_n_s:,.1f} s for {n:,} roofs{' (scaled)' if k < n else ''}")
    print(f"ratio PySAM loop / kernel: {pysam_n_s / kernel_s:8.1f} x")
    print(f"fleet annual energy      : {result.annual_kwh.sum() / 1e3:,.1f} MWh "
          f"({result.annual_kwh.sum() / capacity.sum():,.1f} kWh/kWp)")
    print(f"same {k:,} roofs, kernel vs PySAM annual energy: {100 * diff:+.2f} % (different models; see docstring)")


if __name__ == "__main__":
    main()
