"""The dependency rule: the import-linter contracts of ``pyproject.toml`` hold, and they bite.

The contracts are the one statement of the rule (``lint-imports`` runs them in ``make test``);
these tests prove them on the project and on copies with a forbidden import. What an import
graph cannot see, an adapter named in a string and imported at run time, is checked here too.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import loom

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path(loom.__file__).parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
ADAPTERS = (
    "loom.core.repository.sqlalchemy",
    "loom.rest",
    "loom.celery",
    "loom.cli",
    "loom.migrations",
)


def lint_imports(project: Path, source: Path) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` on the contracts of ``project``'s pyproject, over ``source``."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_project_keeps_every_contract() -> None:
    result = lint_imports(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 5 kept, 0 broken." in result.stdout


VIOLATIONS = [
    ("core/job/_bad.py", "import sqlalchemy\n", "libraries only in its adapters"),
    ("core/bootstrap/_bad.py", "from fastapi import FastAPI\n", "libraries only in its adapters"),
    ("core/cache/_bad.py", "import redis.asyncio\n", "libraries only in its adapters"),
    ("core/use_case/_bad.py", "import loom.rest\n", "no outer adapter"),
    ("core/bootstrap/_bad.py", "from loom.testing import running_kernel\n", "no outer adapter"),
    ("core/bootstrap/_bad.py", "from loom.migrations import Migrations\n", "no outer adapter"),
    ("core/config/_bad.py", "import alembic\n", "libraries only in its adapters"),
    (
        "core/bootstrap/_bad.py",
        "from loom.core.repository.sqlalchemy import SessionManager\n",
        "SQLAlchemy adapter only as an extension",
    ),
    ("core/job/_bad.py", "import aiocache\n", "aiocache is imported only by loom.core.cache"),
    ("core/bootstrap/_bad.py", "import yaml\n", "omegaconf and yaml are imported only"),
]


@pytest.mark.parametrize(("module", "source", "contract"), VIOLATIONS)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, source: str, contract: str
) -> None:
    copy = tmp_path / "src" / "loom"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / module).write_text(source)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    result = lint_imports(tmp_path, tmp_path / "src")
    assert result.returncode == 1, result.stdout
    broken = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert any(contract in line for line in broken), result.stdout
    assert f"loom.{module.removesuffix('.py').replace('/', '.')}" in result.stdout


def _adapter_strings(path: Path) -> list[str]:
    """Adapter module names a core file imports at run time or keeps in a constant."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and node.args:
            name = ast.unparse(node.func)
            target = node.args[0]
            if name.endswith(("import_module", "__import__")) and isinstance(target, ast.Constant):
                found.append(str(target.value))
        elif isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Constant):
            found.append(str(node.value.value))
    return [text for text in found if text.startswith(ADAPTERS)]


def _core_files(source: Path) -> list[Path]:
    adapter = source / "core" / "repository" / "sqlalchemy"
    return [p for p in sorted((source / "core").rglob("*.py")) if not p.is_relative_to(adapter)]


def test_the_core_names_no_adapter_to_import_at_run_time() -> None:
    offenders = {
        str(path.relative_to(SOURCE)): names
        for path in _core_files(SOURCE)
        if (names := _adapter_strings(path))
    }
    assert offenders == {}


def test_an_import_string_is_caught(tmp_path: Path) -> None:
    sample = tmp_path / "core" / "bad.py"
    sample.parent.mkdir()
    sample.write_text(
        'import importlib\n_ADAPTER = "loom.core.repository.sqlalchemy"\n'
        'celery = importlib.import_module("loom.celery")\n'
    )
    assert _adapter_strings(sample) == ["loom.core.repository.sqlalchemy", "loom.celery"]
    assert _core_files(tmp_path) == [sample]
