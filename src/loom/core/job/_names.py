"""Naming job and callback classes so that another process can find them again."""

from __future__ import annotations

import importlib
from typing import Any

from loom.core.errors import JobError


def name_of(cls: type[Any]) -> str:
    """``"module:QualName"`` of a class."""
    return f"{cls.__module__}:{cls.__qualname__}"


class ClassRegistry:
    """Classes by name: those seen by this application first, then anything importable."""

    def __init__(self) -> None:
        self._classes: dict[str, type[Any]] = {}

    def add(self, cls: type[Any]) -> str:
        """Remember ``cls``; return its name."""
        name = name_of(cls)
        self._classes.setdefault(name, cls)
        return name

    def resolve(self, name: str, what: str = "job") -> type[Any]:
        """The class called ``name``.

        Raises:
            JobError: No such class is known or importable.
        """
        found = self._classes.get(name)
        if found is not None:
            return found
        module_name, _, qualname = name.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in qualname.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as exc:
            raise JobError(
                f"{what} class {name!r} cannot be found: {exc}; define it at module level in a "
                "module this process can import (list it in app.discovery)"
            ) from exc
        if not isinstance(obj, type):
            raise JobError(f"{what} {name!r} names {obj!r}, which is not a class")
        self._classes[name] = obj
        return obj
