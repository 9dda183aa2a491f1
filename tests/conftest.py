from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User

from knowledge import index, retrieval
from knowledge.actions import do_create_article, do_publish_version
from knowledge.models import Article

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def fresh_knowledge_index() -> Iterator[None]:
    """Empty the vector index and forget cached snapshots around every test.

    The database rolls back after each test but the Chroma files do not, and ids and the
    knowledge generation restart from the same values, so stale state must go.
    """
    retrieval.forget_snapshot()
    index.forget_client()
    client = index.get_client()
    for audience in index.AUDIENCES:
        client.get_or_create_collection(index.collection_name(audience))
        client.delete_collection(index.collection_name(audience))
    index.forget_client()
    yield
    retrieval.forget_snapshot()


def publish_article(
    title: str,
    body: str,
    *,
    questions: tuple[str, ...] = (),
    audience: str = Article.Audience.CUSTOMER,
    kind: str = Article.Kind.FAQ,
    language: str = "en",
    category: str = "",
    human_only: bool = False,
) -> Article:
    article = do_create_article(
        title=title,
        body=body,
        kind=kind,
        audience=audience,
        language=language,
        category=category or title.lower().replace(" ", "_"),
        human_only=human_only,
        example_questions=questions,
        acting_user=None,
    )
    version = article.versions.get()
    return do_publish_version(version, acting_user=None)


@pytest.fixture
def store_kb(db: None) -> dict[str, Article]:
    """A small knowledge base of a fictional shop, written for these tests."""
    return {
        "returns": publish_article(
            "Returns and refunds",
            "You can return any item within 30 days of delivery for a full refund.\n\n"
            "Refunds reach your card within 5 business days after we receive the parcel.",
            questions=(
                "How do I return an item?",
                "Can I send something back?",
                "refund for a return",
                "what is your return policy",
            ),
            category="returns",
        ),
        "shipping": publish_article(
            "Shipping costs",
            "Standard delivery costs 4.95 euros and is free for orders over 50 euros.\n\n"
            "Express delivery costs 9.95 euros and arrives the next business day.",
            questions=("How much is shipping?", "delivery cost", "is shipping free", "how fast is express delivery"),
            category="shipping",
        ),
        "password": publish_article(
            "Resetting your password",
            "Use the Forgot password link on the sign-in page; we e-mail you a reset link that works for one hour.",
            questions=("I forgot my password", "reset password", "can't log in to my account"),
            category="password",
        ),
        "hacked": publish_article(
            "Hacked account",
            "If someone else used your account, our security team secures it and reviews recent orders.",
            questions=("my account was hacked", "someone logged into my account", "unknown orders on my account"),
            category="account_compromised",
            human_only=True,
        ),
        "internal_refunds": publish_article(
            "Refund approval limits",
            "Agents approve refunds up to 150 euros; team leads approve up to 750 euros in the Helm console.",
            questions=("refund approval limit", "who approves a big refund"),
            audience=Article.Audience.INTERNAL,
            kind=Article.Kind.SOP,
            category="refund_limits",
        ),
        "returns_ar": publish_article(
            "الإرجاع واسترداد المبلغ",
            "يمكنك إرجاع أي منتج خلال 30 يومًا من التسليم واسترداد المبلغ كاملًا.",
            questions=("كيف أرجع منتجًا؟", "أريد إرجاع طلبي", "سياسة الإرجاع"),
            language="ar",
            category="returns",
        ),
    }


@pytest.fixture
def agent(db: None) -> User:
    user = User.objects.create_user("agent", password="agent-password-1")
    user.user_permissions.add(Permission.objects.get(codename="view_conversation"))
    return user
