"""An API-like process for the lost-invalidation tests: a started kernel with a Redis cache,
driven line by line.

Run as ``python -m tests.integration.cache.api_process '<json settings>'``. It prints
``ready`` once started, then answers each stdin command with one JSON line:

- ``create <id> <value>`` / ``update <id> <value>``: write through the cached repository; the
  answer comes once the write call returned (post-commit work included);
- ``update_and_die <id> <value>``: the same update, but the process exits between the commit
  and the recording of a lost invalidation (a crash at the worst moment);
- ``read <id>``: the value read through the cache, and whether it was a hit;
- ``pending``: how many lost invalidations wait in the journal.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from loom.core.bootstrap import Components, Kernel
from loom.core.config import load_config
from loom.core.model import BaseModel, ColumnField


class Dial(BaseModel):
    __tablename__ = "lost_dials"
    id: int = ColumnField(primary_key=True, autoincrement=False)
    value: int = 0


def kernel_config(settings: dict[str, Any]) -> dict[str, Any]:
    """Config overrides: the test's database, and Redis at ``settings["port"]``."""
    server = {"cache": "aiocache.RedisCache", "endpoint": "127.0.0.1", "port": settings["port"]}
    namespace = settings["namespace"]
    overrides: dict[str, Any] = {
        "database.url": settings["url"],
        "security.cursor_secret": "test",
        "outbox.enabled": False,
        "cache": {
            "aiocache_alias": "cache",
            "counter_alias": "counters",
            "default_ttl": settings.get("ttl", 300),
            "ttl_jitter": 0,
            "invalidation_wait": settings.get("wait", 2.0),
            "invalidation_poll": settings.get("poll", 1.0),
            "aiocache": {
                "cache": {
                    **server,
                    "namespace": namespace,
                    "serializer": {"class": "loom.core.cache.serializer.MsgspecSerializer"},
                },
                "counters": {**server, "namespace": f"{namespace}_counters"},
            },
        },
    }
    if settings.get("connect_args"):
        overrides["database.connect_args"] = settings["connect_args"]
    return overrides


async def _die(_tags: Sequence[str]) -> int:
    os._exit(3)


async def serve(settings: dict[str, Any]) -> None:
    config = load_config(overrides=kernel_config(settings))
    async with Kernel(config, Components(models=[Dial])) as kernel:
        cache = kernel.cache
        assert cache is not None
        assert cache.data is not None
        assert cache.journal is not None
        dials = kernel.for_model(Dial)
        stats = cache.data.stats
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        print("ready", flush=True)
        while line := (await reader.readline()).decode().strip():
            command, *args = line.split()
            answer: dict[str, Any]
            if command == "create":
                await dials.create(Dial(id=int(args[0]), value=int(args[1])))
                answer = {"ok": True}
            elif command in ("update", "update_and_die"):
                if command == "update_and_die":
                    # The crash hook: the journal call after the commit never happens.
                    cache.journal.record = _die  # type: ignore[method-assign,assignment]
                await dials.update(int(args[0]), {"value": int(args[1])})
                answer = {"ok": True}
            elif command == "read":
                hits = stats.hits
                row = await dials.get_by_id(int(args[0]))
                answer = {"value": None if row is None else row.value, "hit": stats.hits > hits}
            elif command == "pending":
                answer = {"pending": len(await cache.journal.pending())}
            else:
                answer = {"error": f"unknown command {command!r}"}
            print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    asyncio.run(serve(json.loads(sys.argv[1])))
