"""The Faust application, its topics and tables, built from settings at import (no network calls).

Agents (agents/) import what they need from here; nothing here decides anything.
"""

from __future__ import annotations

import ssl
from typing import get_args

import faust

from schemas.topics import TOPICS, TopicSpec, by_role
from schemas.triggers import TriggerType
from streams.config import Settings, load_policy
from streams.runtime.clock import make_clock
from streams.runtime.progress import CatalogGates, CustomerProgress
from streams.runtime.timer_index import TimerIndex

__all__ = [
    "POLICY",
    "SETTINGS",
    "app",
    "catalog_topics",
    "clock",
    "customer_topics",
    "customer_to_state",
    "dead_letter_topic",
    "gates",
    "product_clock",
    "progress",
    "product_index",
    "product_to_state",
    "product_to_watchers",
    "spec_for_topic",
    "ticks_topic",
    "timer_index",
    "trigger_topics",
    "watchers_topic",
]


def _credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    options = settings.kafka_client_options()
    context = None
    if settings.kafka_security_protocol.endswith("SSL"):
        context = ssl.create_default_context(cafile=options["ssl_cafile"])
        if options["ssl_certfile"]:
            context.load_cert_chain(options["ssl_certfile"], options["ssl_keyfile"])
    if settings.kafka_security_protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=options["sasl_plain_username"],
            password=options["sasl_plain_password"],
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=context,
        )
    return faust.SSLCredentials(context) if context else None


def create_app(settings: Settings) -> faust.App:
    return faust.App(
        settings.app_id,
        broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
        broker_credentials=_credentials(settings),
        store=settings.store,
        datadir=str(settings.data_dir),
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        topic_allow_declare=True,
        producer_max_batch_size=settings.producer_max_batch_size,
        broker_session_timeout=settings.session_timeout_seconds,
        broker_heartbeat_interval=settings.heartbeat_interval_seconds,
        web_host=settings.web_host,
        web_port=settings.web_port,
        processing_guarantee="at_least_once",
    )


SETTINGS = Settings()
POLICY = load_policy(SETTINGS.policy_file)
app = create_app(SETTINGS)
clock = make_clock(SETTINGS.clock)  # the customers' watermark (event time)
timer_index = TimerIndex()
product_clock = make_clock(SETTINGS.clock)  # the catalog's watermark (event time)
product_index = TimerIndex()  # products with held lookups, waiting for the catalog watermark
progress = CustomerProgress()  # event time: what this worker's customers have applied, for the product side
gates = CatalogGates(SETTINGS.partitions)  # event time: catalog events waiting for the customers


def _topic(*specs: TopicSpec) -> faust.TopicT:
    """Raw bytes in and out: decoding is ours, so bad input can be dead-lettered with its original bytes."""
    return app.topic(
        *(SETTINGS.topic_name(s) for s in specs),
        key_serializer="raw",
        value_serializer="raw",
        partitions=SETTINGS.partitions,
    )


customer_topics = _topic(*(s for s in TOPICS if s.key == "customer_id" and s.direction != "out"))
catalog_topics = _topic(by_role("catalog"), by_role("watchers"))
watchers_topic = _topic(by_role("watchers"))
ticks_topic = _topic(by_role("ticks"))
trigger_topics = {
    name: app.topic(name, key_serializer="raw", value_serializer="raw", partitions=SETTINGS.partitions)
    for name in {SETTINGS.trigger_topic_for(t) for t in get_args(TriggerType)}
}
dead_letter_topic = _topic(by_role("dead_letters"))
_SPECS = {SETTINGS.topic_name(s): s for s in TOPICS}


def spec_for_topic(name: str) -> TopicSpec:
    return _SPECS[name]


customer_to_state = app.Table("customer_to_state", partitions=SETTINGS.partitions)
product_to_state = app.Table("product_to_state", partitions=SETTINGS.partitions)
product_to_watchers = app.Table("product_to_watchers", partitions=SETTINGS.partitions)
