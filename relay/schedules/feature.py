"""Scheduled sends as the app sees them: [schedules], the tables, the runner service and the
`relay broadcast schedule...` commands."""

from relay.core.feature import Feature
from relay.schedules import cli, models, service
from relay.schedules.settings import ScheduleSettings

FEATURE = Feature(
    name="schedules",
    settings={"schedules": ScheduleSettings},
    models=(models,),
    cli_extends={"broadcast": cli.register},
    services=(service.build,),
)
