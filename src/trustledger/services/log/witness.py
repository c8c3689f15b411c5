"""A witness of the log outside the database: a file of the signed checkpoints (settings
`witness`, `TRUSTLEDGER_WITNESS`), one JSON object a line as `GET /v1/log/checkpoint` answers:
`{"tree_size", "root_hash", "timestamp", "note"}`.

Whoever signs a checkpoint appends it, after its transaction commits (so the witness never
holds a checkpoint the database rolled back), with one `write` on a file opened for appending
(so several server processes never interleave their lines), and fsyncs it. `trustledger log
verify` then reports a checkpoint the witness holds that the database lost or holds otherwise,
and checks the witness's roots against the tree rebuilt from the leaves. A checkpoint signed
just before a crash may be missing from the witness: the witness lags, which proves nothing.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path

from trustledger.domain.intake import Rejected
from trustledger.store.tlog import StoredCheckpoint

log = logging.getLogger("trustledger.witness")


def append(path: Path, cp: StoredCheckpoint) -> None:
    """Append one checkpoint to the witness file (created if absent) and fsync it."""
    line = json.dumps(cp.as_json(), ensure_ascii=False, sort_keys=True) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def record(path: Path | None, cp: StoredCheckpoint | None) -> None:
    """What the sequencer calls after committing: append `cp` if a witness is set. A witness
    that cannot be written is logged, not raised: requests go on, and `log verify` shows the
    witness lagging behind."""
    if path is None or cp is None:
        return
    try:
        append(path, cp)
    except OSError as exc:
        log.error("checkpoint %d not written to the witness %s: %s", cp.tree_size, path, exc)


def read(path: Path) -> list[StoredCheckpoint]:
    """The checkpoints the witness holds, in file order; a missing file holds none. A line
    that is not a checkpoint is refused, naming the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise Rejected("witness", f"{path}: cannot be read ({exc})") from None
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            found.append(
                StoredCheckpoint(
                    int(data["tree_size"]),
                    str(data["root_hash"]),
                    datetime.fromisoformat(data["timestamp"]),
                    str(data["note"]),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise Rejected("witness", f"{path}, line {number}: not a checkpoint ({exc})") from None
    return found
