"""Rate cards are configuration; invoices and payments are shown for looking things up and
are written only by the services (numbering and totals must not be edited by hand)."""

from django.contrib import admin

from aftersales.billing.models import Invoice, LabourRate, Payment, RateCard


class LabourRateInline(admin.TabularInline):
    model = LabourRate
    extra = 1


@admin.register(RateCard)
class RateCardAdmin(admin.ModelAdmin):
    list_display = ["name", "centre", "partner", "currency", "hourly_rate", "tax_rate"]
    inlines = [LabourRateInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer", "total", "currency", "issued_at"]
    search_fields = ["number"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "amount", "method", "reference", "received_at"]
