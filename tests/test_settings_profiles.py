"""Settings choose the embedded or the scaled-out profile from environment variables alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings

from tests.conftest import REPO_ROOT

PRINT_PROFILE = """
import json
from supportdesk import settings as s
print(json.dumps({
    "engine": s.DATABASES["default"]["ENGINE"],
    "database": str(s.DATABASES["default"]["NAME"]),
    "layer": s.CHANNEL_LAYERS["default"]["BACKEND"],
    "broker": "redis" if "redis" in s.Q_CLUSTER else "orm",
    "chroma_url": s.CHROMA_URL,
    "data_dir": str(s.DATA_DIR),
    "reverification_days": s.SUPPORTDESK_REVERIFICATION_DAYS,
}))
"""


def load_profile(tmp_path: Path, **variables: str) -> dict[str, Any]:
    environment = {
        key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL", "CHROMA_URL"}
    }
    environment.update(SUPPORTDESK_DATA_DIR=str(tmp_path), **variables)
    output = subprocess.run(
        [sys.executable, "-c", PRINT_PROFILE],
        cwd=REPO_ROOT,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(output.stdout))


def test_embedded_profile_by_default(tmp_path: Path) -> None:
    profile = load_profile(tmp_path)
    assert profile["engine"] == "django.db.backends.sqlite3"
    assert profile["database"] == str(tmp_path / "db.sqlite3")
    assert profile["layer"] == "channels.layers.InMemoryChannelLayer"
    assert profile["broker"] == "orm"
    assert profile["chroma_url"] == ""
    assert (tmp_path / "secret_key").exists()
    assert profile["reverification_days"] == 30


def test_reverification_days_from_environment(tmp_path: Path) -> None:
    assert load_profile(tmp_path, SUPPORTDESK_REVERIFICATION_DAYS="7")["reverification_days"] == 7


def test_scaled_out_profile_from_urls(tmp_path: Path) -> None:
    profile = load_profile(
        tmp_path,
        DATABASE_URL="postgres://desk:secret@127.0.0.1:5432/supportdesk",
        REDIS_URL="redis://127.0.0.1:6379/0",
        CHROMA_URL="http://127.0.0.1:8001",
    )
    assert profile["engine"] == "django.db.backends.postgresql"
    assert profile["database"] == "supportdesk"
    assert profile["layer"] == "channels_redis.core.RedisChannelLayer"
    assert profile["broker"] == "redis"
    assert profile["chroma_url"] == "http://127.0.0.1:8001"


def test_two_desks_never_share_state(tmp_path: Path) -> None:
    first = load_profile(tmp_path / "first")
    second = load_profile(tmp_path / "second")
    assert first["database"] != second["database"]
    assert Path(settings.CHROMA_PATH).parent == Path(settings.DATA_DIR)
