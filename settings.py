"""Every setting the project reads from the environment, in one place.

Workflow code never imports this module: workflows get what they need
(the body's time zone, the mail retry policy) in their input.

Where Temporal is and how to reach it securely (TLS, mTLS, an API key, a
profile file) is Temporal's own environment configuration, read by
`client.connection` through `temporalio.envconfig`: `TEMPORAL_ADDRESS`,
`TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS_*`,
`TEMPORAL_PROFILE`, `TEMPORAL_CONFIG_FILE`. The two `UBP_TEMPORAL_*`
settings below override its address and namespace, for the dev stack and
the tests.
"""

import importlib.metadata
import ipaddress
import json
from datetime import time
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent
DATA_DIR = PROJECT_ROOT / "var"


class MailSettings(BaseModel):
    """The SMTP server notices and digests go through, and who they come from."""

    model_config = ConfigDict(frozen=True)

    host: str
    port: int
    starttls: bool
    user: str | None
    password: SecretStr | None
    sender: str
    timeout_seconds: float

    @property
    def sender_domain(self) -> str:
        """The sender address's domain: the right-hand side of every Message-ID."""
        return parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine (a mail catcher, not a real server)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LetterSettings(BaseModel):
    """R10: who the letters come from, and where the body's own templates are."""

    model_config = ConfigDict(frozen=True)

    body_name: str
    body_address: list[str]
    signature: list[str]
    templates: Path | None


