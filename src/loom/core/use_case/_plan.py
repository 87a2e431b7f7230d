"""``UseCasePlan``: what ``compile_use_case`` learned about ``execute``, and how to call it.

The plan does no I/O of its own: entities are read only through the repositories a
:class:`RepositoryLookup` returns, and the transaction around :meth:`UseCasePlan.run` belongs to
the caller.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import msgspec

from loom.core.command import decode_command
from loom.core.errors import (
    FieldError,
    NotFoundError,
    RuleViolationError,
    ValidationError,
)
from loom.core.query import QuerySpec
from loom.core.query._fieldtypes import check_scalar
from loom.core.repository.abc import RepoFor
from loom.core.use_case._markers import OnMissing
from loom.core.use_case._rule_plan import CompiledRule

Payload = bytes | bytearray | memoryview | str | Mapping[str, Any] | msgspec.Struct | None
"""What a request body may be: JSON, a mapping, a command, or nothing."""

EMPTY: Any = inspect.Parameter.empty


class RepositoryLookup(Protocol):
    """Finds the repository of a model (the kernel's registry, or a fake in tests)."""

    def for_model(self, model: type[Any]) -> RepoFor[Any]:
        """Return the repository of ``model``."""
        ...


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """A plain ``execute`` parameter: a path parameter, or a query parameter with a default.

    Attributes:
        name: Parameter name.
        annotation: The resolved annotation (``Any`` when there is none).
        default: The default value, or ``inspect.Parameter.empty`` when the caller must give it.
    """

    name: str
    annotation: Any
    default: Any = EMPTY

    @property
    def required(self) -> bool:
        """Whether the caller must supply the parameter."""
        return self.default is EMPTY

    def convert(self, value: Any) -> Any:
        """Convert a raw value (a path segment, a query string value) to the annotation.

        Raises:
            ValidationError: When the value does not fit, naming the parameter.
        """
        if self.annotation is Any and type(value) is not str:
            return value
        try:
            if self.annotation is Any:
                return check_scalar(value)
            return check_scalar(msgspec.convert(value, type=self.annotation, strict=False))
        except msgspec.ValidationError as exc:
            # Path and query values are text; a caller passing 42 where `str` is declared
            # (an invoker, a job) means "42", which lenient conversion does not do by itself.
            if isinstance(value, int | float) and not isinstance(value, bool):
                try:
                    return msgspec.convert(str(value), type=self.annotation, strict=False)
                except msgspec.ValidationError:
                    pass
            raise ValidationError(
                f"invalid parameter {self.name}={value!r}",
                errors=[FieldError(self.name, _lower(str(exc)))],
            ) from exc


@dataclass(frozen=True, slots=True)
class ExistsStep:
    """A compiled ``Exists`` marker.

    Attributes:
        name: The ``execute`` parameter that receives the answer.
        model: The model looked in.
        model_name: The model's class name, for messages.
        origin: Whether the value comes from a parameter or a command field.
        source: The parameter or command field name.
        against: The column compared.
        against_key: Whether ``against`` is the primary key (for messages).
        key_type: The column's type, to convert the value to.
        on_missing: What a missing row does.
    """

    name: str
    model: type[Any]
    model_name: str
    origin: Literal["param", "command"]
    source: str
    against: str
    against_key: bool
    key_type: Any
    on_missing: OnMissing

    async def resolve(
        self, params: Mapping[str, Any], command: Any, repos: RepositoryLookup
    ) -> bool:
        """Answer the check on one request.

        Raises:
            NotFoundError: Missing row from a parameter with ``OnMissing.RAISE``.
            ValidationError: Missing row (or a value of the wrong type) from a command field.
        """
        raw = params[self.source] if self.origin == "param" else getattr(command, self.source)
        if raw is None or raw is msgspec.UNSET:
            return False
        value = _convert_key(raw, self.key_type, self.source)
        if await repos.for_model(self.model).exists_by(self.against, value):
            return True
        if self.on_missing is OnMissing.RETURN_FALSE:
            return False
        if self.origin == "param":
            what = f"{value}" if self.against_key else f"with {self.against}={value!r}"
            raise NotFoundError(f"{self.model_name} {what} not found")
        message = f"no {self.model_name} with {self.against} {value!r}"
        raise ValidationError(
            f"{self.source}: {message}",
            errors=[FieldError(self.source, f"{message}; send the {self.against} of one")],
        )


@dataclass(frozen=True, slots=True)
class LoadStep:
    """A compiled ``LoadById`` marker.

    Attributes:
        name: The ``execute`` parameter that receives the entity.
        model: The model loaded.
        model_name: The model's class name, for messages.
        by: The parameter holding the primary key.
        key_type: The primary key's type, to convert the value to.
        profile: The loading profile.
    """

    name: str
    model: type[Any]
    model_name: str
    by: str
    key_type: Any
    profile: str

    async def resolve(self, params: Mapping[str, Any], repos: RepositoryLookup) -> Any:
        """Load the entity of one request.

        Raises:
            NotFoundError: No row has that key ("Product 42 not found").
        """
        key = _convert_key(params[self.by], self.key_type, self.by)
        entity = await repos.for_model(self.model).get_by_id(key, profile=self.profile)
        if entity is None:
            raise NotFoundError(f"{self.model_name} {key} not found")
        return entity


@dataclass(frozen=True, slots=True)
class UseCasePlan:
    """How to call one use case's ``execute``, compiled once by ``compile_use_case``.

    Attributes:
        use_case: The use case class.
        model: Its model (``None`` when it declares none).
        read_only: Whether it runs in a read-only transaction.
        params: Plain parameters (path and query parameters), in signature order.
        command_param: Name of the ``Input()`` parameter, or ``None``.
        command_type: The command class, or ``None``.
        query_param: Name of the ``QuerySpec`` parameter, or ``None``.
        query_default: That parameter's default (``inspect.Parameter.empty`` for none).
        steps: ``Exists`` and ``LoadById`` markers, in signature order.
        rules: The compiled business rules.
    """

    use_case: type[Any]
    model: type[Any] | None
    read_only: bool
    params: tuple[ParamSpec, ...]
    command_param: str | None
    command_type: type[Any] | None
    query_param: str | None
    query_default: Any
    steps: tuple[ExistsStep | LoadStep, ...]
    rules: tuple[CompiledRule, ...]

    async def bind(
        self,
        params: Mapping[str, Any] | None = None,
        payload: Payload = None,
        *,
        repos: RepositoryLookup,
        query: QuerySpec | None = None,
    ) -> dict[str, Any]:
        """Resolve every ``execute`` argument of one request, without calling ``execute``.

        In order: parameters are converted to their annotations, the command is decoded
        strictly, all rules are evaluated, then ``Exists`` and ``LoadById`` run.

        Args:
            params: Path and query parameters by name (strings or typed values); names
                ``execute`` does not take are ignored.
            payload: The request body.
            repos: Where ``Exists`` and ``LoadById`` find repositories.
            query: The ``QuerySpec`` for a ``QuerySpec`` parameter; when omitted, one passed in
                ``params`` under the parameter's name, else its default, else ``QuerySpec()``.

        Returns:
            Keyword arguments for ``execute``.

        Raises:
            ValidationError: A parameter or the body does not fit (422).
            RuleViolationError: One or more rules failed; one error per violation.
            NotFoundError: A ``LoadById`` entity or an ``Exists`` row from a parameter is
                missing (404).
        """
        given = params or {}
        values = self._convert_params(given)
        kwargs: dict[str, Any] = dict(values)
        if self.query_param is not None:
            kwargs[self.query_param] = self._query(given, query)
        command: Any = None
        if self.command_type is not None and self.command_param is not None:
            command = decode_command(self.command_type, payload)
            kwargs[self.command_param] = command
        violations = [
            error for rule in self.rules if (error := rule.evaluate(values, command)) is not None
        ]
        if violations:
            raise RuleViolationError(
                f"{self.use_case.__name__}: {len(violations)} business rule(s) refused the request",
                errors=violations,
            )
        for step in self.steps:
            if isinstance(step, ExistsStep):
                kwargs[step.name] = await step.resolve(values, command, repos)
            else:
                kwargs[step.name] = await step.resolve(values, repos)
        return kwargs

    async def run(
        self,
        instance: Any,
        params: Mapping[str, Any] | None = None,
        payload: Payload = None,
        *,
        repos: RepositoryLookup,
        query: QuerySpec | None = None,
    ) -> Any:
        """Resolve the arguments of one request and call ``instance.execute``.

        Sets ``instance.main_repo`` from ``repos`` when the kernel has not set it. The caller
        wraps this in the transaction.

        Args:
            instance: An instance of :attr:`use_case`.
            params: Path and query parameters by name.
            payload: The request body.
            repos: Where repositories are found.
            query: The ``QuerySpec`` for a ``QuerySpec`` parameter.

        Returns:
            What ``execute`` returns.

        Raises:
            LoomError: See :meth:`bind`; errors from ``execute`` propagate unchanged.
        """
        if self.model is not None and getattr(instance, "main_repo", None) is None:
            instance.main_repo = repos.for_model(self.model)
        kwargs = await self.bind(params, payload, repos=repos, query=query)
        return await instance.execute(**kwargs)

    def _convert_params(self, given: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        for spec in self.params:
            if spec.name not in given:
                if spec.required:
                    errors.append(FieldError(spec.name, "required parameter is missing"))
                else:
                    values[spec.name] = spec.default
                continue
            try:
                values[spec.name] = spec.convert(given[spec.name])
            except ValidationError as exc:
                errors.extend(exc.errors)
        if errors:
            raise ValidationError(f"{self.use_case.__name__}: invalid parameters", errors=errors)
        return values

    def _query(self, given: Mapping[str, Any], query: QuerySpec | None) -> Any:
        if query is not None:
            return query
        candidate = given.get(self.query_param or "")
        if isinstance(candidate, QuerySpec):
            return candidate
        return QuerySpec() if self.query_default is EMPTY else self.query_default


def _convert_key(value: Any, key_type: Any, name: str) -> Any:
    try:
        return check_scalar(msgspec.convert(value, type=key_type, strict=False))
    except msgspec.ValidationError as exc:
        raise ValidationError(
            f"invalid {name}={value!r}", errors=[FieldError(name, _lower(str(exc)))]
        ) from exc


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:].replace("`", "")
