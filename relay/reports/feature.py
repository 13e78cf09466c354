"""Citizen reports as the app sees them: intake takes what no other feature took, so it is listed last."""

from relay.core.feature import Feature
from relay.reports import cli, intake, models, routing, service
from relay.reports.settings import ReportSettings

FEATURE = Feature(
    name="reports",
    settings={"reports": ReportSettings},
    models=(models,),
    commands=(intake, routing),
    fallthrough=(intake.report_message,),
    cli=(("translators", cli.translators_app), ("reports", cli.reports_app)),
    services=(service.build,),
)
