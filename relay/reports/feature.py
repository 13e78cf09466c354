"""Citizen reports and their volunteer translators as the app sees them: intake takes what no other
feature took, so it is listed last."""

from relay.core.feature import Feature
from relay.reports import cli, intake, models, routing, service, translators
from relay.reports.settings import ReportSettings

FEATURE = Feature(
    name="reports",
    settings={"reports": ReportSettings},
    models=(models,),
    commands=(intake, routing, translators),  # REPORT, CANCEL <ref>; /claim, /done; /tr <ref> <text>
    fallthrough=(intake.report_message,),
    cli=(("translators", cli.translators_app), ("reports", cli.reports_app)),
    services=(service.build,),
)
