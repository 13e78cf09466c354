"""What the delivery page shows besides progress: where each relay node's ACK stands, and poll answers;
and human texts that replace a machine translation."""

from __future__ import annotations

from relay.networks import relays as network
from tests.relay.conftest import NUMBER


def test_relay_acks_and_poll_answers(live):
    node_person = live.add_person("contributor", name="Relay Rosa", language="es", phone="+12025550501",
                                  regions="coast")
    live.db(lambda s: network.add_node(s, subscriber_id=node_person, community="Riverside", region="coast/riverside",
                                       actor="test"))
    live.add_person("observer", name="Asked", language="en", phone="+12025550502", regions="coast")
    with live.client("coordinator") as c:
        sent = c.post("/api/broadcasts", json={"kind": "crisis", "severity": "Severe", "audience": {"regions": ["coast"]},
                                               "body": "Reply 1 if you are safe, 2 if you need help.",
                                               "poll_options": ["safe", "help"]})
        assert sent.status_code == 201, sent.text
        broadcast = sent.json()["id"]
        [node] = c.get(f"/api/relays?broadcast={broadcast}").json()
        assert node["community"] == "Riverside" and node["state"].startswith("pending") and node["code"]
        live.run(live.program.simulators["sms"].inject_inbound("+12025550502", NUMBER, "1"))
        live.run(live.program.simulators["sms"].inject_inbound("+12025550501", NUMBER, f"ACK {node['code']}"))
        [node] = c.get(f"/api/relays?broadcast={broadcast}").json()
        assert node["state"].startswith("acknowledged")
        poll = c.get(f"/api/broadcasts/{broadcast}/poll").json()
        assert poll["answered"] == 1 and poll["by_option"] == {"safe": 1}
        bad = c.post("/api/broadcasts", json={"body": "x", "poll_options": ["only one"]})
        assert bad.status_code == 422 and "at least two" in bad.text


def test_a_human_text_replaces_the_machine_one(live):
    live.add_person("observer", name="Lectora", language="es", phone="+12025550601")
    with live.client("coordinator") as c:
        alert = {"body": "Water is safe to drink again.", "human_texts": {"es": "El agua ya es potable."}}
        preview = {p["language"]: p for p in c.post("/api/broadcasts/preview", json=alert).json()["languages"]}
        assert preview["es"]["origin"] == "human" and preview["es"]["text"] == "El agua ya es potable."
        assert preview["es"]["channels"][0]["encoding"] == "GSM-7"
        assert c.post("/api/broadcasts", json=alert).json()["languages"]["es"] == "human"
        assert c.post("/api/broadcasts/preview", json={**alert, "human_texts": {"ES!": "x"}}).status_code == 422
