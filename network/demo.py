"""The demo cooperative: each module seeds its part, in dependency order."""

from network.members.demo import seed_members

DEMO_PASSWORD = "terreau-demo-2026"


def seed_demo() -> list[tuple[str, str]]:
    """Seed every module; return the (role, e-mail) demo logins to print."""
    return seed_members(DEMO_PASSWORD)
