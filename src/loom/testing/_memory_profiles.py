"""Loading profiles in memory: relations and projections set on a page of rows at once.

Relations read the linked repository of their target. Projections whose loader declares
``model`` and ``foreign_key`` (the adapter's ``CountLoader``, and ``SumLoader`` with ``field``)
are computed from the linked child table; any other loader is called as
``await loader.load(repository, items)`` with the in-memory repository and must return
``{primary key: value}``.

Imports the standard library, msgspec and ``loom.core`` only (never sqlalchemy).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from loom.core.model import ProjectionSpec
from loom.core.model._fields import RelationSpec

if TYPE_CHECKING:
    from loom.testing._memory import InMemoryRepository


class MemoryProfiles:
    """The relations and projections of each profile of one model."""

    def __init__(self, repo: InMemoryRepository[Any, Any]) -> None:
        self._repo = repo
        self._relations: dict[str, list[tuple[str, RelationSpec]]] = defaultdict(list)
        self._projections: dict[str, list[tuple[str, ProjectionSpec[Any]]]] = defaultdict(list)
        for name, relation in repo.info.relations.items():
            for profile in relation.profiles:
                self._relations[profile].append((name, relation))
        for name, projection in repo.info.projections.items():
            for profile in projection.profiles:
                self._projections[profile].append((name, projection))

    def active(self, profile: str) -> bool:
        """Whether ``profile`` loads anything beyond the row."""
        return profile in self._relations or profile in self._projections

    async def load(self, items: Sequence[Any], profile: str) -> None:
        """Set the profile's relations and projections on ``items`` in place."""
        pk = self._repo.info.primary_key[0]
        for name, relation in self._relations.get(profile, ()):
            self._load_relation(items, name, relation, pk)
        for name, projection in self._projections.get(profile, ()):
            values = await self._projection_values(projection, items, pk)
            for item in items:
                setattr(item, name, values.get(getattr(item, pk), projection.default))

    def _load_relation(
        self, items: Sequence[Any], name: str, relation: RelationSpec, pk: str
    ) -> None:
        target = self._repo._db.resolve(relation.target, self._repo.info)
        if relation.many:
            wanted = {getattr(item, pk) for item in items}
            grouped: dict[Any, list[Any]] = defaultdict(list)
            for key in sorted(target._rows):
                row = target._rows[key]
                if row[relation.foreign_key] in wanted:
                    grouped[row[relation.foreign_key]].append(target._to_model(row))
            for item in items:
                setattr(item, name, grouped.get(getattr(item, pk), []))
            return
        for item in items:
            parent = target._rows.get(getattr(item, relation.foreign_key))
            setattr(item, name, None if parent is None else target._to_model(parent))

    async def _projection_values(
        self, projection: ProjectionSpec[Any], items: Sequence[Any], pk: str
    ) -> Mapping[Any, Any]:
        loader = projection.loader
        model = getattr(loader, "model", None)
        foreign_key = getattr(loader, "foreign_key", None)
        if model is None or not isinstance(foreign_key, str):
            values: Mapping[Any, Any] = await loader.load(self._repo, items)
            return values
        children = self._repo._db.resolve(model, self._repo.info)._rows.values()
        wanted = {getattr(item, pk) for item in items}
        summed: str | None = getattr(loader, "field", None)
        if summed is None:
            counts: dict[Any, int] = defaultdict(int)
            for row in children:
                if row[foreign_key] in wanted:
                    counts[row[foreign_key]] += 1
            return counts
        sums: dict[Any, Any] = {}
        for row in children:
            key, value = row[foreign_key], row[summed]
            if key not in wanted:
                continue
            # SQL's SUM skips NULLs and is NULL when every value is.
            sums.setdefault(key, None)
            if value is not None:
                sums[key] = value if sums[key] is None else sums[key] + value
        return sums
