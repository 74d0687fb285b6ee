from django.contrib import admin

from aftersales.inventory.models import StockLocation


@admin.register(StockLocation)
class StockLocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "centre", "partner", "technician", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
