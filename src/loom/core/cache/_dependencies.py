"""Which other entities a loading profile reads (relations, projections' ``depends_on``).

A value loaded with such a profile also depends on those entities' tags, so a write to a
related row invalidates it. Imports the standard library and ``loom.core`` only.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from loom.core.cache._resolver import DependencyResolver
from loom.core.model import ModelInfo, model_info

logger = logging.getLogger("loom.cache")


def read_entities(info: ModelInfo) -> set[str]:
    """Every entity a cached read of ``info``'s model can depend on, under any profile.

    The model's own entity, the targets of its relations and the ``depends_on`` of its
    projections: writes to these must bump counters; writes to other entities need not.
    A relation target that cannot be resolved is left out (its profile is not cached).

    Args:
        info: The cached model.

    Returns:
        Entity names.
    """
    entities = {info.entity}
    for relation in info.relations.values():
        target = _target(info, relation.target)
        if target is not None:
            entities.add(target)
    for projection in info.projections.values():
        entities.update(projection.depends_on)
    return entities


def _target(info: ModelInfo, target: Any) -> str | None:
    if isinstance(target, str):
        target = getattr(sys.modules.get(info.model.__module__), target, None)
    try:
        return model_info(target).entity
    except Exception:
        return None


def profile_dependencies(
    info: ModelInfo, resolver: DependencyResolver, profile: str
) -> list[str] | None:
    """Tags of the other entities ``profile`` loads for ``info``'s model.

    Args:
        info: The cached model.
        resolver: Gives each entity's list tags (any write to the entity moves them).
        profile: The loading profile.

    Returns:
        Tag names (empty when the profile reads nothing else), or ``None`` when a relation
        target cannot be resolved -- the profile is then not cached.
    """
    entities: set[str] = set()
    for relation in info.relations.values():
        if profile not in relation.profiles:
            continue
        target: Any = relation.target
        if isinstance(target, str):
            target = getattr(sys.modules.get(info.model.__module__), target, None)
        try:
            entities.add(model_info(target).entity)
        except Exception:
            logger.warning(
                "cache: relation target %r of %s cannot be resolved; profile %r is not cached "
                "-- pass the model class to RelationField instead of its name",
                relation.target,
                info.name,
                profile,
            )
            return None
    for projection in info.projections.values():
        if profile in projection.profiles:
            entities.update(projection.depends_on)
    entities.discard(info.entity)
    tags: list[str] = []
    for entity in sorted(entities):
        tags += resolver.list_tags(entity, "")
    return tags
