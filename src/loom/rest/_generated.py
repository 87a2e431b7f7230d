"""Generated commands and use cases of auto-CRUD routes, built once per model.

The create command holds the model's writable fields (not the primary key, not the timestamps,
not fields declared ``read_only``), so a client sending one of those gets a 422 naming it; the
update command holds the same fields as ``Patch``. Imports msgspec, the standard library and
``loom.core`` only.
"""

from __future__ import annotations

import inspect
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Union

import msgspec

from loom.core.command import Command, Patch
from loom.core.errors import NotFoundError
from loom.core.model import FieldInfo, ModelInfo, model_info
from loom.core.query import CursorResult, PageResult, QuerySpec
from loom.core.query._fieldtypes import INT64_MAX, INT64_MIN
from loom.core.use_case import Input
from loom.core.use_case.use_case import UseCase

_CACHE_ATTR = "__loom_auto_crud__"

# Subscripted with types known only at run time, which type checkers cannot follow.
_PATCH: Any = Patch
_PAGE: Any = PageResult
# Integers every backend stores: a larger body value is a 422 naming the field, not a 500.
_INT64: Any = Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)]
_CURSOR_PAGE: Any = CursorResult


@dataclass(frozen=True, slots=True)
class AutoCrud:
    """The generated classes of one model.

    Attributes:
        create_command: Body of ``POST /``: the writable fields.
        update_command: Body of ``PATCH /{id}``: the writable fields as ``Patch``.
        create: Use case of ``POST /``.
        list: Read-only use case of ``GET /``.
        get: Read-only use case of ``GET /{id}``.
        update: Use case of ``PATCH /{id}``.
        delete: Use case of ``DELETE /{id}``.
    """

    create_command: type[Command]
    update_command: type[Command]
    create: type[UseCase[Any, Any]]
    list: type[UseCase[Any, Any]]
    get: type[UseCase[Any, Any]]
    update: type[UseCase[Any, Any]]
    delete: type[UseCase[Any, Any]]


def auto_crud(model: type[Any]) -> AutoCrud:
    """The generated commands and use cases of ``model``, built on first use and kept on it.

    Args:
        model: A Loom model with a single-column primary key.

    Returns:
        The generated classes; the same objects on every call for one model.

    Raises:
        ConfigError: The class is not a model or has a composite key.
    """
    cached = model.__dict__.get(_CACHE_ATTR)
    if isinstance(cached, AutoCrud):
        return cached
    info = model_info(model)
    info.pk  # noqa: B018 - raises ConfigError for a composite key, before anything is built
    create_command = _command(f"Create{info.name}", info, patch=False)
    update_command = _command(f"Update{info.name}", info, patch=True)
    crud = AutoCrud(
        create_command=create_command,
        update_command=update_command,
        create=_create(info, create_command),
        list=_list(info),
        get=_get(info),
        update=_update(info, update_command),
        delete=_delete(info),
    )
    # Kept on the model (as model_info does) rather than in a module-level registry.
    type.__setattr__(model, _CACHE_ATTR, crud)
    return crud


def _command(name: str, info: ModelInfo, *, patch: bool) -> type[Command]:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for field_name in info.writable():
        column = info.columns[field_name]
        if patch:
            annotations[field_name] = _PATCH[_bounded(column)]
            namespace[field_name] = None
            continue
        annotation, default = _create_field(column)
        annotations[field_name] = annotation
        if default is not inspect.Parameter.empty:
            namespace[field_name] = default
    namespace["__annotations__"] = annotations
    namespace["__module__"] = __name__
    namespace["__qualname__"] = name
    namespace["__doc__"] = (
        f"Body of the generated {'update' if patch else 'create'} route of {info.name}."
    )
    created = types.new_class(name, (Command,), {"frozen": True}, lambda ns: ns.update(namespace))
    return typing.cast(type[Command], created)


def _create_field(column: FieldInfo) -> tuple[Any, Any]:
    spec = column.spec
    annotation = _bounded(column)
    if annotation is column.base_type:
        annotation = column.type  # keep the declared form (`str | None`)
    if column.nullable and not _admits_none(annotation):
        annotation = Union[annotation, None]  # noqa: UP007 - built at run time
    if spec.default_factory is not None:
        return annotation, msgspec.field(default_factory=spec.default_factory)
    if spec.has_default:
        return annotation, spec.default
    if spec.generated:
        # The database fills it when the body leaves it out; UNSET keeps it out of the INSERT.
        return Union[annotation, msgspec.UnsetType], msgspec.UNSET  # noqa: UP007
    if column.nullable:
        return annotation, None
    return annotation, inspect.Parameter.empty


def _bounded(column: FieldInfo) -> Any:
    """The column's type with the limits its column holds, checked when a body is decoded.

    Integers are 64-bit; a ``ColumnField(length=n)`` string carries ``max_length=n``, so a
    longer one is a 422 naming the field and the limit, and OpenAPI shows ``maxLength``.
    """
    tp = column.base_type
    if tp is int:
        return _INT64
    if tp is str and column.spec.length is not None:
        return Annotated[str, msgspec.Meta(max_length=column.spec.length)]
    return tp


