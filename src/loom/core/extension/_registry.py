"""Finding extensions: the ``loom.extensions`` entry points of the installed distributions.

An entry point whose module needs an optional dependency that is not installed (the Celery
adapter without the ``celery`` extra) is remembered, not raised: it becomes an error naming the
extra only when the configuration asks for it. Any other import failure is an error at once, so
a broken extension never goes unnoticed.

Imports only the standard library and ``loom.core.errors``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any

from loom.core.errors import BootError

if TYPE_CHECKING:
    from loom.core.config import LoomConfig
    from loom.core.extension._protocol import Extension

ENTRY_POINT_GROUP = "loom.extensions"
"""Where extensions are declared: ``[project.entry-points."loom.extensions"]``."""

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class MissingExtension:
    """An installed extension that cannot be imported: an optional dependency is absent.

    Attributes:
        name: The entry point's name (the extension's name).
        distribution: The distribution that declares it (``loom-framework``).
        module: The top-level module that is missing (``celery``).
        extra: The distribution's extra that installs ``module``, when one does.
    """

    name: str
    distribution: str
    module: str
    extra: str | None

    def error(self, needed_by: str) -> BootError:
        """The error for a configuration that needs this extension (``needed_by`` says why)."""
        if self.extra is not None:
            fix = f"install the {self.extra} extra: pip install '{self.distribution}[{self.extra}]'"
        else:
            fix = f"install {self.module}: pip install {self.module}"
        return BootError(
            f"{needed_by}, which needs the {self.name!r} extension, but {self.module} is not "
            f"installed; {fix}",
            code="extension_missing",
        )


@dataclass(frozen=True)
class ExtensionCatalog:
    """The extension classes a kernel may use, and the installed ones that cannot be imported.

    Attributes:
        classes: Extension classes by boot preference (sorted by name).
        missing: Installed extensions whose optional dependency is absent.
    """

    classes: tuple[type[Extension], ...] = ()
    missing: tuple[MissingExtension, ...] = ()

    @classmethod
    def installed(cls) -> ExtensionCatalog:
        """The extensions declared in the ``loom.extensions`` group of installed distributions.

        Raises:
            BootError: An extension fails to import for another reason than a missing extra,
                is not an extension class, or two distributions declare the same name.
        """
        classes: dict[str, type[Extension]] = {}
        missing: dict[str, MissingExtension] = {}
        for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if entry.name in classes or entry.name in missing:
                continue  # the same distribution seen twice on sys.path
            loaded = _load(entry)
            if isinstance(loaded, MissingExtension):
                missing[entry.name] = loaded
            else:
                classes[entry.name] = _checked(loaded, f"entry point {entry.name} = {entry.value}")
        return cls(tuple(classes[name] for name in sorted(classes)), tuple(missing.values()))

    def including(self, extra: Iterable[type[Extension]]) -> ExtensionCatalog:
        """This catalog plus ``extra`` classes; one with an installed name replaces it."""
        given = {}
        for candidate in extra:
            checked = _checked(candidate, repr(candidate))
            given[checked.name] = checked
        kept = [c for c in self.classes if c.name not in given]
        classes = sorted([*kept, *given.values()], key=lambda c: c.name)
        missing = tuple(m for m in self.missing if m.name not in given)
        return ExtensionCatalog(tuple(classes), missing)

    def sections(self) -> dict[str, type[Any] | None]:
        """Config sections claimed by the extensions, with their types (``None``: raw data).

        Raises:
            BootError: Two extensions claim the same section.
        """
        claimed: dict[str, type[Extension]] = {}
        sections: dict[str, type[Any] | None] = {}
        for extension in self.classes:
            section = extension.config_section
            if section is None:
                continue
            if section in claimed:
                raise BootError(
                    f"extensions {claimed[section].name!r} and {extension.name!r} both claim the "
                    f"config section {section!r}; uninstall one of them"
                )
            claimed[section] = extension
            sections[section] = extension.config_type
        return sections

    def instantiate(self, config: LoomConfig) -> KernelExtensions:
        """One instance of every extension enabled by ``config``, in boot order."""
        instances = [extension() for extension in self.classes]
        enabled = [instance for instance in instances if instance.enabled(config)]
        return KernelExtensions(_boot_order(enabled), self)


class KernelExtensions:
    """The extensions of one kernel, in boot order (``kernel.extensions``)."""

    def __init__(self, active: Sequence[Any], catalog: ExtensionCatalog) -> None:
        self._active = list(active)
        self.catalog = catalog

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._active))

    def __len__(self) -> int:
        return len(self._active)

    @property
    def names(self) -> list[str]:
        """The names of the active extensions, in boot order."""
        return [_name_of(extension) for extension in self._active]

    def add(self, extension: Any) -> None:
        """Add an extension instance; it boots after the others and stops before them."""
        self._active.append(extension)

    def get(self, name: str) -> Any | None:
        """The active extension called ``name``, or ``None``."""
        for extension in self._active:
            if _name_of(extension) == name:
                return extension
        return None

    def require(self, name: str, needed_by: str) -> Any:
        """The active extension called ``name``, for a configuration that needs it.

        Args:
            name: The extension's name.
            needed_by: What needs it, as a clause (``"jobs.backend is 'celery'"``).

        Raises:
            BootError: It is not installed, cannot be imported (naming the extra to install),
                or is installed but not enabled by the configuration.
        """
        extension = self.get(name)
        if extension is not None:
            return extension
        for missing in self.catalog.missing:
            if missing.name == name:
                raise missing.error(needed_by)
        if any(c.name == name for c in self.catalog.classes):
            raise BootError(f"{needed_by}, but the {name!r} extension is not enabled by it")
        installed = ", ".join(c.name for c in self.catalog.classes) or "none"
        raise BootError(
            f"{needed_by}, but no installed extension is called {name!r} (installed: "
            f"{installed}); install the package that provides it",
            code="extension_missing",
        )


def _name_of(extension: Any) -> str:
    return str(getattr(extension, "name", type(extension).__name__))


def _load(entry: metadata.EntryPoint) -> Any:
    try:
        return entry.load()
    except ImportError as exc:
        distribution = entry.dist.name if entry.dist is not None else "the distribution"
        module = _missing_module(exc)
        extra = _extra_installing(entry.dist, module) if module else None
        if module is not None and extra is not None:
            return MissingExtension(entry.name, distribution, module, extra)
        raise BootError(
            f"the extension {entry.name!r} ({entry.value}) of {distribution} cannot be "
            f"imported: {exc}; reinstall {distribution}",
            code="extension_broken",
        ) from exc


def _missing_module(exc: BaseException) -> str | None:
    """The top-level module whose absence caused ``exc`` (following the cause chain)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ModuleNotFoundError) and seen.name:
            return seen.name.split(".")[0]
        seen = seen.__cause__ or seen.__context__
    return None


