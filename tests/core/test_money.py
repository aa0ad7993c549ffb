"""Money: whole cents, exact shares, French and English input and output, stored exactly."""

from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from network.core.errors import Invalid
from network.core.money import Money, MoneyType, format_money, parse_money


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1 234,50", 123450),
        ("1\u202f234,50 €", 123450),
        ("1234.5", 123450),
        ("12 €", 1200),
        ("0,07", 7),
        ("12 EUR", 1200),
    ],
)
def test_what_people_type_is_read_exactly(typed, cents):
    assert parse_money(typed, "amount").cents == cents


@pytest.mark.parametrize(
    "typed", ["", "abc", "1,234.50", "12,345", "1.999", "1e3", "--5", "12,5,0", "NaN", "∞"]
)
def test_ambiguous_or_inexact_amounts_are_refused_on_their_field(typed):
    with pytest.raises(Invalid) as raised:
        parse_money(typed, "amount")
    assert "amount" in raised.value.fields


def test_floats_are_refused_and_cents_accepted_from_an_api():
    with pytest.raises(Invalid):
        parse_money(12.5, "amount")
    with pytest.raises(Invalid):
        parse_money({"cents": 12.5}, "amount")
    assert parse_money({"cents": 1250}, "amount") == Money(1250)


def test_negative_and_absurd_amounts_are_refused_unless_allowed():
    with pytest.raises(Invalid):
        parse_money("-5", "amount")
    assert parse_money("-5", "amount", allow_negative=True) == Money(-500)
    with pytest.raises(Invalid):
        parse_money({"cents": 10**20}, "amount")


def test_a_share_rounds_once_half_to_even_and_never_drifts():
    revenue = Money(1_000_005)  # 10 000,05 €
    assert revenue.share(Decimal("0.115")).cents == 115001  # 115 000,575 → 115 001
    assert Money(250).share("0.5") == Money(125)
    assert Money(5).share("0.5") == Money(2)  # half to even
    # a tenth of a cent a hundred thousand times is not a float's error
    total = sum((Money(10) for _ in range(100_000)), Money.zero())
    assert total == Money(1_000_000)


def test_allocation_adds_up_to_the_cent():
    parts = Money(100_000).allocate(3)
    assert [p.cents for p in parts] == [33334, 33333, 33333]
    assert sum(parts, Money.zero()) == Money(100_000)


def test_arithmetic_refuses_mixing_currencies_and_floats():
    with pytest.raises(ValueError):
        Money(1) + Money(1, "CHF")
    with pytest.raises(TypeError):
        Money(100) * 1.5
    with pytest.raises(TypeError):
        Money(1.5)  # type: ignore[arg-type]


def test_amounts_are_written_as_the_reader_writes_them(app):
    with app.test_request_context():
        french = format_money(Money(123450), "fr")
        english = format_money(Money(123450), "en")
    assert french.replace("\u202f", " ").replace("\xa0", " ") == "1 234,50 €"
    assert english == "€1,234.50"


def test_a_money_column_stores_whole_cents():
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("m", MoneyType))
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"m": Money(123456789012)}, {"m": None}])
        assert conn.execute(select(table.c.m).order_by(table.c.id)).scalars().all() == [
            Money(123456789012),
            None,
        ]
    with pytest.raises(Exception), engine.begin() as conn:  # noqa: B017 — no float stored
        conn.execute(insert(table), [{"m": 12.5}])
