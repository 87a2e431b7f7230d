"""What kind each field of a command class is: ``Patch``, ``Internal``, ``Computed``, input."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from loom.core.command._patch import CommandField

RawT = TypeVar("RawT", contravariant=True)


def get_command_fields(cls: type[Any]) -> dict[str, CommandField]:
    """The fields of ``cls`` declared ``Patch``, ``Internal`` or ``Computed``, by name."""
    return dict(getattr(cls, "__loom_command_fields__", {}))


def get_input_fields(cls: type[Any]) -> dict[str, CommandField]:
    """The kinds of the fields clients send (every one but ``Internal`` and ``Computed``)."""
    return {
        name: kind
        for name, kind in get_command_fields(cls).items()
        if not kind.internal and not kind.calculated
    }


def get_calculated_fields(cls: type[Any]) -> dict[str, CommandField]:
    """The ``Computed`` fields of ``cls``."""
    return {name: kind for name, kind in get_command_fields(cls).items() if kind.calculated}


def get_internal_fields(cls: type[Any]) -> dict[str, CommandField]:
    """The ``Internal`` fields of ``cls``."""
    return {name: kind for name, kind in get_command_fields(cls).items() if kind.internal}


def get_patch_fields(cls: type[Any]) -> dict[str, CommandField]:
    """The ``Patch`` fields of ``cls``."""
    return {name: kind for name, kind in get_command_fields(cls).items() if kind.patch}


def is_patch_command(cls: type[Any]) -> bool:
    """Whether ``cls`` has a ``Patch`` field (a partial update)."""
    return bool(get_patch_fields(cls))


class CommandAdapter(Protocol[RawT]):
    """A transport's reading of commands: a schema of the command, and parsing raw input.

    ``parse`` returns the command and the names of the fields the input held (its
    ``fields_set``).
    """

    def compile_schema(self, command_cls: type[Any]) -> type[Any]:
        """The transport's schema of ``command_cls``."""
        ...

    def parse(self, command_cls: type[Any], raw: RawT) -> tuple[Any, frozenset[str]]:
        """``(command, fields_set)`` read from ``raw``."""
        ...
