"""Input that used to end in a 500 is a 4xx naming what was wrong (issue 17, item 5): a NUL character in
any text field, NaN or Infinity in any JSON number (the 422 could not serialise its own error), and JSON
nested deeper than any real request (a RecursionError)."""

from __future__ import annotations

import pytest

DEEP = "[" * 20_000 + "]" * 20_000  # 40 KB: well inside the body limit


def _coordinator(live):
    live.add_person("coordinator", name="Coord", phone="+12025550100")
    return live.client("coordinator")


@pytest.mark.parametrize("path,body", [
    ("/api/broadcasts", '{"body": "Flood\\u0000warning", "kind": "crisis"}'),
    ("/api/crises", '{"title": "Flood\\u0000", "region": "north", "severity": "Severe"}'),
    ("/api/subscribers", '{"language": "es", "phone": "+12025550101", "name": "A\\u0000na"}'),
])
def test_a_nul_in_any_text_field_is_a_422_naming_it(live_any, path, body):
    with _coordinator(live_any) as client:
        answer = client.post(path, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert "NUL" in answer.text


def test_a_nul_in_a_crisis_note_is_refused(live_any):
    with _coordinator(live_any) as client:
        crisis = client.post("/api/crises", json={"title": "Flood", "region": "north", "severity": "Severe"})
        assert crisis.status_code == 201, crisis.text
        answer = client.post(f"/api/crises/{crisis.json()['id']}/notes", content='{"text": "\\u0000"}',
                             headers={"content-type": "application/json"})
    assert answer.status_code == 422 and "NUL" in answer.text


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_a_422_that_can_be_read(live, number):
    with _coordinator(live) as client:
        answer = client.post("/api/broadcasts", content='{"body": "x", "expires_minutes": %s}' % number,
                             headers={"content-type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"]  # a JSON body a client can parse, naming the field


def test_deeply_nested_json_is_refused_not_a_500(live):
    with _coordinator(live) as client:
        answer = client.post("/api/broadcasts", content=DEEP, headers={"content-type": "application/json"})
    assert 400 <= answer.status_code < 500, answer.text
