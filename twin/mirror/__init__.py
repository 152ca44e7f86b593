"""What follows the event stream into the twin's model.

- `snapshot`     the services' current state over HTTP, at start, before the stream takes over
- `replay`       one idempotent handler per event type, the mirror (a consumer of every topic)
- `replay_loop`  the handlers of the support loop: requests, plans, orders, positions, arrivals
- `recording`    recorded streams: written by the mirror, replayed into a fresh model
- `client`       every HTTP call the twin makes to the services, always as a named identity
"""
