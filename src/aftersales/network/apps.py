from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "aftersales.network"
    label = "network"
