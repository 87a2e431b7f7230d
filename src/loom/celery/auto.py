"""loom-kernel's module path of the worker factory: ``create_app(config_path) -> Celery``."""

from loom.celery._worker import create_app

__all__ = ["create_app"]
