"""The digest of worker logs (chaos proof, integration tests): each distinct warning or error, counted."""

from __future__ import annotations

import json
from pathlib import Path

from streams.tools.logs import worker_warnings


def test_warnings_and_errors_are_counted_per_log_with_numbers_folded_in_text_and_json_lines(tmp_path: Path) -> None:
    text = tmp_path / "worker-0.log"
    text.write_text(
        "[2026-12-04 17:53:06,740] [3145] [WARNING] No event received for active tp 1 since recovery start\n"
        "[2026-12-04 17:53:11,740] [3145] [WARNING] No event received for active tp 2 since recovery start\n"
        "[2026-12-04 17:53:12,001] [3145] [INFO] Worker ready\n"
        "+--- a table line [WARNING] that is not a record\n",
        encoding="utf-8",
    )
    lines = [
        {"time": "t", "level": "ERROR", "logger": "x", "message": "Group Coordinator Request failed: [Error 15]"},
        {"time": "t", "level": "DEBUG", "logger": "x", "message": "applied order_placed"},
    ]
    as_json = tmp_path / "worker-1.log"
    as_json.write_text("\n".join(map(json.dumps, lines)) + "\n{not json\n", encoding="utf-8")

    assert worker_warnings([text, as_json]) == [
        "      2  worker-0.log  WARNING No event received for active tp # since recovery start",
        "      1  worker-1.log  ERROR Group Coordinator Request failed: [Error #]",
    ]
