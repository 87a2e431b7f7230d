"""Extensions: found through the ``loom.extensions`` entry points, booted in order, configured.

A third-party extension is installed here for real: a distribution's metadata (``dist-info``
with ``entry_points.txt``) and its module in a folder put on ``sys.path``, which is what
``pip install`` leaves behind.
"""

from __future__ import annotations

import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from loom.core.bootstrap import Kernel, create_kernel
from loom.core.config import load_config
from loom.core.errors import BootError, ConfigError
from loom.core.extension import Extension, ExtensionCatalog

EXTENSION = """
import msgspec

from loom.core.extension import Extension

EVENTS = []


class AuditSettings(msgspec.Struct, forbid_unknown_fields=True):
    level: str = "info"
    retention_days: int = 30


class Auditor:
    def __init__(self, level):
        self.level = level


class AuditExtension(Extension):
    name = "{name}"
    config_section = "audit"
    config_type = AuditSettings

    def container_module(self, kernel):
        settings = kernel.config.extensions["audit"]
        return lambda container: container.register(Auditor, instance=Auditor(settings.level))

    async def on_boot(self, kernel):
        EVENTS.append(("boot", kernel.persistence is not None))

    async def on_started(self, kernel):
        tables = await kernel.persistence.missing_tables()
        EVENTS.append(("started", tables))

    async def on_stop(self, kernel):
        EVENTS.append(("stop",))
"""


def install_distribution(
    root: Path,
    entry_points: dict[str, str],
    modules: dict[str, str],
    requires: tuple[str, ...] = (),
) -> str:
    """Lay out an installed distribution under ``root`` (put on ``sys.path`` by the caller)."""
    name = f"loom-ext-{uuid.uuid4().hex[:8]}"
    info = root / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    metadata = [f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n"]
    metadata += [f"Requires-Dist: {requirement}\n" for requirement in requires]
    (info / "METADATA").write_text("".join(metadata))
    lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[loom.extensions]\n{lines}")
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))
    return name


@pytest.fixture
def audit_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A distribution providing the ``audit`` extension is installed; its module's name."""
    module = f"audit_ext_{uuid.uuid4().hex[:8]}"
    site = tmp_path / "site"
    install_distribution(
        site,
        {"audit": f"{module}:AuditExtension"},
        {module: EXTENSION.format(name="audit")},
    )
    monkeypatch.syspath_prepend(str(site))
    return module


def write_config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "app.yaml"
    config.write_text(
        f"database:\n  url: sqlite+aiosqlite:///{tmp_path / 'app.db'}\n"
        "security:\n  cursor_secret: test\n" + textwrap.dedent(extra)
    )
    return config


def test_loom_declares_its_adapters_as_extensions() -> None:
    catalog = ExtensionCatalog.installed()
    names = {extension.name for extension in catalog.classes}
    assert {"sqlalchemy", "cache", "jobs", "celery"} <= names
    assert catalog.missing == ()


async def test_the_kernel_boots_the_extensions_the_configuration_enables(tmp_path: Path) -> None:
    config = write_config(tmp_path, "cache: {}\n")
    async with create_kernel(config) as kernel:
        assert kernel.extensions.names == ["cache", "jobs", "sqlalchemy"]
        assert kernel.cache is not None
    async with create_kernel(write_config(tmp_path), overrides={"jobs.backend": "celery"}) as k:
        assert k.extensions.names == ["celery", "jobs", "sqlalchemy"]
        assert k.cache is None


async def test_an_installed_extension_is_found_configured_and_run(
    tmp_path: Path, audit_module: str
) -> None:
    config = write_config(tmp_path, "audit:\n  level: debug\n")
    events = []
    async with create_kernel(config) as kernel:
        module = sys.modules[audit_module]
        events = module.EVENTS
        assert "audit" in kernel.extensions.names
        assert kernel.config.extensions["audit"] == module.AuditSettings(level="debug")
        assert kernel.container.resolve(module.Auditor).level == "debug"
        # on_started ran with the database open and the schema created.
        assert events == [("boot", True), ("started", [])]
    assert events[-1] == ("stop",)


def test_a_claimed_section_has_defaults_and_checked_keys(tmp_path: Path, audit_module: str) -> None:
    module = f"{audit_module}"
    assert load_config(write_config(tmp_path)).extensions["audit"].retention_days == 30
    with pytest.raises(ConfigError, match=r"unknown key 'audit.levle'.*did you mean 'level'"):
        load_config(write_config(tmp_path, "audit:\n  levle: debug\n"))
    with pytest.raises(ConfigError, match=r"invalid value for 'audit.retention_days'"):
        load_config(write_config(tmp_path, "audit:\n  retention_days: many\n"))
    # A misspelt section is still an unknown key, and the extension's section is suggested.
    with pytest.raises(ConfigError, match=r"unknown key 'audti'.*did you mean 'audit'"):
        load_config(write_config(tmp_path, "audti:\n  level: debug\n"))
    assert module in sys.modules


