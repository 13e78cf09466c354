"""The `relay` command as a person uses it: real processes, exit codes, messages on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import DATA


def relay(cwd, *args, env=None):
    return subprocess.run([sys.executable, "-m", "relay.app.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_init_writes_config_and_database_then_check_config(tmp_path):
    result = relay(tmp_path, "init")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "relay.toml").exists() and (tmp_path / "data" / "relay.db").exists()
    assert (tmp_path / "data" / "sandbox").is_dir()
    check = relay(tmp_path, "check-config")
    assert check.returncode == 0 and "configuration is valid" in check.stdout
    again = relay(tmp_path, "init")
    assert again.returncode == 2 and "exists" in again.stderr


def test_bad_config_names_the_key(tmp_path):
    (tmp_path / "bad.toml").write_text('[http]\nport = "eighty"\n[sms]\nauth_token = "x"\n')
    result = relay(tmp_path, "-c", "bad.toml", "check-config")
    assert result.returncode == 3
    assert "sms.auth_token: secrets may not be written" in result.stderr
    (tmp_path / "bad.toml").write_text('[http]\nport = "eighty"\n')
    result = relay(tmp_path, "-c", "bad.toml", "check-config")
    assert result.returncode == 3 and "http.port" in result.stderr and "integer" in result.stderr


def test_import_reports_bad_rows_and_is_idempotent(tmp_path):
    relay(tmp_path, "init")
    first = relay(tmp_path, "subscribers", "import", str(DATA / "subscribers_sample.csv"))
    assert "imported 4 new, 0 updated, 6 rejected" in first.stdout
    assert "line 7: phone '12345'" in first.stdout
    second = relay(tmp_path, "subscribers", "import", str(DATA / "subscribers_sample.csv"))
    assert "imported 0 new, 4 updated, 6 rejected" in second.stdout
    listed = json.loads(relay(tmp_path, "subscribers", "list", "--json").stdout)
    assert len(listed) == 4
    (tmp_path / "wrong.csv").write_text("name,mobile,language\nA,+50937001234,ht\n")
    wrong = relay(tmp_path, "subscribers", "import", "wrong.csv")
    assert wrong.returncode == 2 and "'mobile'" in wrong.stderr


def test_broadcast_send_status_cancel(tmp_path):
    relay(tmp_path, "init")
    relay(tmp_path, "subscribers", "import", str(DATA / "subscribers_sample.csv"))
    bad = relay(tmp_path, "broadcast", "send", "Evacuate", "--kind", "crisis", "--severity", "Catastrophic")
    assert bad.returncode == 2 and "severity 'Catastrophic'" in bad.stderr
    bad = relay(tmp_path, "broadcast", "send", "Evacuate", "--text", "spanish=Evacue")
    assert bad.returncode == 2 and "LANG=TEXT" in bad.stderr
    sent = relay(tmp_path, "broadcast", "send", "Evacuate now", "--kind", "crisis", "--text", "es=Evacue ahora",
                 "--json")
    assert sent.returncode == 0, sent.stderr
    broadcast = json.loads(sent.stdout)
    # Three phones and one Telegram chat (both sandboxed without a config section); Matrix is not built in.
    assert broadcast["deliveries"] == 4
    status = json.loads(relay(tmp_path, "broadcast", "status", str(broadcast["id"]), "--json").stdout)
    assert status["by_status"] == {"pending": 4} and status["by_channel"]["telegram"] == {"pending": 1}
    assert set(status["by_language"]) == {"en", "es", "ht"}
    cancelled = relay(tmp_path, "broadcast", "cancel", str(broadcast["id"]))
    assert "4 queued deliveries stopped" in cancelled.stdout
    status = json.loads(relay(tmp_path, "broadcast", "status", str(broadcast["id"]), "--json").stdout)
    assert status["by_status"] == {"cancelled": 4}
    missing = relay(tmp_path, "broadcast", "status", "999")
    assert missing.returncode == 2 and "no broadcast 999" in missing.stderr


def test_forget_keeps_only_a_tombstone(tmp_path):
    relay(tmp_path, "init")
    relay(tmp_path, "subscribers", "add", "--phone", "+50937001234", "--language", "ht", "--name", "Marie")
    result = relay(tmp_path, "subscribers", "forget", "--phone", "+50937001234")
    assert result.returncode == 0 and "tombstone" in result.stdout
    assert json.loads(relay(tmp_path, "subscribers", "list", "--json").stdout) == []
    for path in (tmp_path / "data").glob("relay.db*"):  # the database, its WAL and shared memory
        content = path.read_bytes()
        assert b"Marie" not in content and b"+50937001234" not in content, path.name


def test_errors_keep_their_bracketed_words_and_exit_codes_reach_the_shell(tmp_path):
    """Rich used to eat "[sms]" from error messages ("add an ,  or section"), and a command's own exit
    code (typer.Exit) was dropped by main(): both are what a user or a script reads."""
    config = tmp_path / "relay.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n[http]\nport = 0\n', encoding="utf-8")
    upgrade = subprocess.run([sys.executable, "-m", "relay.app.cli", "--config", str(config), "db", "upgrade"],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    done = subprocess.run([sys.executable, "-m", "relay.app.cli", "--config", str(config), "serve"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 3
    assert "[sms], [telegram], [matrix]" in done.stderr
    check = subprocess.run([sys.executable, "-m", "relay.app.cli", "--config", str(config), "translation", "check",
                            "--from", "en", "--to", "es", "Move to higher ground now.",
                            "Move to higher ground now."], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert check.returncode == 4, check.stdout + check.stderr  # a copy of the source fails the gate


def test_init_keeps_the_data_directory_and_database_private(tmp_path):
    done = subprocess.run([sys.executable, "-m", "relay.app.cli", "init", str(tmp_path)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = tmp_path / "data"
    assert oct(data.stat().st_mode & 0o777) == "0o700"
    assert oct((data / "relay.db").stat().st_mode & 0o777) == "0o600"
