"""The accession form of a launched partnership's page: who is offered it, and what it holds.

A signed-in Member State's representative whose Member State is not yet a party to the joint
declaration (the domain's `accession_refusal` says who is) is offered the form for that Member
State. The core decides again when the form is sent (app/accessions.py), and its refusal is
shown beside the form, with what was typed kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.actors import Role
from domain.conditions import accession_refusal
from domain.stages import Stage
from domain.view import StatusView
from interfaces.console.core_parts import Viewer
from interfaces.console.refusals import Refusal


@dataclass(frozen=True)
class AccessionForm:
    """The accession form as the page shows it: its Member State, the date as typed, a date
    that could not be read, the core's refusal, and whether the form itself is shown (a refusal
    of someone not offered the form is shown alone)."""

    member_state: str
    acceded_on: str
    error: str | None = None
    refusal: Refusal | None = None
    offered: bool = True


def accession_form_for(viewer: Viewer, view: StatusView, today: date) -> AccessionForm | None:
    """The form offered to `viewer` on `view`'s page, dated `today`, or None when they are no
    representative of a Member State that may still accede to the launched partnership.

    A representative bound to several such Member States is offered the first of them.
    """
    if view.stage is not Stage.LAUNCHED or view.launch is None:
        return None
    acceded = [accession.member_state for accession in view.accessions]
    for actor in viewer.actors:
        if actor.role is not Role.MEMBER_STATE or actor.member_state is None:
            continue
        refused = accession_refusal(
            actor.member_state, signatories=view.launch.member_states, acceded=acceded
        )
        if refused is None:
            return AccessionForm(actor.member_state, today.isoformat())
    return None
