"""URLs of the knowledge REST API, included under api/knowledge/."""

from rest_framework.routers import DefaultRouter

from knowledge.api import ArticleViewSet, VersionViewSet

router = DefaultRouter()
router.register("articles", ArticleViewSet, basename="article")
router.register("versions", VersionViewSet, basename="version")

app_name = "knowledge-api"
urlpatterns = router.urls
