"""The file formats history can be read in, and their media types."""

from __future__ import annotations

from enum import StrEnum


class OutputFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    JSONL = "jsonl"
    PDF = "pdf"


MEDIA_TYPES = {
    OutputFormat.JSON: "application/json",
    OutputFormat.CSV: "text/csv; charset=utf-8",
    OutputFormat.JSONL: "application/x-ndjson",
    OutputFormat.PDF: "application/pdf",
}
