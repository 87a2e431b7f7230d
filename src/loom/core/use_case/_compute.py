"""``Compute``: command fields derived before the rules run, declared on a use case.

``Compute.set(F(Cmd).slug).from_command(F(Cmd).name, via=slugify)`` sets ``slug`` from ``name``
on each request; computes run in declaration order (a later one sees an earlier one's value),
after the markers and before the rules, as in loom-kernel. A derived field counts as sent, so
repositories write it. Plain functions ``fn(cmd, fields_set) -> cmd`` (or with a third
``context`` argument) are accepted too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from loom.core.errors import ConfigError
from loom.core.use_case._field_ref import FieldRef, holds
from loom.core.use_case._rule_plan import RuleInput, binds, resolver
from loom.core.use_case._rules import Predicate

ComputeFn = Callable[..., Any]
"""A compute written as a function: ``fn(cmd, fields_set) -> cmd`` (or ``(cmd, fields_set,
context)``), returning the command to continue with."""


@dataclass(frozen=True, slots=True)
class Compute:
    """One derived command field, built with ``Compute.set(F(Cmd).field)``.

    Attributes:
        target: The field set.
        sources: The command fields passed to ``via``, in order.
        whole_command: Pass the command itself to ``via`` (``from_command()`` with no field).
        params: ``execute`` parameters (and marker values) passed after the sources.
        via: Computes the value; without it the one source's value is copied.
        present: Conditions that must hold for the compute to run.

    Example:
        >>> from loom.core.command import Command
        >>> from loom.core.use_case import F
        >>> class CreateProduct(Command, frozen=True):
        ...     name: str
        ...     slug: str = ""
        >>> slug = Compute.set(F(CreateProduct).slug).from_command(
        ...     F(CreateProduct).name, via=lambda name: name.strip().lower().replace(" ", "-")
        ... )
    """

    target: FieldRef
    sources: tuple[FieldRef, ...] = ()
    whole_command: bool = False
    params: tuple[str, ...] = ()
    via: Callable[..., Any] | None = None
    present: tuple[Predicate, ...] = ()

    @staticmethod
    def set(target: FieldRef) -> ComputeTarget:
        """Start a compute of ``target``; finish it with :meth:`ComputeTarget.from_command`."""
        if not isinstance(target, FieldRef):
            raise ConfigError(
                f"Compute.set({target!r}): pass a field reference such as F(CreateProduct).slug"
            )
        return ComputeTarget(target)

    def from_params(self, *names: str) -> Compute:
        """Pass these ``execute`` parameters (or marker values) to ``via``, after the sources."""
        if not names:
            raise ConfigError(f"{self.describe()}.from_params(): name at least one parameter")
        return dataclasses.replace(self, params=self.params + tuple(names))

    def when_present(self, *predicates: Predicate) -> Compute:
        """Run only when these fields are present (see ``Rule.when_present``)."""
        return dataclasses.replace(self, present=self.present + tuple(predicates))

    def describe(self) -> str:
        """A short description for error messages."""
        return f"Compute.set({self.target})"


@dataclass(frozen=True, slots=True)
class ComputeTarget:
    """``Compute.set(target)``, waiting for its inputs."""

    target: FieldRef

    def from_command(self, *sources: FieldRef, via: Callable[..., Any] | None = None) -> Compute:
        """Compute the target from these command fields (or, with none, the whole command).

        Args:
            *sources: ``F(Cmd).field`` references; their values are passed to ``via``.
            via: Returns the target's value; optional with exactly one source (copied).

        Returns:
            The compute.

        Raises:
            ConfigError: ``via`` missing where it is needed.
        """
        where = f"Compute.set({self.target}).from_command(...)"
        if not sources and via is None:
            raise ConfigError(f"{where}: without fields it needs via=... to derive the value")
        if len(sources) > 1 and via is None:
            raise ConfigError(f"{where}: several fields need via=... to combine them")
        return Compute(
            target=self.target, sources=tuple(sources), whole_command=not sources, via=via
        )


@dataclass(frozen=True, slots=True)
class CompiledCompute:
    """A compute whose inputs are resolved against one use case."""

    compute: Compute | ComputeFn
    sources: tuple[RuleInput, ...] = ()
    params: tuple[RuleInput, ...] = ()
    with_context: bool = False

    def apply(self, values: Mapping[str, Any], command: Any, fields_set: frozenset[str]) -> Any:
        """The command with this compute applied."""
        compute = self.compute
        if not isinstance(compute, Compute):
            if self.with_context:
                return compute(command, fields_set, dict(values))
            return compute(command, fields_set)
        if not all(holds(p, command, fields_set) for p in compute.present):
            return command
        args: list[Any] = [command] if compute.whole_command else []
        args.extend(source.value(values, command) for source in (*self.sources, *self.params))
        value = compute.via(*args) if compute.via is not None else args[0]
        return msgspec.structs.replace(command, **{compute.target.name: value})


def compile_computes(
    owner: str,
    computes: Sequence[Any],
    params: Sequence[str],
    command_type: type[Any] | None,
    markers: Sequence[str] = (),
) -> tuple[CompiledCompute, ...]:
    """Resolve and check the computes of a use case.

    Raises:
        ConfigError: A compute names a field or parameter that does not exist, sets a nested
            field, or its function cannot take the values it would receive.
    """
    compiled: list[CompiledCompute] = []
    for index, compute in enumerate(computes):
        where = f"{owner}.computes[{index}]"
        if command_type is None:
            raise ConfigError(
                f"{where}: computes change the command, but execute has no Input() parameter; "
                "declare `cmd: YourCommand = Input()`"
            )
        if not isinstance(compute, Compute):
            compiled.append(_function(where, compute))
            continue
        where = f"{where} {compute.describe()}"
        resolve = resolver(where, params, markers, command_type)
        resolve.command_field(compute.target)
        if len(compute.target.path) > 1:
            raise ConfigError(f"{where}: a compute sets a top-level field of the command")
        for predicate in compute.present:
            for ref in predicate.refs() if not isinstance(predicate, FieldRef) else (predicate,):
                resolve.command_field(ref)
        sources = tuple(resolve.command_field(ref) for ref in compute.sources)
        inputs = tuple(resolve(name) for name in compute.params)
        count = len(sources) + len(inputs) + (1 if compute.whole_command else 0)
        if compute.via is None and count != 1:
            raise ConfigError(f"{where}: several values need via=... to combine them")
        if compute.via is not None and not binds(compute.via, (None,) * count, {}):
            raise ConfigError(
                f"{where}: via cannot be called with {count} value(s); give it one parameter per "
                "source, then one per from_params name"
            )
        compiled.append(CompiledCompute(compute=compute, sources=sources, params=inputs))
    return tuple(compiled)


def _function(where: str, fn: Any) -> CompiledCompute:
    if not callable(fn):
        raise ConfigError(
            f"{where}: {fn!r} is not a compute; build one with Compute.set(F(Cmd).field)"
            ".from_command(...), or give a function (cmd, fields_set) -> cmd"
        )
    with_context = binds(fn, (None, None, None), {})
    if not with_context and not binds(fn, (None, None), {}):
        raise ConfigError(
            f"{where}: the compute function cannot be called as (cmd, fields_set) or "
            "(cmd, fields_set, context)"
        )
    return CompiledCompute(compute=fn, with_context=with_context)
