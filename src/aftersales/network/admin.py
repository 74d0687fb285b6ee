"""Configuration of the service network: centres and their branches, partner organisations."""

from django.contrib import admin

from aftersales.network.models import Partner, ServiceCentre


@admin.register(ServiceCentre)
class ServiceCentreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "region", "time_zone", "active"]
    list_filter = ["region", "active"]
    search_fields = ["code", "name", "region"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "labour_rate", "currency", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
