"""Money as a whole number of cents: exact sums, exact shares, never a float.

`Money` is an immutable amount in one currency (the cooperative's, euros by default).
It is parsed from what people type ("1 234,50 €", "1234.5"), stored in an integer column
(`MoneyType`), shown in the reader's language (`format_money`), and divided exactly:
`share(rate)` rounds once, half to even, and `allocate` splits without losing a cent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel.numbers import format_currency
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator

from network.core.errors import Invalid

CURRENCY = "EUR"
#: Amounts beyond this many euros are refused as typing mistakes (fits any cooperative).
MAX_UNITS = 10**12
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_AMOUNT = re.compile(r"^[+-]?\d+(?:[.,]\d{1,2})?$")


@dataclass(frozen=True, order=True)
class Money:
    cents: int
    currency: str = CURRENCY

    def __post_init__(self) -> None:
        if isinstance(self.cents, bool) or not isinstance(self.cents, int):
            raise TypeError("Money counts whole cents")

    @classmethod
    def zero(cls, currency: str = CURRENCY) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, amount: Decimal, currency: str = CURRENCY) -> Money:
        """An exact amount of at most two decimals (more would be a silent rounding)."""
        cents = amount * 100
        if cents != cents.to_integral_value():
            raise ValueError("more than two decimals")
        return cls(int(cents), currency)

    @property
    def amount(self) -> Decimal:
        return Decimal(self.cents) / 100

    def __add__(self, other: Money) -> Money:
        return Money(self.cents + self._same(other), self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.cents - self._same(other), self.currency)

    def __neg__(self) -> Money:
        return Money(-self.cents, self.currency)

    def __mul__(self, times: int) -> Money:
        if isinstance(times, bool) or not isinstance(times, int):
            raise TypeError("multiply money by a whole number; use share() for a rate")
        return Money(self.cents * times, self.currency)

    __rmul__ = __mul__

    def __bool__(self) -> bool:
        return self.cents != 0

    def share(self, rate: Decimal | str) -> Money:
        """This amount times `rate` (e.g. Decimal("0.115") for a contribution of 11.5 %),
        rounded once to the cent, half to even."""
        exact = Decimal(self.cents) * Decimal(rate)
        return Money(int(exact.to_integral_value(ROUND_HALF_EVEN)), self.currency)

    def allocate(self, parts: int) -> list[Money]:
        """Split into `parts` amounts that differ by at most a cent and add up exactly
        (instalments of a loan, say): the first ones carry the leftover cents."""
        if parts < 1:
            raise ValueError("allocate into at least one part")
        base, left = divmod(self.cents, parts)
        return [Money(base + (1 if i < left else 0), self.currency) for i in range(parts)]

    def _same(self, other: Money) -> int:
        """The other amount's cents, if it is money of the same currency."""
        if not isinstance(other, Money):
            raise TypeError("add or subtract Money only")
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")
        return other.cents

    def __str__(self) -> str:
        return f"{self.amount:.2f} {self.currency}"


def parse_money(
    value: Any, field: str, *, allow_negative: bool = False, currency: str = CURRENCY
) -> Money:
    """What a member typed or an API client sent → Money, or `Invalid` on `field`.

    Accepts French and English writing: "1 234,50", "1234.5", "12 €"; an API may send a
    whole number of cents as `{"cents": 1250}`. Refuses floats (they are not exact), more
    than two decimals, thousands separators that are ambiguous, and absurd amounts."""
    if isinstance(value, dict) and set(value) == {"cents"}:
        cents = value["cents"]
        if isinstance(cents, bool) or not isinstance(cents, int):
            raise Invalid(fields={field: _l("Give the amount in whole cents.")})
        money = Money(cents, currency)
    elif isinstance(value, str):
        money = _parse_text(value, field, currency)
    else:
        raise Invalid(fields={field: _l("Write an amount, like 1 250,50.")})
    if abs(money.cents) > MAX_UNITS * 100:
        raise Invalid(fields={field: _l("This amount is too large.")})
    if money.cents < 0 and not allow_negative:
        raise Invalid(fields={field: _l("The amount cannot be negative.")})
    return money


def _parse_text(text: str, field: str, currency: str) -> Money:
    cleaned = _SPACES.sub("", text.strip()).removesuffix("€").removesuffix("EUR")
    cleaned = _SPACES.sub("", cleaned)
    if not _AMOUNT.match(cleaned):
        raise Invalid(fields={field: _l("Write an amount, like 1 250,50.")})
    try:
        return Money.from_decimal(Decimal(cleaned.replace(",", ".")), currency)
    except (InvalidOperation, ValueError):
        raise Invalid(fields={field: _l("Write an amount, like 1 250,50.")}) from None


def format_money(money: Money, locale: str | None = None) -> str:
    """The amount as the reader writes it: "1 234,50 €" in French, "€1,234.50" in English."""
    return _formatted(money.cents, money.currency, locale or str(get_locale()))


@lru_cache(maxsize=8192)
def _formatted(cents: int, currency: str, locale: str) -> str:
    """Remembered: Babel takes ~0.1 ms an amount, and a schedule repeats the same ones."""
    return format_currency(Decimal(cents) / 100, currency, locale=locale)


class MoneyType(TypeDecorator):
    """A Money column stored as whole cents (BIGINT) in the cooperative's currency."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Money | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Money) or value.currency != CURRENCY:
            raise TypeError("store Money in the cooperative's currency")
        return value.cents

    def process_result_value(self, value: int | None, dialect: Any) -> Money | None:
        return None if value is None else Money(int(value))
