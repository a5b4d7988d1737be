"""Machine-readable contracts: JSON Schema per message model and an AsyncAPI 3.0 document of the topics."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from schemas import headers as h
from schemas.base import SCHEMA_VERSION
from schemas.dead_letter import DeadLetter
from schemas.topics import TOPICS, TopicSpec
from schemas.triggers import Trigger

__all__ = ["asyncapi_document", "json_schemas", "write_all"]

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_COMPONENT_REF = "#/components/schemas/{model}"
_DESCRIPTION = (
    "Event-driven customer-retention engine: shop events in on Kafka, explainable triggers out. "
    "Described from the engine's point of view: it receives the input and internal topics and sends "
    "triggers, the contact policy's decision records, dead letters and ticks. Every topic name gets "
    "COMEBACK_TOPIC_PREFIX prepended.\n\n"
    "Keying and partitioning: key each input event by its customer_id (orders, behavior, customers) or its "
    "product_id (catalog), as UTF-8 bytes. Any partitioner works: the engine's owner partition for a key is "
    "murmur2 (the Java client's and Faust's default); a record another partitioner (librdkafka's CRC32, a Go "
    "client's own hash) puts elsewhere is forwarded to its owner through an internal rerouted topic, in event "
    "time too. Murmur2 saves that hop. Publish each partition in event-time order for replays."
)


def _models() -> dict[str, type[BaseModel]]:
    """Every message model in TOPICS by class name, in topic order; a name clash is an error."""
    models: dict[str, type[BaseModel]] = {}
    for model in (m for spec in TOPICS for m in spec.messages):
        if models.setdefault(model.__name__, model) is not model:
            raise ValueError(f"two message models are both named {model.__name__!r}")
    return models


def _topics_of(model: type[BaseModel]) -> list[TopicSpec]:
    return [spec for spec in TOPICS if model in spec.messages]


def _mode(model: type[BaseModel]) -> JsonSchemaMode:
    """Validation for what the engine reads (input, internal); serialization for what it only writes."""
    return "serialization" if all(s.direction == "out" for s in _topics_of(model)) else "validation"


def _type_required(schema: dict[str, Any]) -> dict[str, Any]:
    """Intake picks the model by ``type``, so on the wire it is required even though the model defaults it."""
    if "type" in schema.get("properties", {}) and "type" not in schema.get("required", []):
        schema["required"] = ["type", *schema.get("required", [])]
    return schema


def json_schemas() -> dict[str, dict[str, Any]]:
    """A self-contained JSON Schema (draft 2020-12) for every message model, keyed by model name."""
    return {
        name: {"$schema": JSON_SCHEMA_DIALECT, **_type_required(model.model_json_schema(mode=_mode(model)))}
        for name, model in _models().items()
    }


def _component_schemas() -> tuple[dict[str, Any], dict[str, str]]:
    """All models and nested definitions in one namespace (#/components/schemas/X), and each model's $ref."""
    models = _models()
    refs, top = models_json_schema([(m, _mode(m)) for m in models.values()], ref_template=_COMPONENT_REF)
    defs: dict[str, Any] = top.get("$defs", {})
    model_refs = {model.__name__: ref["$ref"] for (model, _), ref in refs.items()}
    payloads = {ref.rsplit("/", 1)[1] for ref in model_refs.values()}
    return {n: _type_required(s) if n in payloads else s for n, s in sorted(defs.items())}, model_refs


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)


def _camel(role: str) -> str:
    return "".join(part.capitalize() for part in role.split("_"))


def _message(name: str, model: type[BaseModel], payload_ref: str) -> dict[str, Any]:
    topics = _topics_of(model)
    doc = inspect.cleandoc(model.__doc__ or "")
    summary = doc.split("\n\n", 1)[0].replace("\n", " ") or f"{_words(name)} on {topics[0].name}."
    keys = sorted({f"the {s.key}" + (f" on {s.name}" if len(topics) > 1 else "") for s in topics})
    message: dict[str, Any] = {
        "name": name,
        "title": _words(name),
        "summary": summary,
        "contentType": "application/json",
        "payload": {"$ref": payload_ref},
        "headers": _headers(model),
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"Kafka message key: {'; '.join(keys)}."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }
    return message | ({"description": doc} if doc and doc != summary else {})


def _headers(model: type[BaseModel]) -> dict[str, Any]:
    """The Kafka headers the engine publishes with this message (``schemas.headers``); producers may omit them."""
    names = [h.CONTENT_TYPE, h.SCHEMA_VERSION, h.MESSAGE_TYPE]
    names += [h.TRIGGER_TYPE] if model is Trigger else [h.REJECTION_CODE] if model is DeadLetter else []
    return {
        "type": "object",
        "description": "Set by the engine on what it publishes; optional on what producers send.",
        "properties": {name: {"type": "string", "description": h.HEADERS[name]} for name in names},
    }


def _channel(spec: TopicSpec) -> dict[str, Any]:
    return {
        "address": spec.name,
        "title": _words(_camel(spec.role)),
        "description": spec.description,
        "messages": {m.__name__: {"$ref": f"#/components/messages/{m.__name__}"} for m in spec.messages},
    }


def _operations(spec: TopicSpec) -> dict[str, dict[str, Any]]:
    """The engine receives on input and internal topics and sends on output and internal ones."""
    actions = {"in": ("receive",), "out": ("send",), "internal": ("receive", "send")}[spec.direction]
    verbs = {"receive": "Consume", "send": "Publish"}
    return {
        f"{action}{_camel(spec.role)}": {
            "action": action,
            "channel": {"$ref": f"#/channels/{spec.role}"},
            "summary": f"{verbs[action]} {spec.name}: {spec.description}",
            "messages": [{"$ref": f"#/channels/{spec.role}/messages/{m.__name__}"} for m in spec.messages],
        }
        for action in actions
    }


def asyncapi_document() -> dict[str, Any]:
    """An AsyncAPI 3.0.0 document of every topic, its messages and the engine's operations."""
    schemas, refs = _component_schemas()
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "comeback",
            "version": SCHEMA_VERSION,
            "description": _DESCRIPTION,
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "localhost:9092",
                "protocol": "kafka",
                "description": "Kafka bootstrap servers; the engine reads the address from COMEBACK_KAFKA_BOOTSTRAP.",
            }
        },
        "channels": {spec.role: _channel(spec) for spec in TOPICS},
        "operations": {op_id: op for spec in TOPICS for op_id, op in _operations(spec).items()},
        "components": {
            "schemas": schemas,
            "messages": {name: _message(name, model, refs[name]) for name, model in _models().items()},
        },
    }


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_all(out_dir: Path) -> list[Path]:
    """Write json-schema/<Model>.json, asyncapi.json and asyncapi.yaml under ``out_dir``; return the paths."""
    paths = [_write(out_dir / "json-schema" / f"{name}.json", _dumps(s)) for name, s in json_schemas().items()]
    document = asyncapi_document()
    paths.append(_write(out_dir / "asyncapi.json", _dumps(document)))
    paths.append(_write(out_dir / "asyncapi.yaml", yaml.safe_dump(document, sort_keys=False, allow_unicode=True)))
    return sorted(paths)
