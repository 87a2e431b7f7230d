"""Business rules declared on a use case: ``Rule.check``, ``Rule.forbid``, ``Rule.require_present``.

Rules are plain data: declaring one does no I/O. The compiled plan evaluates the rules of a
request together and raises one ``RuleViolationError`` for all of them.

Two calling conventions are accepted, and each rule's is decided once, when the use case is
compiled, from the predicate's signature:

* Loom's: ``Rule.forbid(lambda cmd: ...)``, or with ``from_params("a", "b")`` the values as
  keyword arguments (``lambda a, b: ...``); a rule whose input is a ``Patch`` field that was not
  sent is skipped.
* loom-kernel's: ``Rule.forbid(lambda cmd, fields_set, *params: ...)``, or with
  ``from_command(F(Cmd).a, ...)`` the field values positionally, then the ``from_params``
  values; ``from_params`` may name the values ``LoadById`` and ``Exists`` produced.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from loom.core.errors import ConfigError
from loom.core.use_case._field_ref import FieldExpr, FieldRef

Source = str | FieldRef
"""A rule input: an ``execute`` parameter or command field by name, or ``F(Cmd).field``."""

Predicate = FieldRef | FieldExpr
"""A presence condition: a field reference, or references combined with ``|`` and ``&``."""

RuleFn = Callable[..., object]
"""A rule written as a plain function (loom-kernel's ``RuleFn``): ``fn(cmd, fields_set)`` or
``fn(cmd, fields_set, context)``, raising ``RuleViolation`` to refuse the request."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One business rule of a use case, declared in its ``rules`` list.

    Build rules with :meth:`check`, :meth:`forbid` and :meth:`require_present`; refine them with
    :meth:`from_params`, :meth:`from_command` and :meth:`when_present` (each returns a new
    rule).

    Attributes:
        kind: ``check``, ``forbid`` or ``require_present``.
        fn: The validator or predicate (``None`` for ``require_present``).
        targets: The values a check validates; the field ``require_present`` requires.
        params: What :meth:`from_params` named.
        sources: What :meth:`from_command` named (``None`` when it was not called; empty for
            the whole command).
        message: The violation message of ``forbid`` and ``require_present``.
        field: The field a violation names (``None``: worked out from the inputs).
        present: Conditions that must hold for the rule to be evaluated.

    Example:
        >>> from loom.core.command import Command, Patch
        >>> from loom.core.use_case import F
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
        ...     Rule.forbid(
        ...         lambda cmd, fields_set: "stock" in fields_set and cmd.stock is None,
        ...         message="stock cannot be cleared",
        ...     ),
        ... ]
    """

    kind: Literal["check", "forbid", "require_present"]
    fn: Callable[..., Any] | None = None
    targets: tuple[Source, ...] = ()
    params: tuple[Source, ...] = ()
    sources: tuple[FieldRef, ...] | None = None
    message: str | None = None
    field: Source | None = None
    present: tuple[Predicate, ...] = ()

    @classmethod
    def check(cls, *fields: Source, via: Callable[..., Any]) -> Rule:
        """A rule on values: ``via(*values)`` returns an error message, or ``None`` when fine.

        ``via`` may also return a ``RuleViolation``; anything else is a bug it reports.

        Args:
            *fields: ``F(Cmd).field`` references, or names of ``execute`` parameters or command
                fields; their values are passed to ``via`` in this order.
            via: The validator; its message becomes the error of the first field.

        Returns:
            The rule.

        Raises:
            ConfigError: No field given.

        Example:
            >>> Rule.check("label", via=lambda v: None if v.strip() else "must not be blank").kind
            'check'
        """
        if not fields:
            raise ConfigError(
                "Rule.check(via=...) needs the field it checks: Rule.check(F(Cmd).field, via=...)"
            )
        return cls(kind="check", fn=via, targets=tuple(fields))

    @classmethod
    def forbid(
        cls,
        predicate: Callable[..., Any],
        *,
        message: str,
        field: Source | None = None,
    ) -> Rule:
        """A rule that refuses the request when ``predicate`` returns True.

        The predicate receives the command (``lambda cmd: ...``), or loom-kernel's command and
        set of sent fields (``lambda cmd, fields_set: ...``); see :meth:`from_params` and
        :meth:`from_command` for other inputs.

        Args:
            predicate: Returns True when the request must be refused.
            message: The error message of the violation.
            field: The field the error names; by default the first input.

        Returns:
            The rule.

        Example:
            >>> Rule.forbid(lambda cmd: cmd.start > cmd.end, message="start is after end").kind
            'forbid'
        """
        return cls(kind="forbid", fn=predicate, message=message, field=field)

    @classmethod
    def require_present(
        cls, target: FieldRef, *, field: str | None = None, message: str | None = None
    ) -> Rule:
        """A rule that refuses the request when ``target`` is absent.

        A ``Patch`` field is absent when it was not sent; any other field when it is ``None``.

        Args:
            target: ``F(Cmd).field``.
            field: The field the error names (``target``'s by default).
            message: The error message (``"<field> is required"`` by default).

        Returns:
            The rule.
        """
        if not isinstance(target, FieldRef):
            raise ConfigError(
                f"Rule.require_present({target!r}): pass a field reference such as "
                "F(UpdateProduct).price_cents"
            )
        return cls(
            kind="require_present",
            targets=(target,),
            field=field or target.leaf,
            message=message or f"{target.leaf} is required",
        )

    def from_params(self, *names: Source) -> Rule:
        """Pass these values to the predicate too.

        Loom's predicates receive them as keyword arguments named after them; loom-kernel's
        (``(cmd, fields_set, *values)``, or after the :meth:`from_command` values) positionally.
        A check's ``via`` receives them after the checked values.

        Args:
            *names: ``execute`` parameter names (path and query parameters, and the values of
                ``LoadById`` and ``Exists`` markers), command field names (a parameter wins
                when both exist) or ``F(Cmd).field`` references.

        Returns:
            A new rule.

        Raises:
            ConfigError: On a ``require_present`` rule, or without names.
        """
        if self.kind == "require_present":
            raise ConfigError(
                f"{self.describe()}.from_params(...): require_present reads only its field"
            )
        if not names:
            raise ConfigError(f"{self.describe()}.from_params(): name at least one value")
        return dataclasses.replace(self, params=self.params + tuple(names))

    def from_command(self, *sources: FieldRef) -> Rule:
        """loom-kernel's inputs from the command: these field values, or the whole command.

        With references the predicate receives their values positionally (then the
        :meth:`from_params` values); without, the command and its set of sent fields.

        Args:
            *sources: ``F(Cmd).field`` references.

        Returns:
            A new rule.
        """
        if self.kind != "forbid":
            raise ConfigError(
                f"{self.describe()}.from_command(...): only Rule.forbid takes command inputs; "
                "a check names its fields in Rule.check(...)"
            )
        for ref in sources:
            if not isinstance(ref, FieldRef):
                raise ConfigError(
                    f"{self.describe()}.from_command({ref!r}): pass field references such as "
                    "F(UpdateProduct).price_cents"
                )
        return dataclasses.replace(self, sources=tuple(sources))

    def when_present(self, *predicates: Predicate) -> Rule:
        """Evaluate the rule only when these fields are present (every one of them).

        A ``Patch`` field is present when it was sent (``null`` counts); any other field when it
        is not ``None``. ``F(Cmd).a | F(Cmd).b`` and ``&`` combine references.

        Args:
            *predicates: ``F(Cmd).field`` references or combinations of them.

        Returns:
            A new rule.
        """
        for predicate in predicates:
            if not isinstance(predicate, FieldRef | FieldExpr):
                raise ConfigError(
                    f"Rule.when_present({predicate!r}): pass field references such as "
                    "F(UpdateProduct).price_cents"
                )
        return dataclasses.replace(self, present=self.present + tuple(predicates))

    def describe(self) -> str:
        """A short description for error messages: ``Rule.forbid(<lambda>).from_params(a)``."""
        if self.kind == "require_present":
            return f"Rule.require_present({_name(self.targets[0])})"
        fn_name = getattr(self.fn, "__name__", type(self.fn).__name__)
        if self.kind == "check":
            targets = ", ".join(_name(s) for s in self.targets)
            text = f"Rule.check({targets}, via={fn_name})"
        else:
            text = f"Rule.forbid({fn_name})"
            if self.sources is not None:
                text += f".from_command({', '.join(str(s) for s in self.sources)})"
        if self.params:
            text += f".from_params({', '.join(_name(s) for s in self.params)})"
        return text


def _name(source: Source) -> str:
    return source if isinstance(source, str) else str(source)
