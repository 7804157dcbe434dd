"""pvcluster: techno-economic modeling of a solar-PV industry cluster.

One chain from weather to generation and demand, to a sizing optimization, to project
finance, written to a folder of results a person can read. See README.md.
"""

__version__ = "0.1.0"
