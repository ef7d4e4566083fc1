"""What a partnership may contain (Council conclusions of June 2007, point 10)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Component(StrEnum):
    """A component a party may offer or commit to."""

    LEGAL_MIGRATION = "legal_migration"
    MIGRATION_AND_DEVELOPMENT = "migration_and_development"
    CAPACITY_BUILDING = "capacity_building"
    REINTEGRATION_OF_RETURNEES = "reintegration_of_returnees"
    VISA_FACILITATION = "visa_facilitation"
    HUMAN_RIGHTS_PROTECTION = "human_rights_protection"
    REFUGEE_PROTECTION = "refugee_protection"
    ILLEGAL_IMMIGRATION_COOPERATION = "illegal_immigration_cooperation"
    READMISSION_AND_RETURN = "readmission_and_return"


# What the third country brings; the rest is what the EU and its Member States may offer.
THIRD_COUNTRY_COMPONENTS: Final[frozenset[Component]] = frozenset(
    {Component.ILLEGAL_IMMIGRATION_COOPERATION, Component.READMISSION_AND_RETURN}
)
EU_COMPONENTS: Final[frozenset[Component]] = frozenset(Component) - THIRD_COUNTRY_COMPONENTS
