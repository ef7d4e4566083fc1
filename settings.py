"""The one settings class, read alike by the worker, the CLI and every other front door.

Each setting is an environment variable of its name (or a line in `.env`), with a default that
runs the embedded stack: the Temporal dev server on localhost and SQLite in `.data/`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.deadlines import DEFAULT_CONSULTATION_PERIOD
from domain.explain import explain_validation_error
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
    partnerships_env: Literal["development", "production"] = Field(
        default="development",
        description="production refuses the development issuer and requires attested actors",
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="The token issuer (`iss`), e.g. EU Login; unset: the development issuer",
    )
    oidc_audience: str = Field(
        default="pilot-partnerships", description="The audience (`aud`) tokens must name"
    )
    oidc_jwks_url: str | None = Field(
        default=None, description="Where the issuer publishes its keys (JWKS)"
    )
    attestation_keys: dict[str, str] = Field(
        default_factory=dict,
        description="Keys the API and the workers share to attest actors: JSON, key id → secret",
    )
    attestation_key_id: str | None = Field(
        default=None, description="The key the API signs with (one of ATTESTATION_KEYS)"
    )
    require_attested_actors: bool | None = Field(
        default=None,
        description="Refuse unattested starts and steps; default: true in production only",
    )
    data_dir: str = Field(
        default=".data", description="Local state: the development issuer's key, SQLite files"
    )
    dev_issuer_url: str = Field(
        default="http://127.0.0.1:8000/dev/", description="`iss` of the development issuer"
    )
    temporal_tls: bool | None = Field(
        default=None,
        description="TLS to the Temporal frontend; unset: on when another TEMPORAL_TLS_* "
        "setting or TEMPORAL_API_KEY is set",
    )
    temporal_tls_ca_file: str | None = Field(
        default=None,
        description="PEM file of the CA that signed the frontend's certificate; unset: the "
        "system's trusted roots",
    )
    temporal_tls_cert_file: str | None = Field(
        default=None,
        description="PEM client certificate for mutual TLS (with TEMPORAL_TLS_KEY_FILE)",
    )
    temporal_tls_key_file: str | None = Field(
        default=None, description="PEM private key of TEMPORAL_TLS_CERT_FILE"
    )
    temporal_tls_server_name: str | None = Field(
        default=None,
        description="The name the frontend's certificate carries, when it is not the host of "
        "TEMPORAL_ADDRESS",
    )
    temporal_api_key: SecretStr | None = Field(
        default=None, description="API key sent to the Temporal frontend (e.g. Temporal Cloud)"
    )
    attestation_keys_file: str | None = Field(
        default=None,
        description="JSON file of the attestation keys (key id → secret), e.g. a compose "
        "secret; instead of ATTESTATION_KEYS",
    )

    @property
    def attestation_required(self) -> bool:
        """Whether workers refuse starts and steps the API has not attested."""
        if self.require_attested_actors is not None:
            return self.require_attested_actors
        return self.partnerships_env == "production"


TEMPORAL_HINT = (
    "Start the local stack with `make run` (or `partnerships dev`), or set TEMPORAL_ADDRESS to "
    "a running Temporal frontend."
)
"""What to do when Temporal cannot be reached: the processes that read these settings say it."""


class SettingsError(ValueError):
    """A setting in the environment is malformed; the message names the variable."""


def load_settings() -> Settings:
    """The settings from the environment (and `.env`), or SettingsError naming the bad variable."""
    try:
        return Settings()
    except ValidationError as error:
        names = {name: name.upper() for name in Settings.model_fields}
        raise SettingsError(
            f"bad setting: {explain_validation_error(error, labels=names)}"
        ) from None
