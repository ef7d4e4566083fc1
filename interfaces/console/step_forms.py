"""The form of each step: its fields taken from the contract's request models, read back.

A field's kind follows its type in `domain.requests`: a date is a date input (today by
default), a list of components is a set of checkboxes, a list of Member States is a set of
checkboxes of the interested ones, a choice is a set of radio buttons, free text a text area,
a label a text input. What the person typed is kept as typed (`Typed`), so a refused form is
shown again with every value in place.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import ValidationError

from domain.actors import Actor
from domain.components import Component
from domain.conditions import COMMUNITY_OFFERS, MEMBER_STATE_OFFERS
from domain.requests import REQUEST_FOR, StartPartnership, UserRequest
from interfaces.console import wording

Kind = Literal["date", "text", "textarea", "radio", "checkboxes", "fixed", "yesno"]

LABELS: Final[dict[str, str]] = {
    "country": "Third country (ISO code, e.g. CV)",
    "rationale": "Rationale",
    "terms_of_reference": "Terms of reference",
    "region": "Region",
    "occurred_on": "Date it happened",
    "consultation_deadline": "Consultation deadline",
    "decision_deadline": "Council decision deadline",
    "member_state": "Answering for",
    "position": "Position",
    "offers": "Offers",
    "comments": "Comments",
    "note": "Note",
    "held_on": "Held on",
    "member_states": "Member States taking part",
    "summary": "Summary",
    "location": "Location",
    "third_country_willing": "Is the third country willing?",
    "commitments": "The third country's commitments",
    "community_offers": "What the Community offers",
    "council_target_date": "The Council's own target date",
    "recommendation": "Recommendation",
    "reference": "Reference",
    "new_deadline": "New decision deadline",
    "reason": "Reason",
    "outcome": "The Council's decision",
    "decided_on": "Decided on",
    "council_reference": "Council reference",
    "components": "Components",
    "signed_on": "Signed on",
    "joint_declaration_reference": "Joint declaration reference",
}

CHOICE_LABELS: Final[dict[str, str]] = {
    "interested": "Interested",
    "not_interested": "Not interested",
    "launch": "Launch the partnership",
    "do_not_launch": "Do not launch",
    "invite_launch": "Invite the Commission to launch",
    "decline": "Decline",
}

# Fields that default to today: the business dates of what is being recorded.
_TODAY_BY_DEFAULT: Final = frozenset({"occurred_on", "held_on", "decided_on", "signed_on"})
# Fields never on a form: who acts comes from the sign-in, the version from the page read.
_NOT_ON_FORMS: Final = frozenset({"actor", "expected_version", "region"})


@dataclass(frozen=True)
class Choice:
    """One radio button or checkbox."""

    value: str
    label: str


@dataclass(frozen=True)
class FormField:
    """One field of a step's form."""

    name: str
    label: str
    kind: Kind
    required: bool
    choices: tuple[Choice, ...] = ()
    hint: str = ""


@dataclass
class Typed:
    """What the person typed into a form, by field, as text (lists for checkboxes)."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)

    def value(self, name: str) -> str:
        """The text typed into `name`, empty when none."""
        return self.values.get(name, "")

    def checked(self, name: str, value: str) -> bool:
        """Whether `value` is ticked among `name`'s checkboxes."""
        return value in self.lists.get(name, [])


