"""The one settings class, read alike by the worker, the CLI and every other front door.

Each setting is an environment variable of its name (or a line in `.env`), with a default that
runs the embedded stack: the Temporal dev server on localhost and SQLite in `.data/`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.bounds import (
    DEADLINE_HORIZON_YEARS,
    fits_within_horizon,
    latest_deadline,
    longest_period_within_horizon,
)
from domain.deadlines import DEFAULT_CONSULTATION_PERIOD
from domain.explain import explain_validation_error
from workflows.contract import TASK_QUEUE

MIN_SESSION_SECRET_CHARS: Final = 32
"""The shortest CONSOLE_SESSION_SECRET accepted."""


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
        description="Default consultation length when none is given, in days; at most "
        f"what ends within the {DEADLINE_HORIZON_YEARS}-year deadline horizon",
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
    partnerships_api: str | None = Field(
        default=None,
        description="The HTTP API the CLI sends its steps to, e.g. http://127.0.0.1:8000; "
        "unset: the CLI sends them to Temporal directly (development)",
    )
    partnerships_token: SecretStr | None = Field(
        default=None,
        description="The bearer token the CLI sends to PARTNERSHIPS_API; in development, "
        "--as asks the development issuer for one instead",
    )

    oidc_client_id: str | None = Field(
        default=None,
        description="The console's client id at the issuer (OpenID Connect sign-in); required "
        "in production; unset in development: the development issuer's console client",
    )
    oidc_client_secret: SecretStr | None = Field(
        default=None,
        description="The console's client secret, when the issuer gives it one; unset: a public "
        "client (PKCE only)",
    )
    console_session_secret: SecretStr | None = Field(
        default=None,
        description="The key that signs the console's session cookies, at least 32 characters; "
        "required in production; unset in development: made and kept in DATA_DIR",
    )
    public_url: str | None = Field(
        default=None,
        description="Where browsers reach the console, e.g. https://partnerships.example.eu "
        "(the sign-in callback is PUBLIC_URL/sign-in/callback); required in production; unset "
        "in development: the origin of DEV_ISSUER_URL",
    )
    console_token: Literal["access_token", "id_token"] = Field(
        default="access_token",
        description="Which token of the issuer's answer the console keeps and verifies as the "
        "API does (its `aud` must be OIDC_AUDIENCE): access_token, or id_token when the "
        "issuer's access tokens are not JWTs",
    )
    # Delivering milestones to subscribers (workflows/delivery.py, app/deliveries.py).
    delivery_retry_period: timedelta = Field(
        default=timedelta(days=3),
        gt=timedelta(0),
        description="How long a delivery's attempts go on before it is marked failed, as an "
        "ISO 8601 duration (as every DELIVERY_* period), e.g. P3D, PT12H, PT30S",
    )
    delivery_retry_initial: timedelta = Field(
        default=timedelta(seconds=5),
        gt=timedelta(0),
        description="The wait before a delivery's first retry; each later wait doubles",
    )
    delivery_retry_maximum: timedelta = Field(
        default=timedelta(hours=1),
        gt=timedelta(0),
        description="The longest wait between two attempts at a delivery",
    )
    delivery_attempt_timeout: timedelta = Field(
        default=timedelta(seconds=30),
        gt=timedelta(seconds=1),
        description="How long one attempt (an HTTP POST, an SMTP conversation) may take",
    )
    delivery_sweep_interval: timedelta = Field(
        default=timedelta(seconds=2),
        gt=timedelta(0),
        description="How often each worker looks for milestones owed to subscribers",
    )
    smtp_host: str = Field(default="localhost", description="The SMTP server for e-mail")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="The SMTP server's port")
    smtp_username: str | None = Field(
        default=None, description="SMTP authentication user; unset: no authentication"
    )
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password")
    smtp_starttls: bool = Field(
        default=False, description="Upgrade the SMTP connection with STARTTLS (verified)"
    )
    mail_from: str = Field(
        default="pilot-partnerships@localhost", description="The sender of milestone e-mails"
    )
    webhook_signing_key: SecretStr | None = Field(
        default=None,
        description="The key every subscriber's webhook secret is derived from (base64 of at "
        "least 32 random bytes); required in production; unset in development: made and kept "
        "in DATA_DIR",
    )

    # Operator signals: metrics, health, logs and traces (README, Operations).
    worker_metrics_port: int = Field(
        default=9464,
        ge=0,
        le=65535,
        description="Port of the worker's /metrics, /healthz and /readyz endpoint; 0: none",
    )
    worker_metrics_host: str = Field(
        default="127.0.0.1",
        description="Address the worker's endpoint listens on (0.0.0.0: every interface)",
    )
    api_metrics: Literal["loopback", "open", "off"] = Field(
        default="loopback",
        description="Who may read the API's /metrics: loopback (requests from this machine, "
        "not forwarded by a proxy), open (anyone who reaches the API) or off",
    )
    log_format: Literal["json", "text"] | None = Field(
        default=None,
        description="Log lines as JSON objects or text; unset: json in production, text otherwise",
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        description="OpenTelemetry collector to export traces to by OTLP/HTTP, e.g. "
        "http://127.0.0.1:4318; unset: no tracing",
    )

    # Anchored tamper evidence (activities/checkpoints.py, README "Operations").
    checkpoint_signing_key_file: str | None = Field(
        default=None,
        description="PEM file of the Ed25519 private key that signs checkpoints, kept outside "
        "the database; required in production; unset in development: made once in DATA_DIR",
    )
    checkpoint_every: int = Field(
        default=100,
        ge=0,
        le=1_000_000,
        description="The worker signs a checkpoint after this many appends; 0: only on demand",
    )

    @field_validator("console_session_secret")
    @classmethod
    def _long_session_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """CONSOLE_SESSION_SECRET is long enough to sign cookies that cannot be guessed."""
        if value is not None and len(value.get_secret_value()) < MIN_SESSION_SECRET_CHARS:
            raise ValueError(
                f"CONSOLE_SESSION_SECRET has {len(value.get_secret_value())} characters; it "
                f"must have at least {MIN_SESSION_SECRET_CHARS}, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _origin_only(cls, value: str | None) -> str | None:
        """PUBLIC_URL is an http(s) origin: a scheme and a host, with no path, query or fragment."""
        if value is None or not value.strip():
            return None
        text = value.strip().rstrip("/")
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"PUBLIC_URL {value!r} is not an http(s) address; write it as the origin "
                "browsers reach the console at, e.g. https://partnerships.example.eu"
            )
        if parts.path or parts.query or parts.fragment:
            raise ValueError(
                f"PUBLIC_URL {value!r} has a path, query or fragment; the console is served at "
                "the root, so give the origin only, e.g. https://partnerships.example.eu"
            )
        return text

    @field_validator("consultation_period_days")
    @classmethod
    def _period_within_horizon(cls, days: int) -> int:
        """CONSULTATION_PERIOD_DAYS ends within the deadline horizon (domain/bounds.py), so
        every defaulted consultation deadline is valid and no proposal is refused for it."""
        today = datetime.now(UTC).date()  # deadlines pass at UTC midnight, as in `decide`
        period = timedelta(days=min(days, timedelta.max.days))
        if not fits_within_horizon(period, today):
            latest, longest = latest_deadline(today), longest_period_within_horizon(today)
            raise ValueError(
                f"a consultation period of {days} days would put the default consultation "
                f"deadline after {latest.isoformat()}, {DEADLINE_HORIZON_YEARS} years from "
                f"today ({today.isoformat()}) and the latest a deadline may lie; set "
                f"CONSULTATION_PERIOD_DAYS between 1 and {longest.days}"
            )
        return days

    @field_validator("attestation_keys_file")
    @classmethod
    def _readable_keys_file(cls, value: str | None, info: ValidationInfo) -> str | None:
        """ATTESTATION_KEYS_FILE names a readable JSON object of key id → secret text."""
        path = (value or "").strip()
        if not path:
            return None
        if info.data.get("attestation_keys"):
            raise ValueError("set ATTESTATION_KEYS or ATTESTATION_KEYS_FILE, not both")
        _read_keys_file(path)
        return path

    @model_validator(mode="after")
    def _keys_from_file(self) -> Self:
        # A compose secret keeps the keys out of the environment; every reader sees them here.
        if self.attestation_keys_file is not None:
            self.attestation_keys = _read_keys_file(self.attestation_keys_file)
        return self

    @property
    def logs_as_json(self) -> bool:
        """Whether log lines are JSON objects (LOG_FORMAT, or production by default)."""
        if self.log_format is not None:
            return self.log_format == "json"
        return self.partnerships_env == "production"

    @property
    def attestation_required(self) -> bool:
        """Whether workers refuse starts and steps the API has not attested."""
        if self.require_attested_actors is not None:
            return self.require_attested_actors
        return self.partnerships_env == "production"


def _read_keys_file(path: str) -> dict[str, str]:
    """The key id → secret object in the JSON file at `path`; ValueError says what is wrong."""
    try:
        loaded = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(
            f"{path} cannot be read ({error.strerror or error}); it must name a JSON file of "
            "key id → secret"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError(f"{path} is not JSON; it must hold an object of key id → secret") from None
    if not (
        isinstance(loaded, dict)
        and loaded
        and all(isinstance(secret, str) and secret for secret in loaded.values())
    ):
        raise ValueError(
            f'{path} must hold a non-empty JSON object of key id → secret text, e.g. {{"k1": "…"}}'
        )
    return loaded


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
