"""Templates as the app sees them: the [templates] section, their tables and `relay templates`.
(The HTTP routes live in relay/api/templates.py: the API sits above the features.)"""

from relay.core.feature import Feature
from relay.templates import cli, models
from relay.templates.settings import TemplateSettings

FEATURE = Feature(
    name="templates",
    settings={"templates": TemplateSettings},
    models=(models,),
    cli=(("templates", cli.app),),
)
