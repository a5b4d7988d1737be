"""The ``comeback`` console script: one sub-command per job, each a thin call into a module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from streams.policy import PolicyError, load_policy
from streams.settings import Settings, masked

__all__ = ["main"]


def _config(args: argparse.Namespace) -> int:
    settings = Settings()
    print(masked(settings))
    load_policy(settings.policy_file)
    return 0


def _schema(args: argparse.Namespace) -> int:
    from streams.schema_export import write_all

    for path in write_all(Path(args.out)):
        print(path)
    return 0


def _topics_create(args: argparse.Namespace) -> int:
    from streams.admin import create_topics

    for name in create_topics(Settings()):
        print(f"created {name}")
    return 0


def _worker(args: argparse.Namespace) -> int:
    from streams.worker import run_worker

    return run_worker(Settings())


def _dev(args: argparse.Namespace) -> int:
    from streams.dev import run_dev

    return run_dev(demo=False)


def _demo(args: argparse.Namespace) -> int:
    from streams.dev import run_dev

    return run_dev(demo=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="comeback", description="Customer-retention engine on Kafka.")
    commands = parser.add_subparsers(dest="command", required=True)
    simple: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
        "config": (_config, "print the effective settings (secrets masked) and check the policy file"),
        "worker": (_worker, "run a stream worker against COMEBACK_KAFKA_BOOTSTRAP"),
        "dev": (_dev, "run the embedded broker, redis-server and a worker until Ctrl-C"),
        "demo": (_demo, "run the embedded stack, feed the built-in sample and print the triggers"),
    }
    for name, (handler, help_text) in simple.items():
        commands.add_parser(name, help=help_text).set_defaults(handler=handler)
    schema = commands.add_parser("schema", help="write JSON Schema for every model and an AsyncAPI document")
    schema.add_argument("--out", default="schema-out", help="directory to write into (default: schema-out)")
    schema.set_defaults(handler=_schema)
    topics = commands.add_parser("topics", help="manage topics").add_subparsers(dest="topics_command", required=True)
    topics.add_parser("create", help="create every topic (idempotent)").set_defaults(handler=_topics_create)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except PolicyError as exc:
        print(f"comeback: {exc}", file=sys.stderr)
        return 2
