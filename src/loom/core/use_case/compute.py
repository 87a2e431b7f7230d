"""loom-kernel's module path of ``Compute``; the same as ``loom.core.use_case``."""

from loom.core.use_case._compute import Compute, ComputeFn

__all__ = ["Compute", "ComputeFn"]
