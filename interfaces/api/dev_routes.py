"""The development issuer's public keys, served under `/dev/` (never in production).

Tokens that `partnerships token` prints name the issuer `DEV_ISSUER_URL` (by default
`http://127.0.0.1:8000/dev/`); its keys are published here, as an external issuer publishes
its JWKS, so any client can verify what the API verifies.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from app.dev_issuer import JWKS_PATH, DevIssuer
from settings import Settings


def install_dev_issuer(app: FastAPI, settings: Settings) -> None:
    """Serve the development issuer's JWKS at `/dev/jwks.json`, unless in production."""
    if settings.partnerships_env == "production":
        return
    issuer = DevIssuer(settings)
    router = APIRouter(prefix="/dev", tags=["development issuer"])

    @router.get(f"/{JWKS_PATH}", summary="The development issuer's keys (JWKS)")
    def jwks() -> dict[str, Any]:
        """The public key that signs development tokens, as a JWKS."""
        return issuer.jwks()

    app.include_router(router)
