"""Rules checked against one use case at boot, and evaluated together on each request.

Each rule's calling convention (Loom's or loom-kernel's, see :mod:`loom.core.use_case._rules`)
is decided here, once, from its function's signature. Rules that read values the markers
produce, and rules written in loom-kernel's convention, are evaluated after the markers, as
loom-kernel does; the others before any repository is called.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from loom.core.command import ROOT_FIELD
from loom.core.errors import ConfigError, FieldError, RuleViolationError
from loom.core.use_case._field_ref import FieldRef, holds, is_present
from loom.core.use_case._rules import Predicate, Rule, Source

Origin = Literal["param", "marker", "command"]
Convention = Literal["loom", "kernel", "function"]


@dataclass(frozen=True, slots=True)
class RuleInput:
    """Where one rule input comes from: an ``execute`` parameter, a marker or the command.

    Attributes:
        origin: ``param``, ``marker`` (a ``LoadById``/``Exists`` value) or ``command``.
        name: The parameter name, or the command's top-level field.
        ref: The command field reference (a path into nested Structs), when one was given.
    """

    origin: Origin
    name: str
    ref: FieldRef | None = None

    def value(self, values: Mapping[str, Any], command: Any) -> Any:
        """The input's value on one request."""
        if self.origin != "command":
            return values[self.name]
        return self.ref.value(command) if self.ref is not None else getattr(command, self.name)

    def unsent(self, command: Any, fields_set: frozenset[str]) -> bool:
        """Whether this is a ``Patch`` field of the command that the request did not send."""
        if self.origin != "command":
            return False
        patch_fields: frozenset[str] = getattr(type(command), "__loom_patch_fields__", frozenset())
        return self.name in patch_fields and self.name not in fields_set


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule whose inputs are resolved against one use case.

    Attributes:
        rule: The declared rule, or a plain rule function (loom-kernel's ``RuleFn``).
        convention: ``loom``, ``kernel`` or ``function`` (a plain rule function).
        targets: Checked values (``check``), or ``from_command`` values (``forbid``).
        params: The ``from_params`` values.
        whole_command: Whether the function receives ``(command, fields_set, ...)``.
        present: Conditions that must hold for the rule to run.
        field: The field name a violation reports.
        after_markers: Whether the rule runs after ``LoadById`` and ``Exists``.
        with_context: Whether a rule function takes the request's values as a third argument.
    """

    rule: Rule | Callable[..., Any]
    convention: Convention
    targets: tuple[RuleInput, ...]
    params: tuple[RuleInput, ...]
    whole_command: bool
    present: tuple[Predicate, ...]
    field: str
    after_markers: bool
    with_context: bool = False

    def evaluate(
        self, values: Mapping[str, Any], command: Any, fields_set: frozenset[str]
    ) -> list[FieldError]:
        """Evaluate the rule on one request.

        Args:
            values: ``execute``'s values by parameter name (markers' values included once they
                have run).
            command: The decoded command, or ``None`` when the use case has no ``Input()``.
            fields_set: The fields the request sent.

        Returns:
            The violations (none when the rule holds or does not apply).
        """
        if not all(holds(p, command, fields_set) for p in self.present):
            return []
        if self.convention == "function":
            return self._call_function(values, command, fields_set)
        rule = self.rule
        assert isinstance(rule, Rule)
        if rule.kind == "require_present":
            ref = self.targets[0].ref
            assert ref is not None
            present = is_present(ref, command, fields_set)
            return [] if present else [FieldError(self.field, rule.message or "required")]
        inputs = (*self.targets, *self.params)
        if self.convention == "loom" and any(i.unsent(command, fields_set) for i in inputs):
            return []  # Loom's rules never see a Patch field that was not sent
        fn = rule.fn
        assert fn is not None
        if rule.kind == "check":
            return self._outcome(fn(*(i.value(values, command) for i in inputs)))
        if self.convention == "loom":
            refused = (
                fn(**{i.name: i.value(values, command) for i in inputs}) if inputs else fn(command)
            )
            return [FieldError(self.field, rule.message or "refused")] if refused else []
        args = [command, fields_set] if self.whole_command else []
        args.extend(i.value(values, command) for i in inputs)
        # loom-kernel refuses only on a literal True, not on any truthy value.
        refused = fn(*args) is True
        return [FieldError(self.field, rule.message or "refused")] if refused else []

    def _call_function(
        self, values: Mapping[str, Any], command: Any, fields_set: frozenset[str]
    ) -> list[FieldError]:
        fn = self.rule
        assert callable(fn)
        try:
            if self.with_context:
                fn(command, fields_set, dict(values))
            else:
                fn(command, fields_set)
        except RuleViolationError as violation:
            return list(violation.errors)
        return []

    def _outcome(self, result: Any) -> list[FieldError]:
        if result is None:
            return []
        if isinstance(result, str):
            return [FieldError(self.field, result)]
        if isinstance(result, RuleViolationError):
            return list(result.errors)
        rule = self.rule
        describe = rule.describe() if isinstance(rule, Rule) else repr(rule)
        raise TypeError(
            f"{describe} returned {type(result).__name__} {result!r}; a check returns the "
            "violation message (str), a RuleViolation, or None when the value is valid"
        )


def compile_rules(
    owner: str,
    rules: Sequence[Any],
    params: Sequence[str],
    command_type: type[Any] | None,
    markers: Sequence[str] = (),
) -> tuple[CompiledRule, ...]:
    """Resolve and check the rules of a use case.

    Args:
        owner: ``"UseCaseName"``, for error messages.
        rules: The declared rules (``Rule`` objects, or plain rule functions).
        params: Names of the ``execute`` parameters rules may read (path and query parameters).
        command_type: The ``Input()`` command class, or ``None``.
        markers: Names of the ``LoadById``/``Exists`` parameters rules may read.

    Returns:
        The compiled rules, in declaration order.

    Raises:
        ConfigError: A rule names something that does not exist, or its function cannot take
            the values it would receive in either convention.
    """
    compiled: list[CompiledRule] = []
    fields: tuple[str, ...] = command_type.__struct_fields__ if command_type else ()
    for index, rule in enumerate(rules):
        where = f"{owner}.rules[{index}]"
        if not isinstance(rule, Rule):
            compiled.append(_function_rule(where, rule, command_type))
            continue
        where = f"{where} {rule.describe()}"
        resolve = _Resolver(where, tuple(params), tuple(markers), fields, command_type)
        compiled.append(_compile(where, rule, resolve, owner))
    return tuple(compiled)


def _compile(where: str, rule: Rule, resolve: _Resolver, owner: str) -> CompiledRule:
    for predicate in rule.present:
        refs = predicate.refs() if not isinstance(predicate, FieldRef) else (predicate,)
        for ref in refs:
            resolve.command_field(ref)
    targets = tuple(resolve(source) for source in (rule.targets or ()))
    if rule.kind == "forbid" and rule.sources:
        targets = tuple(resolve.command_field(ref) for ref in rule.sources)
    params = tuple(resolve(source) for source in rule.params)
    if rule.kind == "require_present":
        field = rule.field if isinstance(rule.field, str) else targets[0].name
        return _compiled(rule, "kernel", targets, params, False, field)
    convention, whole = _convention(where, rule, targets, params)
    if (whole or (convention == "loom" and rule.kind == "forbid" and not params)) and (
        resolve.command_type is None
    ):
        raise ConfigError(
            f"{where}: the predicate receives the command, but {owner}.execute has no Input() "
            "parameter; add .from_params('name', ...) or an Input() parameter"
        )
    field = _field(rule, convention, targets, params, resolve)
    return _compiled(rule, convention, targets, params, whole, field)


def _compiled(
    rule: Rule,
    convention: Convention,
    targets: tuple[RuleInput, ...],
    params: tuple[RuleInput, ...],
    whole: bool,
    field: str,
) -> CompiledRule:
    after = convention != "loom" or any(i.origin == "marker" for i in (*targets, *params))
    return CompiledRule(
        rule=rule,
        convention=convention,
        targets=targets,
        params=params,
        whole_command=whole,
        present=rule.present,
        field=field,
        after_markers=after,
    )


def _convention(
    where: str, rule: Rule, targets: tuple[RuleInput, ...], params: tuple[RuleInput, ...]
) -> tuple[Convention, bool]:
    """Which convention ``rule``'s function follows, and whether it takes the whole command."""
    assert rule.fn is not None
    if rule.kind == "check":
        count = len(targets) + len(params)
        _require(where, rule.fn, (None,) * count, {}, f"({count} value(s))")
        return ("loom" if count == 1 else "kernel"), False
    if rule.sources:  # loom-kernel's from_command(F(...), ...)
        count = len(targets) + len(params)
        _require(where, rule.fn, (None,) * count, {}, f"({count} value(s))")
        return "kernel", False
    kernel_args = (None, None, *(None for _ in params))
    if rule.sources is None:
        loom_args: tuple[tuple[Any, ...], dict[str, Any]] = (
            ((), {i.name: None for i in params}) if params else ((None,), {})
        )
        if binds(rule.fn, *loom_args):
            return "loom", False
        if binds(rule.fn, kernel_args, {}):
            return "kernel", True
        loom_text = f"({', '.join(i.name + '=' for i in params)})" if params else "(cmd)"
        kernel_text = "(cmd, fields_set" + "".join(f", {i.name}" for i in params) + ")"
        raise ConfigError(
            f"{where}: the predicate can be called neither as {loom_text} nor as loom-kernel's "
            f"{kernel_text}; give it one of those signatures"
        )
    _require(where, rule.fn, kernel_args, {}, "(cmd, fields_set, ...)")
    return "kernel", True


