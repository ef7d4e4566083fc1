"""`partnerships api`: serve the HTTP API (DESIGN.md §3b) with uvicorn until Ctrl-C or SIGTERM."""

from __future__ import annotations

from typing import Annotated

import typer

from app.temporal import connection_security
from interfaces.terminal import out, reported
from settings import Settings, load_settings

DEFAULT_API_PORT = 8000


def for_address(settings: Settings, host: str, port: int) -> Settings:
    """The settings a server on `host:port` runs with.

    The development issuer's URL names the API that publishes its keys, so unless
    DEV_ISSUER_URL says otherwise it follows the port the API is served on.
    """
    if "dev_issuer_url" in settings.model_fields_set or port == DEFAULT_API_PORT:
        return settings
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return settings.model_copy(update={"dev_issuer_url": f"http://{shown}:{port}/dev/"})


def api(
    api_port: Annotated[
        int, typer.Option("--api-port", min=1, max=65535, help="The port to serve on")
    ] = DEFAULT_API_PORT,
    host: Annotated[
        str, typer.Option("--host", help="The address to listen on (0.0.0.0: every interface)")
    ] = "127.0.0.1",
) -> None:
    """Serve the HTTP API until Ctrl-C or SIGTERM; print its address and OpenAPI docs."""
    # Imported here: only this command needs the web server.
    import uvicorn

    from app.log_context import configure_logging
    from interfaces.api.server import create_app

    loaded = load_settings()
    connection_security(loaded)  # bad TLS settings: one line and exit 2, before serving
    settings = for_address(loaded, host, api_port)
    app = create_app(settings)
    base = f"http://{host}:{api_port}"
    out.print(
        f"API at {base}  (OpenAPI docs at {base}/docs, schema at {base}/openapi.json)",
        soft_wrap=True,
    )
    if not settings.oidc_issuer:
        moved = settings.dev_issuer_url != loaded.dev_issuer_url
        out.print(
            f"Development issuer {settings.dev_issuer_url}: tokens from "
            + (f"`DEV_ISSUER_URL={settings.dev_issuer_url} " if moved else "`")
            + "partnerships token --as ROLE[:MS]:USER`",
            soft_wrap=True,
        )
    # LOG_FORMAT: one handler, json or text with each request's id; uvicorn's lines go to it.
    configure_logging(settings, extra_info=("uvicorn",))
    uvicorn.run(
        app, host=host, port=api_port, log_level="info", log_config=None, server_header=False
    )


def register(app: typer.Typer) -> None:
    """Add `partnerships api` to the root app."""
    app.command(name="api", rich_help_panel="Running the system")(reported(api))
