from django.contrib import admin

from aftersales.workorders.models import FaultCode


@admin.register(FaultCode)
class FaultCodeAdmin(admin.ModelAdmin):
    list_display = ["product_category", "code", "description", "active"]
    list_filter = ["product_category", "active"]
    search_fields = ["code", "description"]
