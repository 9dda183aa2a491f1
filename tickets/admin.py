from django.contrib import admin

from tickets.models import Conversation, Customer, Message


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "external_id", "locale", "identity_verified", "last_seen_at"]
    search_fields = ["name", "email", "external_id"]


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("created_at", "author_kind", "visibility", "text", "confidence", "provider")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["public_id", "customer", "channel", "status", "tier", "intent", "language", "created_at"]
    list_filter = ["status", "tier", "channel", "language"]
    search_fields = ["public_id", "customer__name", "customer__email"]
    readonly_fields = ["public_id", "created_at", "updated_at", "queued_at", "first_response_at", "resolved_at"]
    inlines = [MessageInline]
