"""The ``stack`` fixture: the cache contract on the in-process backend and on Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

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
