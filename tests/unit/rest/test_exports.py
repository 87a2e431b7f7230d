"""Public names and the layering of the REST package."""

from __future__ import annotations

import ast
from pathlib import Path

import loom.rest
import loom.rest.autocrud
import loom.rest.fastapi
import loom.rest.model

REST = Path(loom.rest.__file__).parent
FRAMEWORKS = {"fastapi", "starlette", "pydantic", "uvicorn", "sqlalchemy"}


def test_all_is_sorted_and_importable() -> None:
    for module in (loom.rest, loom.rest.fastapi, loom.rest.model, loom.rest.autocrud):
        assert module.__all__ == sorted(module.__all__)
        for name in module.__all__:
            assert hasattr(module, name)


def test_the_documented_import_paths() -> None:
    from loom.rest.autocrud import build_auto_routes
    from loom.rest.fastapi.auto import create_app
    from loom.rest.model import PaginationMode, RestInterface, RestRoute

    assert callable(build_auto_routes)
    assert callable(create_app)
    assert {PaginationMode.CURSOR.value, RestInterface.__name__, RestRoute.__name__} == {
        "cursor",
        "RestInterface",
        "RestRoute",
    }


def test_the_framework_neutral_modules_import_no_web_framework() -> None:
    offenders: dict[str, set[str]] = {}
    for path in sorted(REST.glob("*.py")):
        tree = ast.parse(path.read_text())
        roots = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        }
        if roots & FRAMEWORKS:
            offenders[path.name] = roots & FRAMEWORKS
    assert offenders == {}
