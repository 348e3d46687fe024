"""Seed 001: DigiCert CertCentral's balance history (`GET /services/v2/finance/balance-history`).

The key comes in `X-DC-DEVKEY`. Containers (CertCentral's divisions) are the key's account
and its sub-accounts; `container_id` picks one and is required when there is more than one.
"""

from tallybook.surfaces.certcentral.app import PREFIX, create_app

__all__ = ["PREFIX", "create_app"]
