"""Migratory-routes regions of third countries, as in the Global Approach to Migration."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Region(StrEnum):
    """The regions named in the public contract (search attribute `MigratoryRegion`)."""

    AFRICA_MEDITERRANEAN = "africa_mediterranean"
    EASTERN_SOUTH_EASTERN = "eastern_south_eastern"
    EASTERN_MEDITERRANEAN_MIDDLE_EAST = "eastern_mediterranean_middle_east"
    CENTRAL_ASIA = "central_asia"
    ASIA_ORIGIN = "asia_origin"
    OTHER = "other"


# Without Réunion (RE) and Mayotte (YT): part of the Union or an OCT, never a third country
# (domain/countries.py). Saint Helena (SH) stays: an OCT only until the UK left the Union.
_AFRICA: Final = (
    "DZ AO BJ BW BF BI CV CM CF TD KM CG CD CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY "
    "MG MW ML MR MU MA MZ NA NE NG RW SH ST SN SC SL SO ZA SS SD TZ TG TN UG EH ZM ZW"
)
# Western Balkans (with Kosovo, XK, as the Union writes it), Turkey, the ENP East and South
# Caucasus, the Russian Federation.
_EASTERN_SOUTH_EASTERN: Final = "AL BA ME MK RS XK HR TR UA MD BY GE AM AZ RU"
_EASTERN_MEDITERRANEAN_MIDDLE_EAST: Final = "LB SY JO IL PS IQ IR SA YE OM AE QA BH KW"
_CENTRAL_ASIA: Final = "KZ KG TJ TM UZ"
_ASIA_ORIGIN: Final = "AF PK BD IN LK NP CN VN PH MM KH LA TH ID MY MN KP BT"

_REGION_OF: Final[dict[str, Region]] = {
    code: region
    for region, codes in (
        (Region.AFRICA_MEDITERRANEAN, _AFRICA),
        (Region.EASTERN_SOUTH_EASTERN, _EASTERN_SOUTH_EASTERN),
        (Region.EASTERN_MEDITERRANEAN_MIDDLE_EAST, _EASTERN_MEDITERRANEAN_MIDDLE_EAST),
        (Region.CENTRAL_ASIA, _CENTRAL_ASIA),
        (Region.ASIA_ORIGIN, _ASIA_ORIGIN),
    )
    for code in codes.split()
}


def region_of(iso_code: str) -> Region:
    """The default region of a third country; `other` where no route names it."""
    return _REGION_OF.get(iso_code, Region.OTHER)
