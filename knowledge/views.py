from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from knowledge.models import Article


@require_GET
def article_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a published customer-facing article; internal and unpublished ones do not exist here."""
    article = (
        Article.objects.filter(slug=slug, status=Article.Status.PUBLISHED, audience=Article.Audience.CUSTOMER)
        .select_related("published_version")
        .first()
    )
    if article is None or article.published_version is None:
        raise Http404("No published article has this address.")
    version = article.published_version
    return render(
        request, "knowledge/article.html", {"article": article, "version": version, "chunks": version.chunks.all()}
    )
