"""The model, session manager and cached repository the SQL-backed cache tests share.

Also runnable as ``python -m tests.integration.cache.sql '<json settings>'``: the reader
process of the two-process stale-read test.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from loom.core.cache import (
    CacheConfig,
    CachedRepository,
    CacheGateway,
    GenerationalDependencyResolver,
)
from loom.core.model import BaseModel, ColumnField
from loom.core.repository.sqlalchemy import (
    RepositorySQLAlchemy,
    SessionManager,
    new_base,
    registry_for,
)

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class Gauge(BaseModel):
    __tablename__ = "cache_gauges"
    id: int = ColumnField(primary_key=True, autoincrement=False)
    value: int = 0


def fresh_base() -> type[Any]:
    base = new_base()
    registry_for(base).compile_all([Gauge])
    return base


async def session_manager(url: str, connect_args: dict[str, Any]) -> SessionManager:
    """A session manager on a fresh base whose Gauge table exists."""
    sm = SessionManager(url, connect_args=connect_args)
    sm.base = fresh_base()
    await sm.create_all(sm.base)
    return sm


def cached_repository(
    sm: SessionManager | None, config: CacheConfig, repo: Any = None
) -> tuple[CachedRepository[Gauge, Any, Any, int], tuple[CacheGateway, CacheGateway]]:
    """A cached Gauge repository wired by hand, as the package docstring shows (it subscribes
    itself to the post-commit channel of ``repo``, by default a plain repository of ``sm``)."""
    data, counters = CacheGateway.pair_from_config(config)
    resolver = GenerationalDependencyResolver(counters)
    if repo is None:
        assert sm is not None
        repo = RepositorySQLAlchemy(sm, Gauge)
    cached: CachedRepository[Gauge, Any, Any, int] = CachedRepository(
        repo, config=config, cache=data, dependency_resolver=resolver
    )
    return cached, (data, counters)


@contextmanager
def counting_statements(sm: SessionManager) -> Iterator[list[str]]:
    """Collect the SQL statements ``sm`` sends, transaction control excluded."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(CONTROL):
            statements.append(statement)

    engine = sm.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def _reader(settings: dict[str, Any]) -> dict[str, int]:
    """Read through a CachedRepository of its own while the writer commits.

    Each stdin line is ``id value``: the writer committed ``value`` for row ``id``; a read of
    that row from now on must never return less. ``done`` ends the run.
    """
    sm = SessionManager(settings["url"], connect_args=settings["connect_args"])
    sm.base = fresh_base()
    config = CacheConfig.from_mapping(settings["cache"])
    cached, gateways = cached_repository(sm, config)
    committed: dict[int, int] = {}
    reads = stale = 0
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    rng = random.Random(7)
    while (line := (await reader.readline()).decode().strip()) != "done":
        row_id, value = map(int, line.split())
        committed[row_id] = max(committed.get(row_id, 0), value)
        for target in (row_id, row_id, rng.choice(list(committed))):
            row = await cached.get_by_id(target)
            reads += 1
            if row is None or row.value < committed[target]:
                stale += 1
    for gateway in set(gateways):
        await gateway.close()
    await sm.dispose()
    return {"reads": reads, "stale": stale, "hits": cached.stats.hits}


if __name__ == "__main__":
    result = asyncio.run(_reader(json.loads(sys.argv[1])))
    print(json.dumps(result), flush=True)
