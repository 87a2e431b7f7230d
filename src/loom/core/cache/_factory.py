"""Build aiocache instances from ``CacheConfig`` entries, with or without aiocache's registry.

In-memory entries (``aiocache.SimpleMemoryCache``) become :class:`BoundedMemoryCache` so they
honour ``max_size``; Redis entries get short socket timeouts unless they set their own, so an
unreachable server degrades reads quickly instead of stalling them.

Imports aiocache and the standard library only.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Mapping
from typing import Any

from aiocache import SimpleMemoryCache

from loom.core.cache._memory import BoundedMemoryCache
from loom.core.cache.serializer import MsgspecSerializer
from loom.core.errors import ConfigError

REDIS_SOCKET_TIMEOUT = 0.5
"""Seconds a Redis command or connect may take before the cache counts the server as down."""

_MEMORY_NAMES = frozenset(
    {
        "memory",
        "SimpleMemoryCache",
        "aiocache.SimpleMemoryCache",
        "aiocache.backends.memory.SimpleMemoryCache",
    }
)
_REDIS_NAMES = frozenset({"redis", "aiocache.RedisCache", "aiocache.backends.redis.RedisCache"})


def _is_memory(cls: Any) -> bool:
    return cls in _MEMORY_NAMES or cls is SimpleMemoryCache


def _is_redis(cls: Any) -> bool:
    return cls in _REDIS_NAMES or getattr(cls, "NAME", None) == "redis"


def import_object(path: str) -> Any:
    """Import ``"package.module.Name"``.

    Raises:
        ConfigError: When the module or the name does not exist.
    """
    module_name, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(
            f"cannot import {path!r} named in the cache config: {exc}; "
            "check the dotted path (for example 'aiocache.RedisCache')"
        ) from exc


def normalize_entry(entry: Mapping[str, Any], max_size: int | None) -> dict[str, Any]:
    """One alias's aiocache settings, ready for aiocache.

    Args:
        entry: The alias's settings as configured.
        max_size: ``CacheConfig.max_size``, injected into memory entries without their own.

    Returns:
        A new mapping: memory entries use :class:`BoundedMemoryCache`, Redis entries have
        socket timeouts.
    """
    result = copy.deepcopy(dict(entry))
    cls = result.get("cache", "aiocache.SimpleMemoryCache")
    if _is_memory(cls):
        result["cache"] = BoundedMemoryCache
        if max_size is not None:
            result.setdefault("max_size", max_size)
    elif _is_redis(cls):
        result.setdefault("create_connection_timeout", REDIS_SOCKET_TIMEOUT)
        pool = dict(result.get("connection_pool_kwargs") or {})
        pool.setdefault("socket_timeout", REDIS_SOCKET_TIMEOUT)
        result["connection_pool_kwargs"] = pool
    return result


def default_entry() -> dict[str, Any]:
    """The embedded default: a bounded in-process cache with msgpack values."""
    return {"cache": BoundedMemoryCache, "serializer": {"class": MsgspecSerializer}}


def _instantiate(spec: Any, what: str) -> Any:
    if isinstance(spec, str):
        return import_object(spec)()
    if isinstance(spec, Mapping):
        options = dict(spec)
        cls = options.pop("class", None)
        if cls is None:
            raise ConfigError(f"cache {what} entry {dict(spec)!r} has no 'class' key")
        cls = import_object(cls) if isinstance(cls, str) else cls
        return cls(**options)
    return spec


def build_cache(entry: Mapping[str, Any], max_size: int | None = None) -> Any:
    """Create the aiocache instance an alias's settings describe, outside aiocache's registry.

    Args:
        entry: The alias's settings (``cache``, ``serializer``, ``namespace``, ...).
        max_size: ``CacheConfig.max_size`` for memory entries.

    Returns:
        A new aiocache cache instance owned by the caller.

    Raises:
        ConfigError: When a class cannot be imported or an option is not accepted.
    """
    options = normalize_entry(entry, max_size)
    cls = options.pop("cache")
    cls = import_object(cls) if isinstance(cls, str) else cls
    serializer = _instantiate(options.pop("serializer", None), "serializer")
    plugins = [_instantiate(p, "plugin") for p in options.pop("plugins", None) or ()]
    try:
        return cls(serializer=serializer, plugins=plugins, **options)
    except TypeError as exc:
        raise ConfigError(
            f"cache backend {getattr(cls, '__name__', cls)} rejected its settings: {exc}; "
            "remove or rename the option"
        ) from exc
