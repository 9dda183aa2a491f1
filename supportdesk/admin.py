from django.contrib import admin

from supportdesk.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor_kind", "acting_user", "target_type", "target_id"]
    list_filter = ["action", "actor_kind"]
    search_fields = ["action", "target_id"]
    readonly_fields = [field.name for field in AuditLog._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
