"""A deterministic shop simulator: a year of a plausible shop as input events, for demos and benchmarks.

Shell code (it owns randomness): one ``random.Random(seed)`` drives everything, so the same arguments
give the same events, ids included. The shop is simulated day by day: each day the catalog may change
(stock, prices) and every customer may browse, favorite and buy; what a day starts can schedule later
events (cancellations, refunds, unfollows), and a time-ordered queue releases each day's events.

The customers differ the way real ones do: a Pareto-distributed order rate (about 20% of them bring
most of the revenue), a budget band, a price sensitivity (share of coupon and discount orders),
preferred categories and brands, their own rhythm for consumables, and a lifetime after which they
only browse now and then (so every lifecycle stage appears over a year). Around each big sale
(11.11) traffic is several times the usual, with favorites building up during the warm-up days.

The truth is known: ``simulate_with_truth`` also returns each customer's planted rhythm and churn
(``PlantedCustomer``). With ``planted=PlantedRhythms(r, alpha, a, b)`` the buyers follow BG/NBD exactly
instead: a purchase rate per day drawn from Gamma(r, alpha), after each repeat purchase a drop-out with a
probability drawn from Beta(a, b); they browse now and then (less once they have dropped out), and
nothing else makes them buy (no replenishment, no cancellations), so a fit can be checked against the
numbers it was given.

``simulate_with_response`` closes the loop with the engine: day by day, the day's events go through a
``ReferenceShop`` and its timers run to the day's end; each trigger actually sent that day (not held out)
makes its customer place one extra order, with the planted probability of its type, at a random time in
the type's attribution window from the next day on (a product of the trigger's category if it names one).
The extra orders are events of later days like any other. They draw from their own random stream and change
nothing else the customer does, so the rest of the log is ``simulate_shop``'s, event for event, and the
expected uplift of a type's orders per sent trigger inside its window is exactly the planted probability.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from schemas import events as ev
from schemas.base import Envelope
from schemas.triggers import Trigger, TriggerType
from streams.domain.policy import Policy
from streams.engine.reference import ReferenceShop

__all__ = [
    "SHOP_ZONE",
    "PlantedCustomer",
    "PlantedResponse",
    "PlantedRhythms",
    "ResponseTruth",
    "simulate_shop",
    "simulate_with_response",
    "simulate_with_truth",
    "write_jsonl",
]

SHOP_ZONE = ZoneInfo("Asia/Shanghai")
"""The shop's zone: a naive ``start`` is read in it."""


@dataclass(frozen=True)
class PlantedRhythms:
    """BG/NBD truth to plant: purchase rate per day ~ Gamma(r, alpha) (alpha in days), drop-out ~ Beta(a, b)."""

    r: float = 0.8
    alpha: float = 40.0
    a: float = 1.0
    b: float = 4.0
    browse_sessions_per_order: float = 0.5  # browsing sessions per expected order, while alive (a tenth after)


@dataclass(frozen=True)
class PlantedCustomer:
    """What the simulator gave one customer: when they came, how often they buy, when they stop."""

    customer_id: str
    buyer: bool
    joined_at: datetime | None
    orders_per_day: float  # planted rate; the default shop: browsing sessions x conversion (replenishment aside)
    churn_at: datetime | None  # buys no more after this (None: not yet joined, or planted and never dropped out)
    dropout: float | None = None  # planted: the drop-out probability after each repeat purchase
    cycle_factor: float = 1.0  # the default shop: own pace of using up consumables

    def alive_at(self, at: datetime) -> bool:
        return self.buyer and self.joined_at is not None and (self.churn_at is None or at < self.churn_at)


@dataclass(frozen=True)
class _Kind:
    """A category of the catalog and how to make its products."""

    category: str
    nouns: tuple[str, ...]
    brands: tuple[str, ...]
    prices: tuple[float, float]
    count: int
    popularity: float = 1.0
    replenishment_days: int | None = None
    related: tuple[str, ...] = ()


