"""Fill a load database with synthetic incidents for benchmarks (incidents/load.py).

Never the working database by accident: the target is named with `--database-url` or
KOBAN_LOAD_DATABASE_URL, and the command refuses the database Koban runs on unless that
database is the one KOBAN_LOAD_DATABASE_URL names. A missing database is created with PostGIS
(the current role must be a PostgreSQL superuser, as `make setup` makes it) and migrated.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import environ
import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from psycopg import sql

from incidents.load import SOURCE, generate

ENV_NAME = "KOBAN_LOAD_DATABASE_URL"


def _db_name(url: str) -> str:
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.contrib.gis.db.backends.postgis":
        raise CommandError("The load database URL must use the postgis:// scheme.")
    if not config.get("NAME"):
        raise CommandError("The load database URL must name a database.")
    return config["NAME"]


def _conninfo(url: str, dbname: str) -> str:
    config = environ.Env.db_url_config(url)
    parts = {
        "dbname": dbname,
        "host": config.get("HOST") or "",
        "port": str(config.get("PORT") or ""),
        "user": config.get("USER") or "",
        "password": config.get("PASSWORD") or "",
    }
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in parts.items() if v})


def ensure_database(url: str) -> bool:
    """Create the database with PostGIS if it does not exist; True when it was created."""
    name = _db_name(url)
    with psycopg.connect(_conninfo(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(_conninfo(url, name), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return not exists


class Command(BaseCommand):
    help = "Generate synthetic incidents (timeline, outbox, follow-ups) into a load database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incidents", type=int, required=True, help="how many to add")
        parser.add_argument("--years", type=float, default=3.0, help="spread over this many years")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--database-url",
            default="",
            help=f"postgis:// URL of the load database (else {ENV_NAME})",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["incidents"] < 1:
            raise CommandError("--incidents must be at least 1.")
        named = os.environ.get(ENV_NAME, "")
        target = opts["database_url"] or named
        if not target:
            raise CommandError(
                f"Name the load database with --database-url or {ENV_NAME}; "
                "generate_load never writes to the working database by default."
            )
        name = _db_name(target)
        here = settings.DATABASES["default"]["NAME"]
        if name == here:
            if not named or _db_name(named) != name:
                raise CommandError(
                    f"'{name}' is the database Koban runs on; it is not named as a load "
                    f"database ({ENV_NAME})."
                )
            self._generate_here(opts)
            return
        created = ensure_database(target)
        self.stdout.write(f"load database '{name}' {'created' if created else 'exists'}")
        env = {**os.environ, "DATABASE_URL": target, ENV_NAME: target}
        command = [sys.executable, "manage.py", "generate_load"]
        command += ["--incidents", str(opts["incidents"]), "--years", str(opts["years"])]
        command += ["--seed", str(opts["seed"])]
        subprocess.run(command, env=env, check=True, cwd=settings.BASE_DIR)  # noqa: S603

    def _generate_here(self, opts: dict[str, Any]) -> None:
        """In the load database itself: migrate if needed, refuse real data, then generate."""
        if MigrationExecutor(connection).migration_plan(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        ):
            call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM incidents_incident WHERE source NOT IN (%s, 'demo'))",
                [SOURCE],
            )
            if cursor.fetchone()[0]:
                raise CommandError("This database holds incidents that are not synthetic.")
        summary = generate(incidents=opts["incidents"], years=opts["years"], seed=opts["seed"])
        self.stdout.write(
            f"{summary.incidents} synthetic incidents in total; added {summary.timeline} timeline "
            f"entries, {summary.followups} follow-ups, {summary.outbox} outbox events in "
            f"{summary.seconds:.1f} s"
        )
