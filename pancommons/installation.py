"""What makes one installation its own: an id derived from its database, and a secret key generated under var/.

Two installations on one host (two demos, a demo beside a deployment) share a Redis but never a key, a queue or a
worker: every Redis key and Celery exchange carries the installation's prefix (pancommons/settings.py).
"""

import hashlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path


def _kept(path: Path, make: str) -> str:
    """The value stored at `path`, written as `make` if the file does not exist yet.

    Written whole under a temporary name and linked into place, so processes starting together agree on one value.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as draft:
            draft.write(make + "\n")
        try:
            os.link(draft.name, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft.name)
    return path.read_text().strip()


def installation_id(database: Mapping[str, object]) -> str:
    """A short id of this installation, the same in every one of its processes and containers: derived from where
    its database lives (host, port, name), which two installations never share."""
    where = f"{database['HOST']}:{database['PORT']}/{database['NAME']}"
    return hashlib.sha256(where.encode()).hexdigest()[:8]


def secret_key(var_dir: Path) -> str:
    """A SECRET_KEY made once for an installation that is not production (var/secret-key, readable by its owner)."""
    return _kept(var_dir / "secret-key", secrets.token_urlsafe(50))
