"""kafka-python checksums every record batch the SDK producer sends and the tools' consumers read (rebuild-profiles,
refit, chaos): with the ``crc32c`` dependency in C, not in its pure-Python fallback (about 7 MB/s on the CI
machine, a fifth to a third of the SDK producer's time)."""

from __future__ import annotations

from kafka.record import util


def test_kafka_python_computes_crc32c_in_c() -> None:
    assert util.crc32c_c is not None
    assert util.calc_crc32c(b"123456789") == 0xE3069283  # CRC-32C's check value
