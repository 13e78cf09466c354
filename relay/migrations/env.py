"""Alembic environment: the connection is handed in by `relay.core.migrate`, never read from a file."""

from alembic import context

from relay.app import schema

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=schema.metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
    version_table_schema=context.config.attributes.get("schema"),
)
with context.begin_transaction():
    context.run_migrations()
