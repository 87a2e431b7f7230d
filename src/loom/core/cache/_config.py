"""``CacheConfig``: TTLs, the aiocache aliases and their backend settings.

Imports msgspec, the standard library and ``loom.core.errors``; never aiocache (building backends
from the config is ``_factory``'s job).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import msgspec

from loom.core.errors import ConfigError

COUNTER_TTL_MARGIN = 60
"""Seconds a generation counter outlives the longest-lived entry that can depend on it."""

_YAML_ALIASES = {"aiocache": "aiocache_config"}
"""Spellings accepted by :meth:`CacheConfig.from_mapping` (the documents write ``aiocache:``)."""


def _plain(value: Any) -> Any:
    # omegaconf's DictConfig and other read-only mappings become plain dicts for msgspec.
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class CacheConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Configuration of the cache: switch, aliases, backend settings and TTLs.

    Attributes:
        enabled: Global toggle; ``False`` sends every read straight to the repository.
        aiocache_alias: Alias of the data backend (values, configured with
            :class:`~loom.core.cache.serializer.MsgspecSerializer`).
        counter_alias: Alias of the generation-counter backend (no serializer, native atomic
            increment). ``None`` uses ``aiocache_alias``.
        aiocache_config: aiocache settings keyed by alias (``aiocache:`` in YAML).
        default_ttl: Seconds a single-entity lookup stays cached.
        default_list_ttl: Seconds a list or custom query stays cached.
        ttl: Per-entity overrides; ``"<entity>_list"`` overrides the list TTL.
        max_size: Entry bound of in-memory backends that do not declare their own
            (``None``: the memory backend's default bound).
        ttl_jitter: Fraction of a TTL added at random to each write, so entries written
            together do not expire together (0 disables).
        invalidation_wait: Seconds a write whose counter bump could not reach a shared cache
            waits for another process to apply it from the database's journal (0: no wait).
        invalidation_poll: Seconds between two looks at that journal when the database cannot
            announce records (SQLite) or an announcement was lost.
    """

    enabled: bool = True
    aiocache_alias: str = "default"
    counter_alias: str | None = None
    aiocache_config: dict[str, Any] = msgspec.field(default_factory=dict)
    default_ttl: int = 200
    default_list_ttl: int = 120
    ttl: dict[str, int] = msgspec.field(default_factory=dict)
    max_size: int | None = None
    ttl_jitter: float = 0.1
    invalidation_wait: float = 2.0
    invalidation_poll: float = 1.0

    def __post_init__(self) -> None:
        if self.max_size is not None and self.max_size < 1:
            raise ConfigError(f"cache.max_size must be at least 1, got {self.max_size}")
        if not 0 <= self.ttl_jitter <= 1:
            raise ConfigError(
                f"cache.ttl_jitter must be a fraction between 0 and 1, got {self.ttl_jitter}"
            )
        if self.invalidation_wait < 0:
            raise ConfigError(
                f"cache.invalidation_wait must be 0 or more seconds, got {self.invalidation_wait}"
            )
        if self.invalidation_poll <= 0:
            raise ConfigError(
                f"cache.invalidation_poll must be more than 0 seconds, got {self.invalidation_poll}"
            )

    @property
    def effective_counter_alias(self) -> str:
        """The counter alias, falling back to :attr:`aiocache_alias`."""
        return self.counter_alias or self.aiocache_alias

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> CacheConfig:
        """Create a config from a parsed YAML/TOML mapping.

        Accepts the ``cache:`` section itself or a mapping whose only key is ``cache``, and the
        documented key ``aiocache:`` for :attr:`aiocache_config`.

        Args:
            data: The mapping.

        Returns:
            The validated config.

        Raises:
            ConfigError: On an unknown key or a value of the wrong type, naming the key.
        """
        raw = _plain(data)
        if set(raw) == {"cache"} and isinstance(raw["cache"], dict):
            raw = raw["cache"]
        for spelling, name in _YAML_ALIASES.items():
            if spelling in raw:
                if name in raw:
                    raise ConfigError(
                        f"cache section sets both '{spelling}' and '{name}'; keep one of them"
                    )
                raw[name] = raw.pop(spelling)
        known = {f.name for f in msgspec.structs.fields(cls)} | set(_YAML_ALIASES)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(
                f"unknown cache setting(s) {', '.join(map(repr, unknown))}; "
                f"known settings: {', '.join(sorted(known - set(_YAML_ALIASES.values())))}"
            )
        try:
            return msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise ConfigError(f"invalid cache setting: {exc}") from exc

    def ttl_for_single(self, entity: str) -> int:
        """The TTL of a single-entity lookup.

        Args:
            entity: Normalized entity name (``"users"``).

        Returns:
            Seconds, from :attr:`ttl` or :attr:`default_ttl`.
        """
        return self.ttl.get(entity, self.default_ttl)

    def ttl_for_list(self, entity: str) -> int:
        """The TTL of a list or custom query.

        Args:
            entity: Normalized entity name (``"users"``).

        Returns:
            Seconds, from :attr:`ttl` (``"<entity>_list"``) or :attr:`default_list_ttl`.
        """
        return self.ttl.get(f"{entity}_list", self.default_list_ttl)

    @property
    def counter_ttl(self) -> int | None:
        """Seconds a generation counter lives after its last bump or dependent write.

        Longer than any entry of this config can live (the longest TTL, its jitter included,
        plus :data:`COUNTER_TTL_MARGIN`), so a counter never expires under a live entry;
        ``None`` (no expiry) when some TTL is 0, which means entries that never expire.
        """
        ttls = [self.default_ttl, self.default_list_ttl, *self.ttl.values()]
        if min(ttls) <= 0:
            return None
        longest = max(ttls)
        return longest + int(longest * self.ttl_jitter) + COUNTER_TTL_MARGIN

    def jittered(self, ttl: int) -> int:
        """``ttl`` plus a random share of up to :attr:`ttl_jitter` of it.

        Args:
            ttl: Seconds.

        Returns:
            Seconds, never less than ``ttl``.
        """
        spread = int(ttl * self.ttl_jitter)
        # Not for security: only spreads expiry times.
        return ttl + random.randint(0, spread) if spread > 0 else ttl
