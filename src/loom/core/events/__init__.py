"""Mutation events: what a transaction changed, delivered to post-commit hooks.

Imports only the standard library.
"""

from loom.core.events._events import MutationEvent, MutationOp, SupportsPostCommit

__all__ = ["MutationEvent", "MutationOp", "SupportsPostCommit"]
