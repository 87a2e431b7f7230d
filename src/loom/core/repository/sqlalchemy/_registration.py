"""``repository_for`` at the path the documents import it from (the core declares it)."""

from loom.core.repository._registry import repository_for

__all__ = ["repository_for"]
