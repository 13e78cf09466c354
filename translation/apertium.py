"""Apertium backend: Debian's rule-based pairs, each kept running as one persistent null-flush pipeline.

One `apertium` process per sentence costs 105-160 ms; the mode's own command pipeline started once with
`-z` answers a request in about 1 ms. A request is the escaped text followed by `[]\\0` (the empty
superblank keeps the final period, the NUL flushes every stage); the answer is read up to the next NUL.
Placeholders from `translation.placeholders` travel inside `[...]` superblanks, which no stage touches.

This is the only module that runs Apertium programs.
"""

from __future__ import annotations

import os
import select
import shlex
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from translation.errors import ModelError, UnsupportedPair
from translation.languages import from_639_3, normalize
from translation.placeholders import PLACEHOLDER_RE

DEFAULT_MODES_DIR = Path("/usr/share/apertium/modes")
_ESCAPED = set("\\[]^$/<>@{}")
_SUPERBLANKED = set("~\n")  # apertium-destxt wraps these in superblanks rather than escaping them
_MAX_REQUEST_BYTES = 1_000_000


@dataclass(frozen=True)
class Mode:
    """One installed translation direction, e.g. eng-spa from `/usr/share/apertium/modes/eng-spa.mode`."""

    name: str
    path: Path
    source: str
    target: str


def discover_modes(modes_dir: Path) -> dict[tuple[str, str], Mode]:
    """Installed pair modes keyed by ISO 639-1 pair; variants such as `spa-eng_US` are left out."""
    found: dict[tuple[str, str], Mode] = {}
    if not modes_dir.is_dir():
        return found
    for path in sorted(modes_dir.glob("*.mode")):
        parts = path.stem.split("-")
        if len(parts) != 2 or not all(p.isalpha() and p.islower() for p in parts):
            continue  # variants (spa-eng_US) and analysers (eng-morph, eng-tagger) are not pairs
        source, target = from_639_3(parts[0]), from_639_3(parts[1])
        found[(source, target)] = Mode(path.stem, path, source, target)
    return found


def missing_reason(modes_dir: Path = DEFAULT_MODES_DIR) -> str | None:
    """Why Apertium cannot be used here, or None when it can (the factory reports this, not fatal)."""
    for program in ("lt-proc", "apertium-wblank-mode"):
        if shutil.which(program) is None:
            return f"{program} is not on PATH (install Debian's apertium package)"
    if not discover_modes(modes_dir):
        return f"no Apertium pair modes in {modes_dir} (install e.g. apertium-eng-spa)"
    return None


