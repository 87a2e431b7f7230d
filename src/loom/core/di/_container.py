"""``LoomContainer``: registrations, lifetimes, scopes, overrides and graph validation.

Imports only the standard library and ``loom.core.errors``; everything it builds is supplied by
the registrations, so no adapter is ever imported here.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from types import TracebackType
from typing import Any, TypeVar, overload

from loom.core.di import _messages as msg
from loom.core.di._calls import call, close_object, is_async_factory, is_closable, is_factory, place
from loom.core.di._inspect import Param, plan
from loom.core.di._registration import (
    MISSING,
    Lifetime,
    Registration,
    coerce_lifetime,
    make_registration,
)
from loom.core.errors import DependencyError

T = TypeVar("T")

ContainerModule = Callable[["LoomContainer"], None]
"""A unit of registrations: a function that registers things into a container."""

_Path = tuple[Any, ...]


class LoomContainer:
    """A dependency-injection container whose registrations hang off the object.

    Keys are classes, Protocols or generic aliases (``RepoFor[Product]``); a factory's or a
    class's parameters are filled by their annotations. A parameter annotated ``LoomContainer``
    receives the container (or scope) doing the resolution.

    Example:
        >>> container = LoomContainer()
        >>> container.register(Clock)
        >>> container.register(Gateway, factory=HttpGateway, lifetime=Lifetime.SCOPED)
        >>> container.validate()
        >>> async with container.scope() as scope:
        ...     gateway = await scope.aresolve(Gateway)
    """

    def __init__(self) -> None:
        self._parent: LoomContainer | None = None
        self._is_scope = False
        self._registrations: dict[Any, Registration] = {}
        # Singletons owned here and, in a scope, the scoped instances of that scope.
        self._instances: dict[Registration, Any] = {}
        self._closables: list[Any] = []
        self._locks: dict[Registration, asyncio.Lock] = {}
        self._plans: dict[Any, tuple[Param, ...]] = {}

    # Registration

    def register(
        self,
        interface: Any,
        *,
        factory: Callable[..., Any] | None = None,
        instance: Any = MISSING,
        lifetime: Lifetime | str = Lifetime.SINGLETON,
    ) -> None:
        """Declare how to obtain ``interface``; a later registration of the same key replaces it.

        Args:
            interface: The key callers ask for: a class, a Protocol, a generic alias.
            factory: A class (the implementation) or a callable, sync or async, whose
                parameters are resolved by annotation. Default: ``interface`` itself.
            instance: A ready object to hand out (always a singleton; never closed by the
                container, since it did not build it).
            lifetime: ``SINGLETON`` (default), ``SCOPED`` or ``TRANSIENT``.

        Raises:
            DependencyError: ``factory`` and ``instance`` both given, an instance with a
                non-singleton lifetime, or a key that cannot build itself.
        """
        self._registrations[interface] = make_registration(
            interface, factory=factory, instance=instance, lifetime=lifetime
        )

    def is_registered(self, interface: Any) -> bool:
        """Whether this container, or a container it is a scope of, knows ``interface``."""
        return interface is LoomContainer or self._find(interface) is not None

    def load(self, *modules: ContainerModule) -> None:
        """Apply container modules in order (each is ``Callable[[LoomContainer], None]``)."""
        for module in modules:
            module(self)

    @contextmanager
    def override(
        self,
        interface: Any,
        instance_or_factory: Any,
        *,
        lifetime: Lifetime | str | None = None,
    ) -> Iterator[None]:
        """Replace a registration for the duration of a ``with`` block (tests).

        A class, function or method is used as a factory (with the replaced registration's
        lifetime unless ``lifetime`` is given); anything else is handed out as the instance.
        Objects already built that hold the old dependency keep it: override before resolving.

        Args:
            interface: The key to replace (it need not be registered).
            instance_or_factory: The replacement.
            lifetime: Lifetime for a factory replacement.
        """
        previous = self._registrations.get(interface)
        if is_factory(instance_or_factory):
            if lifetime is not None:
                life = coerce_lifetime(interface, lifetime)
            else:
                inherited = previous or self._find_registration(interface)
                life = inherited.lifetime if inherited is not None else Lifetime.SINGLETON
            replacement = Registration(interface, life, instance_or_factory)
        else:
            replacement = Registration(interface, Lifetime.SINGLETON, None, instance_or_factory)
        self._registrations[interface] = replacement
        try:
            yield
        finally:
            if previous is None:
                self._registrations.pop(interface, None)
            else:
                self._registrations[interface] = previous

    # Resolution

    @overload
    def resolve(self, interface: type[T]) -> T: ...
    @overload
    def resolve(self, interface: Any) -> Any: ...
    def resolve(self, interface: Any) -> Any:
        """Return the instance for ``interface``, building it (and its dependencies) as needed.

        Raises:
            DependencyError: Missing or circular dependency, a captive scoped dependency, a
                SCOPED key outside a scope, or an async factory (use ``aresolve``).
        """
        return self._resolve_sync(interface, (), None)

    @overload
    async def aresolve(self, interface: type[T]) -> T: ...
    @overload
    async def aresolve(self, interface: Any) -> Any: ...
    async def aresolve(self, interface: Any) -> Any:
        """Like ``resolve``, awaiting async factories; concurrent calls share one singleton.

        Raises:
            DependencyError: As ``resolve``, except that async factories are fine.
        """
        return await self._resolve_async(interface, (), None)

    def build(self, cls: type[T]) -> T:
        """Construct ``cls`` (registered or not) with its ``__init__`` dependencies resolved.

        This is how use cases, jobs and callbacks receive their services. Parameters whose
        type is not registered but that have a default keep the default.

        Raises:
            DependencyError: A required dependency cannot be resolved.
        """
        return self._construct_sync(cls, (cls,), None)  # type: ignore[no-any-return]

    async def abuild(self, cls: type[T]) -> T:
        """Like ``build``, awaiting async factories among the dependencies."""
        return await self._construct_async(cls, (cls,), None)  # type: ignore[no-any-return]

    # Scopes and lifecycle

    @asynccontextmanager
    async def scope(self) -> AsyncIterator[LoomContainer]:
        """Open a child scope (one request, one job) and close what it built when it ends.

        SCOPED registrations are built once per scope. Registrations made on the scope are
        visible only inside it (useful for per-request objects).
        """
        child = LoomContainer()
        child._parent = self
        child._is_scope = True
        child._plans = self._plans
        try:
            yield child
        finally:
            await child.close()

    async def close(self) -> None:
        """Close what this container built (``aclose()`` or ``close()``), newest first.

        Every object is closed even if one fails; the first failure is raised afterwards.

        Raises:
            DependencyError: An object failed to close (the cause is chained).
        """
        closables, self._closables = self._closables, []
        self._instances.clear()
        self._locks.clear()
        failures: list[tuple[Any, Exception]] = []
        for obj in reversed(closables):
            try:
                await close_object(obj)
            except Exception as error:  # the others must still be closed
                failures.append((obj, error))
        if failures:
            names = ", ".join(type(obj).__qualname__ for obj, _ in failures)
            raise DependencyError(
                f"closing the container failed for: {names}; see the chained exception",
                code="dependency_close",
            ) from failures[0][1]

    async def __aenter__(self) -> LoomContainer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # Validation

    def validate(self) -> None:
        """Check every registration's constructor graph without building anything.

        Raises:
            DependencyError: One message per problem (missing registration with its chain,
                circular dependency, singleton capturing a scoped dependency).
        """
        problems: list[str] = []
        done: set[tuple[Any, bool]] = set()
        for key in self._visible_keys():
            try:
                self._walk(key, (), None, done)
            except DependencyError as error:
                if error.message not in problems:
                    problems.append(error.message)
        if len(problems) == 1:
            raise DependencyError(problems[0])
        if problems:
            listing = "\n".join(f"- {problem}" for problem in problems)
            raise DependencyError(f"the container has {len(problems)} problems:\n{listing}")

    def _walk(self, key: Any, chain: _Path, captor: Any, done: set[tuple[Any, bool]]) -> None:
        if key is LoomContainer or (key, captor is None) in done:
            return
        registration, _ = self._check(key, chain, captor, scope_required=False)
        path = (*chain, key)
        if registration.factory is not None:
            inner = key if registration.lifetime is Lifetime.SINGLETON else captor
            for param in self._plan(registration.factory, path):
                if param.key is None or (param.has_default and not self.is_registered(param.key)):
                    continue
                self._walk(param.key, path, inner, done)
        done.add((key, captor is None))

    # Internals

    def _find(self, key: Any) -> tuple[Registration, LoomContainer] | None:
        container: LoomContainer | None = self
        while container is not None:
            registration = container._registrations.get(key)
            if registration is not None:
                return registration, container
            container = container._parent
        return None

    def _find_registration(self, key: Any) -> Registration | None:
        found = self._find(key)
        return None if found is None else found[0]

    def _visible_keys(self) -> list[Any]:
        keys: dict[Any, None] = {}
        container: LoomContainer | None = self
        while container is not None:
            keys.update(dict.fromkeys(container._registrations))
            container = container._parent
        return list(keys)

    def _plan(self, target: Callable[..., Any], path: _Path) -> tuple[Param, ...]:
        cached = self._plans.get(target)
        if cached is None:
            cached = plan(target, path[0])
            self._plans[target] = cached
        return cached

    def _check(
        self, key: Any, chain: _Path, captor: Any, *, scope_required: bool
    ) -> tuple[Registration, LoomContainer]:
        path = (*chain, key)
        if key in chain:
            raise msg.circular(path)
        found = self._find(key)
        if found is None:
            raise msg.missing(path)
        registration, owner = found
        if registration.lifetime is Lifetime.SCOPED and not registration.is_instance:
            if captor is not None:
                raise msg.captive(path, captor)
            if scope_required and not self._is_scope:
                raise msg.outside_scope(path)
        return registration, owner

    def _placement(
        self, registration: Registration, owner: LoomContainer
    ) -> tuple[LoomContainer | None, LoomContainer]:
        """Where the instance is cached, and which container resolves its dependencies."""
        if registration.lifetime is Lifetime.SINGLETON:
            # A singleton's dependencies come from its owner, so scope-local registrations
            # never leak into an object that outlives the scope.
            return owner, owner
        if registration.lifetime is Lifetime.SCOPED:
            return self, self
        return None, self

    def _resolve_sync(self, key: Any, chain: _Path, captor: Any) -> Any:
        if key is LoomContainer:
            return self
        registration, owner = self._check(key, chain, captor, scope_required=True)
        if registration.is_instance:
            return registration.instance
        holder, context = self._placement(registration, owner)
        if holder is not None and registration in holder._instances:
            return holder._instances[registration]
        inner = key if registration.lifetime is Lifetime.SINGLETON else captor
        assert registration.factory is not None  # not an instance registration
        obj = context._construct_sync(registration.factory, (*chain, key), inner)
        if holder is not None:
            holder._keep(registration, obj)
        return obj

    async def _resolve_async(self, key: Any, chain: _Path, captor: Any) -> Any:
        if key is LoomContainer:
            return self
        registration, owner = self._check(key, chain, captor, scope_required=True)
        if registration.is_instance:
            return registration.instance
        holder, context = self._placement(registration, owner)
        inner = key if registration.lifetime is Lifetime.SINGLETON else captor
        assert registration.factory is not None  # not an instance registration
        if holder is None:
            return await context._construct_async(registration.factory, (*chain, key), inner)
        if registration in holder._instances:
            return holder._instances[registration]
        # One lock per cached registration: concurrent first resolutions of an async factory
        # must produce one instance, not one per waiting task.
        lock = holder._locks.setdefault(registration, asyncio.Lock())
        async with lock:
            if registration in holder._instances:
                return holder._instances[registration]
            obj = await context._construct_async(registration.factory, (*chain, key), inner)
            holder._keep(registration, obj)
        return obj

    def _keep(self, registration: Registration, obj: Any) -> None:
        self._instances[registration] = obj
        if is_closable(obj):
            self._closables.append(obj)

    def _arguments(self, factory: Callable[..., Any], path: _Path) -> Iterator[tuple[Param, bool]]:
        """Each parameter, and whether the container should supply it."""
        for param in self._plan(factory, path):
            wanted = param.key is not None and (
                not param.has_default or self.is_registered(param.key)
            )
            yield param, wanted

    def _construct_sync(self, factory: Callable[..., Any], path: _Path, captor: Any) -> Any:
        if is_async_factory(factory):
            raise msg.needs_async(path)
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for param, wanted in self._arguments(factory, path):
            value = self._resolve_sync(param.key, path, captor) if wanted else param.default
            place(param, value, wanted, args, kwargs)
        result = call(factory, args, kwargs, path)
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            raise msg.needs_async(path)
        return result

    async def _construct_async(self, factory: Callable[..., Any], path: _Path, captor: Any) -> Any:
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for param, wanted in self._arguments(factory, path):
            value = await self._resolve_async(param.key, path, captor) if wanted else param.default
            place(param, value, wanted, args, kwargs)
        result = call(factory, args, kwargs, path)
        if inspect.isawaitable(result):
            try:
                result = await result
            except Exception as error:
                error.add_note(f"while building {msg.chain_text(path)}")
                raise
        return result
