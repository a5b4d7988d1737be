"""refresh_metadata reaches the consumer's aiokafka client in the consumer's thread (faust-streaming 0.15 internals)."""

from __future__ import annotations

import asyncio

import faust
from aiokafka import AIOKafkaConsumer
from aiokafka.client import AIOKafkaClient
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

from streams.runtime.cluster_metadata import refresh_metadata


def test_an_app_whose_consumer_has_not_started_has_nothing_to_refresh() -> None:
    app = faust.App("metadata-test", broker="kafka://127.0.0.1:1")  # never started: nothing connects
    assert asyncio.run(refresh_metadata(app)) is False


def test_the_internals_it_reaches_are_where_it_expects_them() -> None:
    app = faust.App("metadata-test", broker="kafka://127.0.0.1:1")
    thread = app.consumer._thread  # type: ignore[attr-defined]
    assert isinstance(thread, AIOKafkaConsumerThread) and thread._consumer is None  # set when the consumer starts
    assert callable(thread.call_thread) and callable(AIOKafkaClient.force_metadata_update)

    async def client_of_a_consumer() -> object:
        consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1")  # not started: nothing connects
        return consumer._client

    assert isinstance(asyncio.run(client_of_a_consumer()), AIOKafkaClient)
