"""The HTTP API and the console: settings, API tokens, the routers every web process serves."""

from relay.api import broadcasts, cli, geo, models, moderation, network, people, privacy
from relay.api import reports as report_queue
from relay.api import schedules as scheduled
from relay.api import templates as template_routes
from relay.api import voice as voice_routes
from relay.api.settings import ConsoleSettings
from relay.core.feature import Feature

FEATURE = Feature(
    name="api",
    settings={"console": ConsoleSettings},
    secret_keys=(("console", "metrics_token"),),
    models=(models,),
    cli=(("tokens", cli.app),),
    api_routers=(people.router, broadcasts.router, moderation.router, network.router, report_queue.router,
                 scheduled.router, template_routes.router, privacy.router, geo.router,
                 voice_routes.router),
)
