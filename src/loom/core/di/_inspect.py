"""Reading what a class or factory needs: its parameters, their annotations and defaults.

Imports only the standard library and ``loom.core.errors``.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loom.core.errors import DependencyError

_EMPTY = inspect.Parameter.empty


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter the container must fill.

    Attributes:
        name: The parameter name.
        key: The annotation used as a registration key (``None`` unwrapped from optionals);
            ``None`` when the parameter has no annotation.
        default: The default value, or ``inspect.Parameter.empty``.
        positional_only: Whether the value must be passed by position.
    """

    name: str
    key: Any
    default: Any
    positional_only: bool

    @property
    def has_default(self) -> bool:
        """Whether the parameter can be left out."""
        return self.default is not _EMPTY


def describe(key: Any) -> str:
    """A short, readable name for a key: ``OrderService``, ``RepoFor[Product]``."""
    origin = typing.get_origin(key)
    if origin is not None:
        args = ", ".join(describe(arg) for arg in typing.get_args(key))
        return f"{describe(origin)}[{args}]"
    if isinstance(key, type):
        return key.__qualname__
    name = getattr(key, "__qualname__", None)
    return name if isinstance(name, str) else repr(key)


def plan(target: Callable[..., Any], owner: Any) -> tuple[Param, ...]:
    """The parameters of a class's ``__init__`` or of a factory, with resolved annotations.

    Args:
        target: A class or a callable.
        owner: The key being built, for error messages.

    Raises:
        DependencyError: The annotations cannot be evaluated, or a required parameter has none.
    """
    if isinstance(target, type):
        # Read through Any: mypy rejects __init__ on a class object as unsound.
        init = typing.cast(Any, target).__init__
        if init is object.__init__:
            return ()
        hint_source: Any = init
    else:
        hint_source = target
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        # Builtins and some C types expose no signature; they take nothing we could supply.
        return ()
    hints = _hints(hint_source, target, owner)
    params: list[Param] = []
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(parameter.name, parameter.annotation)
        if isinstance(annotation, str):
            # Only reached for callables whose hints could not be read at all.
            annotation = _EMPTY
        if annotation is _EMPTY and parameter.default is _EMPTY:
            raise DependencyError(
                f"cannot build {describe(owner)}: parameter {parameter.name!r} of "
                f"{describe(target)} has no type annotation; annotate it with the type to "
                "inject or give it a default"
            )
        params.append(
            Param(
                name=parameter.name,
                key=None if annotation is _EMPTY else _unwrap_optional(annotation),
                default=parameter.default,
                positional_only=parameter.kind is parameter.POSITIONAL_ONLY,
            )
        )
    return tuple(params)


def _hints(source: Any, target: Any, owner: Any) -> dict[str, Any]:
    if not callable(source) or not hasattr(source, "__code__"):
        return {}
    try:
        hints = typing.get_type_hints(source)
    except NameError as error:
        # `from __future__ import annotations` stores strings that are evaluated against the
        # defining module's globals; a name only imported under TYPE_CHECKING or defined in a
        # function body is invisible there.
        raise DependencyError(
            f"cannot build {describe(owner)}: the annotations of {describe(target)} cannot be "
            f"evaluated ({error}); import that name at module level (not only under "
            "TYPE_CHECKING) so the container can see it"
        ) from error
    hints.pop("return", None)
    return hints


def _unwrap_optional(annotation: Any) -> Any:
    """``X | None`` and ``Optional[X]`` are looked up as ``X``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation
