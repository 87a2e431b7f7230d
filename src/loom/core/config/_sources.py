"""Reading configuration files: YAML through omegaconf, ``includes``, and where keys came from.

Imports only the standard library, omegaconf, pyyaml and ``loom.core.errors``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from loom.core.errors import ConfigError

INCLUDES_KEY = "includes"


@dataclass(frozen=True, slots=True)
class Source:
    """One layer of the merge: a file (or the overrides) and the keys it wrote.

    Attributes:
        name: How messages name it: the path as given, or ``overrides``.
        path: The file, or ``None`` for the overrides.
        tree: Its mapping before interpolation, ``includes`` removed.
    """

    name: str
    path: Path | None
    tree: dict[str, Any]

    def contains(self, keys: Sequence[str]) -> bool:
        """Whether this layer wrote the dotted path ``keys``."""
        node: Any = self.tree
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                return False
            node = node[key]
        return True


def read_files(paths: Sequence[Path]) -> list[Source]:
    """Read ``paths`` in order, each preceded by its ``includes``; later layers win."""
    sources: list[Source] = []
    for path in paths:
        _read(path, (), None, sources)
    return sources


def overrides_source(overrides: Mapping[str, Any]) -> Source:
    """The overrides as the last layer; dotted keys (``database.url``) address nested keys."""
    tree: dict[str, Any] = {}
    for key, value in overrides.items():
        parts = str(key).split(".")
        node = tree
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = _plain(value)
    return Source("overrides", None, tree)


def locate(sources: Sequence[Source], keys: Sequence[str]) -> Source | None:
    """The last layer that wrote ``keys`` (the one whose value won)."""
    for source in reversed(sources):
        if source.contains(keys):
            return source
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _read(path: Path, stack: tuple[Path, ...], parent: str | None, out: list[Source]) -> None:
    resolved = path.resolve()
    if resolved in stack:
        cycle = " -> ".join(str(p) for p in (*stack, resolved))
        raise ConfigError(f"config includes form a cycle: {cycle}; remove one of the includes")
    if not path.is_file():
        where = f" (included from {parent})" if parent else ""
        raise ConfigError(
            f"config file not found: {path}{where}; check the path "
            "(includes are relative to the file that lists them)"
        )
    tree = _load_yaml(path)
    includes = tree.pop(INCLUDES_KEY, None)
    for include in _include_list(includes, path):
        _read(path.parent / include, (*stack, resolved), str(path), out)
    out.append(Source(str(path), path, tree))


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = OmegaConf.load(path)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = error.problem or error.context or "invalid YAML"
        raise ConfigError(f"YAML syntax error in {path}{where}: {problem}") from error
    except (yaml.YAMLError, OmegaConfBaseException, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from error
    if not isinstance(loaded, DictConfig):
        raise ConfigError(
            f"config file {path} holds a list at the top level; it must be a mapping of "
            "sections (app:, database:, ...)"
        )
    container = OmegaConf.to_container(loaded, resolve=False)
    assert isinstance(container, dict)  # a DictConfig always converts to a dict
    return {str(key): value for key, value in container.items()}


def _include_list(value: Any, path: Path) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise ConfigError(
        f"'includes' in {path} must be a list of file paths, got {value!r}; "
        "write includes: [base.yaml, ...]"
    )
