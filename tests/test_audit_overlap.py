"""Duplicates and contradictions among published articles, and the facts they compare."""

from __future__ import annotations

from decimal import Decimal

import pytest

from knowledge.actions import do_add_version, do_publish_version, do_retire_article
from knowledge.facts import conflicting_facts, extract_facts, is_negated
from knowledge.models import Article
from knowledge.overlap import OverlapPair, forget_overlap_report, overlap_report
from tests.conftest import publish_article

pytestmark = pytest.mark.django_db

SHIPPING_BODY = (
    "Standard delivery costs {fee} euros and takes 3 business days.\n\n"
    "Orders over 50 euros ship for free to every country in the European Union."
)
SHIPPING_QUESTIONS = ("How much is shipping?", "delivery cost", "what does standard delivery cost")


@pytest.fixture(autouse=True)
def fresh_report() -> None:
    forget_overlap_report()


def pair_titles(pairs: list[OverlapPair]) -> set[frozenset[str]]:
    return {frozenset((pair.left.title, pair.right.title)) for pair in pairs}


def publish_shipping(title: str, fee: str, *, language: str = "en") -> Article:
    return publish_article(
        title, SHIPPING_BODY.format(fee=fee), questions=SHIPPING_QUESTIONS, category="shipping", language=language
    )


def test_number_difference_is_contradiction() -> None:
    publish_shipping("Shipping costs", "4.95")
    publish_shipping("Delivery prices", "5.95")

    report = overlap_report()

    assert pair_titles(report.contradictions) == {frozenset({"Shipping costs", "Delivery prices"})}
    assert report.duplicates == []
    conflict = report.contradictions[0].conflicts[0]
    assert conflict.kind == "amount"
    assert {conflict.left_values, conflict.right_values} == {("4.95 euros",), ("5.95 euros",)}
    assert "Standard delivery costs" in conflict.left_sentence
    assert len(report.contradictions[0].conflicts) == 1


def test_same_text_is_duplicate() -> None:
    publish_shipping("Shipping costs", "4.95")
    publish_shipping("Delivery prices", "4.95")

    report = overlap_report()

    assert pair_titles(report.duplicates) == {frozenset({"Shipping costs", "Delivery prices"})}
    assert report.contradictions == []
    assert report.duplicates[0].text_similarity > 0.99


def test_three_articles_sorted_out() -> None:
    publish_shipping("Shipping costs", "4.95")
    publish_shipping("Delivery prices", "4.95")
    publish_shipping("Postage", "5.95")

    report = overlap_report()

    assert pair_titles(report.duplicates) == {frozenset({"Shipping costs", "Delivery prices"})}
    assert pair_titles(report.contradictions) == {
        frozenset({"Shipping costs", "Postage"}),
        frozenset({"Delivery prices", "Postage"}),
    }


def test_duration_difference_found() -> None:
    publish_article(
        "Returns", "You can return any item within 30 days of delivery.", questions=("How long do I have to return?",)
    )
    publish_article(
        "Return window", "You can return any item within 14 days of delivery.", questions=("return period",)
    )

    conflicts = overlap_report().contradictions[0].conflicts

    assert [(conflict.kind, conflict.left_values, conflict.right_values) for conflict in conflicts] == [
        ("duration", ("30 days",), ("14 days",))
    ]


def test_yes_no_difference_found() -> None:
    publish_article(
        "Gift wrapping",
        "Gift wrapping is available for sale items.",
        questions=("Can I get gift wrapping on sale items?",),
    )
    publish_article(
        "Gift wrapping on sale items",
        "Gift wrapping is not available for sale items.",
        questions=("Can I get gift wrapping on discounted items?",),
    )

    report = overlap_report()

    assert len(report.contradictions) == 1
    assert [conflict.kind for conflict in report.contradictions[0].conflicts] == ["yes_no"]


def test_translation_not_duplicate() -> None:
    publish_article(
        "Returns",
        "You can return any item within 30 days of delivery for a full refund.",
        questions=("How do I return an item?",),
    )
    publish_article(
        "الإرجاع",
        "يمكنك إرجاع أي منتج خلال 30 يومًا من التسليم واسترداد المبلغ كاملًا.",
        questions=("كيف أرجع منتجًا؟",),
        language="ar",
    )

    report = overlap_report()

    assert report.duplicates == []
    assert report.contradictions == []


