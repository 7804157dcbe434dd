"""Studies: sweeps, one-at-a-time, Monte Carlo, Latin hypercube, Sobol' and Morris over any scenario
key, run in this process or on Dask distributed (``pvcluster study STUDY.toml``).

>>> from pvcluster.study import load_study, run_study              # doctest: +SKIP
>>> run = run_study(load_study("examples/study_tornado.toml"), "outputs/tornado")   # doctest: +SKIP
>>> run.stats["outputs"]["finance.portfolio.total_npv_krw"]["p90"]    # doctest: +SKIP
"""

from pvcluster.study.runner import StudyRun, run_study
from pvcluster.study.spec import StudySpec, load_study

__all__ = ["load_study", "run_study", "StudySpec", "StudyRun"]
