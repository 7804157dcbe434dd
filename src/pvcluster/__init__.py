"""pvcluster: techno-economic modeling of a solar-PV industry cluster.

One chain from weather to generation and demand, to a sizing optimization, to project
finance, written to a folder of results a person can read. See README.md.

The Python API (loaded on first use, so ``import pvcluster`` stays quick)::

    results = pvcluster.run()                     # the packaged Yeongwol scenario, nothing written
    results = pvcluster.run("my.toml", overrides={"sizing.periods": "typical_days"}, out_dir="out")
    scenario = pvcluster.load_scenario("yeongwol")
    differences = pvcluster.compare("out_a", "out_b", rtol=1e-6)
"""

__version__ = "0.2.0"

__all__ = ["run", "load_scenario", "Results", "compare", "__version__"]


def __getattr__(name: str):
    if name in ("run", "load_scenario", "Results"):
        from pvcluster import api

        return getattr(api, name)
    if name == "compare":
        from pvcluster.compare import compare

        return compare
    raise AttributeError(f"module 'pvcluster' has no attribute {name!r}")
