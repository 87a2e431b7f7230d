"""``make demo`` installs Loom with the extras the example uses, not the test tools."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_installs_only_rest_cli_and_migrations(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.fail("make is not installed; the demo and the test suite are run by make")
    venv = tmp_path / "demo-venv"
    result = subprocess.run(
        ["make", "-n", "demo", f"DEMO_VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = result.stdout.splitlines()
    installs = [line for line in lines if "pip install" in line and " -e " in line]
    assert installs == [f"{venv}/bin/python -m pip install --quiet -e '.[rest,cli,migrations]'"]
    assert f"{venv}/bin/python -m examples.store_demo" in result.stdout
    assert "dev" not in " ".join(installs)
