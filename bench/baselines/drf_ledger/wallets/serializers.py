from decimal import Decimal

from rest_framework import serializers

from wallets.models import BalanceLog, Wallet


class TransferSerializer(serializers.Serializer):
    from_wallet = serializers.PrimaryKeyRelatedField(queryset=Wallet.objects.all())
    to_wallet = serializers.PrimaryKeyRelatedField(queryset=Wallet.objects.all())
    amount = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=Decimal("0.01"))
    type = serializers.CharField(max_length=32)
    order_number = serializers.CharField(max_length=128, required=False, default="")

    def validate(self, attrs):
        if attrs["from_wallet"].pk == attrs["to_wallet"].pk:
            raise serializers.ValidationError("a transfer needs two different wallets")
        return attrs


class BalanceLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = BalanceLog
        fields = [
            "id",
            "wallet",
            "counterparty",
            "kind",
            "type",
            "amount",
            "balance_before",
            "balance_after",
            "order_number",
            "created_at",
        ]
