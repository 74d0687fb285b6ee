from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "aftersales.claims"
    label = "claims"
    verbose_name = "Warranty claims"
