"""The pure kernel: models, commands, query specs, use cases, DI, config, errors and contracts.

Nothing under ``loom.core`` imports sqlalchemy, fastapi, celery or redis, except the SQLAlchemy
adapter kept at ``loom.core.repository.sqlalchemy`` because the API documents it there.
"""
