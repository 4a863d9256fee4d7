"""Alembic environment: migrate the connection selector.store.migrate hands over, or a URL's database.

In the app, `selector.store.migrate.upgrade` runs this with an open connection whose transaction
(and, on PostgreSQL, advisory lock) it owns. From the alembic command line, set `sqlalchemy.url`
(or SELECTOR_DATABASE_URL) and this opens its own.
"""

from alembic import context

from selector.store.common import database_url
from selector.store.engine import get_engine
from selector.store.schema import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = get_engine(database_url(config.get_main_option("sqlalchemy.url") or None))
    with engine.connect().execution_options(write=True) as connection:
        _migrate(connection)


def _migrate(connection) -> None:
    # render_as_batch: SQLite alters tables by copying them; a future revision may need that.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: connect to the database")
run_migrations()