def test_translation_contradiction_found() -> None:
    publish_article(
        "Returns",
        "You can return any item within 30 days of delivery for a full refund.",
        questions=("How do I return an item?", "return policy"),
    )
    publish_article(
        "الإرجاع",
        "يمكنك إرجاع أي منتج خلال 14 يومًا من التسليم واسترداد المبلغ كاملًا.",
        questions=("كيف أرجع منتجًا؟", "سياسة الإرجاع"),
        language="ar",
    )

    report = overlap_report()

    assert len(report.contradictions) == 1
    conflict = report.contradictions[0].conflicts[0]
    assert conflict.kind == "duration"
    assert {conflict.left_values, conflict.right_values} == {("30 days",), ("14 يومًا",)}


def test_unrelated_articles_not_paired(store_kb: dict[str, Article]) -> None:
    report = overlap_report()

    english_pairs = [pair for pair in report.duplicates if pair.left.language == pair.right.language]
    assert english_pairs == []
    assert report.contradictions == []


def test_only_published_compared() -> None:
    first = publish_shipping("Shipping costs", "4.95")
    second = publish_shipping("Delivery prices", "5.95")
    do_retire_article(second, acting_user=None)

    report = overlap_report()
    assert report.contradictions == []
    assert report.articles == 1
    assert Article.objects.get(pk=first.pk).status == Article.Status.PUBLISHED


def test_new_version_clears_contradiction() -> None:
    publish_shipping("Shipping costs", "4.95")
    second = publish_shipping("Delivery prices", "5.95")
    assert len(overlap_report().contradictions) == 1

    fixed = do_add_version(
        second,
        title="Delivery prices",
        body=SHIPPING_BODY.format(fee="4.95"),
        example_questions=SHIPPING_QUESTIONS,
        acting_user=None,
    )
    do_publish_version(fixed, acting_user=None)

    report = overlap_report()
    assert report.contradictions == []
    assert pair_titles(report.duplicates) == {frozenset({"Shipping costs", "Delivery prices"})}


# --- Facts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Standard delivery costs 4.95 euros.", [("amount", "EUR", Decimal("4.95"), "4.95 euros")]),
        ("The fee is €4,95 per parcel.", [("amount", "EUR", Decimal("4.95"), "€4,95")]),
        ("Pay $12 now.", [("amount", "USD", Decimal("12"), "$12")]),
        ("Refunds take five business days.", [("duration", "business day", Decimal("5"), "five business days")]),
        ("خلال ١٤ يومًا من التسليم", [("duration", "day", Decimal("14"), "14 يومًا")]),
        ("Save 10% on your first order.", [("percent", "%", Decimal("10"), "10%")]),
        ("Order up to 1,000 items at once.", [("number", "items", Decimal("1000"), "1,000 items")]),
        ("Step 3: ask for the order number.", []),
        ("We ship to one address per order.", []),
    ],
)
def test_extract_facts(sentence: str, expected: list[tuple[str, str, Decimal, str]]) -> None:
    assert [(fact.kind, fact.unit, fact.value, fact.text) for fact in extract_facts(sentence)] == expected


def test_same_value_other_unit_no_conflict() -> None:
    assert conflicting_facts("Delivery takes 3 days.", "Delivery takes 3 business days.") == []
    assert conflicting_facts("Refunds take 5 days.", "Refunds take 5 days.") == []
    assert len(conflicting_facts("Refunds take 5 days.", "Refunds take 7 days.")) == 1


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("Gift wrapping is available.", False),
        ("Gift wrapping is not available.", True),
        ("We can't ship to PO boxes.", True),
        ("التغليف متاح للهدايا", False),
        ("التغليف غير متاح للهدايا", True),
    ],
)
def test_negation_detected(sentence: str, negated: bool) -> None:
    assert is_negated(sentence) is negated


def test_shared_sentences_not_conflicts() -> None:
    tiers = "Guest members can return items within 30 days.\n\nGold members can return items within 90 days."
    publish_article(
        "Return a stained item", f"Ask for a photo of the stain.\n\n{tiers}", questions=("my shirt has a stain",)
    )
    publish_article(
        "Return an item in the wrong size",
        f"Ask which size they need.\n\n{tiers}",
        questions=("my shirt is the wrong size",),
    )

    report = overlap_report()

    assert report.contradictions == []


def test_other_question_not_contradiction() -> None:
    steps = "Read the question, then choose one of the {count} prepared answers and send it."
    publish_article("Boots questions", steps.format(count=8), questions=("Are the boots waterproof?",))
    publish_article("Membership questions", steps.format(count=4), questions=("How do I cancel my membership?",))

    report = overlap_report()

    assert report.contradictions == []
    assert report.duplicates == []
