from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "relintel.accounts"
    label = "accounts"
    verbose_name = "Accounts and organizations"
