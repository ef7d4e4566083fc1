"""Typed domain errors: one root, one subclass per kind of rejection.

Each message says what was wrong and what is allowed, because it is shown verbatim to the
Commission official, Presidency official or Member State representative who tried the step.
The class's name is the kind a client branches on (the workflow's refusal carries it as its
type), so renaming one changes the public contract.
"""

from __future__ import annotations


class DomainError(Exception):
    """Root of every rejection the domain makes; nothing is recorded when one is raised."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidCountry(DomainError):
    """A code is not a country, or not the kind of country the step needs."""


class NotAThirdCountry(InvalidCountry):
    """A Member State was given where a third country is needed."""


class UnionTerritory(NotAThirdCountry):
    """A territory of a Member State that is part of the Union, given as a third country."""


class OverseasCountryOrTerritory(NotAThirdCountry):
    """An overseas country or territory of Annex II TFEU, given as a third country."""


class NotAMemberState(InvalidCountry):
    """A code that is not a Member State on the event's business date."""


class NotPermitted(DomainError):
    """The actor's role may not issue this command."""


class ForeignMemberState(NotPermitted):
    """A Member State representative acting for another Member State."""


class NotThePresidency(NotPermitted):
    """A Presidency step by a Member State that did not hold the Presidency on its date."""


class WrongStage(DomainError):
    """The command is not possible at the partnership's current stage."""


class NotInterested(DomainError):
    """A Member State that did not declare interest was named for talks or signature."""


class InvalidDeadline(DomainError):
    """A deadline in the past, beyond the horizon (domain/bounds.py), or out of order."""


class InvalidDate(DomainError):
    """A business date in the future, before the earliest business date (domain/bounds.py),
    or before an earlier step it depends on."""


class InvalidInput(DomainError):
    """A field value that breaks a rule not captured by its type (e.g. an empty list)."""


class DeadlineNotReached(DomainError):
    """A deadline-driven step tried before its deadline."""


class AlreadyStarted(DomainError):
    """A partnership was proposed twice in one stream."""


class VersionMismatch(DomainError):
    """A step sent against a version of the partnership that is no longer the current one."""


class ConditionNotMet(DomainError):
    """A step that fails a condition of point 10 of the Council conclusions of June 2007."""


class LimitReached(DomainError):
    """A step that would exceed one of a partnership's count caps (domain/bounds.py)."""
