"""Typed configuration from YAML: omegaconf interpolation, msgspec sections, clear errors.

``load_config("config/api.yaml")`` merges files (and their ``includes``), resolves
``${oc.env:...}`` interpolation and converts each section to a Struct that rejects unknown keys.
Imports only the standard library, msgspec, omegaconf and pyyaml; never an adapter (the
``cache`` section stays raw data for ``loom.core.cache`` to read).

Example:
    >>> config = load_config("config/api.yaml", overrides={"database.echo": True})
    >>> config.database.url
    'sqlite+aiosqlite:///./store.db'
"""

from loom.core.config._load import LoomConfig, load_config
from loom.core.config._sections import (
    AppSection,
    CacheSection,
    CorsSection,
    DatabaseSection,
    DiscoverySection,
    JobSection,
    JobsSection,
    LoggerSection,
    LoggingSection,
    ManifestDiscovery,
    MetricsSection,
    ModulesDiscovery,
    OutboxSection,
    RestSection,
    SecuritySection,
    TraceSection,
)

__all__ = [
    "AppSection",
    "CacheSection",
    "CorsSection",
    "DatabaseSection",
    "DiscoverySection",
    "JobSection",
    "JobsSection",
    "LoggerSection",
    "LoggingSection",
    "LoomConfig",
    "ManifestDiscovery",
    "MetricsSection",
    "ModulesDiscovery",
    "OutboxSection",
    "RestSection",
    "SecuritySection",
    "TraceSection",
    "load_config",
]
