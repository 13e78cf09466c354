"""Data-subject rights and retention as the app sees them: [retention], the consent history and
delivery tallies tables, `relay subscribers export`, `relay retention status|purge`, the purge service."""

from relay.core import consent
from relay.core.feature import Feature
from relay.delivery import tallies
from relay.privacy import cli, service
from relay.privacy.settings import RetentionSettings

FEATURE = Feature(
    name="privacy",
    settings={"retention": RetentionSettings},
    # both tables are written below the features (consent where people opt in and out, tallies by the
    # delivery layer's report), so they live there; this feature owns their migration and their readers
    models=(consent, tallies),
    cli=(("retention", cli.app),),
    cli_extends={"subscribers": cli.register},
    services=(service.build,),
)
