"""The transfer and the history, written the usual way."""

from django.db import transaction
from rest_framework import generics, status
from rest_framework.response import Response

from wallets.models import BalanceLog, Wallet
from wallets.serializers import BalanceLogSerializer, TransferSerializer


class TransferView(generics.GenericAPIView):
    serializer_class = TransferSerializer

    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        amount = data["amount"]
        ids = sorted([data["from_wallet"].pk, data["to_wallet"].pk])
        with transaction.atomic():
            wallets = {
                w.pk: w
                for w in Wallet.objects.select_for_update().filter(pk__in=ids).order_by("pk")
            }
            payer = wallets[data["from_wallet"].pk]
            payee = wallets[data["to_wallet"].pk]
            if payer.balance < amount:
                return Response({"detail": "insufficient balance"}, status=status.HTTP_409_CONFLICT)
            out_log = BalanceLog.objects.create(
                wallet=payer,
                counterparty=payee,
                kind=BalanceLog.Kind.OUT,
                type=data["type"],
                amount=amount,
                balance_before=payer.balance,
                balance_after=payer.balance - amount,
                order_number=data["order_number"],
            )
            BalanceLog.objects.create(
                wallet=payee,
                counterparty=payer,
                kind=BalanceLog.Kind.IN,
                type=data["type"],
                amount=amount,
                balance_before=payee.balance,
                balance_after=payee.balance + amount,
                order_number=data["order_number"],
            )
            payer.balance -= amount
            payee.balance += amount
            payer.save(update_fields=["balance"])
            payee.save(update_fields=["balance"])
        return Response(BalanceLogSerializer(out_log).data, status=status.HTTP_201_CREATED)


class BalanceLogList(generics.ListAPIView):
    serializer_class = BalanceLogSerializer

    def get_queryset(self):
        queryset = BalanceLog.objects.all()
        params = self.request.query_params
        if "wallet" in params:
            queryset = queryset.filter(wallet_id=params["wallet"])
        if "type" in params:
            queryset = queryset.filter(type=params["type"])
        if "created_at_from" in params:
            queryset = queryset.filter(created_at__gte=params["created_at_from"])
        if "created_at_to" in params:
            queryset = queryset.filter(created_at__lt=params["created_at_to"])
        return queryset
