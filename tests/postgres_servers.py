"""A PostgreSQL primary and its streaming replica (pg_basebackup) on loopback, in a scratch folder: for the replica
tests (tests/deploy/test_replicas.py) and the load benchmark (benchmarks/load.py)."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.workers import free_port

POSTGRES_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
CATALOGUE = "catalogue"


def as_postgres(*command: str | Path) -> list[str]:
    """PostgreSQL's programs refuse to run as root: CI runs as root, so they run as the postgres user there."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return [*prefix, *map(str, command)]


class Server:
    def __init__(self, data: Path, port: int) -> None:
        self.data, self.port = data, port

    def url(self, database: str = CATALOGUE) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        subprocess.run(
            as_postgres(
                POSTGRES_BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", self.data / "log", "-w", "start"
            ),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(as_postgres(POSTGRES_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "stop"), check=False)

    def query(self, sql: str) -> object:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            cursor = conn.execute(sql)
            row = cursor.fetchone() if cursor.description else None
            return row[0] if row else None

    def copy_database(self, source: str) -> None:
        """`source` on the local server (127.0.0.1:5432) copied as this server's catalogue (pg_dump, pg_restore)."""
        dump = subprocess.run(
            ["pg_dump", "--host=127.0.0.1", "--username=postgres", "--format=custom", source],
            check=True,
            capture_output=True,
        ).stdout
        address = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        subprocess.run(["createdb", *address, CATALOGUE], check=True)
        subprocess.run(["pg_restore", *address, "--exit-on-error", "-d", CATALOGUE], input=dump, check=True)

    def transactions(self) -> int:
        """Transactions this server ran on the catalogue database (a standby counts its own read-only ones)."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            row = conn.execute(
                f"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{CATALOGUE}'"
            ).fetchone()
            assert row is not None
            return row[0]


@contextmanager
def primary_and_replica() -> Iterator[tuple[Server, Server]]:
    """A fresh primary cluster and its streaming replica on free loopback ports, in a folder postgres may use."""
    folder = Path(tempfile.mkdtemp(prefix="pancommons-replica-"))
    shutil.chown(folder, "postgres") if os.geteuid() == 0 else None
    primary, replica = Server(folder / "primary", free_port()), Server(folder / "replica", free_port())
    try:
        subprocess.run(
            as_postgres(POSTGRES_BIN / "initdb", "-D", primary.data, "--auth=trust", "-U", "postgres"),
            check=True,
            capture_output=True,
        )
        primary.start()
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(folder, ignore_errors=True)


def start_replica(primary: Server, replica: Server) -> None:
    subprocess.run(
        as_postgres(
            *(POSTGRES_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *("-D", replica.data, "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast"),
        ),
        check=True,
        capture_output=True,
    )
    replica.start()
