from django.urls import path

from accounts import views

app_name = "auth"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("callback/", views.callback, name="callback"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("signed-out/", views.signed_out, name="signed-out"),
    path("kept/revoke/", views.kept_revoke, name="kept-revoke"),
]
