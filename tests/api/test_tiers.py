"""Each tier tries each API write: exactly the allowed ones succeed, every refusal is a 403 that names
the tier needed, is in the audit log and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from relay.integrity import claims, screen
from relay.core.models import AuditEntry, Broadcast, Subscriber
from tests.api.conftest import TIERS

# Written out by hand (not read from relay.core.permissions), so a change of the table has to change this too.
ALLOWED = {
    "broadcast to everyone": {"coordinator"},
    "broadcast to one's own region": {"partner", "coordinator"},
    "cancel a broadcast": {"coordinator"},
    "correct a broadcast": {"coordinator"},
    "add a subscriber": {"coordinator"},
    "import subscribers": {"coordinator"},
    "erase a subscriber": {"coordinator"},
    "vote on a flag": {"moderator", "coordinator"},
}

CSV = "name,phone,language,regions\nImported,+12025550777,es,coast\n"


def _flag(live) -> int:
    settings = live.program.settings

    def hold(session) -> int:
        claims.add_claim(session, text="The bridge on route 9 has collapsed", language="en", settings=settings,
                         added_by="test")
        return screen(session, text="URGENT the bridge on route 9 has collapsed!! forward to everyone",
                      language="en", channel="telegram", sender="telegram:-1:1", origin="tiers:1",
                      settings=settings).flag_id

    return live.db(hold)


def _writes(live, c, tier: str, counter: int):
    """(name, response) of every write, each on a resource of its own."""
    victim = live.add_person("observer", name=f"victim {tier}", language="en", phone=f"+120255506{counter:02d}")
    broadcast = live.client("coordinator").post("/api/broadcasts", json={"body": "setup", "audience": {"regions": ["nowhere"]}})
    assert broadcast.status_code == 201
    flag = _flag(live)
    yield "broadcast to everyone", c.post("/api/broadcasts", json={"body": f"all from {tier}", "kind": "notice"})
    yield "broadcast to one's own region", c.post("/api/broadcasts", json={"body": f"north from {tier}",
                                                                       "audience": {"regions": ["north"]}})
    yield "cancel a broadcast", c.post(f"/api/broadcasts/{broadcast.json()['id']}/cancel")
    yield "correct a broadcast", c.post(f"/api/broadcasts/{broadcast.json()['id']}/correct",
                                        json={"text": "The shelter is at the church, not the school."})
    yield "add a subscriber", c.post("/api/subscribers", json={"language": "fr", "phone": f"+120255507{counter:02d}",
                                                              "name": f"by {tier}"})
    yield "import subscribers", c.post("/api/subscribers/import", content=CSV.replace("0777", f"08{counter:02d}"),
                                       headers={"Content-Type": "text/csv"})
    yield "erase a subscriber", c.delete(f"/api/subscribers/{victim}")
    yield "vote on a flag", c.post(f"/api/flags/{flag}/votes", json={"decision": "false", "reason": "known hoax"})


def test_each_tier_tries_each_write(live_any):
    live = live_any
    for counter, tier in enumerate(TIERS):
        with live.client(tier) as c:
            for name, response in _writes(live, c, tier, counter):
                allowed = tier in ALLOWED[name]
                if allowed:
                    assert response.status_code in (200, 201), (tier, name, response.text)
                else:
                    assert response.status_code == 403, (tier, name, response.text)
                    assert "needs the tier" in response.json()["detail"] and f"you are {tier}" in response.json()["detail"]
    with live.program.database.sessions() as session:
        refused = session.execute(select(AuditEntry.actor, func.count()).where(AuditEntry.action == "permission.refused")
                                  .group_by(AuditEntry.actor)).all()
        expected = {f"subscriber:{live.people[t]}": sum(t not in allowed for allowed in ALLOWED.values()) for t in TIERS}
        assert dict(refused) == {k: v for k, v in expected.items() if v}
        # Nothing refused left a trace: only the coordinator's and the partner's broadcasts exist.
        senders = sorted(session.scalars(select(Broadcast.body).where(Broadcast.body.like("% from %"))))
        assert senders == ["all from coordinator", "north from coordinator", "north from partner"]
        assert session.scalar(select(func.count()).select_from(Subscriber).where(Subscriber.name.like("by %"))) == 1


def test_without_a_live_token_nothing_is_answered(live):
    with live.client() as anonymous:
        assert anonymous.get("/api/me").status_code == 401
        assert anonymous.post("/api/broadcasts", json={"body": "x"}).status_code == 401
    with live.client() as forged:
        forged.headers["Authorization"] = "Bearer rly_not-a-real-token"
        assert forged.get("/api/me").status_code == 401
    from relay.api import tokens
    from relay.api.models import ApiToken

    def revoke(session):
        token = session.scalar(select(ApiToken).where(ApiToken.subscriber_id == live.people["coordinator"]))
        tokens.revoke(session, token.id, actor="test")

    with live.client("coordinator") as c:
        assert c.get("/api/me").status_code == 200
        live.db(revoke)
        response = c.get("/api/me")
        assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_bad_input_is_a_422_naming_the_field_and_big_bodies_a_413(live):
    with live.client("coordinator") as c:
        response = c.post("/api/broadcasts", json={"body": "", "severity": "Apocalyptic"})
        fields = {tuple(e["loc"]) for e in response.json()["detail"]}
        assert response.status_code == 422 and ("body", "body") in fields and ("body", "severity") in fields
        response = c.post("/api/broadcasts", json={"body": "   "})
        assert response.status_code == 422 and "empty" in response.json()["detail"][0]["msg"]
        response = c.post("/api/subscribers", json={"language": "es", "phone": "not a number"})
        assert response.status_code == 422 and "phone" in response.text
        response = c.get("/api/broadcasts/99999999999")
        assert response.status_code == 422
        response = c.post("/api/subscribers/import", content="x" * (live.program.settings.console.max_body_bytes + 1),
                          headers={"Content-Type": "text/csv"})
        assert response.status_code == 413
        def chunks(size):  # no Content-Length: counted as it streams
            for _ in range(size // 65536 + 1):
                yield b"x" * 65536

        limit = live.program.settings.console.max_body_bytes
        for path, kind in (("/api/subscribers/import", "text/csv"), ("/api/broadcasts", "application/json")):
            response = c.post(path, content=chunks(limit), headers={"Content-Type": kind})
            assert response.status_code == 413, (path, response.status_code, response.text)
        response = c.post("/api/subscribers/import", content="name,phone,language\nA,+12025550999,es\nB,nope,es\n,,\n",
                          headers={"Content-Type": "text/csv"})
        assert response.status_code == 200
        report = response.json()
        assert report["created"] == 1 and [e["line"] for e in report["errors"]] == [3, 4]


def test_cli_makes_and_revokes_tokens(live, tmp_path):
    import json
    import os
    import subprocess
    import sys

    settings = live.program.settings
    env = {**os.environ, "RELAY_DATA_DIR": str(settings.data_dir)}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "relay.app.cli", "tokens", *args], capture_output=True, text=True,
                              env=env, timeout=120, cwd=tmp_path)

    made = cli("create", "--subscriber", str(live.people["moderator"]), "--name", "Mo's phone", "--json")
    assert made.returncode == 0, made.stderr
    token = json.loads(made.stdout)
    assert cli("create", "--subscriber", "999", "--name", "x").returncode == 2
    with live.client() as c:
        c.headers["Authorization"] = f"Bearer {token['token']}"
        assert c.get("/api/me").json()["tier"] == "moderator"
        listed = cli("list")
        assert "Mo's phone" in listed.stdout and token["token"] not in listed.stdout  # only a prefix is shown
        assert cli("revoke", str(token["id"])).returncode == 0
        assert c.get("/api/me").status_code == 401
