"""``@cache_call``: coroutine results kept in the kernel's cache for a TTL.

The decorator only declares (the coroutine stays importable and testable without a cache); the
kernel's :class:`CachedCalls`, built from the ``cache:`` section, binds it. A cached call has
no invalidation (Loom cannot know what a coroutine reads): it expires after its TTL, or the
declaration's ``version`` is raised. The key is the function and its arguments only, so the
coroutine must be a pure function of its arguments (no current user, no open transaction).
Concurrent misses on one key load once. Imports msgspec, the standard library and
``loom.core``.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import msgspec

from loom.core.cache._config import CacheConfig
from loom.core.cache._gateway import CacheGateway
from loom.core.cache._singleflight import SingleFlight

if TYPE_CHECKING:
    from loom.core.di import LoomContainer

logger = logging.getLogger("loom.cache")

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
AsyncCallable = Callable[..., Awaitable[Any]]

_KEY_ENCODER = msgspec.json.Encoder(order="deterministic")


@dataclass(frozen=True, slots=True)
class CallPolicy:
    """What ``@cache_call`` declared on a coroutine.

    Attributes:
        ttl_key: The ``cache.ttl`` key whose value is the TTL (``default_ttl`` without one).
        unless: Called with the result; a true answer returns it without storing it.
        version: Part of every key: raise it to forget what the function stored before.
    """

    ttl_key: str | None = None
    unless: Callable[[Any], bool] | None = None
    version: int = 1


def cache_call(
    *, ttl_key: str | None = None, unless: Callable[[Any], bool] | None = None, version: int = 1
) -> Callable[[F], F]:
    """Declare that a coroutine's results may be cached by arguments for a TTL.

    Args:
        ttl_key: The ``cache.ttl`` entry giving the TTL (``cache.default_ttl`` otherwise).
        unless: Results for which it answers true are returned and not stored (an empty answer
            from a rate-limited service, for example).
        version: Raise it to forget every result stored by earlier versions.

    Returns:
        A decorator that marks the coroutine and returns it unchanged.

    Raises:
        TypeError: The decorated object is not a coroutine function.

    Example:
        >>> @cache_call(ttl_key="rates")
        ... async def exchange_rate(currency: str) -> float:
        ...     return 1.0
    """
    policy = CallPolicy(ttl_key, unless, version)

    def decorate(func: F) -> F:
        if not inspect.iscoroutinefunction(func):
            raise TypeError(
                f"@cache_call needs an `async def` function; "
                f"{getattr(func, '__qualname__', func)!r} is not one"
            )
        func.__loom_cache_call__ = policy  # type: ignore[attr-defined]
        return typing.cast(F, func)  # iscoroutinefunction narrowed away F

    return decorate


def declares_cache_call(func: object) -> CallPolicy | None:
    """The policy ``@cache_call`` put on ``func`` (through bound methods too), or ``None``."""
    target = getattr(func, "__func__", func)
    policy = getattr(target, "__loom_cache_call__", None)
    return policy if isinstance(policy, CallPolicy) else None


@runtime_checkable
class CachedCalls(Protocol):
    """Turns declared coroutines into cached ones (the kernel registers one in its container)."""

    def wrap(self, func: AsyncCallable) -> AsyncCallable:
        """The cached form of ``func``, or ``func`` itself when it declares nothing."""
        ...

    def bind(self, obj: object) -> list[AsyncCallable]:
        """The public coroutine methods of ``obj``, cached where declared."""
        ...


def _bind(binder: CachedCalls, obj: object) -> list[AsyncCallable]:
    methods = (getattr(obj, name) for name in dir(obj) if not name.startswith("_"))
    return [binder.wrap(method) for method in methods if inspect.iscoroutinefunction(method)]


class PassThroughCalls:
    """The binder of an application without a cache: every call runs."""

    def wrap(self, func: AsyncCallable) -> AsyncCallable:
        """``func`` itself."""
        return func

    def bind(self, obj: object) -> list[AsyncCallable]:
        """The public coroutine methods of ``obj``, as they are."""
        return _bind(self, obj)


class GatewayCachedCalls:
    """Cached calls stored in a kernel's cache gateway.

    Args:
        gateway: Where results are stored (the kernel's data backend).
        config: The cache settings (TTLs).
    """

    def __init__(self, gateway: CacheGateway, config: CacheConfig) -> None:
        self._gateway = gateway
        self._config = config
        self._flight: SingleFlight[Any] = SingleFlight()

    def wrap(self, func: AsyncCallable) -> AsyncCallable:
        """The cached form of ``func`` (``func`` itself when it declares nothing)."""
        policy = declares_cache_call(func)
        if policy is None:
            return func
        name = f"{func.__module__}.{func.__qualname__}"
        signature = inspect.signature(func)
        result_type = _return_type(func)
        ttl = self._config.ttl.get(policy.ttl_key or "", self._config.default_ttl)

        @functools.wraps(func)
        async def cached(*args: Any, **kwargs: Any) -> Any:
            key = _key(name, policy.version, signature, args, kwargs)
            if key is None:
                return await func(*args, **kwargs)
            stored = await self._gateway.get_value(key)
            if isinstance(stored, list) and len(stored) == 1:
                try:
                    return msgspec.convert(stored[0], result_type, strict=False)
                except msgspec.ValidationError:
                    pass  # written by another version of the function: load again

            async def load() -> Any:
                result = await func(*args, **kwargs)
                if policy.unless is None or not policy.unless(result):
                    await self._store(key, result, ttl, name)
                return result

            result, _ = await self._flight.run(key, load)
            return result

        return cached

    def bind(self, obj: object) -> list[AsyncCallable]:
        """The public coroutine methods of ``obj``, cached where declared."""
        return _bind(self, obj)

    async def _store(self, key: str, result: Any, ttl: int, name: str) -> None:
        try:
            value = [msgspec.to_builtins(result)]
        except (TypeError, msgspec.EncodeError) as exc:
            # The caller still gets its result; only the cache is skipped, and said so.
            logger.warning("%s returned a value the cache cannot store: %s", name, exc)
            return
        await self._gateway.set_value(key, value, ttl=ttl)


def cached_calls(container: LoomContainer) -> CachedCalls:
    """The kernel's binder, or a pass-through when the application has no cache."""
    if container.is_registered(CachedCalls):
        found = container.resolve(CachedCalls)
        if isinstance(found, CachedCalls):
            return found
    return PassThroughCalls()


def _return_type(func: AsyncCallable) -> Any:
    try:
        return typing.get_type_hints(func).get("return", Any)
    except Exception:
        return Any


def _key(
    name: str,
    version: int,
    signature: inspect.Signature,
    args: Sequence[Any],
    kwargs: dict[str, Any],
) -> str | None:
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return None  # the call itself will raise the same error
    bound.apply_defaults()
    arguments = {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}
    try:
        rendered = _KEY_ENCODER.encode(_labelled(arguments))
    except (TypeError, msgspec.EncodeError):
        return None  # an argument without a stable rendering: not cached
    digest = hashlib.sha256(rendered).hexdigest()
    return f"call:{name}:v{version}:{digest}"


def _labelled(value: Any) -> Any:
    """The value as builtins, each part with its type's name (``1`` and ``"1"`` differ)."""
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    if isinstance(value, dict):
        return [kind, sorted(([_labelled(k), _labelled(v)] for k, v in value.items()), key=repr)]
    if isinstance(value, list | tuple):
        return [kind, [_labelled(item) for item in value]]
    if isinstance(value, set | frozenset):
        return [kind, sorted((_labelled(item) for item in value), key=repr)]
    if isinstance(value, msgspec.Struct):
        return [kind, _labelled(msgspec.structs.asdict(value))]
    if isinstance(value, float) and value != value:  # NaN equals nothing: no stable key
        raise TypeError("NaN has no stable cache key")
    return [kind, msgspec.to_builtins(value)]
