"""alerts/ as one Feature of the relay: the crisis protocol, webinars and CAP, plugged in by the app
through the same list as every feature inside relay/ (the core never imports alerts)."""

from typing import Any

from alerts import cli, commands, models
from relay import Feature


def _scheduler_service(settings: Any) -> Any:
    from alerts import scheduler  # APScheduler and the tick's jobs: only `relay run` and `relay worker` start it

    return scheduler.build_service(settings)


FEATURE = Feature(
    name="alerts",
    # Kept as plain data in the settings object and validated by alerts.config where it is used.
    settings={"alerts": dict[str, Any]},
    models=(models,),
    commands=(commands,),
    fallthrough=(commands.rsvp_reply,),  # a bare YES / NO answers the last webinar notice
    cli=(("crisis", cli.crisis_app), ("webinar", cli.webinar_app), ("cap", cli.cap_app)),
    # References, imported only when a web app is built: the CLI never loads FastAPI or alerts.api.
    api_routers=("alerts.api:router", "alerts.api:calendars"),
    services=(_scheduler_service,),
)
