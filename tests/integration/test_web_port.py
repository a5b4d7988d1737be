"""The web port is a closed door: it binds where configured, Faust's table and router pages are off, the
profile endpoint wants the token when one is set; /healthz and /readyz tell an orchestrator the state, and
/metrics what the worker did."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.topics import by_role
from streams.sdk.producer import EventProducer
from tests.factories import order
from tests.integration.helpers import Workers, open_contact_policy, write_policy

pytestmark = pytest.mark.integration
TOKEN = "s3cret-for-tests"


def _get(port: int, path: str, token: str | None = None) -> tuple[int, bytes] | None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return None  # not listening yet


def _eventually(port: int, path: str, status: int, token: str | None = None, timeout: float = 90.0) -> bytes:
    deadline = time.monotonic() + timeout
    while (answer := _get(port, path, token)) is None or answer[0] != status:
        assert time.monotonic() < deadline, f"{path} never answered {status}: {answer}"
        time.sleep(0.5)
    return answer[1]


def _listening_addresses(port: int) -> set[str]:
    """The local addresses of listening TCP sockets on ``port`` (/proc/net/tcp and tcp6, hex)."""
    found = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        for line in table.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_the_web_port_binds_loopback_hides_the_tables_and_wants_the_token(workers: Workers) -> None:
    settings = workers.start(clock="wall", web_token=TOKEN)
    port = settings.web_port
    assert json.loads(_eventually(port, "/healthz", 200)) == {"status": "alive"}
    assert json.loads(_eventually(port, "/readyz", 200))["ready"] is True
    assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only, not 0.0.0.0

    assert _get(port, "/customers/c-nobody") == (401, b'{"error":"a bearer token is required"}')
    assert _get(port, "/customers/c-nobody", token="wrong")[0] == 401  # type: ignore[index]
    assert json.loads(_eventually(port, "/customers/c-nobody", 404, token=TOKEN)) == {
        "error": "unknown customer c-nobody"
    }
    for faust_page in ("/table/customer_to_state/", "/router/"):
        assert _get(port, faust_page, token=TOKEN)[0] == 404  # type: ignore[index]


def test_metrics_count_events_triggers_contact_decisions_and_dead_letters_by_kind(
    workers: Workers, tmp_path: Path
) -> None:
    policy = write_policy(tmp_path / "policy.yaml", open_contact_policy())  # the welcome goes at once, at any hour
    settings = workers.start(clock="wall", policy_file=policy)
    with EventProducer(settings) as producer:
        producer.send(order("c-metrics", at=datetime.now(UTC)))
        producer.send_raw(by_role("orders"), b"c-metrics", b"not json")

    def scraped() -> str:
        answer = _get(settings.web_port, "/metrics")
        return "" if answer is None else answer[1].decode()

    deadline = time.monotonic() + 90
    wanted = (
        'comeback_triggers_total{type="welcome"} 1.0',
        'comeback_contact_decisions_total{outcome="sent",type="welcome"} 1.0',
        'comeback_dead_letters_total{code="not_json"} 1.0',
    )
    while not all(line in (text := scraped()) for line in wanted):
        assert time.monotonic() < deadline, f"metrics never showed {wanted}:\n{text[-2000:]}"
        time.sleep(0.5)
    assert 'comeback_events_total{outcome="applied",type="order_placed"} 1.0' in text
    assert "comeback_processing_seconds_count" in text and "faust_" in text  # Faust's own sensor, same page
