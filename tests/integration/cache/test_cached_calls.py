"""``@cache_call``: a coroutine's results served from the kernel's cache for a TTL."""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec
import pytest

from loom.core.cache import (
    CacheConfig,
    CacheGateway,
    GatewayCachedCalls,
    PassThroughCalls,
    cache_call,
    cached_calls,
)
from loom.core.di import LoomContainer


class Rate(msgspec.Struct, frozen=True):
    currency: str
    value: float


@dataclass
class Service:
    calls: list[str] = field(default_factory=list)

    @cache_call(ttl_key="rates", unless=lambda rate: rate.value == 0)
    async def rate(self, currency: str, *, day: int = 1) -> Rate:
        self.calls.append(currency)
        return Rate(currency=currency, value=0.0 if currency == "XXX" else 1.5)

    async def plain(self, currency: str) -> str:
        self.calls.append(f"plain:{currency}")
        return currency


@pytest.fixture
def binder() -> GatewayCachedCalls:
    config = CacheConfig.from_mapping({"ttl": {"rates": 60}})
    data, _ = CacheGateway.pair_from_config(config)
    return GatewayCachedCalls(data, config)


async def test_a_declared_call_is_loaded_once_per_arguments(binder: GatewayCachedCalls) -> None:
    service = Service()
    rate = binder.wrap(service.rate)

    assert await rate("EUR") == Rate("EUR", 1.5)
    assert await rate("EUR", day=1) == Rate("EUR", 1.5)  # the same arguments, bound
    assert await rate("USD") == Rate("USD", 1.5)
    assert service.calls == ["EUR", "USD"]


async def test_unless_keeps_a_result_out_of_the_cache(binder: GatewayCachedCalls) -> None:
    service = Service()
    rate = binder.wrap(service.rate)

    await rate("XXX")
    await rate("XXX")

    assert service.calls == ["XXX", "XXX"]


async def test_bind_wraps_only_declared_coroutines(binder: GatewayCachedCalls) -> None:
    service = Service()
    methods = {m.__name__: m for m in binder.bind(service)}

    await methods["plain"]("A")
    await methods["plain"]("A")
    await methods["rate"]("A")
    await methods["rate"]("A")

    assert service.calls == ["plain:A", "plain:A", "A"]


def test_a_plain_function_cannot_be_declared() -> None:
    with pytest.raises(TypeError, match="needs an `async def` function"):
        cache_call()(lambda: None)  # type: ignore[type-var]  # the mistake under test


def test_without_a_cache_the_binder_passes_calls_through() -> None:
    assert isinstance(cached_calls(LoomContainer()), PassThroughCalls)
