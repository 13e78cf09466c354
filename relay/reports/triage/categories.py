"""The categories responders used after the 2010 Haiti earthquake, and how the data set spells them.

The Mission 4636 data (rmunro/disaster_response_messages, CC BY 4.0) has one 0/1 column per category;
`infrastructure` is its `infrastructure_related`. `other` is a report in none of the others: at triage
it is what a report gets when no other category is likely enough.
"""

from __future__ import annotations

from typing import Mapping

CATEGORIES: tuple[str, ...] = (
    "request", "medical_help", "water", "food", "shelter", "search_and_rescue", "security",
    "missing_people", "infrastructure", "other",
)
OTHER = "other"
COLUMNS: dict[str, str] = {name: name for name in CATEGORIES if name != OTHER} | {
    "infrastructure": "infrastructure_related",
}


def labels(row: Mapping[str, str]) -> set[str]:
    """The categories responders gave one data-set row (`related` = 2, "maybe", counts as no label)."""
    found = {name for name, column in COLUMNS.items() if row.get(column, "0").strip() == "1"}
    return found or {OTHER}
