"""Call lists as people really have them: numbers typed every way, files, more rows than one batch."""

from zudu_mcp.recipients.prepare import PreparedList, Rejection, prepare_recipients, split_parts
from zudu_mcp.recipients.sources import FileAccess, ListError, Row, read_csv_text, read_file, rows_from_tasks

__all__ = [
    "FileAccess",
    "ListError",
    "PreparedList",
    "Rejection",
    "Row",
    "prepare_recipients",
    "read_csv_text",
    "read_file",
    "rows_from_tasks",
    "split_parts",
]
