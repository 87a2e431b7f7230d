"""The dependency rule: the kernel core imports no adapter library."""

from __future__ import annotations

import ast
from pathlib import Path

import loom

FORBIDDEN = {"sqlalchemy", "fastapi", "starlette", "celery", "redis", "uvicorn", "asyncpg"}
ROOT = Path(loom.__file__).parent
CORE = ROOT / "core"
ADAPTERS = (CORE / "repository" / "sqlalchemy",)


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _core_files() -> list[Path]:
    return [
        path
        for path in sorted(CORE.rglob("*.py"))
        if not any(path.is_relative_to(adapter) for adapter in ADAPTERS)
    ]


def test_core_never_imports_an_adapter_library() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_roots(path) & FORBIDDEN)
        for path in _core_files()
        if _imported_roots(path) & FORBIDDEN
    }
    assert offenders == {}


def test_the_check_sees_the_core_modules() -> None:
    names = {path.name for path in _core_files()}
    assert "_spec.py" in names
    assert len(names) > 5


def test_the_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from sqlalchemy import select\nimport redis.asyncio\n")
    assert _imported_roots(sample) & FORBIDDEN == {"sqlalchemy", "redis"}


def test_optional_libraries_stay_in_their_package() -> None:
    # aiocache only behind the cache's backends; omegaconf and yaml only in config loading.
    homes = {"aiocache": CORE / "cache", "omegaconf": CORE / "config", "yaml": CORE / "config"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name, home in homes.items()
            if name in imported and not path.is_relative_to(home)
        )
        for path in _core_files()
        if (imported := _imported_roots(path)) & homes.keys()
        and any(not path.is_relative_to(homes[n]) for n in imported & homes.keys())
    }
    assert offenders == {}
