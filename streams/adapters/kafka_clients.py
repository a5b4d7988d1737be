"""kafka-python clients of the configured cluster: bootstrap servers and security options in one place."""

from __future__ import annotations

from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from streams.config import Settings

__all__ = ["admin_client", "consumer", "producer"]


def _options(settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
    return {"bootstrap_servers": settings.kafka_bootstrap.split(",")} | settings.kafka_client_options() | options


def consumer(settings: Settings, *topics: str, **options: Any) -> KafkaConsumer:
    """A consumer that never creates a topic by reading it (a broker would give it its default partition count)."""
    return KafkaConsumer(*topics, **_options(settings, {"allow_auto_create_topics": False} | options))


def producer(settings: Settings, **options: Any) -> KafkaProducer:
    return KafkaProducer(**_options(settings, options))


def admin_client(settings: Settings, **options: Any) -> KafkaAdminClient:
    return KafkaAdminClient(**_options(settings, {"client_id": f"{settings.app_id}-admin"} | options))