_KINDS = (
    _Kind(
        "haircare", ("Shampoo 500 ml", "Conditioner 400 ml", "Scalp scrub"), ("Herba", "Silkleaf"), (39, 129), 6, 3, 30
    ),
    _Kind("paper", ("Paper towels 6 rolls", "Facial tissues 10 packs"), ("SoftCloud", "Birch"), (12, 45), 4, 3, 14),
    _Kind(
        "coffee",
        ("Coffee beans 500 g", "Espresso blend 1 kg"),
        ("Yunnan Peak", "Roastery 9"),
        (49, 169),
        5,
        2,
        21,
        ("coffee-gear",),
    ),
    _Kind(
        "coffee-gear",
        ("Hand grinder", "Pour-over kettle", "Espresso machine"),
        ("Roastery 9", "Brewlab"),
        (129, 999),
        4,
        0.8,
        None,
        ("coffee",),
    ),
    _Kind("ink", ("Black ink cartridge", "Colour ink cartridge"), ("Printa", "Inkwell"), (79, 269), 4, 1, 60),
    _Kind(
        "printer",
        ("Inkjet printer", "Photo printer", "All-in-one printer"),
        ("Printa",),
        (399, 1099),
        3,
        0.5,
        None,
        ("ink",),
    ),
    _Kind(
        "yoga",
        ("Yoga mat 6 mm", "Yoga block", "Yoga strap"),
        ("Lotus", "Asana"),
        (39, 399),
        5,
        1,
        None,
        ("sportswear",),
    ),
    _Kind(
        "sportswear",
        ("Yoga leggings", "Sports bra", "Running tee"),
        ("Lotus", "Stride"),
        (99, 459),
        6,
        1.2,
        None,
        ("yoga",),
    ),
    _Kind(
        "skincare",
        ("Face cream 50 ml", "Serum 30 ml", "Cleanser 150 ml"),
        ("Dew", "Jade"),
        (89, 599),
        6,
        2,
        45,
        ("makeup",),
    ),
    _Kind("makeup", ("Lipstick", "Foundation", "Eyeliner"), ("Dew", "Petal"), (59, 329), 5, 1.5),
    _Kind("candles", ("Rose candle", "Oud candle", "Cedar candle"), ("Ember",), (59, 199), 5, 1),
    _Kind(
        "tea",
        ("Oolong 250 g", "Pu-erh cake", "Jasmine green 200 g"),
        ("Mount Wuyi", "Leaf & Co"),
        (45, 399),
        5,
        1.5,
        30,
        ("teaware",),
    ),
    _Kind("teaware", ("Gaiwan set", "Clay teapot"), ("Leaf & Co",), (129, 899), 3, 0.6, None, ("tea",)),
    _Kind("pet-food", ("Cat food 2 kg", "Dog food 5 kg"), ("Purrfect", "Woof"), (69, 259), 4, 2, 30),
)
_KIND_OF = {kind.category: kind for kind in _KINDS}

# Relative session traffic by hour of day: quiet nights, a lunch peak and busy evenings.
_HOURS = tuple(itertools.accumulate((1, 1, 1, 1, 1, 1, 2, 4, 6, 6, 6, 7, 10, 9, 6, 5, 5, 6, 7, 10, 12, 12, 9, 4)))
_COUPONS = ((399, 50, "VIP50"), (188, 20, "VIP20"), (99, 10, "SAVE10"))  # (threshold, amount, code)
_ZONES = ("Asia/Shanghai",) * 18 + ("Asia/Hong_Kong", "Asia/Singapore", "America/Los_Angeles", "Europe/London")
_AGE_BANDS = ((15, "<15"), (21, "15-20"), (25, "21-24"), (36, "25-35"), (40, "36-39"), (61, "40-60"))
_SALE_PROMO = (300, 50)  # every 300 yuan spent in one order takes 50 off, on the sale day and the day after
_LOW_STOCK = 5


@dataclass(frozen=True)
class _Day:
    """How a day differs from an ordinary one: traffic, chance a session buys, chance it favorites."""

    traffic: float = 1.0
    conversion: float = 1.0
    favorites: float = 1.0
    promo: bool = False


_WEEKEND = _Day(traffic=1.3)
_SALE = {  # by days from the big sale: a warm-up of browsing and favorites, then the buying spike
    -5: _Day(2, 0.8, 2),
    -4: _Day(2, 0.8, 2),
    -3: _Day(5, 0.5, 3),
    -2: _Day(5, 0.5, 3),
    -1: _Day(5, 0.5, 3),
    0: _Day(8, 1.6, 1, promo=True),
    1: _Day(4, 1.3, 1, promo=True),
}
_SALE_CUT_DAY, _SALE_RESTORE_DAY = -3, 2  # sale prices hold from the warm-up until the day after the spike


