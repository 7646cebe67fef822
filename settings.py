"""Every setting the project reads from the environment, in one place.

Workflow code never imports this module: workflows get what they need
(the body's time zone) in their input.

Where Temporal is and how to reach it securely (TLS, mTLS, an API key, a
profile file) is Temporal's own environment configuration, read by
`client.connection` through `temporalio.envconfig`: `TEMPORAL_ADDRESS`,
`TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS_*`,
`TEMPORAL_PROFILE`, `TEMPORAL_CONFIG_FILE`. The two `UBP_TEMPORAL_*`
settings below override its address and namespace, for the dev stack and
the tests.
"""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent
DATA_DIR = PROJECT_ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UBP_", extra="ignore")

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
    api_host: str = Field(default="127.0.0.1", description="where `ubp api` and `ubp dev` serve the HTTP API")
    api_port: int = 8000
    encryption_keys: SecretStr | None = Field(
        default=None,
        description="the payload key ring as JSON (the content of a file from `ubp keys generate`); "
        "takes precedence over encryption_key_file",
    )
    encryption_key_file: Path = Field(
        default=DATA_DIR / "encryption-keys.json",
        description="the payload key ring file; `ubp dev` and the tests create this default one when missing",
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

    def ui_origins(self) -> list[str]:
        """The origins allowed to call the codec endpoint from a browser."""
        if self.codec_cors_origins is not None:
            return self.codec_cors_origins
        return [f"http://127.0.0.1:{self.temporal_ui_port}", f"http://localhost:{self.temporal_ui_port}"]


@lru_cache
def get_settings() -> Settings:
    return Settings()
