from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "aftersales.catalog"
    label = "catalog"
