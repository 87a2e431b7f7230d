"""The SQLAlchemy adapter: model compiler, sessions, transactions, repositories.

Kept under ``loom.core`` because the API documents it at this path; it is the only part of the
core allowed to import sqlalchemy.
"""

from loom.core.events import MutationEvent, SupportsPostCommit
from loom.core.model import Projection
from loom.core.repository.sqlalchemy._cache_journal import (
    SQLAlchemyInvalidationJournal,
    build_cache_journal,
    cache_journal_table,
)
from loom.core.repository.sqlalchemy._compiler import (
    CompiledModel,
    ModelRegistry,
    compile_model,
    new_base,
    registry_for,
)
from loom.core.repository.sqlalchemy._declarative import (
    NAMING_CONVENTION,
    AuditableModel,
    AuditActorMixin,
    Base,
    BaseModel,
    IdentityMixin,
    TimestampMixin,
)
from loom.core.repository.sqlalchemy._declarative_query import DeclarativeQuery, query
from loom.core.repository.sqlalchemy._decorators import (
    current_session_manager,
    get_session,
    transactional,
    with_session_scope,
)
from loom.core.repository.sqlalchemy._di import (
    SQLAlchemyDefaultRepositoryBuilder,
    SQLAlchemyPersistence,
    build_sqlalchemy_repository_registration_module,
)
from loom.core.repository.sqlalchemy._extension import SQLAlchemyExtension
from loom.core.repository.sqlalchemy._outbox_store import (
    SQLAlchemyJobLedger,
    SQLAlchemyOutboxStore,
    build_outbox_storage,
)
from loom.core.repository.sqlalchemy._outbox_table import OutboxTables, outbox_tables
from loom.core.repository.sqlalchemy._profiles import CountLoader, ProjectionLoader, SumLoader
from loom.core.repository.sqlalchemy._registration import repository_for
from loom.core.repository.sqlalchemy._repository import RepositorySQLAlchemy
from loom.core.repository.sqlalchemy._session import SessionManager
from loom.core.repository.sqlalchemy._transaction import Transaction
from loom.core.transaction import Propagation

__all__ = [
    "NAMING_CONVENTION",
    "AuditActorMixin",
    "AuditableModel",
    "Base",
    "BaseModel",
    "CompiledModel",
    "CountLoader",
    "DeclarativeQuery",
    "IdentityMixin",
    "ModelRegistry",
    "MutationEvent",
    "OutboxTables",
    "Projection",
    "ProjectionLoader",
    "Propagation",
    "RepositorySQLAlchemy",
    "SQLAlchemyDefaultRepositoryBuilder",
    "SQLAlchemyExtension",
    "SQLAlchemyInvalidationJournal",
    "SQLAlchemyJobLedger",
    "SQLAlchemyOutboxStore",
    "SQLAlchemyPersistence",
    "SessionManager",
    "SumLoader",
    "SupportsPostCommit",
    "TimestampMixin",
    "Transaction",
    "build_cache_journal",
    "build_outbox_storage",
    "build_sqlalchemy_repository_registration_module",
    "cache_journal_table",
    "compile_model",
    "current_session_manager",
    "get_session",
    "new_base",
    "outbox_tables",
    "query",
    "registry_for",
    "repository_for",
    "transactional",
    "with_session_scope",
]
