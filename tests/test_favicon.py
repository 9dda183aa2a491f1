"""The favicon request every browser makes."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_favicon_redirects_to_icon(client: Client) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/supportdesk/favicon.svg"
    assert client.get(response["Location"]).status_code == 200
