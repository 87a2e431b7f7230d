"""The cache over the SQLAlchemy repository: rollback, single-flight in SQL statements, and
no stale read across two processes."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from loom.core.cache import CacheConfig
from loom.core.repository.sqlalchemy import SessionManager
from tests.conftest import Database
from tests.integration.cache.sql import (
    Gauge,
    cached_repository,
    counting_statements,
    session_manager,
)
from tests.integration.cache.stacks import redis_config

ROOT = Path(__file__).resolve().parents[3]


async def test_a_rolled_back_write_leaves_the_cache_untouched(
    sm: SessionManager, cache_config: CacheConfig
) -> None:
    cached, gateways = cached_repository(sm, cache_config)
    try:
        await cached.create(Gauge(id=1, value=1))
        assert (await cached.get_by_id(1)) == Gauge(id=1, value=1)
        with pytest.raises(LookupError):
            async with sm.transaction():
                await cached.update(1, {"value": 2})
                inside = await cached.get_by_id(1)  # its own uncommitted write, uncached
                assert inside == Gauge(id=1, value=2)
                raise LookupError("roll back")
        with counting_statements(sm) as statements:
            assert (await cached.get_by_id(1)) == Gauge(id=1, value=1)
        assert statements == []
        assert cached.stats.hits == 1

        await cached.update(1, {"value": 3})  # commits on its own, then bumps
        with counting_statements(sm) as statements:
            assert (await cached.get_by_id(1)) == Gauge(id=1, value=3)
            assert (await cached.get_by_id(1)) == Gauge(id=1, value=3)
        assert len(statements) == 1
    finally:
        for gateway in set(gateways):
            await gateway.clear()
            await gateway.close()


async def test_concurrent_misses_issue_one_select(
    sm: SessionManager, cache_config: CacheConfig
) -> None:
    cached, gateways = cached_repository(sm, cache_config)
    try:
        await cached.create(Gauge(id=7, value=70))
        with counting_statements(sm) as statements:
            rows = await asyncio.gather(*(cached.get_by_id(7) for _ in range(100)))
        assert rows == [Gauge(id=7, value=70)] * 100
        assert len(statements) == 1
        assert cached.stats.misses + cached.stats.hits == 100
    finally:
        for gateway in set(gateways):
            await gateway.clear()
            await gateway.close()


@pytest.mark.integration
async def test_two_processes_never_read_older_than_the_last_commit(
    postgres_db: Database, redis_url: str
) -> None:
    namespace = f"loomtest_{uuid.uuid4().hex[:12]}"
    config = redis_config(redis_url, namespace)
    sm = await session_manager(postgres_db.url, postgres_db.connect_args)
    cached, gateways = cached_repository(sm, config)
    rows = 8
    for row_id in range(rows):
        await cached.create(Gauge(id=row_id, value=0))
    settings: dict[str, Any] = {
        "url": postgres_db.url,
        "connect_args": postgres_db.connect_args,
        "cache": {
            "aiocache_alias": config.aiocache_alias,
            "counter_alias": config.counter_alias,
            "aiocache": config.aiocache_config,
        },
    }
    reader = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.cache.sql",
        json.dumps(settings),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert reader.stdin is not None
    try:
        for step in range(1, 601):
            row_id = step % rows
            await cached.update(row_id, {"value": step})  # commit, then counters bumped
            reader.stdin.write(f"{row_id} {step}\n".encode())
            await reader.stdin.drain()
        reader.stdin.write(b"done\n")
        await reader.stdin.drain()
        out, _ = await reader.communicate()
    finally:
        if reader.returncode is None:
            reader.kill()
            await reader.wait()
        for gateway in set(gateways):
            await gateway.clear()
            await gateway.close()
        await sm.dispose()
    assert reader.returncode == 0
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["reads"] == 1800
    assert result["stale"] == 0
    assert result["hits"] > 0