class Settings(BaseSettings):
    # Errors must not echo what was given: it may hold the SMTP password.
    model_config = SettingsConfigDict(env_prefix="UBP_", extra="ignore", hide_input_in_errors=True)

    temporal_address: str | None = Field(
        default=None,
        description="host:port of Temporal; default TEMPORAL_ADDRESS or a profile's, else 127.0.0.1:7233",
    )
    temporal_namespace: str | None = Field(
        default=None, description="default TEMPORAL_NAMESPACE or a profile's, else `default`"
    )
    task_queue: str = "ubp-parties"
    database_url: str = Field(
        default=f"sqlite:///{DATA_DIR / 'records.db'}",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL of the records database (SQLite file or PostgreSQL)",
    )
    timezone: str = "Europe/London"
    temporal_db_file: Path = DATA_DIR / "temporal.db"
    temporal_ui_port: int = 8233
    max_cached_workflows: int = 10_000
    sticky_timeout_seconds: float = Field(
        default=3,
        gt=0,
        description="how long a party's next workflow task waits for the worker that holds the party in its cache"
        " before any worker takes it: after a worker is killed, its parties' timers and messages wait this long",
    )
    api_host: str = Field(default="127.0.0.1", description="where `ubp api` and `ubp dev` serve the HTTP API")
    api_port: int = 8000
    public_url: str = Field(
        default="",
        description="the address staff open the inbox at, for the links in mail; default http://API_HOST:API_PORT",
    )
    # The CLI's acting commands go through the HTTP API, signed in with a token.
    api_base_url: str | None = Field(
        default=None,
        validation_alias="UBP_API_URL",
        description="where `ubp`'s acting commands find the HTTP API; default http://API_HOST:API_PORT",
    )
    token: SecretStr | None = Field(
        default=None, description="the bearer token `ubp` signs in to the HTTP API with (`ubp staff token STAFF_ID`)"
    )

    # Mail. The defaults reach the dev stack's mail catcher (`ubp dev`).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_starttls: bool = Field(default=False, description="upgrade the connection with STARTTLS before sending")
    smtp_user: str | None = Field(default=None, description="log in as this user (with UBP_SMTP_PASSWORD)")
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=30, gt=0)
    mail_from: str = Field(default="UBP notices <notices@ubp.example.org>", description="the sender of every mail")

    # Periodic work, as Temporal Schedules (`ubp schedules apply`).
    notice_dispatch_seconds: float = Field(default=60, gt=0, description="how often queued notices are sent")
    notice_batch: int = Field(default=100, ge=1, description="notices one dispatch run sends at most, all at once")
    webhook_poll_seconds: float = Field(
        default=5, gt=0, description="how often each webhook's delivery looks for new events: the latency when idle"
    )
    digest_time: time = Field(default=time(8, 30), description="when the daily digest goes, local time (UBP_TIMEZONE)")
    # A mail is retried with back-off while the server is down: 30 s, 1 min,
    # 2 min ... then every 10 minutes, 20 attempts in all (about 2 h 45 min),
    # before it is marked undeliverable.
    mail_retry_first_seconds: float = Field(default=30, gt=0)
    mail_retry_max_seconds: float = Field(default=600, gt=0)
    mail_attempts: int = Field(default=20, ge=1)
    body_name: str = Field(default="The Ombudsman", description="R10: the body's name at the head of each letter")
    body_address: list[str] = Field(
        default=["1 Example Street", "London", "SW1A 1AA"], description="R10: its address (JSON list of lines)"
    )
    letter_signature: list[str] = Field(
        default=["Head of Ombudsman Assurance"], description="R10: the letters' sign-off (JSON list of lines)"
    )
    letter_templates: Path | None = Field(
        default=None, description="a folder of the body's own letter templates (letter.txt, letter.html)"
    )

    # Operations.
    worker_metrics_address: str | None = Field(
        default=None,
        description="host:port where the worker serves its Prometheus metrics (/metrics), e.g. 0.0.0.0:9000;"
        " unset: none",
    )
    worker_heartbeat_file: Path | None = Field(
        default=None,
        description="a file the worker touches while Temporal sees it polling (client.liveness); its health check"
        " (`python -m client.liveness FILE`) fails when the file goes stale. Unset: none",
    )
    # R3: the body's retention period. Unset, nothing is ever removed and the
    # retention sweep is not scheduled.
    retention_years: int | None = Field(
        default=None, ge=1, le=100, description="years after a party's last activity that its file is kept"
    )
    retention_sweep_time: time = Field(
        default=time(2, 0), description="when the daily retention sweep runs, local time (UBP_TIMEZONE)"
    )
    # Art. 15: how a subject access export shows the staff on a party's file (policy.subject_access.StaffNames).
    subject_access_staff_names: Literal["keep", "roles"] = Field(
        default="keep",
        description="`keep`: staff named as the staff list names them; `roles`: each 'a member of staff', "
        "with their role",
    )

    # Staff sign in to the inbox through the body's identity provider (OpenID Connect,
    # authorization code with PKCE): docs/operations.md, "Signing in".
    oidc_issuer: str | None = Field(
        default=None, description="the identity provider's issuer URL (its /.well-known/openid-configuration)"
    )
    oidc_client_id: str | None = Field(default=None, description="the inbox's client id at the identity provider")
    oidc_client_secret: SecretStr | None = Field(default=None, description="the inbox's client secret")
    oidc_roles_claim: str | None = Field(
        default=None,
        description="the ID token claim holding a person's roles or groups (Entra ID: roles); unset: roles come "
        "from the staff list, linked by subject (`ubp staff link`)",
    )
    # NoDecode: an empty value (compose's unset variable) means no map, not a JSON error.
    oidc_role_map: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="JSON: a value of the roles claim -> the policy's role it grants; values not in it grant "
        "nothing (empty: a value that is a role's name grants that role)",
    )
    oidc_staff_id_claim: str = Field(
        default="preferred_username",
        description="with UBP_OIDC_ROLES_CLAIM: the claim whose value is the person's staff id",
    )
    oidc_require_mfa: bool = Field(
        default=False,
        description="refuse a sign-in the provider does not say used a second factor (amr, or acr in UBP_OIDC_MFA_ACR)",
    )
    oidc_mfa_acr: list[str] = Field(
        default_factory=list, description="acr values that count as a second factor (JSON list)"
    )
    # ASVS 3.3.2 at level 2: signed in again after 30 minutes idle or 12 hours in all
    # (a working day). docs/operations.md says why.
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=7 * 24)
    session_secret: SecretStr | None = Field(
        default=None,
        description="signs the browser's short-lived sign-in cookie (state, nonce, PKCE verifier): the same on "
        "every API replica; unset: a random one per process",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses of the TLS-terminating proxies whose X-Forwarded-For and -Proto are trusted "
        "(JSON list); none by default",
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="the largest request body accepted (413)")
    sign_in_per_minute: int = Field(default=10, ge=1, description="sign-in attempts per client address per minute")
    requests_per_minute: int = Field(default=600, ge=1, description="requests per principal per minute (429)")
    timer_spread_seconds: int = Field(
        default=300,
        ge=0,
        le=3600,
        description="each party wakes for a deadline up to this long after it (a fixed offset of its own), so that "
        "the deadlines every party shares (17:00 on a working day, midnight) do not wake them all at once; "
        "given to parties started after it is set",
    )
    signals_per_party_per_minute: int = Field(
        default=300,
        ge=1,
        description="incidents sent without waiting (signals) per party per minute (429): a party's workflow "
        "takes about five a second sustained, and thousands at once would wedge it (bench/RESULTS.md, finding 1)",
    )
    api_docs: bool = Field(
        default=False, description="serve the API's docs page (/docs, Swagger UI from a CDN); never in production"
    )
    dev_idp_port: int = Field(default=8091, description="where `ubp dev` runs its identity provider on 127.0.0.1")

    @field_validator("worker_metrics_address")
    @classmethod
    def _host_and_port(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"UBP_WORKER_METRICS_ADDRESS must be host:port, e.g. 0.0.0.0:9000, not {value!r}")
        return value

    @field_validator(
        "smtp_user",
        "smtp_password",
        "worker_metrics_address",
        "retention_years",
        "api_base_url",
        "token",
        "oidc_issuer",
        "oidc_client_id",
        "oidc_client_secret",
        "oidc_roles_claim",
        "session_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # docker compose passes an optional variable left unset as "".
        return None if value == "" else value

    @field_validator("oidc_role_map", mode="before")
    @classmethod
    def _empty_is_no_map(cls, value: object) -> object:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> Self:
        if self.smtp_password is not None and not self.smtp_starttls and not is_loopback(self.smtp_host):
            raise ValueError(
                f"UBP_SMTP_PASSWORD would cross the network to {self.smtp_host} unencrypted: set UBP_SMTP_STARTTLS=true"
            )
        if self.smtp_password is not None and not self.smtp_user:
            raise ValueError("UBP_SMTP_PASSWORD is set without UBP_SMTP_USER")
        return self

    @property
    def mail(self) -> MailSettings:
        return MailSettings(
            host=self.smtp_host,
            port=self.smtp_port,
            starttls=self.smtp_starttls,
            user=self.smtp_user,
            password=self.smtp_password,
            sender=self.mail_from,
            timeout_seconds=self.smtp_timeout_seconds,
        )

    def retention_period(self) -> int:
        """The retention period in years (R3).

        Raises:
            ValueError: `UBP_RETENTION_YEARS` is not set: nothing may be removed.
        """
        if self.retention_years is None:
            raise ValueError("UBP_RETENTION_YEARS is not set: the body's retention period decides what goes (R3)")
        return self.retention_years

    @property
    def letters(self) -> LetterSettings:
        return LetterSettings(
            body_name=self.body_name,
            body_address=self.body_address,
            signature=self.letter_signature,
            templates=self.letter_templates,
        )

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    @property
    def inbox_url(self) -> str:
        """The inbox's address, for links in mail (no trailing slash)."""
        base = self.public_url or self.api_url()
        return f"{base.rstrip('/')}/inbox"

    encryption_keys: SecretStr | None = Field(
        default=None,
        description="the payload key ring as JSON (the content of a file from `ubp keys generate`); "
        "takes precedence over encryption_key_file",
    )
    encryption_key_file: Path = Field(
        default=DATA_DIR / "encryption-keys.json",
        description="the payload key ring file; `ubp dev` and the tests create this default one when missing",
    )
    door_key_file: Path = Field(
        default=DATA_DIR / "door-keys.json",
        description="the door's Ed25519 signing keys (`ubp door-keys generate`): only the API, and local tools "
        "on its machine, hold this file; `ubp dev` and the tests create this default one when missing",
    )
    door_public_key_file: Path | None = Field(
        default=None,
        description="the doors' public keys the worker trusts (`ubp door-keys public`); "
        "default: the public halves of door_key_file",
    )
    codec_cors_origins: list[str] | None = Field(
        default=None,
        description="browser origins of the Temporal UI allowed to call the codec endpoint (JSON list); "
        "default the dev server's UI on temporal_ui_port",
    )

    def api_url(self) -> str:
        """Where a browser on this machine reaches the HTTP API (the inbox, the codec endpoint)."""
        host = "127.0.0.1" if self.api_host in ("0.0.0.0", "::", "") else self.api_host
        return f"http://{host}:{self.api_port}"

    def api_base(self) -> str:
        """Where `ubp`'s acting commands send their requests (no trailing slash)."""
        return (self.api_base_url or self.api_url()).rstrip("/")

    def ui_origins(self) -> list[str]:
        """The origins allowed to call the codec endpoint from a browser."""
        if self.codec_cors_origins is not None:
            return self.codec_cors_origins
        return [f"http://127.0.0.1:{self.temporal_ui_port}", f"http://localhost:{self.temporal_ui_port}"]


@lru_cache
def get_settings() -> Settings:
    return Settings()


@lru_cache
def release() -> str:
    """The release this code is: the installed package's version (pyproject.toml's), which
    `ubp --version`, `/readyz` and the worker's start log say, so that operators know which runs."""
    try:
        return importlib.metadata.version("ubp-orchestrator")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (the project is not installed: bash scripts/setup.sh)"
