"""The HTTP API and the console: settings, API tokens, the routers every web process serves."""

from relay.api import cli, models
from relay.api.settings import ConsoleSettings
from relay.core.feature import Feature

FEATURE = Feature(
    name="api",
    settings={"console": ConsoleSettings},
    secret_keys=(("console", "metrics_token"),),
    models=(models,),
    cli=(("tokens", cli.app),),
    # References, imported only when a web app is built: the CLI never loads FastAPI or the routers.
    api_routers=("relay.api.people:router", "relay.api.broadcasts:router", "relay.api.moderation:router",
                 "relay.api.network:router", "relay.api.reports:router", "relay.api.schedules:router",
                 "relay.api.templates:router", "relay.api.privacy:router", "relay.api.geo:router",
                 "relay.api.voice:router"),
)
