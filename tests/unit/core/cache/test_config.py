"""CacheConfig: the documented YAML, TTL resolution, jitter, errors naming the key."""

from __future__ import annotations

import pytest
import yaml

from loom.core.cache import CacheConfig
from loom.core.errors import ConfigError
from tests.unit.core.config.test_reference_examples import CACHE_REDIS

# The documented Redis YAML (reference 002), shared with the config loader's tests.
REDIS_YAML = CACHE_REDIS


def test_documented_yaml_loads_as_written() -> None:
    config = CacheConfig.from_mapping(yaml.safe_load(REDIS_YAML))
    assert config.aiocache_alias == "cache"
    assert config.effective_counter_alias == "counters"
    assert config.max_size == 1000
    assert config.aiocache_config["counters"]["namespace"] == "myapp_counters"
    assert config.ttl_for_single("user") == 600
    assert config.ttl_for_list("user") == 300
    assert config.ttl_for_single("order") == 300
    assert config.ttl_for_list("order") == 120


def test_defaults_match_the_reference() -> None:
    config = CacheConfig()
    assert (config.enabled, config.aiocache_alias, config.counter_alias) == (True, "default", None)
    assert (config.default_ttl, config.default_list_ttl, config.max_size) == (200, 120, None)
    assert config.effective_counter_alias == "default"


def test_unknown_key_is_named_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"'default_tll'.*default_ttl"):
        CacheConfig.from_mapping({"default_tll": 5})


def test_wrong_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="default_ttl"):
        CacheConfig.from_mapping({"default_ttl": "soon"})


def test_both_spellings_of_the_backend_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="both 'aiocache' and 'aiocache_config'"):
        CacheConfig.from_mapping({"aiocache": {}, "aiocache_config": {}})


@pytest.mark.parametrize("bad", [{"max_size": 0}, {"ttl_jitter": 2}])
def test_out_of_range_values_are_refused(bad: dict[str, int]) -> None:
    with pytest.raises(ConfigError):
        CacheConfig.from_mapping(bad)


def test_jitter_stays_within_its_share_and_spreads_entries() -> None:
    config = CacheConfig(ttl_jitter=0.1)
    ttls = {config.jittered(100) for _ in range(300)}
    assert min(ttls) >= 100
    assert max(ttls) <= 110
    assert len(ttls) > 1
    assert CacheConfig(ttl_jitter=0).jittered(100) == 100
