"""Alert-fatigue controls as the app sees them: [fatigue], the preferences table, LESS/MORE/TZ/QUIET,
and the plan hook that applies quiet hours and the daily cap."""

from relay.core.feature import Feature
from relay.fatigue import commands, hold, models
from relay.fatigue.settings import FatigueSettings

FEATURE = Feature(
    name="fatigue",
    settings={"fatigue": FatigueSettings},
    models=(models,),
    commands=(commands,),
    plan_hooks=(hold.on_planned,),
)
