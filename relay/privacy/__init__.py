"""Data-subject rights and retention: a person's data exported as JSON, the consent history's readers,
and the retention purge (its settings, the service that runs it, `relay retention status|purge`)."""
