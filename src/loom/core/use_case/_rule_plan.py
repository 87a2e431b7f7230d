"""Rules checked against one use case at boot, and evaluated together on each request."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from loom.core.command import ROOT_FIELD
from loom.core.errors import ConfigError, FieldError
from loom.core.use_case._rules import FieldRef, Rule, Source

Origin = Literal["param", "command"]


@dataclass(frozen=True, slots=True)
class RuleInput:
    """Where one rule input comes from: an ``execute`` parameter or a command field."""

    origin: Origin
    name: str


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule whose inputs are resolved against one use case.

    Attributes:
        rule: The declared rule.
        inputs: Where each input comes from, in declaration order.
        present: Command fields that must have been sent for the rule to run.
        field: The field name a violation reports.
    """

    rule: Rule
    inputs: tuple[RuleInput, ...]
    present: tuple[str, ...]
    field: str

    def evaluate(self, params: Mapping[str, Any], command: Any) -> FieldError | None:
        """Evaluate the rule on one request.

        Args:
            params: The converted ``execute`` parameters.
            command: The decoded command, or ``None`` when the use case has no ``Input()``.

        Returns:
            The violation, or ``None`` when the rule holds or does not apply.
        """
        unset = msgspec.UNSET
        if any(getattr(command, name, unset) is unset for name in self.present):
            return None
        values: dict[str, Any] = {}
        for source in self.inputs:
            value = (
                params[source.name] if source.origin == "param" else getattr(command, source.name)
            )
            if value is unset:
                return None
            values[source.name] = value
        fn = self.rule.fn
        if self.rule.kind == "check":
            message = fn(*values.values())
            return FieldError(self.field, str(message)) if message else None
        refused = fn(**values) if self.inputs else fn(command)
        return FieldError(self.field, self.rule.message or "refused") if refused else None


def compile_rules(
    owner: str,
    rules: Sequence[Rule],
    params: Sequence[str],
    command_type: type[Any] | None,
) -> tuple[CompiledRule, ...]:
    """Resolve and check the rules of a use case.

    Args:
        owner: ``"UseCaseName"``, for error messages.
        rules: The declared rules.
        params: Names of the ``execute`` parameters rules may read (path and query parameters).
        command_type: The ``Input()`` command class, or ``None``.

    Returns:
        The compiled rules, in declaration order.

    Raises:
        ConfigError: A rule names something that does not exist, or its function cannot take
            the values it would receive.
    """
    compiled: list[CompiledRule] = []
    fields: tuple[str, ...] = command_type.__struct_fields__ if command_type else ()
    for index, rule in enumerate(rules):
        where = f"{owner}.rules[{index}]"
        if not isinstance(rule, Rule):
            raise ConfigError(
                f"{where}: {rule!r} is not a Rule; build rules with Rule.check(...) or "
                "Rule.forbid(...)"
            )
        where = f"{where} {rule.describe()}"
        resolve = _Resolver(where, params, fields, command_type)
        inputs = tuple(resolve(source) for source in rule.inputs)
        present = tuple(resolve(ref).name for ref in rule.present)
        if rule.kind == "forbid" and not inputs and command_type is None:
            raise ConfigError(
                f"{where}: without from_params(...) the predicate receives the command, but "
                f"{owner}.execute has no Input() parameter; add .from_params('name', ...)"
            )
        if rule.field is not None:
            field = resolve(rule.field).name
        else:
            field = inputs[0].name if inputs else ROOT_FIELD
        _check_signature(where, rule, inputs)
        compiled.append(CompiledRule(rule=rule, inputs=inputs, present=present, field=field))
    return tuple(compiled)


@dataclass(frozen=True, slots=True)
class _Resolver:
    where: str
    params: Sequence[str]
    fields: tuple[str, ...]
    command_type: type[Any] | None

    def __call__(self, source: Source) -> RuleInput:
        if isinstance(source, FieldRef):
            if self.command_type is None:
                raise ConfigError(
                    f"{self.where}: {source} refers to a command, but execute has no Input() "
                    f"parameter; declare `cmd: {source.command.__name__} = Input()`"
                )
            if not issubclass(self.command_type, source.command):
                raise ConfigError(
                    f"{self.where}: {source} refers to {source.command.__name__}, but execute's "
                    f"Input() is {self.command_type.__name__}; use F({self.command_type.__name__})"
                )
            return RuleInput("command", source.name)
        if source in self.params:
            return RuleInput("param", source)
        if source in self.fields:
            return RuleInput("command", source)
        readable = ", ".join([*self.params, *self.fields]) or "(none)"
        raise ConfigError(
            f"{self.where}: {source!r} is neither a parameter of execute nor a command field; "
            f"rules can read: {readable}"
        )


def _check_signature(where: str, rule: Rule, inputs: tuple[RuleInput, ...]) -> None:
    try:
        signature = inspect.signature(rule.fn)
    except (TypeError, ValueError):
        return  # Builtins without a signature: trust them.
    bind: Callable[..., Any] = signature.bind
    try:
        if rule.kind == "check" or not inputs:
            bind(None)
        else:
            bind(**{source.name: None for source in inputs})
    except TypeError as exc:
        takes = ", ".join(s.name for s in inputs) if inputs else "one value"
        raise ConfigError(
            f"{where}: the function cannot be called with ({takes}): {exc}; name its "
            "parameters after the values it receives"
        ) from exc
