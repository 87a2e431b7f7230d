"""Business rules declared on a use case: ``F(Cmd).field`` references and ``Rule``.

Rules are plain data: declaring one does no I/O, and the compiled plan evaluates every rule of
a request before any repository is called, raising one ``RuleViolationError`` for all of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from loom.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A reference to one field of a command class, built by ``F(Command).field``.

    Attributes:
        command: The command class.
        name: The field name.
    """

    command: type[Any]
    name: str

    def __str__(self) -> str:
        return f"F({self.command.__name__}).{self.name}"


class F:
    """Field references of a command class: ``F(UpdateProduct).price_cents``.

    A name that is not a field of the command is a :class:`~loom.core.errors.ConfigError`
    where the rule is declared, naming the command and its fields.

    Args:
        command: A command class (a msgspec Struct).

    Example:
        >>> from loom.core.command import Command
        >>> class Rename(Command, frozen=True):
        ...     name: str
        >>> F(Rename).name.name
        'name'
    """

    __slots__ = ("_command",)

    def __init__(self, command: type[Any]) -> None:
        if not (isinstance(command, type) and issubclass(command, msgspec.Struct)):
            raise ConfigError(
                f"F({command!r}): field references need a command class "
                "(a subclass of loom.core.command.Command)"
            )
        self._command = command

    def __getattr__(self, name: str) -> FieldRef:
        # Dunder and private lookups come from copy, pickle and introspection, not from rules.
        if name.startswith("_"):
            raise AttributeError(name)
        fields = self._command.__struct_fields__
        if name not in fields:
            raise ConfigError(
                f"F({self._command.__name__}).{name}: {self._command.__name__} has no field "
                f"{name!r}; fields: {', '.join(fields) or '(none)'}"
            )
        return FieldRef(command=self._command, name=name)


Source = str | FieldRef
"""A rule input: an ``execute`` parameter or command field by name, or ``F(Cmd).field``."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One business rule of a use case, declared in its ``rules`` list.

    Build rules with :meth:`check` and :meth:`forbid`; refine them with :meth:`from_params`
    and :meth:`when_present` (each returns a new rule). Rules never see a ``Patch`` field that
    was not sent: a rule whose input is absent is skipped.

    Example:
        >>> from loom.core.command import Command, Patch
        >>> class UpdateProduct(Command, frozen=True):
        ...     price_cents: Patch[int] = None
        ...     stock: Patch[int] = None
        >>> rules = [
        ...     Rule.check(
        ...         F(UpdateProduct).price_cents,
        ...         via=lambda v: "must be positive" if v is not None and v <= 0 else None,
        ...     ),
        ...     Rule.forbid(
        ...         lambda stock, price_cents: stock is None and price_cents is None,
        ...         message="stock and price_cents cannot both be cleared",
        ...     ).from_params("stock", "price_cents"),
        ... ]
    """

    kind: Literal["check", "forbid"]
    fn: Callable[..., Any]
    inputs: tuple[Source, ...] = ()
    message: str | None = None
    field: Source | None = None
    present: tuple[FieldRef, ...] = ()

    @classmethod
    def check(cls, field: Source, *, via: Callable[[Any], str | None]) -> Rule:
        """A rule on one value: ``via(value)`` returns an error message, or ``None`` when fine.

        Args:
            field: ``F(Cmd).field``, or the name of an ``execute`` parameter or command field.
            via: Called with the value; its message becomes the error of ``field``.

        Returns:
            The rule.

        Example:
            >>> Rule.check("label", via=lambda v: None if v.strip() else "must not be blank").kind
            'check'
        """
        return cls(kind="check", fn=via, inputs=(field,), field=field)

    @classmethod
    def forbid(
        cls,
        predicate: Callable[..., bool],
        *,
        message: str,
        field: Source | None = None,
    ) -> Rule:
        """A rule that refuses the request when ``predicate`` returns True.

        Without :meth:`from_params` the predicate receives the command; with it, the named
        values as keyword arguments.

        Args:
            predicate: Returns True when the request must be refused.
            message: The error message of the violation.
            field: The field the error names; by default the first input, else ``"body"``.

        Returns:
            The rule.

        Example:
            >>> Rule.forbid(lambda cmd: cmd.start > cmd.end, message="start is after end").kind
            'forbid'
        """
        return cls(kind="forbid", fn=predicate, message=message, field=field)

    def from_params(self, *names: Source) -> Rule:
        """Pass these values to the predicate, as keyword arguments named after them.

        Args:
            *names: ``execute`` parameter names (path and query parameters), command field
                names (a parameter wins when both exist) or ``F(Cmd).field`` references.

        Returns:
            A new rule.

        Raises:
            ConfigError: On a :meth:`check` rule, which takes its one value from its field.
        """
        if self.kind != "forbid":
            raise ConfigError(
                f"Rule.check({_name(self.inputs[0])}).from_params(...): a check reads only its "
                "field; use Rule.forbid(...).from_params(...) for a rule over several values"
            )
        return dataclasses.replace(self, inputs=tuple(names))

    def when_present(self, *fields: FieldRef) -> Rule:
        """Evaluate the rule only when these ``Patch`` fields were sent (``null`` counts).

        Args:
            *fields: ``F(Cmd).field`` references.

        Returns:
            A new rule.
        """
        for ref in fields:
            if not isinstance(ref, FieldRef):
                raise ConfigError(
                    f"Rule.when_present({ref!r}): pass field references such as "
                    "F(UpdateProduct).price_cents"
                )
        return dataclasses.replace(self, present=self.present + tuple(fields))

    def describe(self) -> str:
        """A short description for error messages: ``forbid(<lambda>) from (stock, price)``."""
        fn_name = getattr(self.fn, "__name__", type(self.fn).__name__)
        if self.kind == "check":
            return f"Rule.check({_name(self.inputs[0])}, via={fn_name})"
        inputs = ", ".join(_name(s) for s in self.inputs)
        return f"Rule.forbid({fn_name})" + (f".from_params({inputs})" if inputs else "")


def _name(source: Source) -> str:
    return source if isinstance(source, str) else str(source)
