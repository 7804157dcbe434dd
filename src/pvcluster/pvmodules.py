"""PV modules from the CEC database that ships with pvlib (read once, cached). A bottom-layer module: the
scenario loader checks module names with it, generation reads module parameters."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pvlib


@lru_cache(maxsize=1)
def _cec_modules() -> pd.DataFrame:
    return pvlib.pvsystem.retrieve_sam("CECMod")


@lru_cache(maxsize=1)
def module_names() -> frozenset[str]:
    return frozenset(_cec_modules().columns)


def cec_module(name: str) -> pd.Series:
    """Single-diode parameters of one module (``STC`` in W, ``A_c`` in m2, ``gamma_r`` in %/degC)."""
    return _cec_modules()[name]


def module_kwp_per_m2(module: pd.Series) -> float:
    """Rated power per module area, kWp/m2 (what a fully covered roof holds)."""
    return float(module["STC"]) / 1000.0 / float(module["A_c"])


def module_gamma_pdc_per_c(module: pd.Series) -> float:
    """Temperature coefficient of maximum power, 1/degC (the CEC ``gamma_r`` is in %/degC)."""
    return float(module["gamma_r"]) / 100.0
