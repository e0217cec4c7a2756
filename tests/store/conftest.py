from tests.both_databases import database_url  # noqa: F401  (runs this folder on both databases)
