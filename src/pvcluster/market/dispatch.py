"""A site's dispatch in another year of its life: the same storage schedule, PV scaled.

The sizing LP balances one year whose PV output is the life's levelized output (degradation
discounted over the years, as REopt does). Finance bills every year from that year's PV output:
:func:`scale_pv` changes the PV output by ``factor`` (1 + the change) and settles the difference
hour by hour, keeping storage as the LP scheduled it:

* less PV: curtailment falls first, then exports, then the meters import more (in proportion to
  the local supply each received);
* more PV: the meters import less (in proportion to their import), then exports rise up to the
  export limit, then the rest is curtailed.

Every hour the balance PV - curtailed + discharge + sum(import) - charge - export = load still holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Dispatch:
    """A year of one site's hourly flows (kW); ``imports`` by meter name."""

    pv_kw: np.ndarray
    curtailed_kw: np.ndarray
    export_kw: np.ndarray
    imports_kw: dict[str, np.ndarray]
    load_kw: dict[str, np.ndarray]  # what each meter's loads take (pilot loads at their supply meter)
    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    export_limit_kw: float = float("inf")

    def balance_error_kw(self) -> float:
        lhs = (self.pv_kw - self.curtailed_kw + self.discharge_kw + sum(self.imports_kw.values())
               - self.charge_kw - self.export_kw)
        rhs = sum(self.load_kw.values())
        return float(np.max(np.abs(lhs - rhs))) if len(lhs) else 0.0


def scale_pv(d: Dispatch, factor: float | np.ndarray) -> Dispatch:
    """The dispatch with PV output times ``factor``, settled as the module docstring says."""
    pv = d.pv_kw * factor
    delta = pv - d.pv_kw
    curtailed, export = d.curtailed_kw.copy(), d.export_kw.copy()
    imports = {k: v.copy() for k, v in d.imports_kw.items()}
    names = list(imports)
    total_import = sum(imports.values()) if names else np.zeros_like(pv)
    # less PV
    short = np.clip(-delta, 0.0, None)
    take = np.minimum(short, curtailed)
    curtailed -= take
    short -= take
    take = np.minimum(short, export)
    export -= take
    short -= take
    if names and short.any():
        supplied = {k: np.clip(d.load_kw.get(k, 0.0) - imports[k], 0.0, None) for k in names}
        total = sum(supplied.values())
        for k in names:
            share = np.divide(supplied[k], total, out=np.full_like(pv, 1.0 / len(names)), where=total > 0)
            imports[k] = imports[k] + short * share
        short = np.zeros_like(short)
    # more PV
    extra = np.clip(delta, 0.0, None)
    if names and extra.any():
        cut = np.minimum(extra, total_import)
        for k in names:
            share = np.divide(imports[k], total_import, out=np.zeros_like(pv), where=total_import > 0)
            imports[k] = imports[k] - cut * share
        extra = extra - cut
    room = np.clip(np.minimum(d.export_limit_kw, pv) - export, 0.0, None)
    add = np.minimum(extra, room)
    export += add
    curtailed += extra - add
    return replace(d, pv_kw=pv, curtailed_kw=curtailed, export_kw=export, imports_kw=imports)
