"""Registry of the guided first run's steps: each module brings its own (the members their
profile and the CAE journey, skills the member's skills, chat the channels to join), and the
members' welcome pages show them in order, without importing the contributors."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WelcomeStep:
    """`load(member)` → the context of `template` (a partial inside the step's form, which
    also gets `member`, `values` and `errors`). `save(member, form)` applies what the member
    filled in through the module's operations (flushes, never commits; raises `Invalid`);
    None for a step that only explains."""

    name: str  # in the URL: /welcome/<name>
    title: Any  # short, for the progress indicator
    template: str
    load: Callable[[Any], dict[str, Any]]
    save: Callable[[Any, Mapping[str, Any]], None] | None = None
    position: int = 50


WELCOME_STEPS: dict[str, WelcomeStep] = {}


def register_welcome_step(step: WelcomeStep) -> None:
    WELCOME_STEPS[step.name] = step


def welcome_steps() -> list[WelcomeStep]:
    return sorted(WELCOME_STEPS.values(), key=lambda step: step.position)
