"""Smoke test of ``python -m bench --suite cache``: a quick run names every contestant and every
comparison with a numeric ratio, and leaves no key behind in Redis.

Timings are not asserted (the machine is shared and noisy). Every Loom run inside the bench is
itself checked to be all hits with no SQL, so a cache that stopped hitting fails this test.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import pytest
import redis

from bench.__main__ import main
from bench.cache import COMPARISONS, NAMES
from tests.conftest import PG_URL, require_postgres

pytestmark = pytest.mark.integration


def test_quick_cache_run_reports_every_scenario_and_ratio(
    tmp_path: Path,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    require_postgres()
    monkeypatch.setenv("LOOM_BENCH_PG_URL", PG_URL)
    monkeypatch.setenv("LOOM_BENCH_REDIS_URL", redis_url)
    out = io.StringIO()
    report_file = tmp_path / "cache.json"

    code = main(["--suite", "cache", "--quick", "--json", str(report_file)], out=out)

    assert code == 0
    table = out.getvalue()
    for name in NAMES:
        line = next(row for row in table.splitlines() if row.startswith(f"{name} "))
        assert float(line.split()[-3].replace(",", "")) > 0, line
    for comparison in COMPARISONS:
        label = f"{comparison.numerator} / {comparison.denominator}"
        line = next(row for row in table.splitlines() if row.startswith(label))
        ratio, _, target, result = line[len(label) :].split()
        assert math.isfinite(float(ratio.rstrip("x"))), line
        if comparison.target is None:
            assert (target, result) == ("-", "-"), line
        else:
            assert target == f">={comparison.target:g}x", line
            assert result in {"PASS", "FAIL"}, line
    assert "all hits, 0 SQL statements" in table
    assert re.search(r"peak RSS: \d+\.\d MiB", table)

    document = json.loads(report_file.read_bytes())
    assert [c["name"] for c in document["contestants"]] == list(NAMES)
    assert len(document["ratios"]) == len(COMPARISONS)
    assert all(r["ratio"] > 0 for r in document["ratios"])

    namespace = re.search(r"redis namespace (loombench_\w+)", capsys.readouterr().err)
    assert namespace is not None
    client = redis.Redis.from_url(redis_url)
    try:
        assert list(client.scan_iter(match=f"{namespace[1]}*", count=1000)) == []
    finally:
        client.close()
