"""A wallet with its balance, and one log row per side of every movement."""

from django.db import models


class Wallet(models.Model):
    name = models.CharField(max_length=200)
    balance = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)


class BalanceLog(models.Model):
    class Kind(models.TextChoices):
        IN = "in"
        OUT = "out"

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="logs")
    counterparty = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="+", null=True, db_index=False
    )
    kind = models.CharField(max_length=3, choices=Kind.choices)
    type = models.CharField(max_length=32)
    amount = models.DecimalField(max_digits=20, decimal_places=2)
    balance_before = models.DecimalField(max_digits=20, decimal_places=2)
    balance_after = models.DecimalField(max_digits=20, decimal_places=2)
    order_number = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["wallet", "-created_at"], name="log_wallet_created")]
