"""The start-up function: the Faust app, its topics and tables, and the two shells, built from settings.

Nothing is built at import. ``build_runtime(settings, policy, model)`` makes everything a worker needs (no network
calls yet: Faust connects when the worker starts); ``agents.register(runtime)`` then attaches the agents.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from typing import get_args

import faust

from schemas.shop_model import ShopModel
from schemas.topics import INPUT_TOPICS, TOPICS, TopicSpec, by_role
from schemas.triggers import TriggerType
from streams.adapters.redis_view import ProfileProjector, connect_async
from streams.config import Settings
from streams.domain.customer.comeback import effective_policy
from streams.domain.policy import Policy
from streams.runtime.clock import make_clock
from streams.runtime.cluster_metadata import refresh_metadata
from streams.runtime.customers import CustomerShell
from streams.runtime.fetching import fetch_the_partitions_active_at_the_start, fetch_without_long_waits
from streams.runtime.flow_control import keep_queued_records_on_resume
from streams.runtime.held_back import HeldBack
from streams.runtime.metrics import Metrics
from streams.runtime.producer_buffer import drain_before_commits
from streams.runtime.products import ProductShell
from streams.runtime.progress import CatalogGates, CustomerProgress
from streams.runtime.records import Records
from streams.runtime.routing import Router
from streams.runtime.seeking import seek_uncommitted_to_the_beginning
from streams.runtime.timer_index import TimerIndex
from streams.runtime.watermarks import SavedWatermarks

__all__ = ["Runtime", "Topics", "build_runtime", "create_app"]


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


def _advertised_host(settings: Settings) -> str:
    if settings.web_advertised_host:
        return settings.web_advertised_host
    return socket.gethostname() if settings.web_host in ("0.0.0.0", "::") else settings.web_host


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
        consumer_max_fetch_size=settings.consumer_max_fetch_bytes,
        broker_session_timeout=settings.session_timeout_seconds,
        broker_heartbeat_interval=settings.heartbeat_interval_seconds,
        web_host=_advertised_host(settings),  # the URL other workers route profile requests to
        web_bind=settings.web_host,  # web_host alone only sets the advertised URL; Faust binds 0.0.0.0 otherwise
        web_port=settings.web_port,
        web_tables_enabled=False,  # /table/ would serve raw customer state (birthdays, consents) to anyone
        web_router_enabled=False,  # /router/ lists every worker
        processing_guarantee="at_least_once",
    )


@dataclass(frozen=True)
class Topics:
    """Every topic the worker reads or writes, raw bytes in and out (decoding is ours, so bad input can be
    dead-lettered with its original bytes)."""

    customer_inputs: faust.TopicT  # orders, behaviour, customers and ticks: keyed by customer
    catalog_inputs: faust.TopicT  # catalog and watchers: keyed by product
    customers: faust.TopicT  # the customers input alone, for routing web requests to the owner
    watchers: faust.TopicT
    ticks: faust.TopicT
    rerouted_customers: faust.TopicT  # customer input records forwarded to their key's owner partition
    rerouted_catalog: faust.TopicT  # the same for catalog records
    dead_letters: faust.TopicT
    decisions: faust.TopicT  # the contact stage's records, keyed by customer
    triggers: dict[str, faust.TopicT]  # by topic name (trigger routes)

    @classmethod
    def declare(cls, app: faust.App, settings: Settings) -> Topics:
        def topic(*specs: TopicSpec) -> faust.TopicT:
            names = (settings.topic_name(s) for s in specs)
            return app.topic(*names, key_serializer="raw", value_serializer="raw", partitions=settings.partitions)

        trigger_names = {settings.trigger_topic_for(t) for t in get_args(TriggerType)}
        return cls(
            customer_inputs=topic(*(s for s in TOPICS if s.key == "customer_id" and s.direction != "out")),
            catalog_inputs=topic(by_role("catalog"), by_role("watchers"), by_role("rerouted_catalog")),
            customers=topic(by_role("customers")),
            watchers=topic(by_role("watchers")),
            ticks=topic(by_role("ticks")),
            rerouted_customers=topic(by_role("rerouted_customers")),
            rerouted_catalog=topic(by_role("rerouted_catalog")),
            dead_letters=topic(by_role("dead_letters")),
            decisions=topic(by_role("decisions")),
            triggers={
                name: app.topic(name, key_serializer="raw", value_serializer="raw", partitions=settings.partitions)
                for name in trigger_names
            },
        )


@dataclass(frozen=True)
class Runtime:
    """One worker's app, topics, tables and shells; the agents (agents/) only hand records to the shells."""

    settings: Settings
    policy: Policy  # the policy file's; the shells decide with it carrying the shop's model (``use_model``)
    app: faust.App
    topics: Topics
    customer_to_state: faust.types.TableT
    product_to_state: faust.types.TableT
    product_to_watchers: faust.types.TableT
    customers: CustomerShell
    products: ProductShell

    def use_model(self, model: ShopModel | None) -> bool:
        """Score and aim with ``model`` from now on (None: without one); False when it is already in use."""
        current = self.customers.policy.model
        if (current and current.fingerprint) == (model and model.fingerprint):
            return False
        self.customers.policy = self.products.policy = effective_policy(self.policy, model)
        return True