@dataclass
class _Product:
    product_id: str
    name: str
    kind: _Kind
    brand: str
    price: float
    stock: int
    regular_price: float | None = None  # set while a sale price holds


@dataclass
class _Customer:
    customer_id: str
    joins: int  # the day of the first visit (and first order, for buyers)
    buyer: bool  # prospects browse and favorite but never buy
    sessions_per_day: float
    conversion: float
    budget: float  # exponent on price when picking a product: < 0 cheap, > 0 premium
    price_sensitivity: float  # chance an order is on discount or with a coupon
    categories: tuple[str, ...]
    category_weights: tuple[float, ...]
    brands: frozenset[str]
    cycle_factor: float  # own pace of using up consumables
    lifetime: timedelta  # buying time after the first visit; then only occasional browsing
    churn_at: datetime | None = None
    due: dict[str, datetime] = field(default_factory=dict)  # category -> predicted replenishment
    interests: list[str] = field(default_factory=list)  # related categories to explore next
    favorites: set[str] = field(default_factory=set)
    rate: float = 0.0  # planted: purchases per day while alive
    dropout: float = 0.0  # planted: P(drop out) after each repeat purchase
    planned: list[datetime] = field(default_factory=list)  # planted: purchase times still to come
    first_at: datetime | None = None  # the first visit

    def buys_at(self, at: datetime) -> bool:
        return self.buyer and self.churn_at is not None and at <= self.churn_at


def _yuan(amount: float) -> float:
    """A shop price: whole yuan ending in 9 (39, 129, 999), at least 9."""
    return float(max(9, round(amount / 10) * 10 - 1))


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: fine for the small means of one customer's day)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count, product = count + 1, product * rng.random()
    return count


def _catalog(rng: random.Random) -> list[_Product]:
    return [
        _Product(
            product_id=f"p-{kind.category}-{i + 1:02d}",
            name=kind.nouns[i % len(kind.nouns)],
            kind=kind,
            brand=rng.choice(kind.brands),
            price=_yuan(rng.uniform(*kind.prices)),
            stock=rng.randint(20, 400),
        )
        for kind in _KINDS
        for i in range(kind.count)
    ]


def _customer(rng: random.Random, index: int, days: int) -> _Customer:
    conversion = rng.uniform(0.12, 0.35)
    orders_per_year = min(2 * rng.paretovariate(1.16), 120)  # alpha 1.16: the 80/20 rule
    picks = rng.choices(list(_KIND_OF), weights=[k.popularity for k in _KINDS], k=rng.randint(2, 4))
    categories = tuple(dict.fromkeys(picks))
    one_off = rng.random() < 0.2
    return _Customer(
        customer_id=f"c{index:05d}",
        joins=rng.randint(0, min(6, days - 1)) if rng.random() < 0.35 else rng.randrange(days),
        buyer=rng.random() < 0.9,
        sessions_per_day=orders_per_year / 365 / conversion,
        conversion=conversion,
        budget=rng.choice((-1.2, -1.2, 0.0, 0.0, 0.8)),
        price_sensitivity=rng.betavariate(2, 3),
        categories=categories,
        category_weights=tuple(rng.uniform(0.5, 3) for _ in categories),
        brands=frozenset(rng.sample(sorted({b for k in _KINDS for b in k.brands}), 3)),
        cycle_factor=rng.uniform(0.8, 1.3),
        lifetime=timedelta(0 if one_off else rng.expovariate(1 / 270)),
    )


def _age_band(age: int) -> str:
    return next((band for limit, band in _AGE_BANDS if age < limit), ">60")


