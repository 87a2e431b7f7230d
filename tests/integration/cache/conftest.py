"""Fixtures of the cache tests: stacks, cache configs (in-process and Redis) and a session
manager on the test database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from loom.core.cache import CacheConfig, CacheGateway
from loom.core.repository.sqlalchemy import SessionManager
from tests.conftest import Database
from tests.integration.cache.sql import session_manager
from tests.integration.cache.stacks import Stack, build_stack, dispose, memory_config, redis_config


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
async def stack(request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    """The same cache contract on the in-process backend and on Redis."""
    if request.param == "memory":
        config = memory_config()
    else:
        url = request.getfixturevalue("redis_url")
        config = redis_config(url, f"loomtest_{uuid.uuid4().hex[:12]}")
    built = build_stack(config)
    try:
        yield built
    finally:
        await dispose(built)


@pytest.fixture
async def sm(db: Database) -> AsyncIterator[SessionManager]:
    """A session manager on the test database (SQLite and PostgreSQL) with the Gauge table."""
    manager = await session_manager(db.url, db.connect_args)
    try:
        yield manager
    finally:
        await manager.dispose()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
async def cache_config(request: pytest.FixtureRequest) -> AsyncIterator[CacheConfig]:
    """A cache config on the in-process backend and on Redis (keys deleted after the test)."""
    if request.param == "memory":
        yield memory_config()
        return
    url = request.getfixturevalue("redis_url")
    config = redis_config(url, f"loomtest_{uuid.uuid4().hex[:12]}")
    yield config
    data, counters = CacheGateway.pair_from_config(config)
    for gateway in (data, counters):
        await gateway.clear()
        await gateway.close()
