"""`relay cap watch`: a feed served on 127.0.0.1 links to CAP alerts; new ones are imported, known ones
skipped, a hostile one reported while the others go on; a `file:` link is never read."""

from __future__ import annotations

import http.server
import threading

import pytest

from tests.conftest import DATA
from tests.test_cli import relay

AMBER = (DATA / "cap" / "oasis-cap12-amber-alert-example.xml").read_bytes()


@pytest.fixture
def feed_server():
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", files
    server.shutdown()


def test_watch_imports_new_alerts_and_reports_bad_ones(tmp_path, feed_server):
    base, files = feed_server
    files["/amber.xml"] = AMBER
    files["/evil.xml"] = b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><alert>&x;</alert>'
    files["/feed.atom"] = (
        b'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Alerts</title>'
        b'<entry><title>Amber</title><link rel="alternate" type="application/cap+xml" href="/amber.xml"/></entry>'
        b'<entry><title>Evil</title><link href="/evil.xml"/></entry>'
        b'<entry><title>Local file</title><link href="file:///etc/passwd"/></entry>'
        b'<entry><title>Gone</title><link href="/missing.xml"/></entry>'
        b"</feed>")
    assert relay(tmp_path, "init").returncode == 0
    first = relay(tmp_path, "cap", "watch", f"{base}/feed.atom", "--once")
    assert first.returncode == 0, first.stderr
    assert "1 imported, 0 already known, 3 rejected" in first.stdout
    assert "DOCTYPE" in first.stderr and "only http and https" in first.stderr and "404" in first.stderr
    again = relay(tmp_path, "cap", "watch", f"{base}/feed.atom", "--once")
    assert "0 imported, 1 already known, 3 rejected" in again.stdout
    files["/feed.atom"] = b"<!DOCTYPE feed [<!ENTITY lol 'lol'>]><feed>&lol;</feed>"
    hostile = relay(tmp_path, "cap", "watch", f"{base}/feed.atom", "--once")
    assert hostile.returncode == 2 and "not a readable feed" in hostile.stderr
