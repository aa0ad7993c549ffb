"""The deployment examples (deploy/) name what exists: the cron file's commands, the
settings of the environment file, the units' entry points; the unit passes
`systemd-analyze verify` and the log rotation `logrotate --debug`, and both agree with the
install steps of docs/deploy.md."""

import configparser
import grp
import os
import pwd
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

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
        "privacy tick",
        "privacy retention",
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


# --- the units, log rotation and cron file against the tools and the install steps --------


def install_steps() -> str:
    """The shell block of docs/deploy.md's "Installing (Debian)"."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    section = text.split("## Installing (Debian)", 1)[1]
    return section.split("```sh", 1)[1].split("```", 1)[0]


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / "terreau@.service")
    return parser


def _after(pattern: str, text: str) -> str:
    found = re.search(pattern, text, re.M)
    assert found, pattern
    return found.group(1)


def test_the_unit_runs_what_the_install_steps_make():
    """The user, folders, settings file and program of the unit are those the install steps
    of docs/deploy.md create, and the wrapper and cron file agree with them."""
    steps = install_steps()
    user = _after(r"^adduser --system --group .* (\w+)$", steps)
    app_dir = _after(r"git clone … (\S+)$", steps)
    venv = _after(r"python3 -m venv (\S+)$", steps)
    env_file = _after(r"deploy/terreau\.env\.example (\S+)", steps)
    made = _after(r"^install -d -o \w+ -g \w+ (.+)$", steps).split()
    service = unit()["Service"]
    assert service["User"] == service["Group"] == user
    assert service["WorkingDirectory"] == app_dir
    assert service["EnvironmentFile"] == env_file
    program, *arguments = shlex.split(service["ExecStart"])
    assert program == f"{venv}/bin/gunicorn" and "network.wsgi:app" in arguments
    assert (ROOT / arguments[arguments.index("-c") + 1]).is_file()
    assert set(service["ReadWritePaths"].split()) <= set(made)
    wrapper = (DEPLOY / "terreau-flask").read_text()
    assert f". {env_file}" in wrapper and f"cd {app_dir}" in wrapper
    assert f"exec {venv}/bin/flask " in wrapper
    cron = (DEPLOY / "cron" / "terreau").read_text()
    assert f"FLASK={app_dir}/deploy/terreau-flask" in cron
    log = _after(r"^LOG=(\S+)$", cron)
    assert str(Path(log).parent) in made
    jobs = [line.split() for line in cron.splitlines() if line[:1] in "*0123456789" and line]
    assert jobs and all(job[5] == user for job in jobs)  # the sixth field: the user


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is missing")
def test_the_unit_passes_systemd_analyze_verify(tmp_path):
    """`systemd-analyze verify` on an instance of the template; its program is the test's
    own gunicorn (/srv/terreau/venv is not on this machine: the test above checks that path)."""
    source = (DEPLOY / "systemd" / "terreau@.service").read_text()
    program = shlex.split(unit()["Service"]["ExecStart"])[0]
    gunicorn = Path(sys.executable).parent / "gunicorn"
    assert gunicorn.is_file(), "gunicorn is a dependency (pyproject.toml)"
    instance = tmp_path / "terreau@8001.service"
    instance.write_text(source.replace(program, str(gunicorn)))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "--generators=no", str(instance)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "terreau@8001" not in result.stdout + result.stderr  # not even a warning


@pytest.mark.skipif(
    not shutil.which("logrotate") and not Path("/usr/sbin/logrotate").exists(),
    reason="logrotate is missing (make system installs it when run as root)",
)
def test_the_log_rotation_passes_logrotate_debug(tmp_path):
    """`logrotate --debug` (nothing is done) on the file, its folder and owner made local."""
    config = (DEPLOY / "logrotate" / "terreau").read_text()
    owner = _after(r"^\s*create \d+ (\w+ \w+)$", config)
    assert owner.split()[0] == unit()["Service"]["User"]
    me = f"{pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name}"
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "cron.log").write_text("une ligne\n")
    local = tmp_path / "terreau"
    local.write_text(config.replace("/var/log/terreau/", f"{logs}/").replace(owner, me))
    local.chmod(0o644)
    logrotate = shutil.which("logrotate") or "/usr/sbin/logrotate"
    result = subprocess.run(
        [logrotate, "--debug", "--state", str(tmp_path / "state"), str(local)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "error" not in output.lower(), output
    assert f"considering log {logs}/cron.log" in output, output
