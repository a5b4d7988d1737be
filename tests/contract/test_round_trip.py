"""Every message model survives JSON unchanged, and its JSON matches the exported JSON Schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

from schemas.base import SCHEMA_MAJOR, Inbound
from schemas.events import EVENT_ADAPTER, EVENT_TYPES
from schemas.topics import TOPICS
from streams.tools.schema_export import json_schemas

from .examples import examples

EXAMPLES = examples()
SCHEMAS = json_schemas()


def _id(message: BaseModel) -> str:
    return type(message).__name__


def _read_by_engine(message: BaseModel) -> bool:
    return any(spec.direction != "out" and type(message) in spec.messages for spec in TOPICS)


def _validator(model_name: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[model_name], format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_there_is_one_example_for_every_model_on_every_topic() -> None:
    on_topics = sorted({m.__name__ for spec in TOPICS for m in spec.messages})
    assert sorted(_id(m) for m in EXAMPLES) == on_topics
    assert set(EVENT_TYPES.values()) <= {type(m) for m in EXAMPLES}


@pytest.mark.parametrize("message", EXAMPLES, ids=_id)
def test_a_message_reads_back_from_its_own_json_unchanged(message: BaseModel) -> None:
    assert type(message).model_validate_json(message.model_dump_json()) == message


@pytest.mark.parametrize("message", [m for m in EXAMPLES if type(m) in EVENT_TYPES.values()], ids=_id)
def test_an_input_event_reads_back_through_the_event_adapter_as_the_same_type(message: BaseModel) -> None:
    parsed = EVENT_ADAPTER.validate_json(message.model_dump_json())
    assert type(parsed) is type(message)
    assert parsed == message


@pytest.mark.parametrize("message", EXAMPLES, ids=_id)
def test_the_json_of_a_message_is_valid_against_its_exported_schema(message: BaseModel) -> None:
    errors = [e.message for e in _validator(_id(message)).iter_errors(json.loads(message.model_dump_json()))]
    assert errors == []


@pytest.mark.parametrize("message", EXAMPLES, ids=_id)
def test_a_message_without_its_defaulted_fields_still_matches_the_schema(message: BaseModel) -> None:
    body: dict[str, Any] = json.loads(message.model_dump_json(exclude_defaults=True))
    if "type" in type(message).model_fields:
        body["type"] = message.type  # defaulted, yet intake dispatches on it
    assert list(_validator(_id(message)).iter_errors(body)) == []
    assert type(message).model_validate(body) == message


@pytest.mark.parametrize("message", [m for m in EXAMPLES if _read_by_engine(m)], ids=_id)
def test_an_unknown_field_on_what_the_engine_reads_is_accepted_and_ignored_by_both(message: BaseModel) -> None:
    """Forward compatibility: a producer on a newer minor version may send fields this engine does not know."""
    body = json.loads(message.model_dump_json()) | {"surprise": 1, "schema_version": f"{SCHEMA_MAJOR}.99"}
    if "schema_version" not in type(message).model_fields:
        del body["schema_version"]
    assert _validator(_id(message)).is_valid(body)
    parsed = type(message).model_validate_json(json.dumps(body), strict=True)
    assert not hasattr(parsed, "surprise") and parsed.model_extra is None
    assert parsed.model_dump(exclude={"schema_version"}) == message.model_dump(exclude={"schema_version"})


@pytest.mark.parametrize("message", [m for m in EXAMPLES if not _read_by_engine(m)], ids=_id)
def test_an_unknown_field_on_what_the_engine_only_writes_is_rejected_by_both(message: BaseModel) -> None:
    """Output contracts are closed: the schema lists exactly what the engine sends."""
    body = json.loads(message.model_dump_json()) | {"surprise": 1}
    assert not _validator(_id(message)).is_valid(body)
    with pytest.raises(ValidationError):
        type(message).model_validate(body)


def test_what_the_engine_reads_is_open_and_what_it_only_writes_is_closed_in_the_schema() -> None:
    for message in EXAMPLES:
        assert SCHEMAS[_id(message)].get("additionalProperties", True) is _read_by_engine(message), _id(message)
        assert isinstance(message, Inbound) is _read_by_engine(message), _id(message)


def _keywords(schema: Any) -> set[str]:
    if isinstance(schema, list):
        return set().union(*map(_keywords, schema))
    if not isinstance(schema, dict):
        return set()
    nested = [v for k, v in schema.items() if k not in ("properties", "$defs", "default", "enum", "const")]
    named = [*schema.get("properties", {}).values(), *schema.get("$defs", {}).values()]
    return set(schema) - {"properties", "$defs"} | _keywords(nested) | _keywords(named)


def test_the_schemas_use_only_json_schema_keywords() -> None:
    """A constraint pydantic cannot translate (e.g. ge after a validator) would land as a raw key no validator reads."""
    known = {
        "$schema", "$ref", "title", "description", "type", "default", "const", "enum", "anyOf", "items",
        "required", "additionalProperties", "propertyNames", "minimum", "maximum", "minLength", "maxLength",
        "pattern", "format", "minItems", "maxItems", "uniqueItems", "prefixItems", "exclusiveMinimum",
    }  # fmt: skip
    assert _keywords(list(SCHEMAS.values())) <= known


@pytest.mark.parametrize("message", [m for m in EXAMPLES if "type" in type(m).model_fields], ids=_id)
def test_the_schema_requires_the_type_field_that_intake_dispatches_on(message: BaseModel) -> None:
    body = json.loads(message.model_dump_json())
    del body["type"]
    assert not _validator(_id(message)).is_valid(body)
