from django.contrib import admin

from escalation.models import Handoff, Queue


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_default"]
    filter_horizontal = ["members"]


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ["created_at", "conversation", "reason", "from_tier", "to_tier", "queue"]
    list_filter = ["reason", "to_tier"]
    readonly_fields = ["conversation", "from_tier", "to_tier", "reason", "queue", "packet", "created_at"]
