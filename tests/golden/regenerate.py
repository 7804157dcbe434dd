"""Regenerate the golden summary of the default scenario - on purpose only, never as a side effect.

    python tests/golden/regenerate.py

Runs the embedded default scenario (full year, as the README's command) in memory and writes
tests/golden/yeongwol_summary.json. Review the change with `pvcluster compare` against the old file
before committing it, and say in the commit why the results moved.
"""

from __future__ import annotations

import json
from pathlib import Path

import pvcluster


def main() -> None:
    results = pvcluster.run()
    path = Path(__file__).resolve().parent / "yeongwol_summary.json"
    path.write_text(json.dumps(results.summary, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
