from pathlib import Path

from django.conf import settings


def test_data_dir_is_temporary() -> None:
    assert Path(settings.DATA_DIR).name.startswith("supportdesk-test-")
    assert str(settings.DATABASES["default"]["NAME"]).startswith(str(settings.DATA_DIR)) or "memory" in str(settings.DATABASES["default"]["NAME"])
    assert Path(settings.CHROMA_PATH).parent == Path(settings.DATA_DIR)
