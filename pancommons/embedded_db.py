"""The embedded PostgreSQL (pgserver) used when no DATABASE_URL is configured.

pgserver runs a real PostgreSQL server from a pip-installed binary; its data lives under var/pgdata.
"""

from pathlib import Path


def embedded_database_url(var_dir: Path, database: str = "pancommons") -> str:
    """Start (or attach to) the embedded server and return a URL to `database`, creating it if needed."""
    import pgserver

    data_dir = var_dir / "pgdata"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # "stop" would shut the server down when this process exits, under the feet of the other demo processes.
    server = pgserver.get_server(data_dir, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return server.get_uri(database)