def test_without_the_extension_its_section_is_an_unknown_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'audit'"):
        load_config(write_config(tmp_path, "audit:\n  level: debug\n"))


async def test_an_extension_given_to_create_kernel_needs_no_installation(tmp_path: Path) -> None:
    started: list[str] = []

    class Probe(Extension):
        name = "probe"
        config_section = "probe"

        async def on_started(self, kernel: Kernel) -> None:
            started.append(kernel.config.extensions["probe"]["greeting"])

    config = write_config(tmp_path, "probe:\n  greeting: hello\n")
    async with create_kernel(config, extensions=[Probe]):
        assert started == ["hello"]


async def test_extensions_boot_after_those_they_name_and_stop_before_them(
    tmp_path: Path,
) -> None:
    calls: list[str] = []

    def recording(label: str, after: tuple[str, ...]) -> type[Extension]:
        class Recording(Extension):
            name = label

            async def on_boot(self, kernel: Kernel) -> None:
                calls.append(f"boot {label}")

            async def on_stop(self, kernel: Kernel) -> None:
                calls.append(f"stop {label}")

        Recording.after = after
        return Recording

    extensions = [recording("a", ("c",)), recording("b", ()), recording("c", ("b",))]
    async with create_kernel(write_config(tmp_path), extensions=extensions):
        pass
    mine = [call for call in calls if call.split()[1] in "abc"]
    assert mine == ["boot b", "boot c", "boot a", "stop a", "stop c", "stop b"]

    looping = [recording("x", ("y",)), recording("y", ("x",))]
    with pytest.raises(BootError, match=r"extensions x, y wait for each other"):
        create_kernel(write_config(tmp_path), extensions=looping)


def test_two_claims_on_one_section_are_refused(tmp_path: Path) -> None:
    class One(Extension):
        name = "one"
        config_section = "shared"

    class Two(Extension):
        name = "two"
        config_section = "shared"

    class Own(Extension):
        name = "own"
        config_section = "database"

    with pytest.raises(BootError, match=r"'one' and 'two' both claim the config section"):
        create_kernel(write_config(tmp_path), extensions=[One, Two])
    with pytest.raises(ConfigError, match=r"claims the config section 'database'"):
        create_kernel(write_config(tmp_path), extensions=[Own])


async def test_a_missing_optional_extra_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Celery not installed: its import fails as it would without the `celery` extra.
    for name in [m for m in sys.modules if m == "loom.celery" or m.startswith("loom.celery.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "celery", None)
    catalog = ExtensionCatalog.installed()
    assert [(m.name, m.module, m.extra) for m in catalog.missing] == [
        ("celery", "celery", "celery")
    ]
    # Nothing needs Celery: the kernel boots without it.
    async with create_kernel(write_config(tmp_path)) as kernel:
        assert "celery" not in kernel.extensions.names
    kernel = create_kernel(write_config(tmp_path), overrides={"jobs.backend": "celery"})
    message = (
        r"jobs.backend is 'celery', which needs the 'celery' extension, but celery is not "
        r"installed; install the celery extra: pip install 'loom-framework\[celery\]'"
    )
    with pytest.raises(BootError, match=message):
        await kernel.start()


def test_a_third_party_extra_is_named_from_the_distribution_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = f"fancy_ext_{uuid.uuid4().hex[:8]}"
    site = tmp_path / "site"
    distribution = install_distribution(
        site,
        {"fancy": f"{module}:FancyExtension"},
        {module: "import fancy_lib_not_installed\n"},
        requires=('fancy-lib-not-installed>=1; extra == "fancy"',),
    )
    monkeypatch.syspath_prepend(str(site))
    missing = ExtensionCatalog.installed().missing
    assert [(m.name, m.distribution, m.extra) for m in missing] == [
        ("fancy", distribution, "fancy")
    ]
    error = missing[0].error("tracing.enabled is true")
    assert str(error) == (
        "tracing.enabled is true, which needs the 'fancy' extension, but "
        "fancy_lib_not_installed is not installed; install the fancy extra: "
        f"pip install '{distribution}[fancy]'"
    )


def test_a_broken_extension_fails_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = f"broken_ext_{uuid.uuid4().hex[:8]}"
    site = tmp_path / "site"
    install_distribution(
        site, {"broken": f"{module}:BrokenExtension"}, {module: "import not_a_requirement_xyz\n"}
    )
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(BootError, match=r"the extension 'broken' .* cannot be imported"):
        ExtensionCatalog.installed()


async def test_without_a_persistence_extension_the_kernel_says_so(tmp_path: Path) -> None:
    installed = ExtensionCatalog.installed()
    catalog = ExtensionCatalog(
        tuple(c for c in installed.classes if c.name != "sqlalchemy"), installed.missing
    )
    kernel = Kernel(load_config(write_config(tmp_path)), extensions=catalog)
    with pytest.raises(BootError, match=r"no installed extension provides the database"):
        await kernel.start()
