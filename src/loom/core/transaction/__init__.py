"""Transaction contracts shared by the kernel and its adapters.

The SQLAlchemy adapter opens the real transactions; this package holds what the rest of the core
must see of them (the cache, the job service): the current :class:`UnitOfWork`, the
:class:`Propagation` modes, and the post-commit channel. Imports only the standard library.
"""

from loom.core.transaction._uow import (
    Propagation,
    UnitOfWork,
    current_unit_of_work,
    in_write_transaction,
)

__all__ = ["Propagation", "UnitOfWork", "current_unit_of_work", "in_write_transaction"]
