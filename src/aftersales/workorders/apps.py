from django.apps import AppConfig


class WorkordersConfig(AppConfig):
    name = "aftersales.workorders"
    label = "workorders"
