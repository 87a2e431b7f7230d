"""Fixtures: the store example's kernel on the test database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from loom.core.bootstrap import Kernel, create_kernel
from tests.conftest import REDIS_URL, Database

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


def cache_overrides(
    mode: str, redis_url: str | None = None, namespace: str = "loom-test"
) -> dict[str, Any]:
    """Config overrides for no cache, the in-process cache, or Redis (keys under ``namespace``)."""
    if mode == "none":
        return {}
    if mode == "memory":
        backends = {
            "cache": {
                "cache": "aiocache.SimpleMemoryCache",
                "serializer": {"class": "loom.core.cache.serializer.MsgspecSerializer"},
            },
            "counters": {"cache": "aiocache.SimpleMemoryCache"},
        }
    else:
        assert redis_url is not None
        backends = {
            "cache": {
                "cache": "aiocache.RedisCache",
                "endpoint": "127.0.0.1",
                "port": 6379,
                "namespace": namespace,
                "serializer": {"class": "loom.core.cache.serializer.MsgspecSerializer"},
            },
            "counters": {
                "cache": "aiocache.RedisCache",
                "endpoint": "127.0.0.1",
                "port": 6379,
                "namespace": namespace + "-counters",
            },
        }
    return {
        "cache": {
            "aiocache_alias": "cache",
            "counter_alias": "counters",
            "max_size": 1000,
            "aiocache": backends,
        }
    }


@pytest.fixture(params=["none", "memory", pytest.param("redis", marks=pytest.mark.integration)])
def cache_mode(request: pytest.FixtureRequest) -> str:
    """The store without a cache, with the in-process cache, and with Redis."""
    if request.param == "redis":
        request.getfixturevalue("redis_url")
    return str(request.param)


@pytest.fixture
async def kernel(db: Database, config_file: Path, cache_mode: str) -> AsyncIterator[Kernel]:
    """A started store kernel."""
    namespace = f"loom-test-{uuid.uuid4().hex[:8]}"
    overrides = {**database_overrides(db), **cache_overrides(cache_mode, REDIS_URL, namespace)}
    try:
        async with create_kernel(config_file, overrides=overrides) as started:
            yield started
    finally:
        if cache_mode == "redis":
            await _delete_keys(namespace)


async def _delete_keys(namespace: str) -> None:
    """Leave the shared Redis as the test found it (never FLUSHALL)."""
    import redis.asyncio

    client = redis.asyncio.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{namespace}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
