"""`make demo` end to end: embedded PostgreSQL, migrations, accounts, and a served site that Ctrl-C stops cleanly."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from catalogue.management.commands.demo import PROCESS_GROUPS_FILE, _group_alive, stop_leftovers
from tests.workers import free_port

pytestmark = pytest.mark.worker


def demo_env(var_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update({"PANCOMMONS_VAR_DIR": str(var_dir), "DEBUG": "true", "PYTHONUNBUFFERED": "1"})
    return env


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_demo_serves_site_admin_api_and_health_then_stops_cleanly(tmp_path):
    port = free_port()
    log = (tmp_path / "demo.log").open("w+")
    demo = subprocess.Popen(
        [sys.executable, "manage.py", "demo", "--port", str(port)],
        cwd=settings.BASE_DIR,
        env=demo_env(tmp_path / "var"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        health = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and demo.poll() is None:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                health = json.loads(body)
                if status == 200 and health["checks"]["workers"]["count"]:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(1)
        log.seek(0)
        output = log.read()
        assert health and health["status"] == "ok", output[-3000:]
        assert health["checks"]["workers"]["count"] >= 1
        assert get(f"http://127.0.0.1:{port}/admin/login/")[0] == 200
        assert get(f"http://127.0.0.1:{port}/api/v1/datasets/")[0] == 200
        assert "login  admin" in output and "login  steward" in output
        logins = json.loads((tmp_path / "var" / "demo-accounts.json").read_text())
        assert set(logins) == {"admin", "steward"}
        groups = [int(group) for group in (tmp_path / "var" / PROCESS_GROUPS_FILE).read_text().split()]
    finally:
        demo.send_signal(signal.SIGINT)
        exit_code = demo.wait(timeout=60)
    log.seek(0)
    output = log.read()
    assert exit_code == 0, output[-3000:]
    assert "Demo stopped." in output
    assert len(groups) == 4 and not any(map(_group_alive, groups)), "a child of the demo outlived it"
    assert not (tmp_path / "var" / PROCESS_GROUPS_FILE).exists()
    assert not (tmp_path / "var" / "pgdata" / "postmaster.pid").exists(), "embedded PostgreSQL still running"
    assert output.count("RuntimeDirWarning") <= 1 and "celery@" not in output, output[-3000:]


def test_a_demo_after_a_crash_stops_what_the_crashed_one_left(tmp_path):
    """What a killed demo left running (an orphaned process group, a child of its own in it) is stopped next time."""
    leftover = "import subprocess, time; subprocess.Popen(['sleep', '60']); time.sleep(60)  # pancommons"
    launcher = (
        "import subprocess, sys; quiet = subprocess.DEVNULL; "
        f"print(subprocess.Popen([sys.executable, '-c', {leftover!r}], start_new_session=True, stdout=quiet, "
        "stderr=quiet).pid)"
    )
    group = int(subprocess.run([sys.executable, "-c", launcher], capture_output=True, text=True, check=True).stdout)
    groups_file = tmp_path / PROCESS_GROUPS_FILE
    groups_file.write_text(f"{group}\n")
    assert _group_alive(group)
    started = time.monotonic()
    stop_leftovers(groups_file)
    assert not _group_alive(group) and not groups_file.exists()
    assert time.monotonic() - started < 5, "the leftovers ignored SIGTERM"


def test_a_demo_on_a_port_in_use_says_so_and_stops(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**demo_env(tmp_path / "var"), "DATABASE_URL": os.environ.get("DATABASE_URL", "")}
        result = subprocess.run(
            [sys.executable, "manage.py", "demo", "--port", str(port)],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"Port {port} is in use by process {os.getpid()} (" in result.stderr
