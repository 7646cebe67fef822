"""Every setting the project reads from the environment, in one place.

Workflow code never imports this module: workflows get what they need
(the body's time zone) in their input.
"""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent
DATA_DIR = PROJECT_ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UBP_", extra="ignore")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
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


@lru_cache
def get_settings() -> Settings:
    return Settings()
