"""Settings an installation keeps to itself: a generated SECRET_KEY outside production, none in production."""

import os
import subprocess
import sys

from django.conf import settings

PRINT_KEY = "from django.conf import settings; print(settings.SECRET_KEY)"


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1] if text.strip() else ""


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    unset = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "PRODUCTION", "PANCOMMONS_VAR_DIR"}
    environment = {key: value for key, value in os.environ.items() if key not in unset} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_commands_on_the_embedded_database_run_without_secret_key_with_one_kept_in_var(tmp_path):
    result = manage("shell", "-c", PRINT_KEY, env={"PANCOMMONS_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-2000:]
    kept = tmp_path / "secret-key"
    assert last_line(result.stdout) == kept.read_text().strip() and len(kept.read_text().strip()) >= 50
    assert kept.stat().st_mode & 0o077 == 0, "the key is readable by others"


def test_production_refuses_to_start_without_secret_key(tmp_path):
    database = f"postgres://{settings.DATABASES['default']['USER']}@{settings.DATABASES['default']['HOST']}/x"
    for env in ({"DATABASE_URL": database}, {"DATABASE_URL": database, "DEBUG": "true", "PRODUCTION": "true"}):
        result = manage("shell", "-c", PRINT_KEY, env={"PANCOMMONS_VAR_DIR": str(tmp_path), **env})
        assert result.returncode != 0
        assert "SECRET_KEY must be set in production" in result.stderr
    assert not (tmp_path / "secret-key").exists()
    given = manage("shell", "-c", PRINT_KEY, env={"DATABASE_URL": database, "SECRET_KEY": "from-the-operator"})
    assert last_line(given.stdout) == "from-the-operator", given.stderr[-2000:]
