"""Every member foreign key is declared in the registry of members' data, so a new module
cannot forget its part of the export and the exit."""

from network.core.member_data import DECLARED, MEMBER_DATA, undeclared_member_keys
from network.core.models import Base


def test_every_member_foreign_key_is_declared(app):
    models = [mapper.class_ for mapper in Base.registry.mappers]
    assert undeclared_member_keys(models) == []


def test_the_check_finds_an_undeclared_model(app):
    from sqlalchemy import ForeignKey
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    class Scratch(DeclarativeBase):
        pass

    class Member(Scratch):
        __tablename__ = "members"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Forgotten(Scratch):
        __tablename__ = "forgotten"
        id: Mapped[int] = mapped_column(primary_key=True)
        owner_id: Mapped[int] = mapped_column(ForeignKey("members.id"))

    assert undeclared_member_keys([Forgotten]) == [("forgotten", "owner_id")]


def test_each_kind_describes_itself(app):
    assert {"profile", "posts", "messages", "bookings", "votes", "skills"} <= set(MEMBER_DATA)
    assert all(str(data.description) for data in MEMBER_DATA.values())
    assert ("members", "id") in DECLARED
