"""Loading profiles: relations and projections loaded in one batched statement each.

A profile names what a read brings beyond the row itself. Relations are loaded with one
``SELECT ... WHERE key IN (...)`` per relation for the whole page, never one per row; each
projection's loader likewise computes its values for the whole page at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import msgspec
import sqlalchemy as sa

from loom.core.errors import ConfigError
from loom.core.model import ProjectionSpec, RelationField
from loom.core.model._fields import RelationSpec
from loom.core.repository.sqlalchemy._compiler import CompiledModel

if TYPE_CHECKING:
    from loom.core.repository.sqlalchemy._repository import RepositorySQLAlchemy

__all__ = ["CountLoader", "ProfileLoader", "ProjectionLoader", "RelationField", "SumLoader"]


class ProjectionLoader(Protocol):
    """Computes a projection for a batch of rows."""

    async def load(
        self, repository: RepositorySQLAlchemy[Any, Any], items: Sequence[Any]
    ) -> Mapping[Any, Any]:
        """Return ``{primary key: value}`` for the given rows (missing keys get the default)."""
        ...


@dataclass(frozen=True)
class CountLoader:
    """Counts the rows of ``model`` whose ``foreign_key`` points at each row.

    Example:
        >>> review_count: int = Projection(  # doctest: +SKIP
        ...     loader=CountLoader("Review", foreign_key="product_id"),
        ...     profiles=("detail",), depends_on=("reviews",), default=0)
    """

    model: type[Any] | str
    foreign_key: str

    async def load(
        self, repository: RepositorySQLAlchemy[Any, Any], items: Sequence[Any]
    ) -> Mapping[Any, Any]:
        """Count children of each row in one grouped statement."""
        target = repository._profiles.resolve(self.model)
        column = target.table.c[self.foreign_key]
        ids = _ids(repository, items)
        statement = sa.select(column, sa.func.count()).where(column.in_(ids)).group_by(column)
        rows = await repository._fetch(statement)
        return {key: int(total) for key, total in (tuple(row) for row in rows)}


@dataclass(frozen=True)
class SumLoader:
    """Sums ``field`` over the rows of ``model`` whose ``foreign_key`` points at each row."""

    model: type[Any] | str
    field: str
    foreign_key: str

    async def load(
        self, repository: RepositorySQLAlchemy[Any, Any], items: Sequence[Any]
    ) -> Mapping[Any, Any]:
        """Sum over children of each row in one grouped statement."""
        target = repository._profiles.resolve(self.model)
        key = target.table.c[self.foreign_key]
        statement = (
            sa.select(key, sa.func.sum(target.table.c[self.field]))
            .where(key.in_(_ids(repository, items)))
            .group_by(key)
        )
        rows = await repository._fetch(statement)
        return dict(tuple(row) for row in rows)


def _ids(repository: RepositorySQLAlchemy[Any, Any], items: Sequence[Any]) -> list[Any]:
    pk = repository.info.primary_key[0]
    return list(dict.fromkeys(getattr(item, pk) for item in items))


class ProfileLoader:
    """Loads the relations and projections a profile asks for onto a page of rows."""

    def __init__(self, repository: RepositorySQLAlchemy[Any, Any]) -> None:
        self._repo = repository
        info = repository.info
        self._relations: dict[str, list[tuple[str, RelationSpec]]] = defaultdict(list)
        self._projections: dict[str, list[tuple[str, ProjectionSpec[Any]]]] = defaultdict(list)
        for name, relation in info.relations.items():
            for profile in relation.profiles:
                self._relations[profile].append((name, relation))
        for name, projection in info.projections.items():
            for profile in projection.profiles:
                self._projections[profile].append((name, projection))

    def active(self, profile: str) -> bool:
        """Whether ``profile`` loads anything beyond the row."""
        return profile in self._relations or profile in self._projections

    def resolve(self, target: type[Any] | str) -> CompiledModel:
        """The compiled model of a relation or loader target (a class or a class name)."""
        registry = self._repo._registry
        if isinstance(target, str):
            for model, compiled in registry.models.items():
                if model.__name__ == target or compiled.info.table_name == target:
                    return compiled
            known = ", ".join(sorted(m.__name__ for m in registry.models)) or "none"
            raise ConfigError(
                f"{self._repo.info.name}: relation target {target!r} is not a compiled model; "
                f"compiled models: {known}"
            )
        return registry.compile(target)

    async def load(self, items: Sequence[Any], profile: str) -> None:
        """Set the profile's relations and projections on ``items`` in place."""
        for name, relation in self._relations.get(profile, ()):
            await self._load_relation(items, name, relation)
        for name, projection in self._projections.get(profile, ()):
            values = await projection.loader.load(self._repo, items)
            pk = self._repo.info.primary_key[0]
            for item in items:
                setattr(item, name, values.get(getattr(item, pk), projection.default))

    async def _load_relation(self, items: Sequence[Any], name: str, relation: RelationSpec) -> None:
        target = self.resolve(relation.target)
        convert = _converter(target)
        if relation.many:
            key_column = target.table.c[relation.foreign_key]
            ids = _ids(self._repo, items)
            statement = sa.select(*target.table.c).where(key_column.in_(ids)).order_by(target.pk)
            grouped: dict[Any, list[Any]] = defaultdict(list)
            for row in await self._repo._fetch(statement):
                grouped[row._mapping[relation.foreign_key]].append(convert(row))
            pk = self._repo.info.primary_key[0]
            for item in items:
                setattr(item, name, grouped.get(getattr(item, pk), []))
            return
        keys = list(
            dict.fromkeys(
                v for item in items if (v := getattr(item, relation.foreign_key)) is not None
            )
        )
        found: dict[Any, Any] = {}
        if keys:
            statement = sa.select(*target.table.c).where(target.pk.in_(keys))
            for row in await self._repo._fetch(statement):
                found[row._mapping[target.pk.name]] = convert(row)
        for item in items:
            setattr(item, name, found.get(getattr(item, relation.foreign_key)))


def _converter(target: CompiledModel) -> Any:
    model = target.model
    # Keyed by the model's own field names: the row's keys may be str subclasses
    # (``quoted_name``), which msgspec refuses as object keys. Tables list their columns in
    # the model's order, and relation statements select every column in table order.
    names = target.info.column_names()
    return lambda row: msgspec.convert(dict(zip(names, row, strict=True)), model, strict=False)
