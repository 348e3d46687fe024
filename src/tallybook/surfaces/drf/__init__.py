"""Seed 000: the Django-REST-Framework-style balance API under `/api/balance/`.

Built so far: the DRF conventions (token auth, the paginated list envelope, DRF's error
shapes, trailing slashes) and the wallet (`/api/balance/wallet/`). The top-up and withdrawal
resources (`/in/`, `/out/`) plug into the same pieces once the wallet flows exist.
"""

from tallybook.surfaces.drf.app import PREFIX, create_app

__all__ = ["PREFIX", "create_app"]
