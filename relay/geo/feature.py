"""Geo-targeting as the app sees them: [geo], the location tables, LOC, a shared Telegram location, the
CSV columns, `relay geo`, and the two audience steps (the SQL prefilter and the exact plan hook).
(The HTTP routes live in relay/api/geo.py: the API sits above the features.)"""

from relay.core.feature import Feature
from relay.geo import audience, cli, commands, locations, models
from relay.geo.settings import GeoSettings

FEATURE = Feature(
    name="geo",
    settings={"geo": GeoSettings},
    models=(models,),
    commands=(commands,),
    fallthrough=(commands.shared_location,),  # a location message has no words: asked first, NotMine otherwise
    cli=(("geo", cli.app),),
    plan_hooks=(audience.on_planned,),
    audience_filters=(audience.audience_filter,),
    subscriber_columns=(locations.CSV,),
)
