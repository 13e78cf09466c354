"""argos's package index served from 127.0.0.1: listing, installing through argostranslate's own package API,
refusing a corrupt package with nothing installed, and the offline hand-over (download, carry, install FILE)."""

from __future__ import annotations

import functools
import json
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.translation.conftest import translation_cli
from translation.argos import ArgosTranslator
from translation.config import TranslationSettings


def metadata(from_code: str, to_code: str, link: str) -> dict:
    return {"type": "translate", "from_code": from_code, "to_code": to_code, "from_name": from_code,
            "to_name": to_code, "package_version": "1.0", "argos_version": "1.9", "links": [link]}


def corrupt_copy(good: Path, destination: Path) -> Path:
    """The same package with model.bin cut to a third: a download that broke off."""
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(destination, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data[: len(data) // 3] if item.filename.endswith("model.bin") else data)
    return destination


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@pytest.fixture
def index_server(extra_archive, tmp_path: Path):
    """Two indexes on one local server: /good/ (en->da, en->sv) and /bad/ (en->et good, en->fi corrupt)."""
    root = tmp_path / "www"
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    layout = {"good": [("en", "da", False), ("en", "sv", False)], "bad": [("en", "et", False), ("en", "fi", True)]}
    for name, packages in layout.items():
        folder = root / name
        folder.mkdir(parents=True)
        entries = []
        for from_code, to_code, broken in packages:
            archive = extra_archive(from_code, to_code)
            served = folder / archive.name
            if broken:
                corrupt_copy(archive, served)
            else:
                served.write_bytes(archive.read_bytes())
            entries.append(metadata(from_code, to_code, f"{base}/{name}/{archive.name}"))
        (folder / "index.json").write_text(json.dumps(entries))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def make_cli(argos_home, index_url: str):
    return translation_cli(TranslationSettings(argos_package_dir=argos_home.package_dir, argos_index_url=index_url))


def installed_dirs(argos_home, code: str) -> list[str]:
    return [p.name for p in argos_home.package_dir.iterdir() if code in p.name]


def test_available_lists_the_index(argos_home, index_server) -> None:
    cli = make_cli(argos_home, f"{index_server}/good/")
    result = cli("translation", "available", "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["from"], r["to"], r["installed"]) for r in rows] == [("en", "da", False), ("en", "sv", False)]
    table = cli("translation", "available")
    assert f"{index_server}/good/index.json" in table.stdout and "install with: relay translation install en:da" in table.stdout


def test_install_a_pair_from_the_index_and_translate_with_it(argos_home, index_server) -> None:
    cli = make_cli(argos_home, f"{index_server}/good")  # without the trailing slash argos needs
    result = cli("translation", "install", "en:da")
    assert result.exit_code == 0, result.output
    assert f"installed argos package en -> da from {index_server}/good/index.json" in result.stdout
    fresh = ArgosTranslator(argos_home.package_dir)
    assert fresh.installed()[("en", "da")] == "1.0"
    text = "Floods in the valley. Move to higher ground now!"
    assert fresh.translate([text], "en", "da") == [text]  # the copy model, through argos's real path
    listed = json.loads(cli("translation", "available", "--json").stdout.splitlines()[0])
    assert (listed["to"], listed["installed"]) == ("da", True)


def test_a_corrupt_package_is_refused_and_nothing_is_installed(argos_home, index_server) -> None:
    import argostranslate.settings as argos_settings

    cli = make_cli(argos_home, f"{index_server}/bad/")
    result = cli("translation", "install", "en:et", "en:fi")
    assert result.exit_code == 1
    assert "translate-en_fi.argosmodel" in result.stderr and "CTranslate2 model cannot be loaded" in result.stderr
    assert "nothing from the index was installed" in result.stderr
    assert installed_dirs(argos_home, "en_fi") == [] and installed_dirs(argos_home, "en_et") == []  # not even et
    assert not list(Path(argos_settings.downloads_dir).glob("translate-en_*.argosmodel"))  # no broken cache left
    assert ("en", "et") not in ArgosTranslator(argos_home.package_dir).installed()


def test_an_unknown_pair_is_named(argos_home, index_server) -> None:
    cli = make_cli(argos_home, f"{index_server}/good/")
    result = cli("translation", "install", "en:ja")
    assert result.exit_code == 1
    assert "has no package en -> ja; from en it offers: da, sv" in result.stderr
    assert "expected SOURCE:TARGET" in cli("translation", "install", "en:").stderr
    assert "unknown language code 'qq'" in cli("translation", "install", "en:qq").stderr


def test_download_on_one_machine_install_the_file_on_another(argos_home, index_server, tmp_path: Path) -> None:
    cli = make_cli(argos_home, f"{index_server}/good/")
    carry = tmp_path / "usb-stick"
    result = cli("translation", "install", "--all-from", "en", "--save", str(carry), "--download-only")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in carry.iterdir()) == ["translate-en_da.argosmodel", "translate-en_sv.argosmodel"]
    assert installed_dirs(argos_home, "en_sv") == []  # downloaded and checked only
    offline = make_cli(argos_home, "http://127.0.0.1:9/")  # the offline machine: no index reachable
    assert "cannot download the argos package index" in offline("translation", "available").stderr
    installed = offline("translation", "install", str(carry / "translate-en_sv.argosmodel"))
    assert installed.exit_code == 0, installed.output
    assert ("en", "sv") in ArgosTranslator(argos_home.package_dir).installed()
