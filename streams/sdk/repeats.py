"""For notification services: drop repeated triggers. After a crash a worker may publish a trigger again
(at-least-once), always with the same ``trigger_id``; remember the ids seen in Redis for a while and act on
each trigger once.

    seen = TriggerRepeats(redis.Redis.from_url(url), ttl=timedelta(days=7))
    for record in consumer:
        trigger = Trigger.model_validate_json(record.value)
        if seen.first(trigger):
            send_sms(trigger)
"""

from __future__ import annotations

from datetime import timedelta

import redis

from schemas.triggers import Trigger

__all__ = ["TriggerRepeats"]


class TriggerRepeats:
    """Trigger ids remembered in Redis (``SET NX`` with a TTL), shared by every instance of the consumer."""

    def __init__(self, client: redis.Redis, *, ttl: timedelta = timedelta(days=7), prefix: str = "comeback:seen:"):
        self._client, self._ttl, self._prefix = client, ttl, prefix

    def first(self, trigger: Trigger) -> bool:
        """True the first time this trigger id is seen within the TTL; False for a repeat."""
        return bool(self._client.set(f"{self._prefix}{trigger.trigger_id}", "1", nx=True, ex=self._ttl))

    def forget(self, trigger: Trigger) -> None:
        """Undo ``first`` when acting on the trigger failed, so a redelivery is acted on."""
        self._client.delete(f"{self._prefix}{trigger.trigger_id}")
