"""Recorded audio for voice calls as the app sees it: its table, `relay voice`, and the media hook that
gives the dispatcher a recording's path for each call it places. (The HTTP routes, the upload and the
signed file Twilio fetches, live in relay/api/voice.py: the API sits above the features.)"""

from relay.core.feature import Feature
from relay.voice import cli, models, store

FEATURE = Feature(
    name="voice",
    models=(models,),
    cli=(("voice", cli.app),),
    media_hooks=(store.recordings_for,),
)
