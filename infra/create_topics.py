"""One-shot job: create every topic of contracts/topics.yaml on KAFKA_BOOTSTRAP_SERVERS, then exit."""
import os
import time

from services.common.bus import Bus
from services.common.topics import topic_specs


def main() -> None:
    bus = Bus(os.environ["KAFKA_BOOTSTRAP_SERVERS"], client_id="create-topics")
    for _attempt in range(60):
        try:
            created = bus.ensure_topics(topic_specs())
            print(f"topics: {len(topic_specs())} ready ({len(created)} created)")
            return
        except Exception as exc:  # the broker may still be starting
            print(f"waiting for the broker ({exc.__class__.__name__})")
            time.sleep(2)
    raise SystemExit("error: the broker never answered")


if __name__ == "__main__":
    main()
