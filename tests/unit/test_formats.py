"""Content negotiation of history reads: `format` first, then the Accept header's weights."""

from __future__ import annotations

import pytest

from tallybook.api.formats import OutputFormat, negotiate
from tallybook.ledger import errors

OFFERED = (OutputFormat.JSON, OutputFormat.CSV, OutputFormat.JSONL)


def test_the_heaviest_offered_media_type_wins() -> None:
    accept = "text/csv;q=0.5, application/x-ndjson;q=0.9, application/pdf"

    assert negotiate(None, accept, OFFERED) is OutputFormat.JSONL


def test_equal_weights_keep_the_header_order() -> None:
    assert negotiate(None, "text/csv;q=0.8, application/jsonl;q=0.8", OFFERED) is OutputFormat.CSV


@pytest.mark.parametrize("weight", ["abc", "nan", "inf", "1.5", "0.1234", "-1", "0"])
def test_a_weight_that_is_not_valid_or_zero_makes_a_type_unacceptable(weight: str) -> None:
    assert negotiate(None, f"text/csv;q={weight}", OFFERED) is OutputFormat.JSON


def test_the_format_parameter_overrides_accept_and_must_be_offered() -> None:
    assert negotiate(OutputFormat.CSV, "application/jsonl", OFFERED) is OutputFormat.CSV
    with pytest.raises(errors.ValidationError) as refused:
        negotiate(OutputFormat.PDF, None, OFFERED)
    assert refused.value.field == "format"
