"""API keys → callers: tenant derivation, header forms, admin, local mode, and the bind check."""

from __future__ import annotations

import hashlib

import pytest

from openmemory.api.auth import Caller, KeyRing, check_bind, tenant_of_key
from openmemory.config import Settings
from openmemory.errors import ConfigError, TenantMismatch, Unauthenticated


def test_plain_key_tenant_is_upstreams_sha256_prefix() -> None:
    assert tenant_of_key("secret") == hashlib.sha256(b"secret").hexdigest()[:16]
    ring = KeyRing(Settings.load(api_key="secret"))
    assert ring.caller_for("secret") == Caller(tenant=tenant_of_key("secret"))


def test_several_keys_name_their_tenants() -> None:
    ring = KeyRing(Settings.load(api_keys="k1:alice, k2:bob,k3"))
    assert ring.caller_for("k1").tenant == "alice"
    assert ring.caller_for("k2").tenant == "bob"
    assert ring.caller_for("k3").tenant == tenant_of_key("k3")


@pytest.mark.parametrize("presented", [None, "", "k", "k1 ", "K1", "k1k1"])
def test_missing_or_unknown_key_is_unauthenticated(presented: str | None) -> None:
    with pytest.raises(Unauthenticated):
        KeyRing(Settings.load(api_keys="k1:alice")).caller_for(presented)


def test_admin_key_may_name_any_user() -> None:
    caller = KeyRing(Settings.load(api_key="k", admin_key="root")).caller_for("root")
    assert caller.is_admin and caller.owner("anyone") == "anyone" and caller.owner(None) is None


def test_tenant_owner_rules() -> None:
    caller = Caller(tenant="alice")
    assert caller.owner() == "alice" and caller.owner(None, "") == "alice" and caller.owner("alice") == "alice"
    with pytest.raises(TenantMismatch):
        caller.owner("alice", "bob")


def test_no_key_is_local_mode() -> None:
    ring = KeyRing(Settings.load())
    assert ring.is_local and ring.caller_for(None).is_local


def test_empty_key_in_api_keys_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="OM_API_KEYS"):
        KeyRing(Settings.load(api_keys="k1:alice,:bob"))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_local_mode_may_bind_loopback(host: str) -> None:
    check_bind(Settings.load(), host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.com"])
def test_local_mode_refuses_other_addresses(host: str) -> None:
    with pytest.raises(ConfigError, match="without an API key"):
        check_bind(Settings.load(), host)
    check_bind(Settings.load(api_key="k"), host)


def test_keys_never_appear_in_settings_repr() -> None:
    assert "topsecret" not in repr(Settings.load(api_key="topsecret", api_keys="topsecret:t", admin_key="topsecret"))
