"""Every message model survives JSON unchanged, and its JSON matches the exported JSON Schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

from schemas.events import EVENT_ADAPTER, EVENT_TYPES
from schemas.topics import TOPICS
from streams.tools.schema_export import json_schemas

from .examples import examples

EXAMPLES = examples()
SCHEMAS = json_schemas()


def _id(message: BaseModel) -> str:
    return type(message).__name__


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


@pytest.mark.parametrize("message", EXAMPLES, ids=_id)
def test_an_unknown_field_is_rejected_by_both_the_schema_and_the_model(message: BaseModel) -> None:
    body = json.loads(message.model_dump_json()) | {"surprise": 1}
    assert not _validator(_id(message)).is_valid(body)
    with pytest.raises(ValidationError):
        type(message).model_validate(body)


@pytest.mark.parametrize("message", [m for m in EXAMPLES if "type" in type(m).model_fields], ids=_id)
def test_the_schema_requires_the_type_field_that_intake_dispatches_on(message: BaseModel) -> None:
    body = json.loads(message.model_dump_json())
    del body["type"]
    assert not _validator(_id(message)).is_valid(body)
