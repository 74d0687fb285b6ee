from django.contrib import admin

from aftersales.catalog.models import Part, Product, WarrantyCountryOverride, WarrantyPolicy


class CountryOverrideInline(admin.TabularInline):
    model = WarrantyCountryOverride
    extra = 1


@admin.register(WarrantyPolicy)
class WarrantyPolicyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "months", "starts_from", "covers_parts", "covers_labour"]
    search_fields = ["code", "name"]
    inlines = [CountryOverrideInline]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category", "warranty_policy"]
    list_filter = ["category", "warranty_policy"]
    search_fields = ["sku", "name"]


@admin.register(Part)
class PartAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "list_price", "currency", "active"]
    list_filter = ["active"]
    search_fields = ["number", "name"]
