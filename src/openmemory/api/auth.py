"""API key → caller, and the caller's right to a ``user_id``: the only place that decides 401 and 403.

Three modes, chosen by settings:

* keys configured (``OM_API_KEY`` and/or ``OM_API_KEYS=key:tenant,...``): each key is one tenant. A plain key's tenant
  is the first 16 hex characters of sha256(key), as upstream derives it; ``key:name`` names the tenant. A request's
  ``user_id`` must be omitted (it then means the tenant) or equal the tenant, else 403 ``tenant_mismatch``.
* ``OM_ADMIN_KEY``: the admin may name any ``user_id``; omitted means the system/default user.
* no key at all: local single-user mode. The server only binds a loopback address (see ``check_bind``), the caller is
  the machine's owner, and every ``user_id`` is theirs to use; omitted means the system/default user.

Keys are accepted as ``Authorization: Bearer <key>`` or ``x-api-key: <key>``, compared in constant time and never
logged.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass

from fastapi import Request

from openmemory.config import Settings
from openmemory.errors import ConfigError, TenantMismatch, Unauthenticated

TENANT_HEX_CHARS = 16
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a request acts for: one tenant, or (admin and local mode) anyone it names."""

    tenant: str | None
    is_admin: bool = False
    is_local: bool = False

    @property
    def can_name_any_user(self) -> bool:
        return self.is_admin or self.is_local

    def owner(self, *requested: str | None) -> str | None:
        """The user_id this request may act on, given the ids it names (body, query, path); 403 on a foreign one."""
        named = [u for u in requested if u is not None and u != ""]
        if self.can_name_any_user:
            if len(set(named)) > 1:
                raise TenantMismatch(named[1])
            return named[0] if named else None
        for user_id in named:
            if user_id != self.tenant:
                raise TenantMismatch(user_id)
        return self.tenant

    @property
    def meter_key(self) -> str:
        return "admin" if self.is_admin else "local" if self.is_local else str(self.tenant)


def tenant_of_key(key: str) -> str:
    """Upstream's tenant id for a key: the first 16 hex characters of its sha256."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:TENANT_HEX_CHARS]


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


class KeyRing:
    """The configured keys, held as sha256 digests so every comparison has the same length."""

    def __init__(self, settings: Settings) -> None:
        self._tenants: list[tuple[bytes, str]] = []
        if settings.api_key is not None and settings.api_key.get_secret_value():
            key = settings.api_key.get_secret_value()
            self._tenants.append((_digest(key), tenant_of_key(key)))
        if settings.api_keys is not None:
            for entry in settings.api_keys.get_secret_value().split(","):
                key, _, name = entry.strip().partition(":")
                if key:
                    self._tenants.append((_digest(key), name.strip() or tenant_of_key(key)))
                elif entry.strip():
                    raise ConfigError("OM_API_KEYS: an entry has an empty key; expected `key:tenant,key2:tenant2`")
        admin = settings.admin_key.get_secret_value() if settings.admin_key is not None else ""
        self._admin = _digest(admin) if admin else None

    @property
    def is_local(self) -> bool:
        """No key configured: local single-user mode."""
        return not self._tenants and self._admin is None

    @property
    def tenants(self) -> list[str]:
        return [tenant for _, tenant in self._tenants]

    def caller_for(self, presented: str | None) -> Caller:
        """The caller a presented key stands for. Raises Unauthenticated for a missing or unknown key."""
        if self.is_local:
            return Caller(tenant=None, is_local=True)
        if not presented:
            raise Unauthenticated("API key required: send `Authorization: Bearer <key>` or `x-api-key: <key>`")
        digest = _digest(presented)
        found: Caller | None = None
        # Compare against every key, without stopping early, so timing says nothing about which one matched.
        if self._admin is not None and hmac.compare_digest(digest, self._admin):
            found = Caller(tenant=None, is_admin=True)
        for known, tenant in self._tenants:
            if hmac.compare_digest(digest, known) and found is None:
                found = Caller(tenant=tenant)
        if found is None:
            raise Unauthenticated("invalid API key")
        return found


def presented_key(request: Request) -> str | None:
    """The key a request carries: ``x-api-key``, else ``Authorization: Bearer``."""
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() in ("bearer", "apikey") and value.strip():
        return value.strip()
    return None


def check_bind(settings: Settings, host: str) -> None:
    """Refuse to serve a non-loopback address without an API key (raises ConfigError)."""
    if KeyRing(settings).is_local and not is_loopback(host):
        raise ConfigError(
            f"refusing to bind {host} without an API key: anyone who can reach it could read and change every "
            f"memory. Set OM_API_KEY (or OM_API_KEYS / OM_ADMIN_KEY), or bind 127.0.0.1"
        )


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
