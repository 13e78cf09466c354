"""Look-alike commands and spoofed name labels (issue 17, item 6).

`ＳＴＯＰ` (fullwidth) and `S\u200bTOP` (a zero-width space inside) used to become citizen reports
instead of an opt-out. Every word of every command's vocabulary is tried in look-alike forms; STOP is also
sent through the whole relay. A display name with bidi controls must not reach a bridged copy's
`Name (Telegram):` label.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from channels.sandbox.telegram_settings import SimUser
from relay.app import features
from relay.inbound import keywords
from relay.core.models import Endpoint
from relay.reports.models import Report
from tests.bridges.support import bridge_north
from tests.relay.conftest import NUMBER, make_program, sms_log, wait_for
from tests.running import started

features.install()  # every command of every feature, as a running relay has them

LOOKALIKES = {
    "fullwidth": lambda w: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in w),
    "zero-width space": lambda w: w[:1] + "\u200b" + w[1:],
    "zero-width joiner": lambda w: w[:1] + "\u200d" + w[1:],
    "soft hyphen": lambda w: w[:-1] + "\u00ad" + w[-1:],
    "word joiner and BOM around": lambda w: "\ufeff" + w + "\u2060",
    "bidi override": lambda w: "\u202d" + w + "\u202c",
    # Only ASCII has fullwidth forms: `á` shifted by 0xFEE0 would be an unrelated (halfwidth Hangul) letter.
    "lower case fullwidth": lambda w: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in w.lower()),
}
WORDS = sorted((spec.name, word, spec.min_words) for spec in keywords.vocabulary().values() for word in spec.words)


@pytest.mark.parametrize("form", sorted(LOOKALIKES))
@pytest.mark.parametrize("name, word, min_words", WORDS)
def test_every_command_word_in_look_alike_form(form, name, word, min_words):
    arguments = " 4821" * min_words
    plain = keywords.parse(word + arguments)
    looks = keywords.parse(LOOKALIKES[form](word) + arguments)
    if plain is None:  # a prefix-only command (broadcast): a plain SMS stays a message in any form
        assert looks is None
    else:
        assert looks is not None and looks.name == plain.name == name
    prefixed = keywords.parse("/" + LOOKALIKES[form](word.lower()) + arguments)
    assert prefixed is not None and prefixed.name == keywords.parse("/" + word.lower() + arguments).name


@pytest.mark.parametrize("text, argument", [("JOIN ｅｓ", "es"), ("LANG\u200b ht", "ht"), ("ＬＡＮＧ ｆｒ\u200b", "fr")])
def test_arguments_are_folded_too(text, argument):
    assert keywords.parse(text).argument == argument


def test_text_is_still_a_message_when_words_follow_stop():
    assert keywords.parse("ＳＴＯＰ sending me the flood alerts please") is None
    assert keywords.parse("STOP \u200b") == keywords.Command("stop")  # a word of nothing is no word


@pytest.mark.parametrize("stop", ["ＳＴＯＰ", "S\u200bTOP", "\u200bstop\u200b", "ＵＮＳＵＢＳＣＲＩＢＥ"])
async def test_a_look_alike_stop_unsubscribes_through_the_relay(tmp_path, stop):
    async with started(make_program(tmp_path)) as program:
        phone = "+12015553999"
        await program.simulators["sms"].inject_inbound(phone, NUMBER, "JOIN en")
        await program.simulators["sms"].inject_inbound(phone, NUMBER, stop)
        with program.database.sessions() as session:
            endpoint = session.scalar(select(Endpoint).where(Endpoint.address == phone))
            assert endpoint is not None and endpoint.opted_out and endpoint.opted_out_at is not None
            assert session.scalar(select(Report)) is None  # not a citizen report


GROUP, MALLORY = -1005011, 7111


async def test_bidi_controls_never_reach_a_bridged_label(tmp_path):
    async with started(make_program(tmp_path, sandbox={"sms_numbers": [NUMBER], "segments_per_second": 0})) as program:
        # shown right to left this would read "Alice (Telegram):" ahead of Mallory's text
        mallory = SimUser(id=MALLORY, first_name="Mallory\u202e:)margeleT( ecilA\u2066\u200f")
        sim = bridge_north(program, tmp_path, mallory, GROUP, "+12015557101")
        sim.inject_message(MALLORY, "Road to the hospital is open.", chat_id=GROUP)
        body = (await wait_for(lambda: [m["body"] for m in sms_log(program)] or None))[0]
        label = body.partition("\n")[0]
        assert not any(c in label for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
        assert label == "Mallory:)margeleT( ecilA (Telegram):"
        assert body.endswith("\nRoad to the hospital is open.")
