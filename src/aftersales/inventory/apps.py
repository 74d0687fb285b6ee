from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "aftersales.inventory"
    label = "inventory"