def _inner(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `| None`, and whether None was allowed."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), True
    return annotation, False


def _kind(name: str, annotation: Any) -> tuple[Kind, tuple[Choice, ...]]:
    base, _ = _inner(annotation)
    origin = typing.get_origin(base)
    if base is date:
        return "date", ()
    if base is bool:
        return "yesno", (Choice("yes", "Yes"), Choice("no", "No"))
    if origin is list:
        (item,) = typing.get_args(base)
        if item is Component:
            # In the conclusions' order; a Member State offers only what it may offer, the
            # Community only what it may (point 10: visa facilitation is the Community's).
            allowed = {"offers": MEMBER_STATE_OFFERS, "community_offers": COMMUNITY_OFFERS}
            pool = [c for c in Component if name not in allowed or c in allowed[name]]
            return "checkboxes", tuple(Choice(c.value, wording.component(c)) for c in pool)
        return "checkboxes", ()
    if isinstance(base, type) and issubclass(base, StrEnum):
        return "radio", tuple(Choice(v.value, CHOICE_LABELS.get(v.value, v.value)) for v in base)
    if name in {"rationale", "terms_of_reference", "comments", "summary", "note", "reason"}:
        return "textarea", ()
    return "text", ()


def form_fields(
    update: str, *, member_states: Sequence[str] = (), acting_for: str | None = None
) -> list[FormField]:
    """The fields of `update`'s form (`propose` for a proposal).

    `member_states` are the choices of a Member-States field (the interested ones), and
    `acting_for` the Member State a representative answers for (fixed, not chosen).
    """
    model = StartPartnership if update == "propose" else REQUEST_FOR[update]
    found: list[FormField] = []
    for name, info in model.model_fields.items():
        if name in _NOT_ON_FORMS:
            continue
        kind, choices = _kind(name, info.annotation)
        if name == "member_state":
            kind = "fixed"
            choices = (Choice(acting_for or "", wording.country(acting_for)),)
        elif name == "member_states":
            choices = tuple(Choice(ms, f"{wording.country(ms)} ({ms})") for ms in member_states)
        hint = ""
        if name in _TODAY_BY_DEFAULT:
            hint = "Today unless you give the day it happened."
        found.append(
            FormField(
                name=name,
                label=LABELS.get(name, name.replace("_", " ").capitalize()),
                kind=kind,
                required=info.is_required(),
                choices=choices,
                hint=hint,
            )
        )
    return found


def defaults(
    fields: Sequence[FormField], today: date, *, member_states: Sequence[str] = ()
) -> Typed:
    """A new form's values: today for the dates of what happens, every Member State ticked."""
    typed = Typed()
    for f in fields:
        if f.name in _TODAY_BY_DEFAULT:
            typed.values[f.name] = today.isoformat()
        elif f.kind == "fixed":
            typed.values[f.name] = f.choices[0].value
        elif f.name == "member_states":
            typed.lists[f.name] = list(member_states)
    return typed


def typed_from(form: Mapping[str, Any], fields: Sequence[FormField]) -> Typed:
    """What was typed into a submitted form (a Starlette FormData or a plain mapping)."""
    typed = Typed()
    for f in fields:
        if f.kind == "checkboxes":
            getter = getattr(form, "getlist", None)
            given = getter(f.name) if getter else form.get(f.name, [])
            typed.lists[f.name] = [str(v) for v in given]
        else:
            typed.values[f.name] = str(form.get(f.name, "")).strip()
    return typed


def payload(typed: Typed, fields: Sequence[FormField]) -> dict[str, Any]:
    """The request's fields from what was typed: empty fields left out, yes/no as booleans."""
    body: dict[str, Any] = {}
    for f in fields:
        if f.kind == "checkboxes":
            body[f.name] = typed.lists.get(f.name, [])
            continue
        text = typed.value(f.name)
        if not text:
            continue
        if f.kind == "yesno":
            body[f.name] = {"yes": True, "no": False}.get(text, text)
        else:
            body[f.name] = text
    return body


def request_for(
    update: str,
    typed: Typed,
    fields: Sequence[FormField],
    actor: Actor,
    *,
    expected_version: int | None = None,
) -> UserRequest:
    """The contract's request for a submitted form; pydantic's ValidationError if it fails."""
    model = StartPartnership if update == "propose" else REQUEST_FOR[update]
    extra: dict[str, Any] = {}
    if expected_version is not None:
        extra["expected_version"] = expected_version
    return model.model_validate({**payload(typed, fields), **extra, "actor": actor})


def field_errors(error: ValidationError, fields: Sequence[FormField]) -> dict[str, str]:
    """Each bad field's message, by field name ("" for what concerns the form as a whole)."""
    names = {f.name for f in fields}
    found: dict[str, str] = {}
    for problem in error.errors(include_url=False):
        location = [str(part) for part in problem.get("loc", ())]
        name = location[0] if location and location[0] in names else ""
        message = str(problem.get("msg", "is invalid")).removeprefix("Value error, ")
        if problem.get("type") == "missing":
            message = "This field is required."
        elif problem.get("type") == "bool_parsing":
            message = "Choose yes or no."
        found[name] = f"{found[name]} {message}" if name in found else message
    return found
