"""Confirmation polls on SQLite and PostgreSQL: answers in four languages over SMS, Telegram and Matrix
(each message built by its channel's own parser, then through the one inbound path) are counted per
option, region and channel; people who need help are listed; non-responders are asked again once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from relay.inbound import handling as inbound
from relay.delivery import outbox
from relay.networks import poll_reask, polls
from relay.core.models import Broadcast, Delivery
from relay.delivery.outbox import BroadcastRequest
from tests.network.support import import_rows, matrix, sms, telegram

SENDERS = {"sms": ["+12015550100"], "telegram": ["7000000001"], "matrix": ["@relay:example.org"]}
BODY = "Earthquake. Reply 1 if you are safe, 2 if you need help."


def answer(database, settings, message) -> str | None:
    with database.sessions.begin() as session:
        return inbound.handle(session, message, settings).reply


def test_poll_answers_in_four_languages_over_three_channels(database, settings):
    with database.sessions.begin() as session:
        import_rows(session, [
            "Ana,+12025550301,,,es,south,observer",
            "Ben,+12025550302,,,en,north,observer",
            "Chloe,,6101,,fr,north,contributor",
            "Dieula,,6102,,ht,south,observer",
            "Elena,,,@elena:example.org,es,north,observer",
            "Femi,,,@femi:example.org,en,south,observer",
            "Gus,+12025550307,,,en,north,observer",  # never answers
        ])
    planned = outbox.plan_broadcast(database.sessions, BroadcastRequest(
        kind="crisis", body=BODY, source_language="en", sender="t",
        extras={"poll": {"options": polls.parse_options(["safe", "help"]), "reask_minutes": 30}}),
        senders=SENDERS, actor="t")
    with database.sessions.begin() as session:
        session.execute(update(Delivery).values(status="delivered"))
        created = poll_reask.poll_of(session, planned.id).created_at

    replies = {
        "Ana": answer(database, settings, sms("+12025550301", "¡Ayuda!")),
        "Ben": answer(database, settings, sms("+12025550302", "1")),
        "Chloe": answer(database, settings, telegram(6101, "Sauvé")),
        "Dieula": answer(database, settings, telegram(6102, "mwen bezwen èd")),
        "Elena": answer(database, settings, matrix("@elena:example.org", "2")),
        "Femi": answer(database, settings, matrix("@femi:example.org", "need help")),
    }
    assert replies["Ana"] == "Gracias, su respuesta quedo registrada: 2 (ayuda)."
    assert replies["Chloe"] == "Merci, votre reponse est enregistree : 1 (sauf)."
    assert replies["Dieula"] == "Mesi, nou anrejistre repons ou: 2 (ed)."
    assert replies["Femi"] == "Thank you, your answer is recorded: 2 (need help)."
    # Ben changes his mind: the last answer counts. A stranger's "1" and a sentence are not answers.
    assert "recorded: 2" in answer(database, settings, sms("+12025550302", "I need help"))
    assert "recorded" not in (answer(database, settings, sms("+12025559999", "1")) or "")
    assert "recorded" not in (answer(database, settings, sms("+12025550307", "where is the shelter")) or "")

    with database.sessions() as session:
        result = poll_reask.results(session, poll_reask.poll_of(session, planned.id))
    assert result.asked == 7 and result.answered == 6
    assert dict(result.by_option) == {"safe": 1, "help": 5}
    assert {k: dict(v) for k, v in result.by_channel.items()} == {
        "sms": {"help": 2}, "telegram": {"safe": 1, "help": 1}, "matrix": {"help": 2}}
    assert {k: dict(v) for k, v in result.by_region.items()} == {"north": {"safe": 1, "help": 2},
                                                                 "south": {"help": 3}}
    assert sorted(row["name"] for row in result.need_help) == ["Ana", "Ben", "Dieula", "Elena", "Femi"]
    assert {row["name"]: row["channel"] for row in result.need_help}["Elena"] == "matrix"

    # Gus never answered: he (only he) is asked again after 30 minutes, once.
    with database.sessions.begin() as session:
        assert poll_reask.reask_due(session, created + timedelta(minutes=29), None, SENDERS) == []
        assert [n for _, n in poll_reask.reask_due(session, created + timedelta(minutes=30), None, SENDERS)] == [1]
        assert poll_reask.reask_due(session, created + timedelta(minutes=90), None, SENDERS) == []
        follow_up = session.scalar(select(Broadcast).where(Broadcast.references_id == planned.id))
        again = session.scalars(select(Delivery).where(Delivery.broadcast_id == follow_up.id)).all()
        assert [(d.channel, d.prefix) for d in again] == [("sms", "We have not had your answer yet:")]
    # His answer to the re-ask counts for the same poll.
    assert "recorded: 1" in answer(database, settings, sms("+12025550307", "safe"))
    with database.sessions() as session:
        result = poll_reask.results(session, poll_reask.poll_of(session, planned.id))
        assert result.answered == 7 and dict(result.by_option) == {"safe": 2, "help": 5}
        assert session.scalar(select(func.count()).select_from(Broadcast)) == 2


def test_answer_words_and_digits_are_matched_in_any_language():
    options = polls.parse_options(["safe", "help", "!injured"])
    assert [o["help"] for o in options] == [False, True, True]
    assert polls.match(options, " 3. ", "en")["key"] == "injured"
    assert polls.match(options, "#1", None)["key"] == "safe"
    assert polls.match(options, "A SALVO", "fr")["key"] == "safe"  # Spanish words from a French speaker
    assert polls.match(options, "Au secours !", "fr")["key"] == "help"
    assert polls.match(options, "4", "en") is None
    assert polls.match(options, "the road to the school is safe now", "en") is None


def test_broadcast_send_with_poll_options_from_the_cli(database, settings, tmp_path):
    from typer.testing import CliRunner

    from relay.app.cli import app

    config = tmp_path / "relay.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\ndatabase_url = "{settings.resolved_database_url}"\n')
    with database.sessions.begin() as session:
        import_rows(session, ["Ana,+12025550301,,,es,south,observer"])

    def run(*args):
        return CliRunner().invoke(app, ["--config", str(config), "broadcast", "send", BODY, "--kind", "crisis", *args])

    result = run("--poll-option", "safe", "--poll-option", "help", "--poll-option", "!trapped", "--poll-reask", "45",
                 "--json")
    assert result.exit_code == 0, result.output
    broadcast_id = int(result.output.split('"id": ')[1].split(",")[0])
    with database.sessions() as session:
        poll = poll_reask.poll_of(session, broadcast_id)
        assert [(o["number"], o["key"], o["help"]) for o in poll.options] == [
            (1, "safe", False), (2, "help", True), (3, "trapped", True)]
        assert poll.reask_after_minutes == 45
    assert "at least two answers" in str(run("--poll-option", "safe").exception)
    assert "--poll-reask needs --poll-option" in str(run("--poll-reask", "10").exception)
