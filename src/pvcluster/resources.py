"""Where the default scenario and the input data live.

In a source checkout they are the top-level ``models/`` and ``inputs/`` folders. An installed
wheel carries the same folders inside the package as ``pvcluster/_data/``. Everything that
reads packaged data asks :func:`data_root`, so both layouts behave the same.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_root() -> Path:
    """The folder that holds ``models/`` and ``inputs/``."""
    packaged = _PACKAGE_DIR / "_data"
    if (packaged / "models").is_dir():
        return packaged
    checkout = _PACKAGE_DIR.parents[1]  # src/pvcluster -> repository root
    if (checkout / "models").is_dir():
        return checkout
    raise FileNotFoundError(
        "pvcluster's data folder is missing: neither "
        f"{packaged} nor {checkout / 'models'} exists; reinstall the package"
    )


def default_scenario() -> Path:
    return data_root() / "models" / "yeongwol.toml"


def resolve_data_path(raw: str, relative_to: Path | None) -> tuple[Path | None, list[Path]]:
    """Find a data file named in a scenario.

    An absolute path is taken as it is. A relative path is looked up next to the scenario
    file first, then in the package's data root (so ``inputs/market_korea.toml`` works from a
    scenario copied anywhere). Returns the path found (or None) and the places looked in.
    """
    path = Path(raw).expanduser()
    if path.is_absolute():
        return (path if _is_file(path) else None), [path]
    candidates = []
    for base in ([relative_to] if relative_to is not None else []) + [data_root()]:
        try:
            candidates.append((base / path).resolve())
        except (OSError, RuntimeError):  # a name too long for the file system, a symlink loop
            candidates.append(base / path)
    for candidate in candidates:
        if _is_file(candidate):
            return candidate, candidates
    return None, candidates


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False where the file system cannot even look the name up (too long, ...)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False
