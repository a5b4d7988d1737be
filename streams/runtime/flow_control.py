"""Records read while a recovery ends are kept in the agents' queues, not cleared.

Faust's flow control empties every agent's input queue whenever it is resumed. At the end of a table
recovery, Faust resumes the input partitions, seeks them to their committed offsets and only then resumes
flow control once more, although it is already flowing (the recovery resumed it to read the changelogs).
Records fetched during that seek were already queued, and marked read, so the clear dropped them for good:
the seek finds nothing to re-read when there is no committed offset yet, or the consumer's read offset,
set after the seek, skips them when they are fetched again. A worker taking over partitions under load
lost orders that way (tests/integration/test_outages.py).

The queues still empty on a resume after a suspension: that is Faust's own clear of a rebalance's stale
records (Faust also clears them itself when a rebalance starts). A resume while already flowing changes nothing.
"""

from __future__ import annotations

import faust

__all__ = ["keep_queued_records_on_resume"]


def keep_queued_records_on_resume(app: faust.App) -> None:
    """Before the app starts: its flow control clears the queues only when it resumes from a suspension."""
    flow_control = app.flow_control
    resume = flow_control.resume

    def resume_unless_flowing() -> None:
        if not flow_control.is_active():
            resume()

    flow_control.resume = resume_unless_flowing  # type: ignore[method-assign]
