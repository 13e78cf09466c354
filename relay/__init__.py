"""The relay core: storage, configuration, outbox, dispatcher, router, CLI."""