def binds(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether ``fn`` can be called with these arguments (builtins without a signature can)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return True  # builtins without a signature: trust them
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        return False
    return True


def _require(
    where: str, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], takes: str
) -> None:
    if not binds(fn, args, kwargs):
        raise ConfigError(
            f"{where}: the function cannot be called with {takes}; name its parameters after "
            "the values it receives, in order"
        )


def _field(
    rule: Rule,
    convention: Convention,
    targets: tuple[RuleInput, ...],
    params: tuple[RuleInput, ...],
    resolve: _Resolver,
) -> str:
    if rule.field is not None:
        return resolve(rule.field).name
    for source in (*targets, *params):
        return source.ref.leaf if source.ref is not None else source.name
    if convention == "kernel":
        for predicate in rule.present:
            if isinstance(predicate, FieldRef):
                return predicate.leaf
        command_type = resolve.command_type
        return command_type.__name__ if command_type is not None else ROOT_FIELD
    return ROOT_FIELD


def _function_rule(where: str, fn: Any, command_type: type[Any] | None) -> CompiledRule:
    if not callable(fn):
        raise ConfigError(
            f"{where}: {fn!r} is not a Rule; build rules with Rule.check(...), Rule.forbid(...) "
            "or Rule.require_present(...), or give a function (cmd, fields_set)"
        )
    if command_type is None:
        raise ConfigError(
            f"{where}: the rule function receives the command, but execute has no Input() "
            "parameter; declare `cmd: YourCommand = Input()`"
        )
    with_context = binds(fn, (None, None, None), {})
    if not with_context and not binds(fn, (None, None), {}):
        raise ConfigError(
            f"{where}: the rule function {getattr(fn, '__name__', fn)!r} cannot be called as "
            "(cmd, fields_set) or (cmd, fields_set, context)"
        )
    return CompiledRule(
        rule=fn,
        convention="function",
        targets=(),
        params=(),
        whole_command=True,
        present=(),
        field=command_type.__name__,
        after_markers=True,
        with_context=with_context,
    )


