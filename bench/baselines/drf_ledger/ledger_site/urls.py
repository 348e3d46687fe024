from django.http import HttpRequest, JsonResponse
from django.urls import path
from wallets import views


def healthz(_request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("healthz", healthz),
    path("api/balance/transfers/", views.TransferView.as_view()),
    path("api/balance/out/", views.BalanceLogList.as_view()),
]