def build_runtime(settings: Settings, policy: Policy, model: ShopModel | None = None) -> Runtime:
    """The whole worker, wired; the Redis client connects on first use. ``policy``: the policy file's;
    ``model``: the shop's repurchase model to start with (``streams.adapters.shop_models.start_model``)."""
    decide_with = effective_policy(policy, model)
    app = create_app(settings)
    buffer = drain_before_commits(app)
    keep_queued_records_on_resume(app)
    fetch_the_partitions_active_at_the_start(app)
    fetch_without_long_waits(app)
    seek_uncommitted_to_the_beginning(app)
    topics = Topics.declare(app, settings)
    tables = {  # the states as bytes of streams.adapters.table_codec (Faust's raw serializer), the watermarks as JSON
        name: app.Table(name, partitions=settings.partitions, value_type=value_type)
        for name, value_type in (
            ("customer_to_state", bytes),
            ("product_to_state", bytes),
            ("product_to_watchers", bytes),
            ("source_to_watermark", None),
        )
    }
    metrics = Metrics.create()
    metrics.serve(app)
    records = Records(settings, policy, topics.dead_letters, metrics, refresh_metadata=lambda: refresh_metadata(app))
    watermarks = SavedWatermarks(tables["source_to_watermark"])
    held = HeldBack(stored=buffer.stored)
    projector = ProfileProjector(connect_async(settings.redis_url.get_secret_value()), settings.redis_prefix)
    customers = CustomerShell(
        settings,
        decide_with,
        records,
        table=tables["customer_to_state"],
        topics=topics,
        clock=make_clock(settings.clock),  # the customers' watermark in event time
        timers=TimerIndex(strictly_before=settings.clock == "event"),
        progress=CustomerProgress(),
        projector=projector,
        router=Router(
            (settings.topic_name(s) for s in INPUT_TOPICS if s.key == "customer_id"),
            topics.rerouted_customers,
            settings.topic_name(by_role("rerouted_customers")),
            settings.partitions,
        ),
        watermarks=watermarks,
        held=held,
    )
    products = ProductShell(
        settings,
        decide_with,
        records,
        products=tables["product_to_state"],
        watchers=tables["product_to_watchers"],
        topics=topics,
        clock=make_clock(settings.clock),  # the catalog's watermark in event time
        lookups=TimerIndex(),  # products with held lookups, waiting for the catalog watermark
        gates=CatalogGates(settings.partitions),  # catalog events waiting for the customers
        router=Router(
            [settings.topic_name(by_role("catalog"))],
            topics.rerouted_catalog,
            settings.topic_name(by_role("rerouted_catalog")),
            settings.partitions,
        ),
        watermarks=watermarks,
        held=held,
    )
    held.write_behind(customers.states, products.decoded_products, products.decoded_watchers, after_stored=[watermarks])
    buffer.before_flush.append(held.flush)
    return Runtime(
        settings,
        policy,
        app,
        topics,
        tables["customer_to_state"],
        tables["product_to_state"],
        tables["product_to_watchers"],
        customers,
        products,
    )
