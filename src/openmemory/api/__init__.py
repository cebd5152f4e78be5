"""The REST surface: ``create_app(settings)`` builds the FastAPI app that ``opm serve`` runs."""

from openmemory.api.app import create_app

__all__ = ["create_app"]
