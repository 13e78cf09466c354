"""Integrity as the app sees it: settings, tables, VERIFY and /flags, the CLI, the release service, and
the verification line under every official text."""

from relay.core.feature import Feature
from relay.integrity import cli, commands, models, screening, service, verification
from relay.integrity.settings import IntegritySettings

FEATURE = Feature(
    name="integrity",
    settings={"integrity": IntegritySettings},
    secret_keys=(("integrity", "verification_keys"),),
    models=(models,),
    commands=(commands,),
    cli=(("flags", cli.flags_app), ("claims", cli.claims_app)),
    cli_extends={"broadcast": cli.register_broadcast},  # relay broadcast correct ID "text"
    services=(service.build,),
    warm_ups=(screening.warm_up,),
    text_hooks=(verification.lines_for,),
    stamp=verification.stamper,
)
