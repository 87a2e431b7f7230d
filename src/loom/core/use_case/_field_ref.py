"""Field references of commands: ``F(UpdateProduct).price_cents``, and presence predicates.

A reference names a field (or a path into nested Structs) of a command class. ``|`` and ``&``
combine references into a :class:`FieldExpr` for ``when_present``. Imports msgspec, the
standard library and ``loom.core`` only.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from loom.core.errors import ConfigError


class PredicateOp(enum.StrEnum):
    """How a :class:`FieldExpr` combines its two sides."""

    OR = "or"
    AND = "and"


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A reference to one field of a command class, built by ``F(Command).field``.

    ``F(Cmd).address.city`` refers to a field of a nested Struct.

    Attributes:
        command: The command class (or, unchecked, a name given as a string).
        name: The top-level field name.
        path: The attribute path from the command, ``name`` first.
    """

    command: type[Any] | str
    name: str
    path: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.path:
            object.__setattr__(self, "path", (self.name,))

    @property
    def root(self) -> type[Any] | str:
        """The command class (loom-kernel's name)."""
        return self.command

    @property
    def leaf(self) -> str:
        """The last name of the path: the field a violation names."""
        return self.path[-1]

    def __getattr__(self, name: str) -> FieldRef:
        # Only reached for names that are not attributes: a field of a nested Struct.
        if name.startswith("_"):
            raise AttributeError(name)
        return FieldRef(command=self.command, name=self.name, path=(*self.path, name))

    def __or__(self, other: FieldRef | FieldExpr) -> FieldExpr:
        return FieldExpr(PredicateOp.OR, self, other)

    def __and__(self, other: FieldRef | FieldExpr) -> FieldExpr:
        return FieldExpr(PredicateOp.AND, self, other)

    def __str__(self) -> str:
        root = self.command if isinstance(self.command, str) else self.command.__name__
        return f"F({root})." + ".".join(self.path)

    def value(self, command: Any) -> Any:
        """The referenced value of ``command`` (``None`` past a ``None`` on the path)."""
        current = command
        for part in self.path:
            if current is None:
                return None
            current = getattr(current, part)
        return current


@dataclass(frozen=True, slots=True)
class FieldExpr:
    """Two presence predicates combined: ``F(Cmd).a | F(Cmd).b``, ``F(Cmd).a & F(Cmd).b``.

    Attributes:
        op: ``PredicateOp.OR`` or ``PredicateOp.AND``.
        left: The left side.
        right: The right side.
    """

    op: PredicateOp
    left: FieldRef | FieldExpr
    right: FieldRef | FieldExpr

    def __or__(self, other: FieldRef | FieldExpr) -> FieldExpr:
        return FieldExpr(PredicateOp.OR, self, other)

    def __and__(self, other: FieldRef | FieldExpr) -> FieldExpr:
        return FieldExpr(PredicateOp.AND, self, other)

    def __str__(self) -> str:
        return f"({self.left} {'|' if self.op is PredicateOp.OR else '&'} {self.right})"

    def refs(self) -> tuple[FieldRef, ...]:
        """Every reference in the expression, left to right."""
        return tuple(
            ref
            for side in (self.left, self.right)
            for ref in (side.refs() if isinstance(side, FieldExpr) else (side,))
        )


class F:
    """Field references of a command class: ``F(UpdateProduct).price_cents``.

    A name that is not a field of the command is a :class:`~loom.core.errors.ConfigError`
    where the rule is declared, naming the command and its fields. ``F("alias").field`` (a
    string root, as loom-kernel allows) is not checked.

    Args:
        command: A command class (a msgspec Struct), or a name.

    Example:
        >>> from loom.core.command import Command
        >>> class Rename(Command, frozen=True):
        ...     name: str
        >>> F(Rename).name.leaf
        'name'
    """

    __slots__ = ("_command",)

    def __init__(self, command: type[Any] | str) -> None:
        if not isinstance(command, str) and not (
            isinstance(command, type) and issubclass(command, msgspec.Struct)
        ):
            raise ConfigError(
                f"F({command!r}): field references need a command class "
                "(a subclass of loom.core.command.Command)"
            )
        self._command = command

    def __getattr__(self, name: str) -> FieldRef:
        # Dunder and private lookups come from copy, pickle and introspection, not from rules.
        if name.startswith("_"):
            raise AttributeError(name)
        command = self._command
        if not isinstance(command, str):
            fields = command.__struct_fields__
            if name not in fields:
                raise ConfigError(
                    f"F({command.__name__}).{name}: {command.__name__} has no field "
                    f"{name!r}; fields: {', '.join(fields) or '(none)'}"
                )
        return FieldRef(command=command, name=name)


field_ref = F
"""loom-kernel's longer name of :class:`F`."""


def is_present(ref: FieldRef, command: Any, fields_set: frozenset[str]) -> bool:
    """Whether ``ref`` holds a value: a ``Patch`` field was sent, any other field is not None.

    Args:
        ref: The field.
        command: The command.
        fields_set: The names of the fields the request sent.

    Returns:
        True when the field is present.
    """
    patch_fields: frozenset[str] = getattr(type(command), "__loom_patch_fields__", frozenset())
    if ref.name in patch_fields and ref.name not in fields_set:
        return False
    if len(ref.path) == 1 and ref.name in patch_fields:
        return True  # sent, a null included
    return ref.value(command) is not None


def holds(predicate: FieldRef | FieldExpr, command: Any, fields_set: frozenset[str]) -> bool:
    """Whether a presence predicate holds for one command."""
    if isinstance(predicate, FieldRef):
        return is_present(predicate, command, fields_set)
    left = holds(predicate.left, command, fields_set)
    if predicate.op is PredicateOp.OR:
        return left or holds(predicate.right, command, fields_set)
    return left and holds(predicate.right, command, fields_set)


def sent_fields(command: Any) -> frozenset[str]:
    """The fields ``command`` holds a value for (a command's ``fields_set``, or a Struct's)."""
    fields_set = getattr(command, "fields_set", None)
    if isinstance(fields_set, frozenset):
        return fields_set
    if isinstance(command, msgspec.Struct):
        values: Mapping[str, Any] = msgspec.structs.asdict(command)
        return frozenset(k for k, v in values.items() if v is not msgspec.UNSET)
    return frozenset()
