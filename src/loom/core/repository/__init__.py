"""Repositories: the capability protocols (``abc``) and the SQLAlchemy adapter (``sqlalchemy``)."""