def escape(text: str) -> str:
    """Plain text to Apertium stream format; placeholders become superblanks so they pass untouched."""
    out: list[str] = []
    last = 0
    for match in PLACEHOLDER_RE.finditer(text):
        out.append(_escape_plain(text[last : match.start()]))
        out.append("[" + match.group(0) + "]")
        last = match.end()
    out.append(_escape_plain(text[last:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    chars = []
    for ch in text.replace("\0", ""):
        if ch in _ESCAPED:
            chars.append("\\" + ch)
        elif ch in _SUPERBLANKED:
            chars.append("[" + ch + "]")
        else:
            chars.append(ch)
    return "".join(chars)


def unescape(stream: str) -> str:
    """Stream format back to text: unescape, unwrap superblanks, drop word-bound blanks `[[...]]`."""
    out: list[str] = []
    i, n = 0, len(stream)
    while i < n:
        ch = stream[i]
        if ch == "\\" and i + 1 < n:
            out.append(stream[i + 1])
            i += 2
        elif stream.startswith("[[", i):
            end = stream.find("]]", i + 2)
            i = n if end < 0 else end + 2
        elif ch == "[":
            i += 1
            while i < n and stream[i] != "]":
                if stream[i] == "\\" and i + 1 < n:
                    i += 1
                out.append(stream[i])
                i += 1
            i += 1
        elif ch == "]":
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _keep_outer_space(original: str, translated: str) -> str:
    """Give the translation the original's leading and trailing whitespace (a dropped pronoun leaves a blank)."""
    body = translated.strip()
    lead = original[: len(original) - len(original.lstrip())]
    trail = original[len(original.rstrip()) :]
    return f"{lead}{body}{trail}"


def mode_commands(mode: Mode) -> list[list[str]]:
    """The mode's pipeline with null-flush flags, one argv per stage, no shell in between."""
    try:
        script = subprocess.run(
            ["apertium-wblank-mode", "-z", str(mode.path)], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ModelError(f"apertium mode {mode.name}: cannot read {mode.path}: {exc}") from exc
    lexer = shlex.shlex(script, posix=True, punctuation_chars="|")
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token == "|":
            commands.append([])
        elif token == "$1":
            commands[-1].append("-n")  # generation without unknown-word marks
        elif token != "$2":
            commands[-1].append(token)
    commands = [c for c in commands if c]
    if not commands:
        raise ModelError(f"apertium mode {mode.name}: {mode.path} holds no pipeline")
    return commands


class _PipelineDied(Exception):
    pass


class _Pipeline:
    """The running stages of one mode, chained stdout to stdin; one request at a time (caller locks)."""

    def __init__(self, mode: Mode, commands: list[list[str]]) -> None:
        self.mode = mode
        self.stderr = tempfile.TemporaryFile()
        self.procs: list[subprocess.Popen[bytes]] = []
        self._pending = b""
        upstream = subprocess.PIPE
        try:
            for argv in commands:
                proc = subprocess.Popen(argv, stdin=upstream, stdout=subprocess.PIPE, stderr=self.stderr)
                if self.procs:
                    assert self.procs[-1].stdout is not None
                    self.procs[-1].stdout.close()  # the next stage owns it now
                self.procs.append(proc)
                upstream = proc.stdout  # type: ignore[assignment]
        except OSError as exc:
            self.close()
            raise ModelError(f"apertium {mode.name}: cannot start {argv[0]}: {exc}") from exc

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def errors(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace").strip()[-500:]

    def run(self, requests: list[bytes], timeout: float) -> list[bytes]:
        """Send every request, read as many NUL-terminated answers; a writer thread avoids pipe deadlock."""
        stdin, stdout = self.procs[0].stdin, self.procs[-1].stdout
        assert stdin is not None and stdout is not None
        write_error: list[BaseException] = []

        def write() -> None:
            try:
                for request in requests:
                    stdin.write(request)
                stdin.flush()
            except (BrokenPipeError, ValueError, OSError) as exc:
                write_error.append(exc)

        writer = threading.Thread(target=write, name=f"apertium-{self.mode.name}-writer", daemon=True)
        writer.start()
        answers: list[bytes] = []
        fd = stdout.fileno()
        buffer = self._pending
        while len(answers) < len(requests):
            while b"\0" in buffer and len(answers) < len(requests):
                answer, buffer = buffer.split(b"\0", 1)
                answers.append(answer)
            if len(answers) == len(requests):
                break
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                self.close()
                raise ModelError(f"apertium {self.mode.name}: no answer within {timeout:g} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                writer.join(timeout)
                raise _PipelineDied(self.errors() or "a stage exited")
            buffer += chunk
        self._pending = buffer
        writer.join(timeout)
        if write_error:
            raise _PipelineDied(str(write_error[0]))
        # Every real answer ends with the `[]` superblank we sent; a stage that died makes the ones after
        # it flush a bare NUL on end-of-file, which must not pass for an (empty) translation.
        if not all(answer.rstrip().endswith(b"[]") for answer in answers) or not self.alive():
            raise _PipelineDied(self.errors() or "a stage exited mid-request")
        return answers

    def close(self) -> None:
        for proc in self.procs:
            if proc.stdin:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            if proc.stdout:
                proc.stdout.close()
        self.stderr.close()


class ApertiumTranslator:
    """Translator over installed Apertium modes; thread-safe, one lock and one pipeline per pair."""

    name = "apertium"

    def __init__(self, modes_dir: Path = DEFAULT_MODES_DIR, timeout: float = 30.0) -> None:
        self.modes_dir = Path(modes_dir)
        self.timeout = timeout
        self._modes = discover_modes(self.modes_dir)
        self._pipelines: dict[str, _Pipeline] = {}
        self._locks = {mode.name: threading.Lock() for mode in self._modes.values()}

    def pairs(self) -> set[tuple[str, str]]:
        return set(self._modes)

    def engine_id(self, source: str, target: str) -> str:
        return f"apertium/{self._mode(source, target).name}"

    def _mode(self, source: str, target: str) -> Mode:
        extra = {code for pair in self._modes for code in pair}
        pair = (normalize(source, extra), normalize(target, extra))
        mode = self._modes.get(pair)
        if mode is None:
            raise UnsupportedPair(pair[0], pair[1], self.pairs())
        return mode

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        mode = self._mode(source, target)
        todo = [i for i, text in enumerate(texts) if text.strip()]
        results = list(texts)
        if not todo:
            return results
        requests = [escape(texts[i]).encode("utf-8") + b"[]\0" for i in todo]
        if max(len(r) for r in requests) > _MAX_REQUEST_BYTES:
            raise ModelError(f"apertium {mode.name}: a text longer than {_MAX_REQUEST_BYTES} bytes was refused")
        with self._locks[mode.name]:
            answers = self._run(mode, requests)
        for i, answer in zip(todo, answers):
            results[i] = _keep_outer_space(texts[i], unescape(answer.decode("utf-8", "replace")))
        return results

    def _run(self, mode: Mode, requests: list[bytes]) -> list[bytes]:
        """Run on a live pipeline; a pipeline that dies is restarted once, a second death is a ModelError."""
        failure = ""
        for _attempt in range(2):
            pipeline = self._pipelines.get(mode.name)
            if pipeline is None or not pipeline.alive():
                if pipeline is not None:
                    pipeline.close()
                pipeline = _Pipeline(mode, mode_commands(mode))
                self._pipelines[mode.name] = pipeline
            try:
                return pipeline.run(requests, self.timeout)
            except _PipelineDied as exc:
                failure = str(exc)
                pipeline.close()
                del self._pipelines[mode.name]
        raise ModelError(f"apertium {mode.name}: the pipeline died twice ({failure or 'no error output'})")

    def pipeline_pids(self, source: str, target: str) -> list[int]:
        """Process ids of the running pipeline for a pair (empty until first use); for ops and tests."""
        pipeline = self._pipelines.get(self._mode(source, target).name)
        return pipeline.pids if pipeline else []

    def close(self) -> None:
        """Stop every pipeline this translator started."""
        for name in list(self._pipelines):
            with self._locks[name]:
                self._pipelines.pop(name).close()
