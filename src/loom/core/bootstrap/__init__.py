"""Booting an application: configuration, discovery, the container and the kernel.

The kernel reaches the database through the persistence port, which an extension provides (the
SQLAlchemy adapter, found through the ``loom.extensions`` entry points), so this package imports
no adapter library.

Example:
    >>> async with create_kernel("config/api.yaml") as kernel:  # doctest: +SKIP
    ...     product = await kernel.invoker.entity(Product).get(params={"id": 1})
"""

from loom.core.bootstrap._cache_extension import CacheExtension
from loom.core.bootstrap._discovery import Components, discover
from loom.core.bootstrap._kernel import Kernel, create_kernel
from loom.core.bootstrap._persistence import Persistence
from loom.core.errors import BootError as BootstrapError

__all__ = [
    "BootstrapError",
    "CacheExtension",
    "Components",
    "Kernel",
    "Persistence",
    "create_kernel",
    "discover",
]
