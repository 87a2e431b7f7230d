"""Generation counters on Redis: only for entities a cached read depends on, always with a TTL
longer than the entries that depend on them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio
from msgspec import UnsetType

from loom.core.bootstrap import Components, Kernel
from loom.core.config import load_config
from loom.core.model import BaseModel, ColumnField, OnDelete, Projection
from loom.core.repository.sqlalchemy import CountLoader, RepositorySQLAlchemy, repository_for
from tests.conftest import Database
from tests.integration.kernel.conftest import database_overrides

pytestmark = pytest.mark.integration

DEFAULT_TTL = 30
LIST_TTL = 20
LONGEST = 45  # the per-entity override below
COUNTER_TTL = LONGEST + int(LONGEST * 0.1) + 60


class Author(BaseModel):
    """Cached (default repository); its ``counted`` profile reads posts."""

    __tablename__ = "ctr_authors"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    name: str = ColumnField(length=80)
    post_count: int | UnsetType = Projection(
        loader=CountLoader("Post", foreign_key="author_id"),
        profiles=("counted",),
        depends_on=("ctr_posts",),
        default=0,
    )


class Post(BaseModel):
    """Not cached (its custom repository does not opt in), but a cached read depends on it."""

    __tablename__ = "ctr_posts"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    author_id: int = ColumnField(foreign_key="ctr_authors.id", on_delete=OnDelete.CASCADE)
    title: str = ColumnField(length=80)


class AuditEntry(BaseModel):
    """Not cached, and no cached read depends on it."""

    __tablename__ = "ctr_audit"
    id: int = ColumnField(primary_key=True, autoincrement=True)
    message: str = ColumnField(length=80)


@repository_for(Post)
class PostRepository(RepositorySQLAlchemy[Post, int]):
    pass


@repository_for(AuditEntry)
class AuditRepository(RepositorySQLAlchemy[AuditEntry, int]):
    pass


@pytest.fixture
async def kernel(db: Database, redis_url: str) -> AsyncIterator[tuple[Kernel, str]]:
    namespace = f"loomtest_{uuid.uuid4().hex[:12]}"
    server = {"cache": "aiocache.RedisCache", "endpoint": "127.0.0.1", "port": 6379}
    cache = {
        "aiocache_alias": "cache",
        "counter_alias": "counters",
        "default_ttl": DEFAULT_TTL,
        "default_list_ttl": LIST_TTL,
        "ttl": {"ctr_authors_list": LONGEST},
        "aiocache": {
            "cache": {
                **server,
                "namespace": namespace,
                "serializer": {"class": "loom.core.cache.serializer.MsgspecSerializer"},
            },
            "counters": {**server, "namespace": f"{namespace}_counters"},
        },
    }
    overrides: dict[str, Any] = {
        **database_overrides(db),
        "security.cursor_secret": "test",
        "cache": cache,
    }
    config = load_config(overrides=overrides)
    try:
        async with Kernel(config, Components(models=[Author, Post, AuditEntry])) as started:
            yield started, f"{namespace}_counters"
    finally:
        client = redis.asyncio.from_url(redis_url)
        keys = [k async for k in client.scan_iter(match=f"{namespace}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def _counters(redis_url: str, namespace: str) -> dict[str, int]:
    """Every counter key of the namespace with its TTL in seconds (-1: none)."""
    client = redis.asyncio.from_url(redis_url)
    try:
        keys = [k.decode() async for k in client.scan_iter(match=f"{namespace}*")]
        return {key.removeprefix(namespace): int(await client.ttl(key)) for key in keys}
    finally:
        await client.aclose()


async def test_counters_exist_only_for_what_cached_reads_depend_on_and_expire(
    kernel: tuple[Kernel, str], redis_url: str
) -> None:
    app, namespace = kernel
    authors = app.invoker.entity(Author)
    posts = app.for_model(Post)
    audit = app.for_model(AuditEntry)
    ada = await authors.create({"name": "Ada"})
    for n in range(20):
        author = await authors.create({"name": f"author {n}"})
        await authors.update(params={"id": author.id}, payload={"name": f"renamed {n}"})
        await posts.create(Post(id=n + 1, author_id=ada.id, title=f"post {n}"))
        await audit.create(AuditEntry(id=n + 1, message=f"event {n}"))
    counted = await app.for_model(Author).get_by_id(ada.id, profile="counted")
    assert counted is not None
    assert counted.post_count == 20
    await app.for_model(Author).get_by_id(ada.id, profile="counted")
    assert app.cache is not None
    assert app.cache.data is not None
    assert app.cache.data.stats.hits >= 1

    counters = await _counters(redis_url, namespace)
    names = set(counters)
    assert not [name for name in names if "ctr_audit" in name]  # nobody reads audit entries
    # Posts are read only through the authors' projection: their list tag, no row counters.
    assert {name for name in names if "ctr_posts" in name} <= {
        ":loom:gen:ctr_posts",
        ":loom:gen:ctr_posts:list",
    }
    assert ":loom:gen:ctr_posts:list" in names
    assert len([name for name in names if name.startswith(":loom:gen:ctr_authors:id:")]) == 21
    # 21 author rows, the author entity and list tags, two post tags at most, and the epoch.
    assert len(names) <= 21 + 2 + 2 + 1
    assert counters.pop(":loom:epoch") == -1  # one key, kept
    assert counters
    for name, ttl in counters.items():
        assert 0 < ttl <= COUNTER_TTL, f"{name} has TTL {ttl}, expected 1..{COUNTER_TTL}"


async def test_a_bump_and_a_dependent_write_refresh_the_counter_ttl(
    kernel: tuple[Kernel, str], redis_url: str
) -> None:
    app, namespace = kernel
    authors = app.invoker.entity(Author)
    ada = await authors.create({"name": "Ada"})
    client = redis.asyncio.from_url(redis_url)
    try:
        key = f"{namespace}:loom:gen:ctr_authors:id:{ada.id}"
        await client.expire(key, 5)
        await authors.update(params={"id": ada.id}, payload={"name": "Ada L."})
        assert await client.ttl(key) > COUNTER_TTL - 30  # the bump gave it a full life again

        entity = f"{namespace}:loom:gen:ctr_authors"
        await app.for_model(Author).get_by_id(ada.id)  # a miss: stores the row
        await client.expire(entity, 5)
        await authors.update(params={"id": ada.id}, payload={"name": "Ada Lovelace"})
        assert await authors.get(params={"id": ada.id}) is not None  # a miss stores again
        assert await client.ttl(entity) > COUNTER_TTL - 30  # refreshed with the entry
    finally:
        await client.aclose()
