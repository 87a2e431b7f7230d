"""The YAML files of the documented example application load as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from loom.core.config import load_config

MODULES_MODE = """\
app:
  name: dummy_store
  code_path: src
  discovery:
    mode: modules
    modules:
      include:
        - app.user.model
        - app.user.interface
        - app.product.model
        - app.product.jobs
        - app.product.use_cases
        - app.product.interface
rest:
  backend: fastapi
  title: Dummy Store API
  version: 0.1.0
  docs_url: /docs
database:
  url: ${oc.env:DATABASE_URL,sqlite+aiosqlite:///./store.db}
trace:
  enabled: ${oc.decode:${oc.env:TRACE_ENABLED,true}}
metrics:
  enabled: ${oc.decode:${oc.env:METRICS_ENABLED,true}}
  path: /metrics
"""

MANIFEST_MODE = """\
app:
  discovery:
    mode: manifest
    manifest:
      module: app.manifest
"""

CACHE_REDIS = """\
cache:
  aiocache_alias: cache
  counter_alias: counters
  default_ttl: 300
  default_list_ttl: 120
  max_size: 1000
  ttl:
    user: 600
    user_list: 300
  aiocache:
    cache:
      cache: aiocache.RedisCache
      endpoint: ${oc.env:REDIS_HOST,redis}
      port: 6379
      namespace: myapp
      serializer:
        class: loom.core.cache.serializer.MsgspecSerializer
    counters:
      cache: aiocache.RedisCache
      endpoint: ${oc.env:REDIS_HOST,redis}
      port: 6379
      namespace: myapp_counters
      # no serializer: raw integers, atomic INCR
"""

CACHE_MEMORY = """\
cache:
  aiocache_alias: cache
  counter_alias: counters
  max_size: 500
  aiocache:
    cache:
      cache: aiocache.SimpleMemoryCache
      serializer:
        class: loom.core.cache.serializer.MsgspecSerializer
    counters:
      cache: aiocache.SimpleMemoryCache
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "TRACE_ENABLED", "METRICS_ENABLED", "REDIS_HOST"):
        monkeypatch.delenv(name, raising=False)


def test_modules_mode_loads_with_its_defaults(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "api.yaml").write_text(MODULES_MODE)

    config = load_config(config_dir / "api.yaml")

    assert config.app.name == "dummy_store"
    assert config.app.code_path == str((config_dir / "src").resolve())
    assert config.app.discovery.mode == "modules"
    assert config.app.discovery.modules.include[0] == "app.user.model"
    assert len(config.app.discovery.modules.include) == 6
    assert (config.rest.title, config.rest.version, config.rest.docs_url) == (
        "Dummy Store API",
        "0.1.0",
        "/docs",
    )
    assert config.database.url == "sqlite+aiosqlite:///./store.db"
    assert config.trace.enabled is True
    assert (config.metrics.enabled, config.metrics.path) == (True, "/metrics")


def test_modules_mode_reads_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://shop@db/shop")
    monkeypatch.setenv("TRACE_ENABLED", "false")
    monkeypatch.setenv("METRICS_ENABLED", "0")
    (tmp_path / "api.yaml").write_text(MODULES_MODE)

    config = load_config(tmp_path / "api.yaml")

    assert config.database.url == "postgresql+asyncpg://shop@db/shop"
    assert config.trace.enabled is False
    assert config.metrics.enabled is False


def test_manifest_mode_loads(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(MANIFEST_MODE)

    config = load_config(tmp_path / "api.yaml")

    assert config.app.discovery.mode == "manifest"
    assert config.app.discovery.manifest.module == "app.manifest"


def test_the_redis_cache_example_keeps_aiocache_settings_raw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_HOST", "cache.internal")
    (tmp_path / "cache.yaml").write_text(CACHE_REDIS)

    cache = load_config(tmp_path / "cache.yaml").cache

    assert cache is not None
    assert (cache.aiocache_alias, cache.counter_alias) == ("cache", "counters")
    assert (cache.default_ttl, cache.default_list_ttl, cache.max_size) == (300, 120, 1000)
    assert cache.ttl == {"user": 600, "user_list": 300}
    assert cache.aiocache["cache"] == {
        "cache": "aiocache.RedisCache",
        "endpoint": "cache.internal",
        "port": 6379,
        "namespace": "myapp",
        "serializer": {"class": "loom.core.cache.serializer.MsgspecSerializer"},
    }
    assert cache.aiocache["counters"]["namespace"] == "myapp_counters"
    assert "serializer" not in cache.aiocache["counters"]


def test_the_memory_cache_example_gives_a_mapping_for_the_cache_package(tmp_path: Path) -> None:
    (tmp_path / "cache.yaml").write_text(CACHE_MEMORY)

    config = load_config(tmp_path / "cache.yaml")

    assert config.cache is not None
    assert config.cache.to_mapping() == {
        "enabled": True,
        "aiocache_alias": "cache",
        "counter_alias": "counters",
        "default_ttl": 200,
        "default_list_ttl": 120,
        "ttl": {},
        "max_size": 500,
        "ttl_jitter": 0.1,
        "invalidation_wait": 2.0,
        "invalidation_poll": 1.0,
        "aiocache": {
            "cache": {
                "cache": "aiocache.SimpleMemoryCache",
                "serializer": {"class": "loom.core.cache.serializer.MsgspecSerializer"},
            },
            "counters": {"cache": "aiocache.SimpleMemoryCache"},
        },
    }
    assert config.raw["cache"]["max_size"] == 500
