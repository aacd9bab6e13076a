from django.apps import AppConfig


class CartsConfig(AppConfig):
    name = "carts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from carts.receivers import merge_guest_cart_on_login

        user_logged_in.connect(merge_guest_cart_on_login, dispatch_uid="carts.merge_guest_cart_on_login")
