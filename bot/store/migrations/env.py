"""Alembic environment: migrations run on the connection the bot hands in."""

from alembic import context

from bot.store.models import Base, include_name

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `python -m bot db upgrade`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,  # the search index's own tables and indexes are not models
)
with context.begin_transaction():
    context.run_migrations()
