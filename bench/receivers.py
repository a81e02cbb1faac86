"""The receiving side of the benchmark, in a process of its own so that reading 500 sockets
does not slow down (or share a GIL with) the process that commits and publishes.

Prints "ready" once connected, then the key of each message as soon as every receiver has it;
on "stop" from stdin, prints {"key": [arrival times]} as one JSON line and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from . import clients

CONNECT_BATCH = 25
CONNECT_ATTEMPTS = 5


async def _run(args: argparse.Namespace) -> None:
    arrivals = clients.Arrivals(args.clients, lambda key: print(key, flush=True))
    loop = asyncio.get_running_loop()
    if args.mode == "feed":
        cookies = args.cookies.split(",")
        ports = [int(port) for port in args.port.split(",")]  # clients split between servers
        opened: list[clients._FeedProtocol] = []
        retries = 0

        async def connect(i: int) -> clients._FeedProtocol:
            nonlocal retries
            for attempt in range(CONNECT_ATTEMPTS):
                try:
                    return await clients.open_feed_client(
                        ports[i % len(ports)], cookies[i % len(cookies)], arrivals
                    )
                except (ConnectionError, TimeoutError):
                    if attempt == CONNECT_ATTEMPTS - 1:
                        raise
                    retries += 1
                    await asyncio.sleep(0.5 * (attempt + 1))
            raise AssertionError("unreachable")

        for start in range(0, args.clients, CONNECT_BATCH):
            batch = range(start, min(args.clients, start + CONNECT_BATCH))
            opened += await asyncio.gather(*(connect(i) for i in batch))
        if retries:
            print(f"  ({retries} connection attempts retried, as a browser would)", file=sys.stderr)
    else:
        subscribers = await clients.open_subscribers(args.redis, "bench", args.clients, arrivals)
    print("ready", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    print(json.dumps(arrivals.times), flush=True)
    if args.mode == "feed":
        await clients.close_feed_clients(opened)
    else:
        await clients.close_subscribers(subscribers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["feed", "pubsub"], required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--port", default="0", help="server port, or several: 8001,8002")
    parser.add_argument("--cookies", default="")
    parser.add_argument("--redis", default="")
    asyncio.run(_run(parser.parse_args()))


if __name__ == "__main__":
    main()
