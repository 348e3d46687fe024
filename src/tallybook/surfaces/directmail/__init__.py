"""Seed 002: DirectMail API 2.0's balance change list (`GET /user/scoreLogList`).

The key comes in `x-token`. Every answer, errors included, is HTTP 200 with
`{"code", "data", "msg"}`: code 0 and "success", or code 7 and what went wrong.
"""

from tallybook.surfaces.directmail.app import PREFIX, create_app

__all__ = ["PREFIX", "create_app"]
