"""Who an identity provider's sign-in is: the member of staff, their roles, and whether
the body's rules for signing in (a role; a second factor, if required) are met.

Two ways to a person's roles, one chosen by the settings: the staff list, linked to the
provider's subject (`ubp staff link STAFF_ID SUBJECT`); or the provider's role or group
claim mapped to the policy's roles, written to the staff list at each sign-in, so that
the staff list stays the one place the workflows and the permission table read.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from policy.vocabulary import Role
from records.sessions import SessionTimeouts
from records.store import RecordStore
from records.tables import StaffRow
from settings import Settings

# The amr values (RFC 8176) that say a second factor was used: Entra ID gives `mfa`.
SECOND_FACTOR_AMR = frozenset({"mfa", "otp", "hwk", "swk", "sms", "tel", "fpt", "face", "iris", "retina", "sc"})


class SignInRefused(Exception):
    """The provider signed the person in, but the inbox will not: `code` for the security log."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SignInRules:
    """What the settings say about signing in."""

    roles_claim: str | None
    role_map: Mapping[str, str]
    staff_id_claim: str
    require_mfa: bool
    mfa_acr: frozenset[str]
    timeouts: SessionTimeouts

    @classmethod
    def of(cls, settings: Settings) -> "SignInRules":
        return cls(
            roles_claim=settings.oidc_roles_claim,
            role_map=settings.oidc_role_map,
            staff_id_claim=settings.oidc_staff_id_claim,
            require_mfa=settings.oidc_require_mfa,
            mfa_acr=frozenset(settings.oidc_mfa_acr),
            timeouts=SessionTimeouts(
                idle=timedelta(minutes=settings.session_idle_minutes),
                absolute=timedelta(hours=settings.session_absolute_hours),
            ),
        )


def roles_from_claims(claims: Mapping[str, Any], rules: SignInRules) -> list[Role]:
    """The policy's roles the provider's role or group claim grants (never case_system)."""
    assert rules.roles_claim is not None
    values = claims.get(rules.roles_claim) or []
    if isinstance(values, str):
        values = [values]
    named = {rules.role_map.get(str(v), "" if rules.role_map else str(v)) for v in values}
    people = {r.value for r in Role} - {Role.CASE_SYSTEM.value}
    return sorted(Role(r) for r in named & people)


def has_second_factor(claims: Mapping[str, Any], rules: SignInRules) -> bool:
    amr = claims.get("amr") or []
    return bool(SECOND_FACTOR_AMR.intersection(amr)) or claims.get("acr") in rules.mfa_acr


def staff_signing_in(store: RecordStore, claims: Mapping[str, Any], rules: SignInRules) -> StaffRow:
    """The active member of staff, holding at least one role, that validated ID token claims sign in as.

    Raises:
        SignInRefused: No second factor where one is required; not on the staff list, or
            not linked to the subject; inactive; no role.
    """
    if rules.require_mfa and not has_second_factor(claims, rules):
        raise SignInRefused("no_second_factor", "the inbox needs a second factor: sign in with it at the provider")
    subject = str(claims["sub"])
    if rules.roles_claim is None:
        staff = store.staff_for_subject(subject)
        if staff is None:
            raise SignInRefused("unknown_subject", "you are not on the staff list: ask an administrator to add you")
    else:
        staff = _staff_from_claims(store, subject, claims, rules)
    if not staff.active or staff.kind != "person":
        raise SignInRefused("inactive", "your account is not active")
    if not staff.roles:
        raise SignInRefused("no_role", "you hold no role in the policy")
    return staff


def _staff_from_claims(store: RecordStore, subject: str, claims: Mapping[str, Any], rules: SignInRules) -> StaffRow:
    roles = roles_from_claims(claims, rules)
    if not roles:
        raise SignInRefused("no_role", "you hold no role in the policy: ask for one at the identity provider")
    staff_id = str(claims.get(rules.staff_id_claim) or "")
    if not staff_id:
        raise SignInRefused("no_staff_id", f"the provider gave no {rules.staff_id_claim} claim")
    known = store.staff(staff_id)
    if known is not None and (known.kind != "person" or known.idp_subject not in (None, subject)):
        raise SignInRefused("subject_mismatch", "that staff id is another account's")
    if known is not None and not known.active:
        raise SignInRefused("inactive", "your account is not active")
    store.add_staff(staff_id, str(claims.get("name") or staff_id), roles)
    return store.link_subject(staff_id, subject)
