from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "aftersales.sla"
    label = "sla"
