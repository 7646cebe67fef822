"""Who an identity provider's sign-in is (services.signing_in): the staff list linked by
subject, or the provider's role claim mapped to the policy's roles (Entra ID's app roles as
the example); a second factor where the settings require one (amr or acr). The protocol
itself is tested against a real provider in tests/test_sign_in_browser.py.
"""

import pytest

from policy.vocabulary import Role
from records.security_log import SecurityEvent
from services.signing_in import SignInRefused, SignInRules, roles_from_claims, staff_signing_in
from settings import Settings
from web.app import api_server

ENTRA = {"UBP.Manager": "manager", "UBP.Operations": "operations", "UBP.System": "case_system"}


def _rules(settings: Settings, **changes) -> SignInRules:
    return SignInRules.of(settings.model_copy(update=changes))


def test_roles_come_from_the_staff_list_linked_to_the_subject(store, settings):
    rules = _rules(settings)
    store.add_staff("manager-1", "Morgan Manager", [Role.MANAGER])
    with pytest.raises(SignInRefused) as refused:
        staff_signing_in(store, {"sub": "entra-sub-1"}, rules)
    assert refused.value.code == "unknown_subject"
    store.link_subject("manager-1", "entra-sub-1")
    # The provider's roles are not asked: the staff list decides.
    assert staff_signing_in(store, {"sub": "entra-sub-1", "roles": ["UBP.Operations"]}, rules).roles == ["manager"]
    store.set_staff_active("manager-1", False)
    with pytest.raises(SignInRefused) as inactive:
        staff_signing_in(store, {"sub": "entra-sub-1"}, rules)
    assert inactive.value.code == "inactive"


def test_roles_from_entra_app_roles_are_mapped_and_written_to_the_staff_list(store, settings):
    rules = _rules(settings, oidc_roles_claim="roles", oidc_role_map=ENTRA, oidc_staff_id_claim="oid")
    claims = {"sub": "s-1", "oid": "0000-aaaa", "name": "Morgan Manager", "roles": ["UBP.Manager", "Other.App"]}
    assert roles_from_claims(claims, rules) == [Role.MANAGER]
    # Never case_system, whatever the map says.
    assert roles_from_claims({"roles": ["UBP.System"]}, rules) == []
    staff = staff_signing_in(store, claims, rules)
    assert (staff.staff_id, staff.name, staff.roles, staff.idp_subject) == (
        "0000-aaaa",
        "Morgan Manager",
        ["manager"],
        "s-1",
    )
    # A change of roles at the provider reaches the staff list at the next sign-in, and ends the old sessions.
    session_id, _ = store.open_session("0000-aaaa", ["manager"], rules.timeouts)
    staff_signing_in(store, claims | {"roles": ["UBP.Operations"]}, rules)
    assert store.staff("0000-aaaa").roles == ["operations"]
    assert store.live_session(session_id, rules.timeouts) is None
    assert [e.detail for e in store.security_events(kind=SecurityEvent.ROLE_CHANGE)] == ["operations"]
    with pytest.raises(SignInRefused) as no_role:
        staff_signing_in(store, claims | {"roles": ["Other.App"]}, rules)
    assert no_role.value.code == "no_role"
    with pytest.raises(SignInRefused) as other:
        staff_signing_in(store, claims | {"sub": "s-2"}, rules)
    assert other.value.code == "subject_mismatch"


def test_a_second_factor_is_required_where_the_settings_say(store, settings):
    store.add_staff("manager-1", "Morgan Manager", [Role.MANAGER])
    store.link_subject("manager-1", "sub-1")
    required = _rules(settings, oidc_require_mfa=True, oidc_mfa_acr=["urn:example:mfa"])
    with pytest.raises(SignInRefused) as refused:
        staff_signing_in(store, {"sub": "sub-1", "amr": ["pwd"]}, required)
    assert refused.value.code == "no_second_factor"
    assert staff_signing_in(store, {"sub": "sub-1", "amr": ["pwd", "mfa"]}, required).staff_id == "manager-1"
    assert staff_signing_in(store, {"sub": "sub-1", "acr": "urn:example:mfa"}, required).staff_id == "manager-1"
    assert staff_signing_in(store, {"sub": "sub-1", "amr": ["pwd"]}, _rules(settings)).staff_id == "manager-1"


def test_forwarded_headers_are_trusted_only_from_the_configured_proxies(settings, store):
    alone = api_server(settings, None, store)  # type: ignore[arg-type]
    assert alone.config.proxy_headers is False
    behind = api_server(settings.model_copy(update={"trusted_proxies": ["10.0.0.5"]}), None, store)  # type: ignore[arg-type]
    assert behind.config.proxy_headers is True and behind.config.forwarded_allow_ips == ["10.0.0.5"]
