"""The live feed on `/ws/operations/` (docs/live-feed.md): `protocol` (message shapes, event
schemas, close codes), `publisher` (committed outbox events to the channel layer, from a
background thread), `reads` (outbox replay and the viewer's session), `send_queue` (one
client's outgoing frames), `health` (Redis failures seen by this process), `consumer` (the
websocket) and `routing` (its URL). Who hears an event is decided in the domain
(`incidents.audience`)."""
