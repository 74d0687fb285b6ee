from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "aftersales.portal"
    label = "portal"