def _sale_days(start: date, days: int, big_sale: date | None) -> tuple[int, ...]:
    """Day numbers of the big sales inside the period: ``big_sale``, or every Nov 11 when it is None."""
    years = range(start.year, start.year + days // 365 + 2)
    candidates = [big_sale] if big_sale else [date(year, 11, 11) for year in years]
    return tuple(offset for d in candidates if 0 <= (offset := (d - start).days) < days)


class _Shop:
    """The simulation: catalog, customers, and a queue of events ordered by time."""

    def __init__(
        self,
        seed: int,
        customers: int,
        days: int,
        start: datetime,
        big_sale: date | None,
        planted: PlantedRhythms | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.planted = planted
        self.seed, self.start, self.days = seed, start, days
        sales = _sale_days(start.date(), days, big_sale)
        ordinary = [_WEEKEND if (start + timedelta(days=d)).weekday() >= 5 else _Day() for d in range(days)]
        self.moods = [next((_SALE[d - s] for s in sales if d - s in _SALE), ordinary[d]) for d in range(days)]
        self.cuts = {s + _SALE_CUT_DAY for s in sales}
        self.restores = {s + _SALE_RESTORE_DAY for s in sales}
        self.products = _catalog(self.rng)
        self.by_category = {k.category: [p for p in self.products if p.kind is k] for k in _KINDS}
        self.customers = [_customer(self.rng, i, days) for i in range(customers)]
        if planted is not None:  # a second stream, so the default shop's draws stay as they are
            draws = random.Random(seed * 7919 + 17)
            for c in self.customers:
                c.rate = draws.gammavariate(planted.r, 1 / planted.alpha)
                c.dropout = draws.betavariate(planted.a, planted.b)
                c.sessions_per_day = planted.browse_sessions_per_order * c.rate
        self.queue: list[tuple[datetime, int, type[Envelope], dict[str, Any]]] = []
        self.sequence = itertools.count()
        self.order_ids = itertools.count(1)
        self.session_ids = itertools.count(1)
        self.numbers = itertools.count(1)

    def emit(self, at: datetime, model: type[Envelope], **fields: Any) -> None:
        heapq.heappush(self.queue, (at, next(self.sequence), model, fields))

    def events(self) -> Iterator[Envelope]:
        """Every event of the period in time order; events scheduled past its end are dropped."""
        self.open()
        for day in range(self.days):
            yield from self.day(day)

    def open(self) -> None:
        """The catalog at the start."""
        for p in self.products:
            self.emit(
                self.start,
                ev.ProductUpserted,
                product_id=p.product_id,
                name=f"{p.brand} {p.name}",
                category=p.kind.category,
                brand=p.brand,
                price=p.price,
                replenishment_days=p.kind.replenishment_days,
                related_categories=p.kind.related,
            )
        for p in self.products:
            self.emit(self.start, ev.StockLevelChanged, product_id=p.product_id, available=p.stock)

    def day(self, day: int) -> list[Envelope]:
        """Simulate day ``day`` and release its events, in time order (an event given its own id keeps it)."""
        day_start = self.start + timedelta(days=day)
        self.catalog_day(day, day_start)
        for customer in self.customers:
            self.customer_day(customer, day, day_start)
        day_end, released = day_start + timedelta(days=1), []
        while self.queue and self.queue[0][0] < day_end:
            at, _, model, fields = heapq.heappop(self.queue)
            if "event_id" not in fields:
                fields = {"event_id": f"sim-{self.seed}-{next(self.numbers)}", **fields}
            released.append(model(occurred_at=at, **fields))
        return released

    def time_of_day(self, day_start: datetime) -> datetime:
        hour = self.rng.choices(range(24), cum_weights=_HOURS)[0]
        return day_start + timedelta(hours=hour, seconds=self.rng.randrange(3600))

    def catalog_day(self, day: int, day_start: datetime) -> None:
        """Stock moves now and then (down, to low, restocked); prices change rarely and at midnight."""
        rng = self.rng
        for p in self.products:
            if rng.random() < 0.06:
                if p.stock <= _LOW_STOCK:
                    p.stock = rng.randint(80, 400)
                elif rng.random() < 0.25:
                    p.stock = rng.randint(0, _LOW_STOCK)
                else:
                    p.stock = max(p.stock - rng.randint(5, 60), 0)
                self.emit(self.time_of_day(day_start), ev.StockLevelChanged, product_id=p.product_id, available=p.stock)
            if day in self.cuts and rng.random() < 0.5:
                p.regular_price = p.price
                self.reprice(p, day_start, p.price * rng.uniform(0.7, 0.9))
            elif day in self.restores and p.regular_price is not None:
                self.reprice(p, day_start, p.regular_price)
                p.regular_price = None
            elif p.regular_price is None and rng.random() < 0.008:
                self.reprice(p, day_start, p.price * rng.choice((0.75, 0.85, 0.88, 0.95, 1.1, 1.15)))

    def reprice(self, product: _Product, at: datetime, price: float) -> None:
        old, product.price = product.price, _yuan(price)
        if product.price != old:
            self.emit(at, ev.PriceChanged, product_id=product.product_id, old_price=old, new_price=product.price)

    def customer_day(self, c: _Customer, day: int, day_start: datetime) -> None:
        """The customer's sessions of the day: the first visit, replenishments that are due, and browsing."""
        if day < c.joins:
            return
        if self.planted is not None:
            self.planted_day(c, day, day_start)
            return
        rng, mood, day_end = self.rng, self.moods[day], day_start + timedelta(days=1)
        sessions: list[tuple[datetime, str | None, bool]] = []  # (start, category or None to choose, buys)
        if day == c.joins:
            at = self.time_of_day(day_start)
            c.churn_at = at + c.lifetime
            self.first_visit(c, at)
            sessions.append((at, None, c.buyer))
        for category, due in list(c.due.items()):
            if due < day_end:
                del c.due[category]
                if rng.random() < 0.8:  # otherwise bought elsewhere
                    at = max(due, self.time_of_day(day_start))
                    sessions.append((at, category, c.buys_at(at) and rng.random() < 0.85))
        active = c.churn_at is not None and day_start <= c.churn_at
        for _ in range(_poisson(rng, c.sessions_per_day * mood.traffic * (1 if active else 0.1))):
            at = self.time_of_day(day_start)
            sessions.append((at, None, c.buys_at(at) and rng.random() < c.conversion * mood.conversion))
        for at, chosen, buys in sorted(sessions, key=lambda s: s[0]):
            self.session(c, at, chosen or self.pick_category(c), buys, mood)

    def planted_day(self, c: _Customer, day: int, day_start: datetime) -> None:
        """BG/NBD exactly: the first order on joining, then the planned purchases; browsing on the side."""
        rng, mood, day_end = self.rng, _Day(), day_start + timedelta(days=1)
        sessions: list[tuple[datetime, bool]] = []
        if day == c.joins:
            at = self.time_of_day(day_start)
            self.first_visit(c, at)
            sessions.append((at, c.buyer))
            c.churn_at = None
            if c.buyer:
                self.plan_purchases(c, at)
        while c.planned and c.planned[0] < day_end:
            sessions.append((c.planned.pop(0), True))
        alive = c.buyer and (c.churn_at is None or day_start < c.churn_at)
        for _ in range(_poisson(rng, c.sessions_per_day * (1 if alive else 0.1))):
            sessions.append((self.time_of_day(day_start), False))
        for at, buys in sorted(sessions, key=lambda s: s[0]):
            self.session(c, at, self.pick_category(c), buys, mood)

    def plan_purchases(self, c: _Customer, first: datetime) -> None:
        """Poisson purchase times at the customer's rate until the simulation ends or they drop out."""
        draws = random.Random(f"{self.seed}-{c.customer_id}")
        end, at = self.start + timedelta(days=self.days), first
        while True:
            at += timedelta(days=draws.expovariate(c.rate)) if c.rate > 0 else timedelta(days=self.days + 1)
            if at >= end:
                return
            c.planned.append(at)
            if draws.random() < c.dropout:
                c.churn_at = at
                return

    def truth(self) -> dict[str, PlantedCustomer]:
        """Each customer's planted rhythm and churn (complete once ``events`` has run to the end)."""
        return {
            c.customer_id: PlantedCustomer(
                customer_id=c.customer_id,
                buyer=c.buyer,
                joined_at=c.first_at,
                orders_per_day=c.rate if self.planted else c.sessions_per_day * c.conversion,
                churn_at=c.churn_at,
                dropout=c.dropout if self.planted else None,
                cycle_factor=c.cycle_factor,
            )
            for c in self.customers
        }

    def first_visit(self, c: _Customer, at: datetime) -> None:
        """A profile (timezone, most with a birthday, consents), maybe a follow, rarely a later opt-out or unfollow."""
        rng = self.rng
        c.first_at = at
        age = max(14, min(70, round(rng.gauss(32, 9))))
        has_birthday = rng.random() < 0.85
        self.emit(
            at,
            ev.CustomerProfileChanged,
            customer_id=c.customer_id,
            timezone=rng.choice(_ZONES),
            birthday=date(self.start.year - age, rng.randint(1, 12), rng.randint(1, 28)) if has_birthday else None,
            age_band=_age_band(age) if has_birthday else None,
            gender=rng.choices(("female", "male", "other", None), weights=(45, 25, 2, 28))[0],
            consents={
                ev.Channel.SMS: rng.random() < 0.6,
                ev.Channel.PUSH: rng.random() < 0.8,
                ev.Channel.WECHAT: rng.random() < 0.7,
            },
        )
        if rng.random() < 0.05:
            self.emit(
                at + timedelta(days=rng.uniform(1, 300)),
                ev.CustomerProfileChanged,
                customer_id=c.customer_id,
                consents={ev.Channel.SMS: False},
            )
        if rng.random() < 0.45:
            self.emit(at + timedelta(minutes=1), ev.ShopFollowed, customer_id=c.customer_id)
            if rng.random() < 0.05:
                self.emit(at + timedelta(days=rng.uniform(1, 180)), ev.ShopUnfollowed, customer_id=c.customer_id)

    def pick_category(self, c: _Customer) -> str:
        rng = self.rng
        if c.interests and rng.random() < 0.5:
            return c.interests.pop(0)
        if rng.random() < 0.85:
            return rng.choices(c.categories, weights=c.category_weights)[0]
        return rng.choice(_KINDS).category

    def pick_product(self, c: _Customer, category: str) -> _Product:
        products = self.by_category[category]
        weights = [p.price**c.budget * (3 if p.brand in c.brands else 1) for p in products]
        return self.rng.choices(products, weights=weights)[0]

    def session(self, c: _Customer, at: datetime, category: str, buys: bool, mood: _Day) -> None:
        """Several views in one session (sometimes wandering to another category), maybe a favorite, maybe an order."""
        rng, session_id = self.rng, f"s{next(self.session_ids)}"
        viewed: list[_Product] = []
        for _ in range(rng.randint(2, 8)):
            product = self.pick_product(c, category if rng.random() < 0.8 else self.pick_category(c))
            viewed.append(product)
            self.emit(
                at,
                ev.ProductViewed,
                customer_id=c.customer_id,
                product_id=product.product_id,
                category=product.kind.category,
                session_id=session_id,
            )
            at += timedelta(seconds=rng.randint(15, 240))
        liked = rng.choice(viewed)
        if rng.random() < 0.1 * mood.favorites and liked.product_id not in c.favorites:
            c.favorites.add(liked.product_id)
            self.emit(
                at,
                ev.FavoriteAdded,
                customer_id=c.customer_id,
                product_id=liked.product_id,
                category=liked.kind.category,
            )
            if rng.random() < 0.25:
                self.emit(
                    at + timedelta(days=rng.uniform(1, 60)),
                    ev.FavoriteRemoved,
                    customer_id=c.customer_id,
                    product_id=liked.product_id,
                )
        if buys:
            self.order(c, at + timedelta(seconds=rng.randint(60, 900)), viewed, mood)

    def order(self, c: _Customer, at: datetime, viewed: Sequence[_Product], mood: _Day) -> None:
        """An order of 1-4 products, mostly from the session; maybe discounted; rarely cancelled or refunded."""
        rng = self.rng
        others = (self.pick_product(c, self.pick_category(c)) for _ in range(3))
        wanted = {p.product_id: p for p in (viewed[-1], *rng.sample(viewed, len(viewed)), *others)}
        count = rng.choices((1, 2, 3, 4), weights=(55, 25, 12, 8))[0]
        on_discount = rng.random() < c.price_sensitivity
        lines = tuple(self.line(p, on_discount) for p in list(wanted.values())[:count])
        subtotal = round(sum(line.unit_price * line.quantity for line in lines), 2)
        coupon = next((t for t in _COUPONS if subtotal >= t[0]), None) if on_discount and rng.random() < 0.7 else None
        promo = _SALE_PROMO[1] * (subtotal // _SALE_PROMO[0]) if mood.promo else 0
        discount = promo + (coupon[1] if coupon else 0)
        order_id, total = f"o{next(self.order_ids)}", round(subtotal - discount, 2)
        self.emit(
            at,
            ev.OrderPlaced,
            customer_id=c.customer_id,
            order_id=order_id,
            lines=lines,
            coupon_code=coupon[2] if coupon else None,
            discount=discount,
            total=total,
        )
        self.after_order(c, at, order_id, lines, total)

    def line(self, product: _Product, on_discount: bool) -> ev.OrderLine:
        rng = self.rng
        cut = rng.choice((0.7, 0.8, 0.85, 0.9)) if on_discount and rng.random() < 0.6 else 1.0
        return ev.OrderLine(
            product_id=product.product_id,
            category=product.kind.category,
            brand=product.brand,
            unit_price=round(product.price * cut, 2),
            list_price=product.price,
            quantity=rng.choice((1, 1, 1, 2, 3)) if product.kind.replenishment_days else 1,
        )

    def after_order(
        self, c: _Customer, at: datetime, order_id: str, lines: tuple[ev.OrderLine, ...], total: float
    ) -> None:
        """The customer's next replenishments and interests; a cancellation (~2%) or a refund (~3%)."""
        rng = self.rng
        for line in lines:
            kind = _KIND_OF[line.category]
            if kind.replenishment_days and self.planted is None:
                days = kind.replenishment_days * c.cycle_factor * line.quantity * rng.uniform(0.9, 1.1)
                c.due[kind.category] = at + timedelta(days=days)
            c.interests.extend(r for r in kind.related if r not in c.interests)
        fate = rng.random()
        if fate < 0.02 and self.planted is None:
            self.emit(
                at + timedelta(minutes=rng.uniform(5, 360)),
                ev.OrderCancelled,
                customer_id=c.customer_id,
                order_id=order_id,
            )
        elif fate < 0.05:
            returned = rng.choice(lines) if len(lines) > 1 and rng.random() < 0.4 else None
            amount = min(returned.unit_price * returned.quantity, total) if returned else total
            self.emit(
                at + timedelta(days=rng.uniform(2, 20)),
                ev.OrderRefunded,
                customer_id=c.customer_id,
                order_id=order_id,
                amount=round(amount, 2),
                product_ids=(returned.product_id,) if returned else tuple(line.product_id for line in lines),
            )


def simulate_shop(
    seed: int, customers: int, days: int, start: datetime, big_sale: date | None = None
) -> Iterator[Envelope]:
    """Events of a simulated shop over ``days`` days from ``start``, in non-decreasing time order.

    The catalog comes first (``product_upserted`` at ``start``). ``big_sale`` is the day of the 11.11-style
    sale; None means every Nov 11 inside the period (a date outside the period means no sale). A naive
    ``start`` is read in Asia/Shanghai; every event time is in ``start``'s zone. Event ids are
    ``sim-{seed}-{n}``: the same arguments give the same events.
    """
    if customers < 0 or days < 1:
        raise ValueError("need customers >= 0 and days >= 1")
    start = start if start.tzinfo else start.replace(tzinfo=SHOP_ZONE)
    return _Shop(seed, customers, days, start, big_sale).events()


def simulate_with_truth(
    seed: int,
    customers: int,
    days: int,
    start: datetime,
    big_sale: date | None = None,
    planted: PlantedRhythms | None = None,
) -> tuple[list[Envelope], dict[str, PlantedCustomer]]:
    """``simulate_shop``'s events (the same ones when ``planted`` is None) and every customer's planted truth."""
    if customers < 0 or days < 1:
        raise ValueError("need customers >= 0 and days >= 1")
    start = start if start.tzinfo else start.replace(tzinfo=SHOP_ZONE)
    shop = _Shop(seed, customers, days, start, big_sale, planted)
    events = list(shop.events())
    return events, shop.truth()


@dataclass(frozen=True)
class PlantedResponse:
    """One extra order a sent trigger caused."""

    trigger_id: str
    type: TriggerType
    customer_id: str
    sent_at: datetime
    order_id: str
    at: datetime


@dataclass(frozen=True)
class ResponseTruth:
    """What ``simulate_with_response`` planted: the effects, the triggers sent per type and the extra orders placed
    inside the period (those that would fall after it are left out, like every event after the end)."""

    effects: Mapping[TriggerType, float]
    sent: Mapping[TriggerType, int]
    responses: tuple[PlantedResponse, ...]


class _Responses:
    """Customers' reactions to the triggers they are sent: their own random stream and ids."""

    def __init__(self, shop: _Shop, effects: Mapping[TriggerType, float], policy: Policy) -> None:
        self.shop, self.effects, self.policy = shop, effects, policy
        self.rng = random.Random(f"{shop.seed}-response")
        self.customers = {c.customer_id: c for c in shop.customers}
        self.products = {p.product_id: p for p in shop.products}
        self.ids = itertools.count(1)
        self.sent: Counter[TriggerType] = Counter()
        self.planted: list[PlantedResponse] = []

    def react(self, trigger: Trigger, earliest: datetime) -> None:
        """With the type's probability, one order at a random time from ``earliest`` (the end of the day it was
        sent: that day's events are already in) to the end of its window; a window closing sooner has no room."""
        self.sent[trigger.type] += 1
        effect = self.effects.get(trigger.type, 0.0)
        customer = self.customers.get(trigger.customer_id)
        if effect <= 0 or customer is None or self.rng.random() >= effect:
            return
        sent_at = trigger.send_after or trigger.emitted_at
        closes = sent_at + timedelta(days=self.policy.contact.of(trigger.type).attribution_days)
        if closes <= earliest:
            return
        at = earliest + (closes - earliest) * self.rng.random()
        product = self.pick(customer, trigger)
        number = next(self.ids)
        order_id = f"o-response-{number}"
        price = product.price
        line = ev.OrderLine(
            product_id=product.product_id,
            category=product.kind.category,
            brand=product.brand,
            unit_price=price,
            list_price=price,
            quantity=1,
        )
        event_id = f"sim-{self.shop.seed}-response-{number}"
        fields = {"customer_id": customer.customer_id, "order_id": order_id, "lines": (line,), "total": price}
        self.shop.emit(at, ev.OrderPlaced, event_id=event_id, **fields)
        if at < self.shop.start + timedelta(days=self.shop.days):
            self.planted.append(
                PlantedResponse(trigger.trigger_id, trigger.type, customer.customer_id, sent_at, order_id, at)
            )

    def category(self, trigger: Trigger) -> str | None:
        """The first category the trigger names (or its first known product's)."""
        for ref in trigger.products:
            product = self.products.get(ref.product_id)
            category = ref.category or (product.kind.category if product else None)
            if category in self.shop.by_category:
                return category
        return None

    def pick(self, c: _Customer, trigger: Trigger) -> _Product:
        """A product of the trigger's category, else of a category the customer likes."""
        category = self.category(trigger) or self.rng.choices(c.categories, weights=c.category_weights)[0]
        products = self.shop.by_category[category]
        weights = [p.price**c.budget * (3 if p.brand in c.brands else 1) for p in products]
        return self.rng.choices(products, weights=weights)[0]


def _customer_first(event: Envelope) -> tuple[datetime, bool]:
    """The reference run's order: by time, and at one instant customer events before catalog events."""
    return event.occurred_at, not hasattr(event, "customer_id")


def simulate_with_response(
    seed: int,
    customers: int,
    days: int,
    start: datetime,
    effects: Mapping[TriggerType, float],
    policy: Policy,
    big_sale: date | None = None,
) -> tuple[list[Envelope], ResponseTruth]:
    """``simulate_shop`` in a closed loop with the engine under ``policy``: a trigger sent (not held out) of a type
    in ``effects`` adds one order of its customer inside the type's attribution window with that probability.
    Without effects, the events are ``simulate_shop``'s."""
    if customers < 0 or days < 1:
        raise ValueError("need customers >= 0 and days >= 1")
    if any(not 0 <= p <= 1 for p in effects.values()):
        raise ValueError("effects are probabilities, from 0 to 1")
    start = start if start.tzinfo else start.replace(tzinfo=SHOP_ZONE)
    shop = _Shop(seed, customers, days, start, big_sale)
    engine, responses = ReferenceShop(policy), _Responses(shop, effects, policy)
    events: list[Envelope] = []
    done = 0
    shop.open()
    for day in range(days):
        released = shop.day(day)
        for event in sorted(released, key=_customer_first):
            engine.apply(event)
        day_end = start + timedelta(days=day + 1)
        engine.run_timers(day_end)
        for trigger in engine.triggers[done:]:
            responses.react(trigger, day_end)
        done = len(engine.triggers)
        events.extend(released)
    truth = ResponseTruth(dict(effects), dict(responses.sent), tuple(responses.planted))
    return events, truth


def write_jsonl(events: Iterable[Envelope], out: TextIO) -> int:
    """Write one JSON object per line (null fields left out); returns how many were written."""
    count = 0
    for event in events:
        out.write(event.model_dump_json(exclude_none=True) + "\n")
        count += 1
    return count
