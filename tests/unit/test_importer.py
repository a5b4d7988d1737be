"""The importer: historical JSON Lines and CSV order logs as events, malformed rows reported and skipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from schemas.events import OrderPlaced
from streams.tools.cli import main
from streams.tools.importer import (
    ImportFailed,
    ImportResult,
    RowProblem,
    parse_csv,
    parse_mapping,
    parse_time,
    read_events,
)
from tests.factories import view

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = "order_id,customer_id,at,amount,quantity,product_id,category"


def _csv(
    *rows: str, header: str = HEADER, source: str = "orders.csv", mapping: dict[str, str] | None = None
) -> ImportResult:
    return parse_csv([header, *rows], source, mapping)


def _orders(result: ImportResult) -> list[OrderPlaced]:
    """The orders of a log without problems."""
    assert result.problems == []
    assert all(isinstance(e, OrderPlaced) for e in result.events)
    return result.events  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01T10:15:30+02:00", datetime(2024, 3, 1, 10, 15, 30, tzinfo=timezone(timedelta(hours=2)))),
        ("2024-03-01T10:15:30Z", datetime(2024, 3, 1, 10, 15, 30, tzinfo=UTC)),
        ("2024-03-01T10:15:30", datetime(2024, 3, 1, 10, 15, 30, tzinfo=SHANGHAI)),
        ("2024-03-01", datetime(2024, 3, 1, tzinfo=SHANGHAI)),
        ("2024/03/01", datetime(2024, 3, 1, tzinfo=SHANGHAI)),
        ("2024/03/01 10:15", datetime(2024, 3, 1, 10, 15, tzinfo=SHANGHAI)),
        ("2024-03-01 10:15", datetime(2024, 3, 1, 10, 15, tzinfo=SHANGHAI)),
        ("2024-03-01 10:15:30", datetime(2024, 3, 1, 10, 15, 30, tzinfo=SHANGHAI)),
        ("01/03/2024", datetime(2024, 3, 1, tzinfo=SHANGHAI)),
        ("31/12/2024 23:59:59", datetime(2024, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)),
        ("1709288130", datetime(2024, 3, 1, 10, 15, 30, tzinfo=UTC)),
        ("1709288130500", datetime(2024, 3, 1, 10, 15, 30, 500_000, tzinfo=UTC)),
        (" 1709288130.25 ", datetime(2024, 3, 1, 10, 15, 30, 250_000, tzinfo=UTC)),
    ],
)
def test_every_supported_date_format_gives_the_right_aware_instant(text: str, expected: datetime) -> None:
    parsed = parse_time(text)
    assert parsed.tzinfo is not None
    assert parsed == expected


def test_naive_times_are_read_in_the_given_zone_and_aware_ones_keep_their_offset() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert parse_time("2024-03-01 10:00", berlin) == datetime(2024, 3, 1, 10, tzinfo=berlin)
    assert parse_time("2024-03-01 10:00", berlin) != parse_time("2024-03-01 10:00")  # Shanghai by default
    aware = parse_time("2024-03-01T10:00:00+08:00", berlin)
    assert aware.utcoffset() == timedelta(hours=8)
    assert parse_time("1709288130", berlin).tzinfo == berlin  # unix times are instants, shown in the zone


@pytest.mark.parametrize("text", ["2024-13-01", "31/02/2024", "yesterday", "", "12/31/2024", "99999999999999999999"])
def test_an_unrecognised_date_is_an_error_naming_it(text: str) -> None:
    with pytest.raises(ValueError, match="date|timestamp"):
        parse_time(text)


def test_a_mapping_names_their_column_for_our_field() -> None:
    assert parse_mapping("customer=cust_id, at=order_date,amount=total") == {
        "customer": "cust_id",
        "at": "order_date",
        "amount": "total",
    }
    with pytest.raises(ValueError, match="unknown field 'client'"):
        parse_mapping("client=cust_id")
    with pytest.raises(ValueError, match="FIELD=COLUMN"):
        parse_mapping("customer")


def test_a_log_with_other_column_names_is_read_through_the_mapping() -> None:
    header = "Order No,Buyer,Paid At,Total,Qty,SKU,Cat,RRP,Maker"
    mapping = parse_mapping(
        "order=Order No,customer=Buyer,at=Paid At,amount=Total,quantity=Qty,product=SKU,"
        "category=Cat,list_price=RRP,brand=Maker"
    )
    [order] = _orders(_csv("A-1,c1,2024-03-01 10:00,90,3,p-1,shoes,40,Acme", header=header, mapping=mapping))
    assert (order.order_id, order.customer_id, order.total) == ("A-1", "c1", 90)
    [item] = order.lines
    assert (item.product_id, item.category, item.quantity, item.unit_price, item.list_price, item.brand) == (
        "p-1",
        "shoes",
        3,
        30,
        40,
        "Acme",
    )


def test_without_a_mapping_our_names_are_found_and_quantity_defaults_to_one() -> None:
    [order] = _orders(_csv("c1,2024-03-01,12.5,p1,shoes", header="customer,occurred_at,amount,product,category"))
    assert order.lines[0].quantity == 1 and order.total == 12.5


def test_a_missing_column_or_header_means_the_file_cannot_be_read() -> None:
    with pytest.raises(ImportFailed, match="no column 'customer' or 'customer_id' for customer"):
        _csv(header="at,amount,product,category")
    with pytest.raises(ImportFailed, match="no column 'buyer' for customer"):
        _csv(mapping={"customer": "buyer"})
    with pytest.raises(ImportFailed, match="no header"):
        parse_csv([], "empty.csv")


def test_rows_of_one_order_become_one_order_with_several_lines_and_their_total() -> None:
    orders = _orders(
        _csv(
            "o1,c1,2024-03-01 10:05,10.10,1,p1,shoes",
            ",c2,2024-03-01 09:00,7,1,p1,shoes",
            "o1,c1,2024-03-01 10:00,20.20,2,p2,bags",
            ",c2,2024-03-01 09:30,8,1,p3,bags",
        )
    )
    assert [(o.customer_id, o.total) for o in orders] == [("c2", 7), ("c2", 8), ("c1", 30.3)]
    multi = orders[-1]
    assert multi.order_id == "o1"
    assert [(item.product_id, item.quantity, item.unit_price) for item in multi.lines] == [
        ("p1", 1, 10.1),
        ("p2", 2, 10.1),
    ]
    assert multi.occurred_at == datetime(2024, 3, 1, 10, tzinfo=SHANGHAI)  # the earliest row's time
    assert orders[0].order_id != orders[1].order_id  # without an order id, each row is an order


def test_malformed_rows_are_skipped_and_reported_with_their_line_and_reason() -> None:
    result = _csv(
        "o1,c1,2024-03-01,10,1,p1,shoes",
        "o2,c2,2024-02-30,10,1,p1,shoes",
        "o3,c3,2024-03-01,-5,1,p1,shoes",
        "o4,,2024-03-01,10,1,p1,shoes",
        "o5,c5,2024-03-01,10,two,p1,shoes",
        "o6,c6,2024-03-01,ten,1,p1,shoes",
        "o7,c7,2024-03-01,10,1,p 1,shoes",
        "o8,c8,2024-03-01,10,1,p1",
        "",
        "o9,c9,2024-03-01,10,1,p1,shoes",
    )
    assert [e.order_id for e in result.events] == ["o1", "o9"]  # type: ignore[attr-defined]
    reasons = {p.line: p.reason for p in result.problems}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert reasons[3] == "unrecognised date '2024-02-30'"
    assert reasons[4] == "amount is negative: '-5'"
    assert reasons[5] == "missing customer"
    assert reasons[6] == "quantity is not a whole number >= 1: 'two'"
    assert reasons[7] == "amount is not a number: 'ten'"
    assert reasons[8].startswith("product_id: String should match pattern")
    assert reasons[9] == "6 cells, the header has 7"
    assert str(RowProblem(3, reasons[3])) == "line 3: unrecognised date '2024-02-30'"


def test_one_malformed_row_skips_its_whole_order_and_an_order_may_not_mix_customers() -> None:
    result = _csv(
        "o1,c1,2024-03-01,10,1,p1,shoes",
        "o1,c1,2024-03-01,x,1,p2,shoes",
        "o2,c2,2024-03-01,10,1,p1,shoes",
        "o2,c3,2024-03-01,10,1,p1,shoes",
    )
    assert result.events == []
    assert [str(p) for p in result.problems] == [
        "line 2: order 'o1' skipped: line 3 is malformed",
        "line 3: amount is not a number: 'x'",
        "line 4: order 'o2' has rows of several customers",
        "line 5: order 'o2' has rows of several customers",
    ]


def test_line_numbers_count_physical_lines_when_a_quoted_cell_spans_several() -> None:
    text = f'{HEADER}\no1,c1,2024-03-01,10,1,p1,"shoes\nand socks"\no2,c2,2024-03-01,x,1,p1,shoes\n'
    result = parse_csv(text.splitlines(keepends=True), "orders.csv")
    assert [p.line for p in result.problems] == [2, 4]  # the first row's product category is not an identifier


def test_event_ids_depend_on_the_file_name_and_the_order_id_or_line_only() -> None:
    rows = ("o1,c1,2024-03-01,10,1,p1,shoes", ",c2,2024-03-02,5,1,p1,shoes")
    first, again = _orders(_csv(*rows)), _orders(_csv(*rows))
    assert [e.event_id for e in first] == [e.event_id for e in again]
    assert len({e.event_id for e in first}) == 2
    assert {e.event_id for e in first}.isdisjoint(e.event_id for e in _orders(_csv(*rows, source="other.csv")))
    moved = _orders(_csv(",c0,2024-03-03,1,1,p1,shoes", *rows))  # o1 keeps its id, the line-numbered order does not
    assert first[0].event_id in {e.event_id for e in moved} and first[1].event_id not in {e.event_id for e in moved}


def test_read_events_reads_csv_and_jsonl_files_sorted_by_time(tmp_path: Path) -> None:
    csv_file = tmp_path / "log.csv"
    csv_file.write_text(
        "\ufeff" + "\n".join([HEADER, "o2,c1,2024-03-02,10,1,p1,shoes", "o1,c1,2024-03-01,10,1,p1,shoes"])
    )
    assert [e.order_id for e in read_events(csv_file).events] == ["o1", "o2"]  # type: ignore[attr-defined]
    later, earlier = (
        view(event_id="v2", at=datetime(2024, 3, 2, tzinfo=UTC)),
        view(event_id="v1", at=datetime(2024, 3, 1, tzinfo=UTC)),
    )
    jsonl = tmp_path / "log.txt"
    jsonl.write_text(
        "\n".join([later.model_dump_json(), "", "{not json", '{"type": "shop_followed"}', earlier.model_dump_json()])
    )
    result = read_events(jsonl, "jsonl")
    assert result.events == [earlier, later]
    assert [p.line for p in result.problems] == [3, 4]
    assert result.problems[0].reason.startswith("Invalid JSON")
    assert "customer_id: Field required" in result.problems[1].reason


def test_a_file_that_cannot_be_read_is_an_import_failure_and_exit_code_2(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="cannot read"):
        read_events(tmp_path / "missing.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert main(["replay", str(binary)]) == 2
