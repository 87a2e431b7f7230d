"""``compile_use_case``: read ``execute``'s signature once and check every marker and rule.

Every mistake a use case can declare (a marker naming a parameter that does not exist, a column
the model lacks, a rule over an unknown field) is a ``ConfigError`` here, at boot, never at the
first request.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Sequence
from typing import Any

import msgspec

from loom.core.errors import ConfigError
from loom.core.model import ModelInfo, model_info
from loom.core.query import QuerySpec
from loom.core.query._build import profiles_of
from loom.core.use_case._markers import ExistsMarker, InputMarker, LoadByIdMarker
from loom.core.use_case._plan import EMPTY, ExistsStep, LoadStep, ParamSpec, UseCasePlan
from loom.core.use_case._rule_plan import compile_rules
from loom.core.use_case.use_case import UseCase

_Marker = ExistsMarker | LoadByIdMarker


def compile_use_case(use_case: type[Any]) -> UseCasePlan:
    """Compile a use case (or any class with an ``async def execute``, such as a job).

    Args:
        use_case: The class.

    Returns:
        Its plan; compile once and keep it (the kernel does, at boot).

    Raises:
        ConfigError: ``execute`` is missing or not async, an annotation cannot be resolved,
            ``Input()`` is not annotated with a command class, a marker names a parameter,
            field or column that does not exist, a model is not a Loom model, or a rule is
            invalid. The message names the use case, the parameter and the fix.
    """
    owner = use_case.__name__
    execute = _execute_of(use_case)
    where = f"{owner}.execute"
    signature, hints = _signature(where, execute)
    model = getattr(use_case, "model", None)
    if model is not None:
        _info(f"{owner}: model {getattr(model, '__name__', model)}", model)
    plain: list[ParamSpec] = []
    markers: list[tuple[str, _Marker]] = []
    command: tuple[str, type[Any]] | None = None
    query: tuple[str, Any] | None = None
    for parameter in signature:
        name, default = parameter.name, parameter.default
        annotation = hints.get(name, Any)
        if isinstance(default, InputMarker):
            if command is not None:
                raise ConfigError(
                    f"{where}: parameters {command[0]!r} and {name!r} are both Input(); a use "
                    "case receives one command, keep one"
                )
            command = (name, _command_type(where, name, annotation))
        elif isinstance(default, ExistsMarker | LoadByIdMarker):
            markers.append((name, default))
        elif _is_query_spec(annotation):
            if query is not None:
                raise ConfigError(
                    f"{where}: parameters {query[0]!r} and {name!r} are both QuerySpec; "
                    "the query string fills one, keep one"
                )
            query = (name, default)
        else:
            plain.append(ParamSpec(name=name, annotation=annotation, default=default))
    context = _Context(
        where=where,
        all_params=tuple(p.name for p in signature),
        plain=tuple(p.name for p in plain),
        command=command,
    )
    steps = tuple(context.step(name, marker) for name, marker in markers)
    rules = compile_rules(
        owner,
        getattr(use_case, "rules", ()),
        context.plain,
        command[1] if command else None,
    )
    return UseCasePlan(
        use_case=use_case,
        model=model,
        read_only=bool(getattr(use_case, "read_only", False)),
        params=tuple(plain),
        command_param=command[0] if command else None,
        command_type=command[1] if command else None,
        query_param=query[0] if query else None,
        query_default=query[1] if query else EMPTY,
        steps=steps,
        rules=rules,
    )


def _execute_of(use_case: type[Any]) -> Any:
    execute = getattr(use_case, "execute", None)
    if execute is None or execute is UseCase.execute:
        raise ConfigError(
            f"{use_case.__name__} does not define execute; add `async def execute(self, ...)`"
        )
    if not inspect.iscoroutinefunction(execute):
        raise ConfigError(
            f"{use_case.__name__}.execute is not a coroutine function; declare it `async def`"
        )
    return execute


def _signature(where: str, execute: Any) -> tuple[list[inspect.Parameter], dict[str, Any]]:
    try:
        hints = typing.get_type_hints(execute)
    except NameError as exc:
        raise ConfigError(
            f"{where}: the annotation {exc.name!r} cannot be resolved; import it at module "
            "level in the use case's module"
        ) from exc
    except Exception as exc:
        raise ConfigError(f"{where}: its annotations cannot be evaluated: {exc}") from exc
    parameters = list(inspect.signature(execute).parameters.values())[1:]  # without self
    for parameter in parameters:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise ConfigError(
                f"{where}: *{parameter.name} / **{parameter.name} cannot be filled from a "
                "request; name every parameter"
            )
        if parameter.kind is parameter.POSITIONAL_ONLY:
            raise ConfigError(
                f"{where}: parameter {parameter.name!r} is positional-only; Loom passes "
                "arguments by name, remove the `/`"
            )
    return parameters, hints


def _command_type(where: str, name: str, annotation: Any) -> type[Any]:
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation
    shown = getattr(annotation, "__name__", None) if annotation is not Any else None
    raise ConfigError(
        f"{where}: parameter {name!r} is Input() but annotated {shown or annotation!r}; "
        f"annotate it with a Command class, e.g. `{name}: CreateProduct = Input()`"
    )


def _is_query_spec(annotation: Any) -> bool:
    if annotation is QuerySpec:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args == [QuerySpec]
    return False


def _info(where: str, model: Any) -> ModelInfo:
    try:
        return model_info(model)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc.message}") from exc


class _Context:
    """The parameters of one ``execute``, against which markers are checked."""

    def __init__(
        self,
        *,
        where: str,
        all_params: tuple[str, ...],
        plain: tuple[str, ...],
        command: tuple[str, type[Any]] | None,
    ) -> None:
        self.where = where
        self.all_params = all_params
        self.plain = plain
        self.command = command

    def step(self, name: str, marker: _Marker) -> ExistsStep | LoadStep:
        where = f"{self.where}: parameter {name!r} = {_show(marker)}"
        info = _info(where, marker.model)
        if isinstance(marker, LoadByIdMarker):
            self._param(where, "by", marker.by)
            key = self._column(where, info, None)
            known = profiles_of(info)
            if marker.profile not in known:
                # Checked here: at request time a misspelt profile would look like a bad request.
                raise ConfigError(
                    f"{where}: profile {marker.profile!r} is not a profile of {info.name}; "
                    f"profiles: {', '.join(known)}"
                )
            return LoadStep(
                name=name,
                model=marker.model,
                model_name=info.name,
                by=marker.by,
                key_type=info.columns[key].base_type,
                profile=marker.profile,
            )
        against = self._column(where, info, marker.against)
        if (marker.from_param is None) == (marker.from_command is None):
            raise ConfigError(
                f"{where}: give exactly one of from_param='...' (a parameter of execute) or "
                "from_command='...' (a field of the Input() command)"
            )
        if marker.from_param is not None:
            self._param(where, "from_param", marker.from_param)
        else:
            self._command_field(where, marker.from_command or "")
        return ExistsStep(
            name=name,
            model=marker.model,
            model_name=info.name,
            origin="param" if marker.from_param is not None else "command",
            source=marker.from_param or marker.from_command or "",
            against=against,
            against_key=(against,) == info.primary_key,
            key_type=info.columns[against].base_type,
            on_missing=marker.on_missing,
        )

    def _param(self, where: str, option: str, value: str) -> None:
        if value in self.plain:
            return
        listed = ", ".join(self.all_params) or "(none)"
        if value in self.all_params:
            raise ConfigError(
                f"{where}: {option}={value!r} names the Input(), QuerySpec or a marker "
                f"parameter; it must name a path or query parameter; parameters: {listed}"
            )
        raise ConfigError(f"{where}: {value!r} is not a parameter of execute; parameters: {listed}")

    def _command_field(self, where: str, value: str) -> None:
        if self.command is None:
            raise ConfigError(
                f"{where}: from_command={value!r} needs an Input() parameter; declare "
                "`cmd: YourCommand = Input()` or use from_param"
            )
        fields: Sequence[str] = self.command[1].__struct_fields__
        if value not in fields:
            raise ConfigError(
                f"{where}: {value!r} is not a field of {self.command[1].__name__}; fields: "
                f"{', '.join(fields) or '(none)'}"
            )

    def _column(self, where: str, info: ModelInfo, against: str | None) -> str:
        if against is None:
            try:
                return info.pk
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc.message}; name the column with against=") from exc
        if against not in info.columns:
            raise ConfigError(
                f"{where}: against={against!r} is not a column of {info.name}; columns: "
                f"{', '.join(info.columns)}"
            )
        return against


def _show(marker: _Marker) -> str:
    model = getattr(marker.model, "__name__", repr(marker.model))
    if isinstance(marker, LoadByIdMarker):
        return f"LoadById({model}, by={marker.by!r})"
    options = [
        f"{key}={value!r}"
        for key, value in (
            ("from_param", marker.from_param),
            ("from_command", marker.from_command),
            ("against", marker.against),
        )
        if value is not None
    ]
    return f"Exists({model}, {', '.join(options)})"
