"""The demo cooperative: each module seeds its part, in dependency order."""

from network.chat.demo import seed_chat
from network.feed.demo import seed_feed
from network.governance.demo import seed_assemblies, seed_governance
from network.members.demo import demo_logins, seed_members
from network.mutual_aid.demo import seed_mutual_aid
from network.services.desk.demo import seed_services
from network.services.money.demo import seed_money
from network.skills.demo import seed_skills
from network.workspaces.demo import seed_workspaces

DEMO_PASSWORD = "terreau-demo-2026"


def seed_demo() -> None:
    """Seed every module (the caller commits)."""
    seed_members(DEMO_PASSWORD)
    seed_skills()
    seed_chat()
    seed_feed()
    seed_workspaces()
    seed_governance()
    seed_assemblies()
    seed_services()
    seed_money()
    seed_mutual_aid()


__all__ = ["DEMO_PASSWORD", "demo_logins", "seed_demo"]
