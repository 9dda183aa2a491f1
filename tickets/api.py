"""REST API for conversations: what agents see in the console, for integrations and scripts.

Permissions are the console's: reading needs tickets.view_conversation, replying needs
tickets.handle_conversation (and tickets.handle_recovery for Tier 2).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from tickets import agent_actions
from tickets.models import Conversation, Message


class CanViewConversations(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(
            request.user and request.user.is_authenticated and request.user.has_perm("tickets.view_conversation")
        )


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "author_kind", "author", "visibility", "text", "confidence", "provider", "created_at"]

    def get_author(self, message: Message) -> str:
        return message.author_user.get_username() if message.author_user else ""


class ConversationSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.__str__", read_only=True)
    assignee = serializers.CharField(source="assignee.get_username", read_only=True, default=None)

    class Meta:
        model = Conversation
        fields = [
            "public_id",
            "customer",
            "channel",
            "status",
            "tier",
            "intent",
            "sentiment",
            "language",
            "assignee",
            "queued_at",
            "first_response_at",
            "resolved_at",
            "created_at",
        ]


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=4000)
    draft_id = serializers.IntegerField(required=False, allow_null=True)


class ConversationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ConversationSerializer
    permission_classes = [CanViewConversations]
    lookup_field = "public_id"

    def get_queryset(self) -> QuerySet[Conversation]:
        conversations = Conversation.objects.select_related("customer", "assignee").order_by("-created_at")
        status = self.request.query_params.get("status")
        if status:
            conversations = conversations.filter(status=status)
        return conversations

    @action(detail=True, methods=["get"])
    def messages(self, request: Request, public_id: str | None = None) -> Response:
        conversation = self.get_object()
        messages = conversation.messages.select_related("author_user").order_by("id")
        return Response(MessageSerializer(messages, many=True).data)

    @action(detail=True, methods=["post"])
    def reply(self, request: Request, public_id: str | None = None) -> Response:
        conversation = self.get_object()
        payload = ReplySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        message = agent_actions.do_send_agent_reply(
            conversation,
            payload.validated_data["text"],
            draft_id=payload.validated_data.get("draft_id"),
            acting_user=request.user,  # type: ignore[arg-type]
        )
        return Response(MessageSerializer(message).data, status=201)
