"""The embedded PostgreSQL (pgserver) used when no DATABASE_URL is configured.

pgserver runs a real PostgreSQL server from a pip-installed binary; its data lives under var/pgdata.
"""

from pathlib import Path


def embedded_database_url(var_dir: Path, database: str = "pancommons") -> str:
    """Start (or attach to) the embedded server and return a URL to `database`, creating it if needed."""
    import pgserver

    data_dir = var_dir / "pgdata"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # The server stops when the last process that attached to it exits; `make demo` passes the URL to the
    # processes it starts, so the demo command owns the server and Ctrl-C stops it cleanly.
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return server.get_uri(database)
