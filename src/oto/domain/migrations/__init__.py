"""The schema's migrations (Alembic), newest last.

``HEAD`` names the newest revision so that a process can check a database's schema without loading
Alembic (a CLI verb starts faster); ``tests/services/test_database.py`` holds it to Alembic's head.
"""

HEAD = "0009_run_history_indexes"
