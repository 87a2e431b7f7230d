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
