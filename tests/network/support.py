"""Building a relay network for tests: subscribers from CSV rows, then relay nodes over them."""

from __future__ import annotations

import io
import itertools
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import Inbound
from relay.networks import relays as network
from relay.core import subscribers
from relay.core.models import Subscriber


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


# -- what people send, built by each channel's own parser (the same Inbound the adapters hand over) ---

_counter = itertools.count(1)
OUR_NUMBER = "+12015550100"
BOT_ID = "7000000001"
BOT_USER = "@relay:example.org"


def sms(sender: str, text: str) -> Inbound:
    from channels.sms import parse_inbound, webhook_signature

    url, token, n = "http://127.0.0.1/webhooks/sms/inbound", "t0ken", next(_counter)
    params = {"MessageSid": f"SM{n:032d}", "AccountSid": "AC" + "5a" * 16, "From": sender, "To": OUR_NUMBER,
              "Body": text, "NumMedia": "0"}
    return parse_inbound(token, url, params, webhook_signature(token, url, params))


def telegram(user_id: int, text: str, language_code: str = "") -> Inbound:
    from channels.telegram import parse_update

    n = next(_counter)
    update = {"update_id": n, "message": {"message_id": n, "date": int(time.time()), "text": text,
                                          "chat": {"id": user_id, "type": "private"},
                                          "from": {"id": user_id, "first_name": "T", "language_code": language_code}}}
    return parse_update(update, recipient=BOT_ID)


def matrix(user: str, text: str, room: str = "!direct:example.org") -> Inbound:
    from channels.matrix_text import parse_event

    n = next(_counter)
    event = {"type": "m.room.message", "sender": user, "event_id": f"$e{n}", "origin_server_ts": int(time.time() * 1000),
             "content": {"msgtype": "m.text", "body": text}}
    return parse_event(event, room, BOT_USER)
