"""A record whose processing a stopping worker interrupted must not be committed.

Faust's stream acknowledges the record it yielded when the iteration ends, processed or not (the ``finally``
around its ``yield``), and a clean stop commits every acknowledged offset. An order cancelled while its cycle
lookups were being sent, before its state was stored, was so committed and never read again: the next owner
of the partition never saw it. Faust has no negative acknowledgement; a message already marked acknowledged
is skipped by ``Message.ack`` and never reaches the consumer's committable offsets, so marking it is one.
"""

from __future__ import annotations

import faust

__all__ = ["keep_uncommitted"]


def keep_uncommitted(record: faust.types.EventT) -> None:
    """Keep ``record``'s offset (and so every later one of its partition) out of this worker's commits: the
    next owner of the partition reads it again (the engine drops what it had already applied by event id)."""
    record.message.acked = True
