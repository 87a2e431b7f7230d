"""Calling factories and closing what they built: the container's small mechanics.

Imports only the standard library.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from loom.core.di._inspect import Param
from loom.core.di._messages import chain_text


def place(param: Param, value: Any, wanted: bool, args: list[Any], kwargs: dict[str, Any]) -> None:
    """Put a parameter's value where the call expects it (by position or by name)."""
    if param.positional_only:
        args.append(value)
    elif wanted:
        kwargs[param.name] = value


def call(
    factory: Callable[..., Any], args: list[Any], kwargs: dict[str, Any], path: tuple[Any, ...]
) -> Any:
    """Call a factory; its own exception passes through with a note naming the chain."""
    try:
        return factory(*args, **kwargs)
    except Exception as error:
        # The user's own exception stays as it is; the note says where in the graph it happened.
        error.add_note(f"while building {chain_text(path)}")
        raise


def is_async_factory(factory: Callable[..., Any]) -> bool:
    """Whether calling the factory returns a coroutine."""
    target = factory.func if isinstance(factory, functools.partial) else factory
    return inspect.iscoroutinefunction(target)


def is_factory(value: Any) -> bool:
    """Whether an override value is something to call rather than to hand out."""
    return (
        inspect.isclass(value)
        or inspect.isfunction(value)
        or inspect.ismethod(value)
        or inspect.isbuiltin(value)
        or isinstance(value, functools.partial)
    )


def is_closable(obj: Any) -> bool:
    """Whether the container must close the object when its lifetime ends."""
    return not isinstance(obj, type) and (
        callable(getattr(obj, "aclose", None)) or callable(getattr(obj, "close", None))
    )


async def close_object(obj: Any) -> None:
    """Call `aclose()` (preferred) or `close()`, awaiting whatever it returns."""
    closer = getattr(obj, "aclose", None)
    if not callable(closer):
        closer = obj.close
    result = closer()
    if inspect.isawaitable(result):
        await result
