from rest_framework.routers import SimpleRouter

from tickets.api import ConversationViewSet

router = SimpleRouter()
router.register("conversations", ConversationViewSet, basename="conversation")

urlpatterns = router.urls
