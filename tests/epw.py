"""Write a minimal but valid EPW file for reader tests (pvlib ships no EPW sample).

The writers now live in ``weatherfiles`` with those of the other formats; this module keeps the
old import path working.
"""

from __future__ import annotations

import numpy as np
from weatherfiles import GHI_COLUMN, HEADER, NaN_TEXT, corrupt, write_epw

__all__ = ["write_epw", "corrupt", "GHI_COLUMN", "HEADER", "NaN_TEXT", "np"]
