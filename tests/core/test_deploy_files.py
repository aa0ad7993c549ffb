"""The deployment examples (deploy/) name what exists: the cron file's commands, the
settings of the environment file, the units' entry points."""

import re
import runpy
import shlex
from importlib import import_module

from tests.servers import ROOT

DEPLOY = ROOT / "deploy"


def cron_commands() -> list[list[str]]:
    """The `flask` arguments of each line of the cron file."""
    commands = []
    for line in (DEPLOY / "cron" / "terreau").read_text().splitlines():
        if "$FLASK " in line and not line.startswith("#"):
            words = shlex.split(line.split("$FLASK ", 1)[1])
            ends = [i for i, word in enumerate(words) if word.startswith((">", "2>", "|"))]
            commands.append(words[: min(ends, default=len(words))])
    return commands


def test_every_periodic_command_exists(app):
    commands = cron_commands()
    named = {" ".join(command[:2]) for command in commands}
    assert {
        "governance tick",
        "workspaces release-unclaimed",
        "workspaces send-reminders",
        "notifications send-digests",
        "services tick",
        "mutual-aid check",
        "backup create",
    } <= named
    runner = app.test_cli_runner()
    for command in commands:
        result = runner.invoke(args=[*command, "--help"])
        assert result.exit_code == 0, (command, result.output)


def test_the_environment_file_holds_settings_the_application_reads():
    config = (ROOT / "config.py").read_text()
    names = re.findall(
        r"^#? ?([A-Z][A-Z0-9_]+)=", (DEPLOY / "terreau.env.example").read_text(), re.M
    )
    assert "TERREAU_PROXY_COUNT" in names and "REDIS_URL" in names
    for name in names:
        assert f'"{name}"' in config, f"{name} is read nowhere"


def test_the_units_start_the_example_gunicorn_on_the_wsgi_application(monkeypatch):
    unit = (DEPLOY / "systemd" / "terreau@.service").read_text()
    assert "-c deploy/gunicorn.conf.py network.wsgi:app" in unit
    monkeypatch.setenv("TERREAU_BIND", "127.0.0.1:8123")
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert settings["bind"] == "127.0.0.1:8123" and settings["workers"] == 1
    module, _, worker = settings["worker_class"].rpartition(".")
    assert getattr(import_module(module), worker)
    assert (ROOT / "network" / "wsgi.py").exists()
