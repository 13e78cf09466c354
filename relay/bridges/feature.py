"""Bridged rooms as the app sees them: a message in a member room is relayed before anything else may
take it; released messages and corrections find their copies here."""

from relay.bridges import bridge, cli, copies, members, models
from relay.core.feature import Feature

FEATURE = Feature(
    name="bridges",
    models=(models,),
    fallthrough=(bridge.relay_message,),
    cli=(("bridges", cli.app),),
    release_handlers={"bridge": bridge.release},
    copy_resolvers={"bridge": copies.copies},
    merge_hooks=(members.follow_merged_endpoint,),
)
