"""Demo accounts: an administrator and a data steward, with passwords kept in var/ so reruns print the same."""

import json
import secrets
from pathlib import Path

from django.contrib.auth import get_user_model

from catalogue.services import roles

DEMO_ACCOUNTS = ("admin", "steward")


def ensure_demo_accounts(*, var_dir: Path) -> dict[str, str]:
    """Create `admin` (superuser) and `steward` (stewards group) once; return {username: password}."""
    store = var_dir / "demo-accounts.json"
    passwords: dict[str, str] = json.loads(store.read_text()) if store.exists() else {}
    User = get_user_model()
    stewards = roles.ensure_stewards_group()
    for username in DEMO_ACCOUNTS:
        password = passwords.setdefault(username, secrets.token_urlsafe(12))
        user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@localhost"})
        user.is_staff = True
        user.is_superuser = username == "admin"
        user.set_password(password)
        user.save()
        if username == "steward":
            user.groups.add(stewards)
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(passwords, indent=2))
    store.chmod(0o600)
    return passwords
