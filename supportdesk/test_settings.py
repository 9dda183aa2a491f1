"""Settings for the test suite: the normal settings with an isolated environment.

Every test run gets its own data folder (database, vector index), so it never touches a
developer's desk, and tasks run inline so indexing is done when an action's transaction
commits. The scaled-out variables are honoured when set, so the suite can run against
PostgreSQL, Redis and a Chroma server too.
"""

import os
import tempfile

os.environ["SUPPORTDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="supportdesk-test-")
os.environ["SUPPORTDESK_TASKS_SYNC"] = "1"
# Tests import the ASGI application; its warm-up thread would query the database outside a test.
os.environ["SUPPORTDESK_WARM_UP"] = "0"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.pop("SUPPORTDESK_LLM_PROVIDER", None)

from supportdesk.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
