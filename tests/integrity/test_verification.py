"""Verification codes: stable, short, checked against the stored broadcast, keys rotate."""

from __future__ import annotations

import pytest

from relay.core.config import ConfigError
from relay.app.settings import load_settings
from relay.integrity import verification
from relay.core.models import Broadcast
from tests.integrity.conftest import KEY_A, KEY_B


def test_a_code_is_six_characters_stable_and_depends_on_key_id_and_text():
    code = verification.code_for(KEY_A.encode(), 17, "Flood warning")
    assert len(code) == 6 and set(code) <= set(verification.ALPHABET)
    assert code == verification.code_for(KEY_A.encode(), 17, "Flood warning")
    assert code != verification.code_for(KEY_B.encode(), 17, "Flood warning")
    assert code != verification.code_for(KEY_A.encode(), 18, "Flood warning")
    assert code != verification.code_for(KEY_A.encode(), 17, "Flood warning!")
    assert verification.line(code) == f"Verify: {code[:3]}-{code[3:]}"


def test_typed_codes_are_read_forgivingly_and_found_in_forwarded_text():
    assert verification.normalise("k7p 2qx") == "K7P2QX"
    assert verification.normalise("VERIFY: K7P-2QX") == "K7P2QX"
    assert verification.normalise("K7P-2QO") == "K7P2Q0"  # O read as zero, as Crockford intends
    assert verification.normalise("hello") is None
    assert verification.codes_in("Evacuate now.\nVerify: K7P-2QX\nfwd fwd") == ["K7P2QX"]


def _broadcast(session, body="Shelter open at the Lycee Petion.") -> Broadcast:
    broadcast = Broadcast(kind="crisis", source_language="en", body=body, sender="coordinator ana", priority=0)
    session.add(broadcast)
    session.flush()
    return broadcast


def test_an_edited_broadcast_no_longer_matches_its_code(db, integrity_settings):
    ring = verification.keyring(integrity_settings)
    with db.sessions.begin() as session:
        broadcast = _broadcast(session)
        code = verification.stamp(session, broadcast, ring)
    with db.sessions.begin() as session:
        assert verification.verify(session, ring, code).authentic
        session.get(Broadcast, broadcast.id).body = "Shelter open at the stadium."  # someone edits the row
    with db.sessions() as session:
        assert not verification.verify(session, ring, code).authentic
        assert not verification.verify(session, ring, "ZZZ-ZZZ").authentic
        assert verification.verify(session, ring, "nonsense") is None


def test_old_codes_verify_after_rotation_and_fail_once_their_key_is_removed(db, integrity_settings, tmp_path):
    old_ring = verification.keyring(integrity_settings)
    with db.sessions.begin() as session:
        code = verification.stamp(session, _broadcast(session), old_ring)
    rotated = integrity_settings.model_copy(update={"integrity": integrity_settings.integrity.model_copy(
        update={"verification_keys": {**integrity_settings.integrity.verification_keys,
                                      "k2026b": load_settings(None, overrides={"integrity": {
                                          "verification_keys": {"k2026b": KEY_B}}}).integrity.verification_keys["k2026b"]},
                "active_key": "k2026b"})})
    ring = verification.keyring(rotated)
    assert ring.active == "k2026b"
    with db.sessions.begin() as session:
        new_code = verification.stamp(session, _broadcast(session, "Second alert"), ring)
        assert verification.verify(session, ring, code).authentic
        assert verification.verify(session, ring, new_code).authentic
    retired = verification.Keyring({"k2026b": KEY_B.encode()}, "k2026b")
    with db.sessions() as session:
        assert not verification.verify(session, retired, code).authentic


def test_keys_are_secrets_and_placeholders_are_refused(tmp_path):
    config = tmp_path / "relay.toml"
    config.write_text(f'[integrity.verification_keys]\nk1 = "{KEY_A}"\n')
    with pytest.raises(ConfigError, match="integrity.verification_keys: secrets may not be written"):
        load_settings(config)
    with pytest.raises(ConfigError, match="too short or a placeholder"):
        load_settings(None, overrides={"integrity": {"verification_keys": {"k1": "changeme-changeme-1"}}})
    with pytest.raises(ConfigError, match="active_key"):
        load_settings(None, overrides={"integrity": {"verification_keys": {"k1": KEY_A}, "active_key": "k9"}})


def test_without_a_configured_key_one_is_made_once_beside_the_database(tmp_path):
    settings = load_settings(None, overrides={"data_dir": str(tmp_path / "data")})
    first, second = verification.keyring(settings), verification.keyring(settings)
    assert first == second and first.active == "local" and len(first.keys["local"]) == 64
    assert (tmp_path / "data" / "verification.key").stat().st_mode & 0o777 == 0o600


def test_the_environment_sets_keys(monkeypatch):
    monkeypatch.setenv("RELAY_INTEGRITY__VERIFICATION_KEYS", f'{{"k2026a": "{KEY_A}", "k2026b": "{KEY_B}"}}')
    settings = load_settings(None)
    assert verification.keyring(settings).active == "k2026b"
