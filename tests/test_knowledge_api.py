"""The knowledge REST API: articles and versions, and who may do what."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from knowledge.actions import do_add_version
from knowledge.models import Article
from supportdesk.models import AuditLog
from tests.conftest import publish_article

pytestmark = pytest.mark.django_db

ARTICLES = "/api/knowledge/articles/"
VERSIONS = "/api/knowledge/versions/"
NEW_ARTICLE = {
    "title": "Gift wrapping",
    "body": "Gift wrapping costs 3 euros per parcel.",
    "example_questions": ["Can you wrap my order?", "gift wrap price"],
    "category": "gift_wrapping",
}


def user_with(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="knowledge", codename__in=codenames))
    return user


@pytest.fixture
def client_for() -> Callable[[User | None], APIClient]:
    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def manager() -> User:
    return user_with("manager", "view_article", "add_article", "change_article", "publish_article")


@pytest.fixture
def editor() -> User:
    """A knowledge manager who may write but not publish."""
    return user_with("editor", "view_article", "add_article", "change_article")


@pytest.fixture
def article() -> Article:
    return publish_article("Shipping costs", "Standard delivery costs 4.95 euros.", questions=("shipping price",))


# --- Permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", ARTICLES, None),
        ("get", "{article}", None),
        ("post", ARTICLES, NEW_ARTICLE),
        ("patch", "{article}", {"body": "Free shipping."}),
        ("post", "{article}publish/", {}),
        ("post", "{article}retire/", {}),
        ("get", "{article}versions/", None),
        ("get", VERSIONS, None),
    ],
)
def test_anonymous_forbidden(
    client_for: Callable[[User | None], APIClient], article: Article, method: str, path: str, body: dict | None
) -> None:
    url = path.format(article=f"{ARTICLES}{article.pk}/")

    response = getattr(client_for(None), method)(url, body, format="json")

    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED


def test_agent_without_permissions_forbidden(client_for: Callable[[User | None], APIClient], article: Article) -> None:
    agent = User.objects.create_user("agent")
    client = client_for(agent)

    assert client.get(ARTICLES).status_code == 403
    assert client.post(ARTICLES, NEW_ARTICLE, format="json").status_code == 403
    assert client.post(f"{ARTICLES}{article.pk}/retire/").status_code == 403
    assert Article.objects.count() == 1


def test_viewer_reads_only(client_for: Callable[[User | None], APIClient], article: Article) -> None:
    client = client_for(user_with("viewer", "view_article"))

    assert client.get(ARTICLES).status_code == 200
    assert client.get(f"{ARTICLES}{article.pk}/versions/").status_code == 200
    assert client.post(ARTICLES, NEW_ARTICLE, format="json").status_code == 403
    assert client.patch(f"{ARTICLES}{article.pk}/", {"body": "x"}, format="json").status_code == 403


def test_editor_cannot_publish_or_retire(
    client_for: Callable[[User | None], APIClient], editor: User, article: Article
) -> None:
    client = client_for(editor)
    created = client.post(ARTICLES, NEW_ARTICLE, format="json")
    assert created.status_code == 201

    assert client.post(f"{ARTICLES}{created.data['id']}/publish/").status_code == 403
    assert client.post(f"{ARTICLES}{article.pk}/retire/").status_code == 403
    assert Article.objects.get(pk=created.data["id"]).status == Article.Status.DRAFT
    assert Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED


def test_delete_not_allowed(client_for: Callable[[User | None], APIClient], manager: User, article: Article) -> None:
    response = client_for(manager).delete(f"{ARTICLES}{article.pk}/")

    assert response.status_code in {403, 405}
    assert Article.objects.filter(pk=article.pk).exists()


# --- Articles ---------------------------------------------------------------------------------


def test_list_and_filter(client_for: Callable[[User | None], APIClient], manager: User, article: Article) -> None:
    client = client_for(manager)
    client.post(ARTICLES, NEW_ARTICLE, format="json")

    everything = client.get(ARTICLES).data
    published = client.get(ARTICLES, {"status": "published"}).data

    assert [row["title"] for row in everything] == ["Shipping costs", "Gift wrapping"]
    assert [row["title"] for row in published] == ["Shipping costs"]
    assert published[0]["published_version"] == 1
    assert published[0]["latest_version"] == 1


def test_create_makes_draft(client_for: Callable[[User | None], APIClient], manager: User) -> None:
    reviewer = User.objects.create_user("rana")

    response = client_for(manager).post(
        ARTICLES, {**NEW_ARTICLE, "owner": "manager", "reviewers": ["rana"], "language": "en"}, format="json"
    )

    assert response.status_code == 201
    assert response.data["status"] == "draft"
    assert response.data["owner"] == "manager"
    assert response.data["reviewers"] == ["rana"]
    created = Article.objects.get(pk=response.data["id"])
    assert created.reviewers.get() == reviewer
    assert created.versions.get().example_questions == NEW_ARTICLE["example_questions"]
    assert AuditLog.objects.get(action="knowledge.create_article").acting_user == manager


def test_create_invalid_input(client_for: Callable[[User | None], APIClient], manager: User) -> None:
    client = client_for(manager)

    missing = client.post(ARTICLES, {"title": "No body"}, format="json")
    bad_kind = client.post(ARTICLES, {**NEW_ARTICLE, "kind": "recipe"}, format="json")
    blank = client.post(ARTICLES, {**NEW_ARTICLE, "body": "   "}, format="json")

    assert missing.status_code == 400
    assert "body" in missing.data
    assert bad_kind.status_code == 400
    assert "kind" in bad_kind.data
    assert blank.status_code == 400
    assert Article.objects.count() == 0


def test_update_adds_version(client_for: Callable[[User | None], APIClient], manager: User, article: Article) -> None:
    client = client_for(manager)

    response = client.patch(
        f"{ARTICLES}{article.pk}/", {"body": "Standard delivery costs 5.95 euros.", "category": "fees"}, format="json"
    )

    assert response.status_code == 200
    assert response.data["latest_version"] == 2
    assert response.data["published_version"] == 1
    assert response.data["category"] == "fees"
    assert article.versions.get(number=2).body == "Standard delivery costs 5.95 euros."
    unchanged = client.patch(f"{ARTICLES}{article.pk}/", {"category": "fees"}, format="json")
    assert unchanged.data["latest_version"] == 2


def test_publish_and_retire(client_for: Callable[[User | None], APIClient], manager: User, article: Article) -> None:
    client = client_for(manager)
    do_add_version(article, title="Shipping costs", body="Standard delivery costs 5.95 euros.", acting_user=None)

    published = client.post(f"{ARTICLES}{article.pk}/publish/", {}, format="json")
    rolled_back = client.post(f"{ARTICLES}{article.pk}/publish/", {"version": 1}, format="json")
    retired = client.post(f"{ARTICLES}{article.pk}/retire/")
    again = client.post(f"{ARTICLES}{article.pk}/retire/")

    assert published.data["published_version"] == 2
    assert rolled_back.data["published_version"] == 1
    assert retired.data["status"] == "retired"
    assert again.status_code == 400
    assert again.data["error"]["code"] == "already_retired"
    publishes = AuditLog.objects.filter(action="knowledge.publish", target_id=str(article.pk)).order_by("pk")
    assert [row.acting_user for row in publishes][1:] == [manager, manager]


def test_publish_unknown_version(
    client_for: Callable[[User | None], APIClient], manager: User, article: Article
) -> None:
    response = client_for(manager).post(f"{ARTICLES}{article.pk}/publish/", {"version": 7}, format="json")

    assert response.status_code == 400
    assert response.data["error"]["code"] == "unknown_version"
    assert "has no version 7" in response.data["error"]["message"]


def test_review_workflow(client_for: Callable[[User | None], APIClient], editor: User) -> None:
    client = client_for(editor)
    created = client.post(ARTICLES, NEW_ARTICLE, format="json").data

    submitted = client.post(f"{ARTICLES}{created['id']}/submit-for-review/")
    twice = client.post(f"{ARTICLES}{created['id']}/submit-for-review/")

    assert submitted.data["status"] == "in_review"
    assert twice.status_code == 400
    assert twice.data["error"]["code"] == "invalid_transition"


def test_mark_reviewed(client_for: Callable[[User | None], APIClient], editor: User, article: Article) -> None:
    response = client_for(editor).post(f"{ARTICLES}{article.pk}/mark-reviewed/")

    assert response.status_code == 200
    assert response.data["review_due_at"] is not None
    assert AuditLog.objects.get(action="knowledge.mark_reviewed").acting_user == editor


# --- Versions ---------------------------------------------------------------------------------


def test_versions_and_diff(client_for: Callable[[User | None], APIClient], manager: User, article: Article) -> None:
    client = client_for(manager)
    do_add_version(article, title="Shipping costs", body="Standard delivery costs 5.95 euros.", acting_user=None)

    versions = client.get(f"{ARTICLES}{article.pk}/versions/").data
    diff = client.get(f"{ARTICLES}{article.pk}/diff/", {"from": 1, "to": 2}).data
    listed = client.get(VERSIONS, {"article": article.pk}).data

    assert [version["number"] for version in versions] == [1, 2]
    assert diff["from"] == 1
    assert diff["to"] == 2
    assert {"op": "delete", "text": "4"} in diff["body"]
    assert {"op": "insert", "text": "5"} in diff["body"]
    assert [version["body"] for version in listed] == [
        "Standard delivery costs 4.95 euros.",
        "Standard delivery costs 5.95 euros.",
    ]


def test_versions_read_only(client_for: Callable[[User | None], APIClient], manager: User, article: Article) -> None:
    client = client_for(manager)
    version_id = article.versions.get().pk

    response = client.patch(f"{VERSIONS}{version_id}/", {"body": "changed"}, format="json")

    assert response.status_code == 405
    assert article.versions.get().body == "Standard delivery costs 4.95 euros."


def test_diff_bad_numbers(client_for: Callable[[User | None], APIClient], manager: User, article: Article) -> None:
    client = client_for(manager)

    unknown = client.get(f"{ARTICLES}{article.pk}/diff/", {"from": 1, "to": 9})
    not_number = client.get(f"{ARTICLES}{article.pk}/diff/", {"from": "one"})

    assert unknown.status_code == 400
    assert unknown.data["error"]["code"] == "unknown_version"
    assert not_number.status_code == 400
    assert not_number.data["error"]["code"] == "invalid_version_number"


def test_session_login_works(manager: User, article: Article) -> None:
    manager.set_password("manager-password-1")
    manager.save()
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="manager", password="manager-password-1")

    listed = client.get(ARTICLES)
    without_token = client.post(f"{ARTICLES}{article.pk}/retire/")

    assert listed.status_code == 200
    assert without_token.status_code == 403
    assert Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED
