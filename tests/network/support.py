"""Building a relay network for tests: subscribers from CSV rows, then relay nodes over them."""

from __future__ import annotations

import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from relay import network, subscribers
from relay.models import Subscriber


def import_rows(session: Session, rows: list[str]) -> dict[str, int]:
    """Import `name,phone,telegram,matrix,language,regions,tier` rows; return name -> subscriber id."""
    text = "name,phone,telegram,matrix,language,regions,tier\n" + "".join(row + "\n" for row in rows)
    report = subscribers.import_csv(session, io.StringIO(text), actor="test", default_region=None,
                                    default_timezone="UTC")
    assert not report.errors, report.errors
    session.flush()
    return {s.name: s.id for s in session.scalars(select(Subscriber))}


def three_level_network(session: Session) -> dict[str, int]:
    """Hub "North district" (region north) -> 5 relays for villages north/v1..v5, each with a backup and
    three villagers who carry the village's region (reached only through the relay unless escalated)."""
    rows = ["Hub,+12025550100,,,en,north,coordinator"]
    languages = ["en", "es", "fr", "ht", "en"]
    for i in range(1, 6):
        rows.append(f"Relay{i},+1202555011{i},,,{languages[i - 1]},north,contributor")
        rows.append(f"Backup{i},+1202555012{i},,,en,north/v{i},contributor")
        rows += [f"V{i}-{j},+120255502{i}{j},,,en,north/v{i},observer" for j in range(3)]
    ids = import_rows(session, rows)
    network.add_node(session, subscriber_id=ids["Hub"], community="North district", region="north", size=4000,
                     languages=["en"], actor="test")
    for i in range(1, 6):
        network.add_node(session, subscriber_id=ids[f"Relay{i}"], community=f"Village {i}", region=f"north/v{i}",
                         size=300, languages=[languages[i - 1]], hub="North district",
                         backups=[ids[f"Backup{i}"]], actor="test")
    return ids
