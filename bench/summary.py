"""The headline figures a benchmark hands back to bench/run_all.py, beside its own report.

Every benchmark takes ``--summary-json PATH`` and, when given, writes there a list of rows, one per figure:

    {"name": "planning 1,000,000 customers", "figure": 54.7, "unit": "s",
     "reference": "raw COPY of the same rows", "reference_figure": 37.5, "ratio": 1.46,
     "target": "≤ 60 s", "met": true}

``figure`` is the median of the run's repeats; ``reference`` / ``reference_figure`` what the benchmark measured
beside it in the same run (None when there is none); ``ratio`` is figure ÷ reference_figure; ``target`` is the
bar in words and ``met`` whether it was cleared (None when the figure has no target). A reference counted in
another unit than the figure (requests beside events) names it in ``reference_unit``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--summary-json", type=Path, default=None, help="also write the headline figures there (bench/run_all.py)"
    )


def row(
    name: str,
    *,
    figure: float,
    unit: str,
    target: str | None = None,
    met: bool | None = None,
    reference: str | None = None,
    reference_figure: float | None = None,
    reference_unit: str | None = None,
) -> dict:
    ratio = figure / reference_figure if reference_figure else None
    row = {
        "name": name,
        "figure": figure,
        "unit": unit,
        "reference": reference,
        "reference_figure": reference_figure,
        "ratio": ratio,
        "target": target,
        "met": met,
    }
    if reference_unit is not None and reference_unit != unit:
        row["reference_unit"] = reference_unit
    return row


def write(path: Path | None, rows: list[dict]) -> None:
    """Write ``rows`` to ``path`` as JSON (nothing when ``path`` is None: the option was not given)."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
