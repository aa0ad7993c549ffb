"""The cooperative itself: its name, timezone and statute thresholds (configuration data)."""

from network.cooperative.models import Cooperative
from network.cooperative.settings import (
    SettingSpec,
    cooperative_today,
    current_settings,
    register_setting,
)

__all__ = [
    "Cooperative",
    "SettingSpec",
    "cooperative_today",
    "current_settings",
    "register_setting",
]
