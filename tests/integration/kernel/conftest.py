"""Fixtures: the store example's kernel on the test database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from loom.core.bootstrap import Kernel, create_kernel
from tests.conftest import Database

STORE = Path(__file__).resolve().parents[3] / "examples" / "store" / "config"


def database_overrides(db: Database) -> dict[str, Any]:
    """Config overrides pointing the app at the test database."""
    overrides: dict[str, Any] = {"database.url": db.url}
    if db.connect_args:
        overrides["database.connect_args"] = db.connect_args
    return overrides


@pytest.fixture(params=["api.yaml", "manifest.yaml"])
def config_file(request: pytest.FixtureRequest) -> Path:
    """The store's config, in modules mode and in manifest mode."""
    return STORE / str(request.param)


@pytest.fixture
async def kernel(db: Database, config_file: Path) -> AsyncIterator[Kernel]:
    """A started store kernel."""
    async with create_kernel(config_file, overrides=database_overrides(db)) as started:
        yield started
