"""The benchmark's own servers on loopback: a PostGIS database, a redis-server and the web
server, exactly as the Procfile runs it (gunicorn with a uvicorn process per core), or Daphne
(one process, as the test suite's live servers) to compare."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


def ensure_database(name: str, env: dict[str, str]) -> None:
    """Create the benchmark's database with PostGIS if missing, then migrate it."""
    with psycopg.connect("dbname=postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(f"dbname={name}", autocommit=True) as conn:
        conn.execute("SET client_min_messages = warning")
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def start_redis(port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    proc = subprocess.Popen([*args, "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, proc)
    return proc


def start_daphne(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    daphne = VENV_BIN / "daphne"
    args = [str(daphne), "-b", "127.0.0.1", "-p", str(port), "koban.asgi:application"]
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for_port(port, proc)
    return proc


def start_web(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The server exactly as the Procfile and docker-compose.yml run it, on `port`."""
    gunicorn = VENV_BIN / "gunicorn"
    args = [str(gunicorn), "-c", "python:koban.server", "-b", f"127.0.0.1:{port}"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*args, "koban.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, proc, seconds=120)
    wait_until_serving(port, proc, log)
    return proc


def start_server(kind: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`gunicorn` (production, the default of every section) or `daphne` (one process)."""
    if kind == "daphne":
        return start_daphne(port, env, log)
    return start_web(port, env, log)


def wait_until_serving(
    port: int, proc: subprocess.Popen[bytes], log: Path, seconds: float = 180
) -> None:
    """The master listens at once; its workers load Django for a while after (20 s under load).
    Until several connections in a row are answered, so that every worker has started."""
    import httpx

    deadline, answered = time.monotonic() + seconds, 0
    while answered < 10:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the web server did not answer; see {log}")
        try:
            ok = httpx.get(f"http://127.0.0.1:{port}/login/", timeout=30).status_code == 200
        except httpx.HTTPError:
            ok = False
        answered = answered + 1 if ok else 0
        if not ok:
            time.sleep(0.5)


def tree_rss_kb(procs: list[subprocess.Popen[bytes]]) -> int:
    """Resident memory of the servers with their worker processes (gunicorn forks them)."""

    def rss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as status:
                own = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except (OSError, StopIteration):
            return 0
        return own + sum(rss(int(child)) for child in children)

    return sum(rss(proc.pid) for proc in procs)


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def server_env(database: str, redis_url: str) -> dict[str, str]:
    env = {**os.environ}
    env.update(
        DATABASE_URL=f"postgis:///{database}",
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="koban.settings",
        LOG_LEVEL="WARNING",
        DEBUG="false",
    )
    env.pop("KOBAN_TEST_DB", None)
    return env
