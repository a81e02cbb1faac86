"""Who is running a sync run: a PostgreSQL session advisory lock per run.

The worker executing a run holds the lock on a connection of its own, opened for the run and
used for nothing else, so the lock lives exactly as long as the worker process: when the
process is killed (`kill -9`, the hard time limit, out of memory) its socket closes and
PostgreSQL releases the lock at once. A run that is "running" while nobody holds its lock has
lost its worker and may be taken over; a run whose lock is held is left alone, whatever its
heartbeat says. A machine that vanishes without closing the socket is noticed by TCP
keepalives (about 90 s) on that connection.
"""

from __future__ import annotations

import logging
import threading

import psycopg
from django.db import connection, connections

from ..models import SyncRun

logger = logging.getLogger(__name__)

# First key of the two-key form pg_advisory_lock(int, int) ("Kobr"); the second is the run id.
# The outbox's single bigint key (incidents/events.py) lives in another key space.
LOCK_NAMESPACE = 0x4B6F6272


def _key(run_id: int) -> tuple[int, int]:
    return LOCK_NAMESPACE, run_id & 0x7FFFFFFF


class LeaseLost(Exception):
    """The lock connection broke: another worker may take the run over, so stop writing."""


class RunLease:
    """The lock on one run, held by this process on a dedicated connection, with a heartbeat
    thread that writes `heartbeat_at` while the run is claimed (also during a slow fetch)."""

    def __init__(self, run_id: int, db: psycopg.Connection) -> None:
        self.run_id = run_id
        self._db = db
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = False

    @classmethod
    def acquire(cls, run_id: int) -> RunLease | None:
        """The lease, or None when another live process holds it."""
        wrapper = connections["default"]
        db = psycopg.connect(**wrapper.get_connection_params(), autocommit=True)
        try:
            db.execute(
                "SELECT set_config('application_name', %s, false),"
                " set_config('tcp_keepalives_idle', '60', false),"
                " set_config('tcp_keepalives_interval', '10', false),"
                " set_config('tcp_keepalives_count', '3', false),"
                " set_config('lock_timeout', '5s', false)",
                [f"koban sync run {run_id}"],
            )
            row = db.execute("SELECT pg_try_advisory_lock(%s, %s)", _key(run_id)).fetchone()
        except BaseException:
            db.close()
            raise
        if not (row and row[0]):
            db.close()
            return None
        return cls(run_id, db)

    def start_heartbeat(self, *, attempt: int, every: float) -> None:
        """Write the heartbeat every `every` seconds for claim number `attempt` (a run taken
        over since then has another number, and is not touched)."""
        table = SyncRun._meta.db_table

        def beat() -> None:
            while not self._stop.wait(every):
                try:
                    self._db.execute(
                        f"UPDATE {table} SET heartbeat_at = now()"  # noqa: S608 (model's table)
                        " WHERE id = %s AND attempts = %s AND status = 'running'",
                        [self.run_id, attempt],
                    )
                except psycopg.Error:
                    if self._stop.is_set():
                        return
                    logger.exception("sync run %s: the lock connection broke", self.run_id)
                    self.lost = True
                    return

        self._thread = threading.Thread(target=beat, name=f"run-{self.run_id}-heartbeat")
        self._thread.daemon = True
        self._thread.start()

    def check(self) -> None:
        if self.lost:
            raise LeaseLost(f"sync run {self.run_id}: lost its lock; another worker may take over")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            self._db.execute("SELECT pg_advisory_unlock(%s, %s)", _key(self.run_id))
        except psycopg.Error:
            pass  # closing the connection releases it anyway
        finally:
            self._db.close()


def lease_held(run_id: int) -> bool:
    """Whether a live process holds the run's lock (read-only: takes nothing)."""
    namespace, key = _key(run_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = %s AND objid = %s AND objsubid = 2)",
            [namespace, key],
        )
        return bool(cursor.fetchone()[0])


def lease_try_in_transaction(run_id: int) -> bool:
    """Take the run's lock until the current transaction ends, if nobody holds it: what the
    reconciler does before it changes a run, so no worker can claim it meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", _key(run_id))
        return bool(cursor.fetchone()[0])
