"""``load_config`` and ``LoomConfig``: typed configuration from YAML files.

Imports only the standard library, msgspec, omegaconf, pyyaml, ``loom.core.errors`` and
``loom.core.extension`` (which config sections the installed extensions claim).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from loom.core.config import _compat as compat
from loom.core.config._convert import convert, convert_section, in_file, resolve
from loom.core.config._sections import AppSection, Document
from loom.core.config._sources import Source, locate, overrides_source, read_files
from loom.core.errors import ConfigError
from loom.core.extension import ExtensionCatalog


class LoomConfig(Document, frozen=True):
    """The whole configuration: one attribute per section, plus where it came from.

    ``LoomConfig()`` is the configuration of an empty file. ``cache`` is ``None`` when no
    ``cache:`` section was given.

    Attributes:
        source_files: The files read, includes first, in merge order.
        raw: The merged configuration with interpolations resolved, as plain data.
        extensions: The sections installed extensions claim, by name: converted to the
            extension's ``config_type`` (its defaults when the file has no such section), or
            plain data (``{}`` when absent).
    """

    source_files: tuple[Path, ...] = ()
    raw: dict[str, Any] = msgspec.field(default_factory=dict)
    extensions: dict[str, Any] = msgspec.field(default_factory=dict)


def load_config(
    *paths: str | Path,
    overrides: Mapping[str, Any] | None = None,
    extensions: ExtensionCatalog | None = None,
) -> LoomConfig:
    """Read, merge and type-check configuration files.

    Files are merged in order (later wins); a file's top-level ``includes: [...]`` (relative to
    that file) are merged before it. Values may use omegaconf interpolation:
    ``${oc.env:DATABASE_URL,sqlite+aiosqlite:///./app.db}``, ``${oc.decode:...}``, ``${app.name}``.

    Args:
        *paths: YAML files; none gives the defaults.
        overrides: Applied last; nested mappings or dotted keys (``{"database.url": ...}``).
        extensions: Whose config sections are accepted (default: the installed extensions).

    Returns:
        The typed configuration.

    Raises:
        ConfigError: A missing file, a YAML syntax error, an unknown key, a wrong type or an
            unset environment variable; the message names the key, the file and the fix.
    """
    sources = read_files([Path(path) for path in paths])
    if overrides:
        sources.append(overrides_source(overrides))
    raw = resolve(sources)
    catalog = extensions or ExtensionCatalog.installed()
    claimed = catalog.sections()
    _check_claims(claimed)
    _check_missing_extensions(raw, claimed, catalog)
    document = compat.apply(convert(raw, sources, claimed), raw, sources)
    sections = _extension_sections(raw, claimed, sources)
    app = _absolute_code_path(document.app, sources)
    _check_consistency(document, sources)
    fields = {name: getattr(document, name) for name in document.__struct_fields__}
    fields["app"] = app
    return LoomConfig(
        **fields,
        source_files=tuple(s.path for s in sources if s.path is not None),
        raw=raw,
        extensions=sections,
    )


def _extension_sections(
    raw: Mapping[str, Any], claimed: Mapping[str, type[Any] | None], sources: list[Source]
) -> dict[str, Any]:
    sections: dict[str, Any] = {}
    for name, section_type in claimed.items():
        value = raw.get(name)
        if section_type is not None:
            sections[name] = convert_section(name, value, section_type, sources)
        elif value is None or isinstance(value, Mapping):
            sections[name] = dict(value or {})
        else:
            raise ConfigError(
                f"invalid value for '{name}'{in_file(sources, (name,))}: {value!r}; expected a "
                "mapping (the section of an extension)",
                code="config_invalid",
            )
    return sections


def _check_missing_extensions(
    raw: Mapping[str, Any], claimed: Mapping[str, Any], catalog: ExtensionCatalog
) -> None:
    """A section named after an installed extension that cannot be imported (its extra is not
    installed) says which extra to install, rather than that the key is unknown."""
    known = {field.name for field in msgspec.structs.fields(Document)} | set(claimed)
    for missing in catalog.missing:
        if missing.name in raw and missing.name not in known:
            raise missing.error(f"the config has a '{missing.name}' section")


def _check_claims(claimed: Mapping[str, Any]) -> None:
    taken = sorted(set(claimed) & {field.name for field in msgspec.structs.fields(Document)})
    if taken:
        raise ConfigError(
            f"an installed extension claims the config section {taken[0]!r}, which is Loom's "
            "own; rename the extension's config_section",
            code="config_invalid",
        )


def _absolute_code_path(app: AppSection, sources: list[Source]) -> AppSection:
    if app.code_path is None:
        return app
    declared = locate(sources, ("app", "code_path"))
    # code_path is relative to the file that wrote it, so a config works from any directory.
    base = declared.path.parent if declared is not None and declared.path else Path.cwd()
    absolute = (base / app.code_path).resolve()
    return msgspec.structs.replace(app, code_path=str(absolute))


def _check_consistency(document: Document, sources: list[Source]) -> None:
    discovery = document.app.discovery
    if discovery.mode == "manifest" and not discovery.manifest.module:
        keys = ("app", "discovery", "mode")
        raise ConfigError(
            f"app.discovery.mode is 'manifest'{in_file(sources, keys)} but "
            "app.discovery.manifest.module is not set; set it to the module that lists "
            "MODELS, USE_CASES, JOBS and INTERFACES (e.g. app.manifest)"
        )
    rest = document.rest
    if rest.default_limit > rest.max_limit:
        raise ConfigError(
            f"rest.default_limit ({rest.default_limit}) is above rest.max_limit "
            f"({rest.max_limit}){in_file(sources, ('rest',))}; lower default_limit or raise "
            "max_limit"
        )
