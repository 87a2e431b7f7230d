"""Cache stacks (a fake repository, its CachedRepository and backends) for the contract tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loom.core.cache import (
    CacheConfig,
    CachedRepository,
    CacheGateway,
    GenerationalDependencyResolver,
)
from tests.unit.core.cache.fakes import FakeRepository, Product

SERIALIZER = {"class": "loom.core.cache.serializer.MsgspecSerializer"}


def memory_config(**overrides: Any) -> CacheConfig:
    return CacheConfig(
        aiocache_alias="cache",
        aiocache_config={
            "cache": {"cache": "aiocache.SimpleMemoryCache", "serializer": SERIALIZER}
        },
        **overrides,
    )


def redis_config(url: str, namespace: str, **overrides: Any) -> CacheConfig:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    entry = {
        "cache": "aiocache.RedisCache",
        "endpoint": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(parts.path.strip("/") or 0),
    }
    return CacheConfig(
        aiocache_alias="cache",
        counter_alias="counters",
        aiocache_config={
            "cache": {**entry, "namespace": namespace, "serializer": SERIALIZER},
            "counters": {**entry, "namespace": f"{namespace}_counters"},
        },
        **overrides,
    )


@dataclass
class Stack:
    """One cached repository over a fake repository, with its backends."""

    config: CacheConfig
    repo: FakeRepository
    cached: CachedRepository[Product, Product, dict[str, Any], int]
    data: CacheGateway
    counters: CacheGateway
    resolver: GenerationalDependencyResolver

    def fork(self, repo: FakeRepository | None = None) -> Stack:
        """Another cached repository (another process's view) over the same backends."""
        other = repo or self.repo
        cached: CachedRepository[Product, Product, dict[str, Any], int] = CachedRepository(
            other, config=self.config, cache=self.data, dependency_resolver=self.resolver
        )
        return Stack(self.config, other, cached, self.data, self.counters, self.resolver)


def build_stack(config: CacheConfig, repo: FakeRepository | None = None) -> Stack:
    data, counters = CacheGateway.pair_from_config(config)
    resolver = GenerationalDependencyResolver(counters)
    repo = repo or FakeRepository(rows=[Product(id=i, name=f"p{i}", price=i) for i in range(1, 8)])
    cached: CachedRepository[Product, Product, dict[str, Any], int] = CachedRepository(
        repo, config=config, cache=data, dependency_resolver=resolver
    )
    return Stack(config, repo, cached, data, counters, resolver)


async def dispose(stack: Stack) -> None:
    for gateway in {id(stack.data): stack.data, id(stack.counters): stack.counters}.values():
        await gateway.clear()
        await gateway.close()
