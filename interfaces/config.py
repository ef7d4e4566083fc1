"""Loading the settings for a CLI command, with a readable error for a bad environment."""

from __future__ import annotations

from pydantic import ValidationError

from interfaces.errors import CliError, ExitCode, explain_validation_error
from interfaces.settings import Settings


def load_settings() -> Settings:
    """The settings from the environment (and `.env`), or CliError naming the bad variable."""
    try:
        return Settings()
    except ValidationError as error:
        names = {name: name.upper() for name in Settings.model_fields}
        raise CliError(
            f"bad setting: {explain_validation_error(error, options=names)}",
            code=ExitCode.USAGE,
        ) from None
