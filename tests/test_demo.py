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

pytestmark = pytest.mark.worker


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    finally:
        demo.send_signal(signal.SIGINT)
        exit_code = demo.wait(timeout=60)
    log.seek(0)
    output = log.read()
    assert exit_code == 0, output[-3000:]
    assert "Demo stopped." in output
    assert not (tmp_path / "var" / "pgdata" / "postmaster.pid").exists(), "embedded PostgreSQL still running"
