"""Under ``CI=true`` a test that would be skipped fails: a missing server is never silent."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SKIPPING = """
import pytest

from tests.conftest import require_server
from tests.faults import PrivateRedis, spare_port


def test_skip_call():
    pytest.skip("no server here")


@pytest.mark.skip(reason="a marker")
def test_skip_marker():
    pass


def test_importorskip():
    pytest.importorskip("a_module_that_is_not_installed")


def test_a_server_that_does_not_answer():
    require_server("Thing", f"tcp://127.0.0.1:{spare_port()}", 1, "start the thing")


def test_no_redis_server_binary(monkeypatch):
    monkeypatch.setenv("PATH", "")
    PrivateRedis().start()


@pytest.mark.xfail(reason="expected failures stay expected", strict=True)
def test_xfail():
    raise AssertionError
"""


def _run(tmp_path: Path, ci: bool) -> str:
    (tmp_path / "test_sample.py").write_text(textwrap.dedent(SKIPPING))
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(ROOT)
    if ci:
        env["CI"] = "true"
    # Our conftest as a plugin; no ini file, so that only the hook under test applies.
    plugins = ["-p", "no:cacheprovider", "-p", "tests.conftest"]
    where = ["--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path / "test_sample.py")]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *plugins, *where],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout.splitlines()[-1]


# In CI the marker's skip happens at setup, so pytest counts that one as an error.
@pytest.mark.parametrize(
    ("ci", "summary"), [(True, "4 failed, 1 xfailed, 1 error"), (False, "5 skipped, 1 xfailed")]
)
def test_skips_fail_in_ci(tmp_path: Path, ci: bool, summary: str) -> None:
    last = _run(tmp_path, ci)
    assert last.startswith(summary + " in "), last