def resolver(
    where: str, params: Sequence[str], markers: Sequence[str], command_type: type[Any] | None
) -> _Resolver:
    """What resolves rule and compute inputs (names, field references) for one use case."""
    fields: tuple[str, ...] = command_type.__struct_fields__ if command_type else ()
    return _Resolver(where, tuple(params), tuple(markers), fields, command_type)


@dataclass(frozen=True, slots=True)
class _Resolver:
    where: str
    params: tuple[str, ...]
    markers: tuple[str, ...]
    fields: tuple[str, ...]
    command_type: type[Any] | None

    def __call__(self, source: Source) -> RuleInput:
        if isinstance(source, FieldRef):
            return self.command_field(source)
        if source in self.params:
            return RuleInput("param", source)
        if source in self.markers:
            return RuleInput("marker", source)
        if source in self.fields:
            return RuleInput("command", source)
        readable = ", ".join([*self.params, *self.markers, *self.fields]) or "(none)"
        raise ConfigError(
            f"{self.where}: {source!r} is neither a parameter of execute nor a command field; "
            f"rules can read: {readable}"
        )

    def command_field(self, ref: FieldRef) -> RuleInput:
        if self.command_type is None:
            root = ref.command if isinstance(ref.command, str) else ref.command.__name__
            raise ConfigError(
                f"{self.where}: {ref} refers to a command, but execute has no Input() "
                f"parameter; declare `cmd: {root} = Input()`"
            )
        if not isinstance(ref.command, str) and not issubclass(self.command_type, ref.command):
            raise ConfigError(
                f"{self.where}: {ref} refers to {ref.command.__name__}, but execute's "
                f"Input() is {self.command_type.__name__}; use F({self.command_type.__name__})"
            )
        if ref.name not in self.fields:
            raise ConfigError(
                f"{self.where}: {ref}: {self.command_type.__name__} has no field {ref.name!r}; "
                f"fields: {', '.join(self.fields) or '(none)'}"
            )
        return RuleInput("command", ref.name, ref)
