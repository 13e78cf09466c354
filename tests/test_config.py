"""Configuration: errors name the key, secrets stay out of files, the environment wins."""

from __future__ import annotations

import pytest

from relay.core.config import ConfigError
from relay.app.settings import load_settings

GOOD_SMS = """
[sms]
account_sid = "AC0123456789abcdef0123456789abcdef"
numbers = ["+12015550100"]
"""


def write(tmp_path, text: str):
    path = tmp_path / "relay.toml"
    path.write_text(text)
    return path


def test_example_config_is_valid(monkeypatch):
    from tests.conftest import ROOT

    monkeypatch.delenv("RELAY_SMS__AUTH_TOKEN", raising=False)
    settings = load_settings(ROOT / "config" / "relay.example.toml")
    assert settings.dispatcher.max_in_flight == 100 and settings.sms is None


def test_errors_name_the_key_and_the_problem(tmp_path):
    path = write(tmp_path, '[http]\nport = "eighty"\n[dispatcher]\nmax_in_flight = 0\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert "http.port" in message and "dispatcher.max_in_flight" in message and "greater than 0" in message


def test_unknown_key_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="http.prot: unknown key"):
        load_settings(write(tmp_path, "[http]\nprot = 80\n"))


def test_bad_toml_is_reported_with_its_position(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML.*line 1"):
        load_settings(write(tmp_path, "data_dir = \n"))


def test_secret_in_the_config_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="sms.auth_token: secrets may not be written.*RELAY_SMS__AUTH_TOKEN"):
        load_settings(write(tmp_path, GOOD_SMS + 'auth_token = "0123456789abcdef0123456789abcdef"\n'))


def test_secret_from_environment_or_secrets_file(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD_SMS)
    monkeypatch.setenv("RELAY_SMS__AUTH_TOKEN", "f" * 32)
    assert load_settings(path).sms.auth_token.get_secret_value() == "f" * 32
    monkeypatch.delenv("RELAY_SMS__AUTH_TOKEN")
    secrets = tmp_path / "elsewhere" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text('[sms]\nauth_token = "' + "e" * 32 + '"\n')
    monkeypatch.setenv("RELAY_SECRETS_FILE", str(secrets))
    assert load_settings(path).sms.auth_token.get_secret_value() == "e" * 32


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("RELAY_HTTP__PORT", "9123")
    monkeypatch.setenv("RELAY_DEFAULT_LANGUAGE", "ht")
    settings = load_settings(write(tmp_path, "default_language = 'es'\n[http]\nport = 8000\n"))
    assert settings.http.port == 9123 and settings.default_language == "ht"


def test_placeholder_sms_credentials_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("RELAY_SMS__AUTH_TOKEN", "changeme")
    with pytest.raises(ConfigError, match="sms.auth_token"):
        load_settings(write(tmp_path, GOOD_SMS))


def test_relative_data_dir_is_relative_to_the_config_file(tmp_path):
    settings = load_settings(write(tmp_path, 'data_dir = "state"\n'))
    assert settings.data_dir == tmp_path / "state"
    assert str(tmp_path / "state" / "relay.db") in settings.resolved_database_url