def _extra_installing(dist: metadata.Distribution | None, module: str) -> str | None:
    """The smallest extra of ``dist`` whose requirements include the distribution ``module``.

    The smallest, because aggregate extras (``all``, ``dev``) list the same requirement.
    """
    if dist is None:
        return None
    wanted = _normalize(module)
    sizes: dict[str, int] = {}
    providing: set[str] = set()
    for requirement in dist.requires or ():
        name, _, marker = requirement.partition(";")
        found = _REQUIREMENT.match(name)
        extra = _EXTRA_MARKER.search(marker)
        if found is None or extra is None:
            continue
        sizes[extra[1]] = sizes.get(extra[1], 0) + 1
        if _normalize(found[1]) == wanted:
            providing.add(extra[1])
    return min(sorted(providing), key=sizes.__getitem__, default=None)


def _checked(candidate: Any, where: str) -> type[Extension]:
    name = getattr(candidate, "name", None)
    if not isinstance(candidate, type) or not isinstance(name, str) or not name:
        raise BootError(
            f"{where} is not an extension class (a class with a `name` and the "
            "loom.core.extension.Extension hooks)",
            code="extension_broken",
        )
    return candidate


def _boot_order(extensions: list[Any]) -> list[Any]:
    """``extensions`` (sorted by name) with each placed after the ones it names in ``after``."""
    present = {_name_of(extension) for extension in extensions}
    placed: list[Any] = []
    done: set[str] = set()
    waiting = list(extensions)
    while waiting:
        for extension in waiting:
            needs = {n for n in getattr(extension, "after", ()) if n in present}
            if needs <= done:
                placed.append(extension)
                done.add(_name_of(extension))
                waiting.remove(extension)
                break
        else:
            names = ", ".join(_name_of(extension) for extension in waiting)
            raise BootError(f"extensions {names} wait for each other (their `after` lists)")
    return placed
