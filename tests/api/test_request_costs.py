"""What one request costs in queries, pinned: authentication, roles, areas and patrols are read
once per request, and a request that changes nothing writes nothing (issue 14).

The counts are per request, for a signed-in browser (session) and a machine client (token), a
supervisor (sees everything) and an officer (the area rule). A new query on these paths must be
a decision: change the number here and say why in the commit.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

# (path, role, credential) -> queries. Session: session row, user, groups, second-factor device
# (4); token: the token joined with its user, groups (2). Then the view: /me/ reads the user's
# patrols and areas (an officer's areas and their sub-areas: one more); the list reads the outbox
# position and the page, and for an officer the areas (2) and patrols its visibility rule needs.
EXPECTED = {
    ("/api/v1/me/", "supervisor", "session"): 6,
    ("/api/v1/me/", "officer", "session"): 7,
    ("/api/v1/me/", "supervisor", "token"): 4,
    ("/api/v1/me/", "officer", "token"): 5,
    ("/api/v1/incidents/?page_size=20", "supervisor", "session"): 6,
    ("/api/v1/incidents/?page_size=20", "officer", "session"): 8,
    ("/api/v1/incidents/?page_size=20", "supervisor", "token"): 4,
    ("/api/v1/incidents/?page_size=20", "officer", "token"): 6,
}


def _queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return [q["sql"] for q in captured.captured_queries]


def test_each_request_reads_what_it_needs_once_and_writes_nothing(
    client, client_for, supervisor, officer, make_incident
):
    for n in range(25):
        make_incident(title=f"Ruído {n}")
    counts, repeated, writes = {}, {}, {}
    for role, user in (("supervisor", supervisor), ("officer", officer)):
        for credential in ("session", "token"):
            if credential == "session":
                http = client
                http.force_login(user)
            else:
                http = client_for(user)
            for path in {key[0] for key in EXPECTED}:
                _queries(http, path)  # the first request after the log-in may note it
                sql = _queries(http, path)
                counts[(path, role, credential)] = len(sql)
                if len(set(sql)) != len(sql):
                    repeated[(path, role, credential)] = sorted(sql)
                if any(q.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")) for q in sql):
                    writes[(path, role, credential)] = sql
    assert not repeated, repeated
    assert not writes, writes
    assert counts == EXPECTED, counts
