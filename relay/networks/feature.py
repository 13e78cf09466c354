"""Relay networks, confirmation polls and channel failover as the app sees them."""

from relay.core.feature import Feature
from relay.networks import cli, models, polls, relays, service
from relay.networks.settings import FailoverSettings, NetworkSettings, PollSettings

FEATURE = Feature(
    name="networks",
    settings={"network": NetworkSettings, "polls": PollSettings, "failover": FailoverSettings},
    models=(models,),
    commands=(relays,),
    fallthrough=(polls.answer,),  # a bare "1" or "2" answers the poll the person got last
    cli=(("relays", cli.relays_app), ("poll", cli.poll_app), ("failover", cli.failover_app)),
    services=(service.build,),
    plan_hooks=(relays.on_planned, polls.on_planned),
)
