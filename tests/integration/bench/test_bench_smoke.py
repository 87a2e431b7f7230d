"""Smoke test of ``python -m bench``: a quick run on SQLite produces a complete report.

Timings are not asserted (the machine is shared and noisy); only that every operation is
measured on both sides and gets a numeric ratio.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import pytest

from bench.__main__ import main
from bench.repository import NAMES

pytestmark = pytest.mark.integration


def test_quick_run_on_sqlite_reports_every_operation(tmp_path: Path) -> None:
    out = io.StringIO()
    report_file = tmp_path / "bench.json"

    code = main(["--quick", "--backend", "sqlite", "--json", str(report_file)], out=out)

    assert code == 0
    table = out.getvalue()
    for name in NAMES:
        line = next(row for row in table.splitlines() if re.match(rf"sqlite\s+{name}\s", row))
        ratio = line.split()[7]
        assert math.isfinite(float(ratio)), line
        assert line.split()[-1] in {"PASS", "FAIL"}
    assert re.search(r"peak RSS: \d+\.\d MiB", table)
    document = json.loads(report_file.read_bytes())
    assert [op["operation"] for op in document["operations"]] == list(NAMES)
    assert all(op["ratio"] > 0 for op in document["operations"])
    assert document["peak_rss_mib"] > 0
