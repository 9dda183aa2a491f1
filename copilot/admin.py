from django.contrib import admin

from copilot.models import ModelCall


@admin.register(ModelCall)
class ModelCallAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "feature",
        "provider",
        "model",
        "outcome",
        "latency_ms",
        "input_tokens",
        "output_tokens",
    ]
    list_filter = ["feature", "outcome", "provider"]
    readonly_fields = [field.name for field in ModelCall._meta.fields]
