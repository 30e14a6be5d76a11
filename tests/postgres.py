"""A throwaway PostgreSQL server for the database tests: Debian's binaries, a new cluster in a
temporary folder, on a free localhost port, stopped and deleted afterwards.

tests/run.sh installs Debian's ``postgresql`` package when it is missing and sets
``MARKETLENS_REQUIRE_POSTGRES=1``, so that in CI a missing server fails the run instead of
skipping the tests.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

BIN_GLOB = "/usr/lib/postgresql/*/bin"


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL server's bin folder, if any."""
    found = sorted(Path("/").glob(BIN_GLOB.lstrip("/")), key=lambda p: int(p.parent.name))
    found = [p for p in found if (p / "initdb").exists() and (p / "pg_ctl").exists()]
    return found[-1] if found else None


def require_server() -> None:
    """Skip the test without a PostgreSQL server; in CI (``MARKETLENS_REQUIRE_POSTGRES``), fail."""
    import pytest

    if server_binaries() is None:
        message = "PostgreSQL server is not installed (Debian: apt-get install postgresql)"
        if os.environ.get("MARKETLENS_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A throwaway PostgreSQL cluster the tests may stop and start again (a database that goes
    away mid-session, and comes back)."""

    def __init__(
        self,
        run: Callable[..., None],
        binaries: Path,
        data: Path,
        log: Path,
        options: str,
        url: str,
    ):
        self._run, self._binaries, self._data, self._log, self._options = (
            run,
            binaries,
            data,
            log,
            options,
        )
        self.url = url

    @property
    def log(self) -> Path:
        """The server's log (with ``log_statement = 'all'``, every statement it ran)."""
        return self._log

    def stop(self) -> None:
        self._run(self._binaries / "pg_ctl", "-D", self._data, "-m", "immediate", "-w", "stop")

    def start(self) -> None:
        self._run(
            self._binaries / "pg_ctl",
            "-D",
            self._data,
            "-l",
            self._log,
            "-o",
            self._options,
            "-w",
            "start",
        )


@contextmanager
def throwaway_server(database: str = "shop") -> Iterator[str]:
    """Start a PostgreSQL cluster; yield an SQLAlchemy URL of an empty database in it."""
    with throwaway_cluster(database) as cluster:
        yield cluster.url


@contextmanager
def throwaway_cluster(database: str = "shop") -> Iterator[Cluster]:
    """Start a PostgreSQL cluster with an empty database; yield it (``url``, ``stop``, ``start``)."""
    binaries = server_binaries()
    if binaries is None:
        raise FileNotFoundError("no PostgreSQL server under " + BIN_GLOB)
    root = Path(tempfile.mkdtemp(prefix="marketlens-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run as Debian's postgres user
        account = pwd.getpwnam("postgres")
        os.chown(root, account.pw_uid, account.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log, port = root / "data", root / "server.log", _free_port()

    def run(*command: object) -> None:
        subprocess.run([*prefix, *map(str, command)], check=True, capture_output=True, timeout=120)

    try:
        run(binaries / "initdb", "-D", data, "-U", "marketlens", "--auth=trust", "-E", "UTF8")
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        url = f"postgresql+psycopg://marketlens@127.0.0.1:{port}/{database}"
        cluster = Cluster(run, binaries, data, log, options, url)
        cluster.start()
        try:
            run(binaries / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "marketlens", database)
            yield cluster
        finally:
            with suppress(subprocess.CalledProcessError):  # stopped by the test already
                cluster.stop()
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace")
        if log.exists():
            detail += log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"PostgreSQL did not start: {detail}") from exc
    finally:
        shutil.rmtree(root, ignore_errors=True)


READER = "reader"


def reader_url(url: str) -> str:
    """The URL of a read-only, non-superuser role on the database of ``url``: it may read every
    table of the public schema (also those made later by the superuser) and nothing else."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (READER,)
        ).scalar()
        if not exists:
            conn.exec_driver_sql(f"CREATE ROLE {READER} LOGIN")
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {READER}")
        conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}")
        conn.exec_driver_sql(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {READER}"
        )
    engine.dispose()
    user = url.split("://", 1)[1].split("@", 1)[0]
    return url.replace(f"//{user}@", f"//{READER}@", 1)
