from django.contrib import admin

from aftersales.claims.models import LabourStandard


@admin.register(LabourStandard)
class LabourStandardAdmin(admin.ModelAdmin):
    list_display = ["product_line", "labour_code", "minutes", "description"]
    list_filter = ["product_line"]
    search_fields = ["product_line", "labour_code", "description"]
    ordering = ["product_line", "labour_code"]