def _admits_none(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation) or annotation is type(None)


def _use_case(
    name: str,
    info: ModelInfo,
    result: Any,
    parameters: list[inspect.Parameter],
    body: Any,
    *,
    read_only: bool,
    doc: str,
) -> type[UseCase[Any, Any]]:
    """Build a use case class whose ``execute`` has exactly ``parameters``.

    ``execute`` takes keyword arguments and declares its real signature through
    ``__signature__``, so ``compile_use_case`` reads named parameters (the primary key keeps the
    model's own name) while one function body serves every model.
    """

    async def execute(self: Any, **kwargs: Any) -> Any:
        return await body(self, **kwargs)

    signature = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD), *parameters],
        return_annotation=result,
    )
    execute.__signature__ = signature  # type: ignore[attr-defined]  # read by inspect
    execute.__annotations__ = {
        **{p.name: p.annotation for p in parameters},
        "return": result,
    }
    execute.__qualname__ = f"{name}.execute"
    namespace = {
        "execute": execute,
        "read_only": read_only,
        "__module__": __name__,
        "__qualname__": name,
        "__doc__": doc,
    }
    cls: Any = types.new_class(name, (UseCase,), {}, lambda ns: ns.update(namespace))
    cls.model = info.model
    cls.result_type = result
    return typing.cast(type[UseCase[Any, Any]], cls)


def _key(info: ModelInfo) -> inspect.Parameter:
    return inspect.Parameter(
        info.pk,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=info.columns[info.pk].base_type,
    )


def _profile() -> inspect.Parameter:
    return inspect.Parameter(
        "profile", inspect.Parameter.KEYWORD_ONLY, annotation=str, default="default"
    )


def _missing(info: ModelInfo, key: Any) -> NotFoundError:
    return NotFoundError(f"{info.name} {key} not found")


def _create(info: ModelInfo, command: type[Command]) -> type[UseCase[Any, Any]]:
    async def body(self: Any, *, cmd: Any) -> Any:
        return await self.main_repo.create(cmd)

    cmd = inspect.Parameter(
        "cmd", inspect.Parameter.KEYWORD_ONLY, annotation=command, default=Input()
    )
    return _use_case(
        f"Create{info.name}UseCase",
        info,
        info.model,
        [cmd],
        body,
        read_only=False,
        doc=f"Create a {info.name} from its writable fields.",
    )


def _list(info: ModelInfo) -> type[UseCase[Any, Any]]:
    async def body(self: Any, *, query: QuerySpec, profile: str) -> Any:
        return await self.main_repo.list_with_query(query, profile=profile)

    query = inspect.Parameter("query", inspect.Parameter.KEYWORD_ONLY, annotation=QuerySpec)
    model: Any = info.model
    result = Union[_PAGE[model], _CURSOR_PAGE[model]]  # noqa: UP007
    return _use_case(
        f"List{info.name}UseCase",
        info,
        result,
        [query, _profile()],
        body,
        read_only=True,
        doc=f"List {info.name} rows with filters, sort keys and pagination.",
    )


def _get(info: ModelInfo) -> type[UseCase[Any, Any]]:
    pk = info.pk

    async def body(self: Any, *, profile: str, **key: Any) -> Any:
        found = await self.main_repo.get_by_id(key[pk], profile=profile)
        if found is None:
            raise _missing(info, key[pk])
        return found

    return _use_case(
        f"Get{info.name}UseCase",
        info,
        info.model,
        [_key(info), _profile()],
        body,
        read_only=True,
        doc=f"One {info.name} by {pk}.",
    )


def _update(info: ModelInfo, command: type[Command]) -> type[UseCase[Any, Any]]:
    pk = info.pk

    async def body(self: Any, *, cmd: Any, **key: Any) -> Any:
        updated = await self.main_repo.update(key[pk], cmd)
        if updated is None:
            raise _missing(info, key[pk])
        return updated

    cmd = inspect.Parameter(
        "cmd", inspect.Parameter.KEYWORD_ONLY, annotation=command, default=Input()
    )
    return _use_case(
        f"Update{info.name}UseCase",
        info,
        info.model,
        [_key(info), cmd],
        body,
        read_only=False,
        doc=f"Change the fields sent of one {info.name}; the others stay as they are.",
    )


def _delete(info: ModelInfo) -> type[UseCase[Any, Any]]:
    pk = info.pk

    async def body(self: Any, **key: Any) -> None:
        if not await self.main_repo.delete(key[pk]):
            raise _missing(info, key[pk])

    return _use_case(
        f"Delete{info.name}UseCase",
        info,
        None,
        [_key(info)],
        body,
        read_only=False,
        doc=f"Delete one {info.name}.",
    )
