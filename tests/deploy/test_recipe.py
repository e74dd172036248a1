"""deploy/ stays true to the code: every service command names a real entry point, every env name is a setting."""

import importlib
import re
from pathlib import Path

import yaml
from django.conf import settings
from django.core.management import get_commands

DEPLOY = Path(settings.BASE_DIR) / "deploy"
SETTINGS_SOURCE = (Path(settings.BASE_DIR) / "pancommons" / "settings.py").read_text()
# Read by the compose services themselves, not by Django.
COMPOSE_ONLY_NAMES = {"POSTGRES_PASSWORD", "POSTGRES_DB", "POSTGRES_USER"}


def compose_services() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]


def env_names_read_by_settings() -> set[str]:
    return set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', SETTINGS_SOURCE))


def test_every_service_command_names_a_real_entry_point():
    checked = 0
    for name, service in compose_services().items():
        command = service.get("command")
        if command is None or name in ("db", "redis"):
            continue
        text = " ".join(command)
        if text.startswith("gunicorn"):
            module = importlib.import_module(command[1])
            assert callable(module.application)
        elif text.startswith("celery"):
            app_module = importlib.import_module(command[command.index("-A") + 1])
            assert app_module.celery_app.main == "pancommons"
            assert command[command.index("-A") + 2] in ("worker", "beat")
        for management_command in re.findall(r"manage\.py (\w+)", text):
            assert management_command in get_commands(), f"{name}: no manage.py {management_command}"
        checked += 1
    assert checked >= 4


def test_every_env_name_in_the_recipe_is_a_setting():
    example = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in (DEPLOY / "env.example").read_text().splitlines()
        if re.match(r"#?\s*[A-Z][A-Z0-9_]+=", line)
    }
    compose_env = set()
    for service in compose_services().values():
        compose_env |= set(service.get("environment", {}) or {})
    unknown = (example | compose_env) - env_names_read_by_settings() - COMPOSE_ONLY_NAMES
    assert not unknown, f"env names that settings.py never reads: {sorted(unknown)}"


def test_every_setting_read_from_the_environment_is_documented():
    example = (DEPLOY / "env.example").read_text()
    undocumented = {name for name in env_names_read_by_settings() if name not in example}
    assert not undocumented, f"add these to deploy/env.example: {sorted(undocumented)}"


def test_dockerfile_copies_only_paths_that_exist():
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and not line.startswith("COPY --from="):  # --from: a path in a build stage
            for source in line.split()[1:-1]:
                assert (Path(settings.BASE_DIR) / source).exists(), source
