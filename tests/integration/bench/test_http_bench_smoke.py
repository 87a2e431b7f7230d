"""Smoke test of ``python -m bench --suite http``: a quick run on SQLite reports every route.

Two uvicorn servers start and stop; timings are not asserted (the machine is shared and
noisy), only that each route is measured on both servers with numeric rates, ratios and
latencies.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import pytest

from bench.__main__ import main
from bench.http import NAMES

pytestmark = pytest.mark.integration


def test_quick_http_run_on_sqlite_reports_every_route(tmp_path: Path) -> None:
    out = io.StringIO()
    report_file = tmp_path / "http.json"

    code = main(
        ["--suite", "http", "--quick", "--backend", "sqlite", "--json", str(report_file)], out=out
    )

    assert code == 0
    table = out.getvalue()
    assert NAMES == ("http_get", "http_list", "http_create")
    for name in NAMES:
        line = next(row for row in table.splitlines() if re.match(rf"sqlite\s+{name}\s", row))
        cells = line.split()
        loom_rate, base_rate, ratio = (float(cells[i].replace(",", "")) for i in (4, 6, 8))
        assert loom_rate > 0, line
        assert base_rate > 0, line
        assert math.isfinite(ratio), line
        assert ratio > 0, line
        assert all(math.isfinite(float(ms)) for ms in cells[10:14]), line
        assert cells[-1] in {"PASS", "FAIL"}
    document = json.loads(report_file.read_bytes())
    assert [route["route"] for route in document["routes"]] == list(NAMES)
    assert all(route["ratio"] > 0 for route in document["routes"])
    assert all(route["loom"]["p99_ms"] >= route["loom"]["p50_ms"] for route in document["routes"])
