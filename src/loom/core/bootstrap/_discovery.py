"""Finding an application's components: listed modules, or one manifest module."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from loom.core.config import AppSection
from loom.core.di import LoomContainer
from loom.core.errors import BootError
from loom.core.model import BaseModel
from loom.core.use_case import UseCase


@dataclass
class Components:
    """What discovery found, in a stable order, without duplicates."""

    models: list[type[Any]] = field(default_factory=list)
    use_cases: list[type[Any]] = field(default_factory=list)
    jobs: list[type[Any]] = field(default_factory=list)
    interfaces: list[type[Any]] = field(default_factory=list)
    container_modules: list[Callable[[LoomContainer], None]] = field(default_factory=list)
    """Functions that register the application's own services (``CONTAINER_MODULES``)."""

    def add(self, kind: str, obj: type[Any]) -> None:
        """Add ``obj`` to the ``kind`` list once."""
        bucket: list[type[Any]] = getattr(self, kind)
        if obj not in bucket:
            bucket.append(obj)


def kind_of(obj: Any) -> str | None:
    """``"models"``, ``"use_cases"``, ``"jobs"``, ``"interfaces"``, or ``None``."""
    if not inspect.isclass(obj) or obj.__dict__.get("__abstract__", False):
        return None
    marker = getattr(obj, "__loom_kind__", None)
    if marker == "job":
        return "jobs"
    if marker == "interface":
        return "interfaces"
    if issubclass(obj, BaseModel) and obj.__module__ != "loom.core.model._base":
        return "models"
    if issubclass(obj, UseCase) and obj is not UseCase:
        return "use_cases"
    return None


def _import(name: str, where: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise BootError(
                f"{where}: module {name!r} was not found; check the spelling and app.code_path "
                f"(searched: {', '.join(sys.path[:4])}, ...)"
            ) from exc
        raise


def _collect(module: ModuleType, components: Components) -> None:
    for obj in vars(module).values():
        if inspect.isclass(obj) and obj.__module__ == module.__name__:
            kind = kind_of(obj)
            if kind is not None:
                components.add(kind, obj)
    _collect_container_modules(module, components)


def _collect_container_modules(module: ModuleType, components: Components) -> None:
    for register in _manifest_list(module, "CONTAINER_MODULES"):
        if not callable(register):
            raise BootError(
                f"{module.__name__}.CONTAINER_MODULES lists {register!r}, which is not a "
                "function taking the container"
            )
        if register not in components.container_modules:
            components.container_modules.append(register)


def _manifest_list(module: ModuleType, name: str) -> list[Any]:
    value = getattr(module, name, ())
    if not isinstance(value, list | tuple):
        raise BootError(
            f"manifest {module.__name__}.{name} must be a list of classes, got "
            f"{type(value).__name__}"
        )
    return list(value)


def discover(app: AppSection) -> Components:
    """Import the application's modules and collect its components.

    ``modules`` mode imports each listed module and collects the models, use cases, jobs and
    REST interfaces defined in it. ``manifest`` mode imports one module and reads its
    ``MODELS``, ``USE_CASES``, ``JOBS`` and ``INTERFACES`` lists. In both, a module's
    ``CONTAINER_MODULES`` list names functions ``(container) -> None`` registering the
    application's own services.

    Raises:
        BootError: A module that cannot be found, or a manifest entry of the wrong kind.
    """
    if app.code_path and app.code_path not in sys.path:
        sys.path.insert(0, app.code_path)
    components = Components()
    discovery = app.discovery
    if discovery.mode == "manifest":
        name = discovery.manifest.module
        assert name is not None  # the config checks manifest mode names a module
        module = _import(name, "app.discovery.manifest.module")
        for attr, kind in (
            ("MODELS", "models"),
            ("USE_CASES", "use_cases"),
            ("JOBS", "jobs"),
            ("INTERFACES", "interfaces"),
        ):
            for obj in _manifest_list(module, attr):
                found = kind_of(obj)
                if found != kind:
                    raise BootError(
                        f"manifest {name}.{attr} lists {obj!r}, which is not one of the "
                        f"{kind.replace('_', ' ')}"
                    )
                components.add(kind, obj)
        _collect_container_modules(module, components)
        return components
    for name in discovery.modules.include:
        _collect(_import(name, "app.discovery.modules.include"), components)
    return components
