"""A records-database outage on demand, for the fault tests and the soak (issue 24)."""

import sqlite3

from sqlalchemy import make_url

from devstack.proxy import TcpProxy


class RecordsOutage:
    """Makes the records database unreachable for the worker and reachable again:
    SQLite's write lock held by another connection (BEGIN EXCLUSIVE), or, for
    PostgreSQL, a TCP proxy between the worker and the server cut. The shared
    PostgreSQL server itself is never touched.

    The worker is to connect at `worker_url` (PostgreSQL: the proxy's port);
    others may keep `database_url`, which a PostgreSQL outage leaves reachable.
    """

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.worker_url = database_url
        self._proxy: TcpProxy | None = None
        self._sqlite_path = url.database
        self._lock: sqlite3.Connection | None = None
        self.refuses_connections = url.get_backend_name() == "postgresql"
        if self.refuses_connections:
            self._proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
            self._proxy.restore()
            self.worker_url = url.set(host="127.0.0.1", port=self._proxy.port).render_as_string(hide_password=False)

    def begin(self) -> None:
        if self._proxy is not None:
            self._proxy.cut()
        else:
            assert self._sqlite_path is not None, "a SQLite URL names its file"
            self._lock = sqlite3.connect(self._sqlite_path, timeout=5, isolation_level=None)
            self._lock.execute("BEGIN EXCLUSIVE")

    def end(self) -> None:
        if self._proxy is not None:
            self._proxy.restore()
        elif self._lock is not None:
            self._lock.execute("ROLLBACK")
            self._lock.close()
            self._lock = None

    def close(self) -> None:
        if self._proxy is not None:
            self._proxy.close()
        else:
            self.end()
