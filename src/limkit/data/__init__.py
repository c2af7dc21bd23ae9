"""Records and their files: JSONL/JSON/Parquet reading with precise errors, and atomic writing."""

from limkit.data._io import (
    AppendWriter,
    atomic_write_text,
    atomic_writer,
    dump_json_line,
    iter_json_list,
    parse_json,
    read_appended,
    read_json_or_jsonl,
    read_jsonl,
    read_records,
    write_jsonl,
)
from limkit.data._runs import start_run_dir

__all__ = [
    "AppendWriter",
    "atomic_write_text",
    "atomic_writer",
    "dump_json_line",
    "iter_json_list",
    "parse_json",
    "read_appended",
    "read_json_or_jsonl",
    "read_jsonl",
    "read_records",
    "start_run_dir",
    "write_jsonl",
]
