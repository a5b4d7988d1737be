"""The repurchase model on a real public order history: CDNOW (Fader, Hardie and Lee 2005).

CDNOW's master file holds every purchase of the 23,570 customers who first bought from the CD shop in
the first quarter of 1997, up to the end of June 1998 (69,659 rows: customer, date, CDs, dollars); the
sample file a tenth of them. Both ship in the Lifetimes wheel on PyPI, which this script downloads once
with pip (no dependency installed) into ``~/.cache/comeback/``. Purchases of one customer on one day are
one order, as in the papers. The classic split: 39 weeks of calibration (the cut-off 1997-10-01, shop
time America/New_York) and the 39 weeks after (273 days) held out.

    .venv/bin/python -m benchmarks.cdnow            # the master file, about 30 s
    .venv/bin/python -m benchmarks.cdnow --sample   # the 2,357-customer sample

It prints ``comeback evaluate``'s table: AUC of "orders again within the horizon" and RMSE of the order
count, the engine's model beside BG/NBD alone and the baselines.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from streams.domain.policy import Policy
from streams.tools.comeback import Evaluation, evaluate, format_table
from streams.tools.importer import ImportResult, parse_csv

__all__ = ["CUTOFF", "HORIZON_DAYS", "ZONE", "as_csv", "cdnow_evaluation", "cdnow_orders", "main"]

WHEEL = "lifetimes==0.11.3"
ZONE = ZoneInfo("America/New_York")
CUTOFF = datetime(1997, 10, 1, tzinfo=ZONE)
HORIZON_DAYS = 273
CACHE = Path.home() / ".cache" / "comeback"


def _wheel(cache: Path) -> Path:
    """The Lifetimes wheel in ``cache``, downloaded once with pip."""
    found = sorted(cache.glob("[Ll]ifetimes-*.whl"))
    if not found:
        cache.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", WHEEL, "-d", str(cache)]
        subprocess.run(command, check=True)
        found = sorted(cache.glob("[Ll]ifetimes-*.whl"))
    return found[-1]


def as_csv(lines: Iterable[str]) -> Iterator[str]:
    """CDNOW's whitespace-separated rows as our CSV order log, one order per customer-day: the customer
    first, the date, CDs and dollars last (the sample has a second id between; the master a header)."""
    yield "customer,at,quantity,amount,product,category,order"
    for line in lines:
        cells = line.split()
        if not cells or not cells[0].isdigit():
            continue
        customer, (day, cds, dollars) = cells[0], cells[-3:]
        at = f"{day[:4]}-{day[4:6]}-{day[6:]}"
        yield f"c{customer},{at},{cds},{dollars},cd,music,{customer}-{day}"


def cdnow_orders(sample: bool = False, cache: Path = CACHE) -> ImportResult:
    """CDNOW's orders (the master file, or the sample), read by the CSV importer."""
    name = "CDNOW_sample.txt" if sample else "CDNOW_master.txt"
    with zipfile.ZipFile(_wheel(cache)) as wheel:
        text = wheel.read(f"lifetimes/datasets/{name}").decode("ascii")
    return parse_csv(as_csv(text.splitlines()), name, zone=ZONE)


def cdnow_evaluation(sample: bool = False, cache: Path = CACHE) -> Evaluation:
    """``comeback evaluate`` on CDNOW at the classic split (the fold replay: CDNOW has orders only)."""
    events = cdnow_orders(sample, cache).events
    return evaluate(events, Policy(), CUTOFF, HORIZON_DAYS, "fold")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", action="store_true", help="the 2,357-customer sample instead of the master file")
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"where the wheel is kept (default: {CACHE})")
    args = parser.parse_args(argv)
    print(format_table(cdnow_evaluation(args.sample, args.cache)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
