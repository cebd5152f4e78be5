"""HTTP SDK for ``opm serve``: ``Client`` (sync) and ``AsyncClient`` mirror the ``Memory`` API and its errors."""

from openmemory.client.aio import AsyncClient
from openmemory.client.sync import Client

__all__ = ["AsyncClient", "Client"]
