"""loom-kernel's module path of ``Rule``; the same as ``loom.core.use_case``."""

from loom.core.use_case._rules import Rule, RuleFn

__all__ = ["Rule", "RuleFn"]
