"""The one settings class: read from the environment (and `.env`), with working defaults."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.deadlines import DEFAULT_CONSULTATION_PERIOD
from workflows.contract import TASK_QUEUE


class Settings(BaseSettings):
    """Every setting of the worker and the CLI; each is an environment variable of its name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///.data/partnerships.db",
        description="Event store: SQLite (embedded default) or postgresql+psycopg://…",
    )
    temporal_address: str = Field(default="localhost:7233", description="Temporal frontend")
    temporal_namespace: str = Field(default="default", description="Temporal namespace")
    task_queue: str = Field(default=TASK_QUEUE, description="Worker task queue")
    consultation_period_days: int = Field(
        default=DEFAULT_CONSULTATION_PERIOD.days,
        ge=1,
        le=3650,
        description="Default consultation length when none is given",
    )
    activity_threads: int = Field(
        default=16, ge=1, le=256, description="Threads for the worker's database activities"
    )
