"""DBpedia ontology classification (Zhang et al. 2015), character (byte) level.

Raw files: ``dbpedia_csv/train.csv`` (560,000 rows) and ``test.csv`` (70,000 rows), from the
published ``dbpedia_csv.tgz`` or from a mirror holding the CSV files directly; each is verified by
its SHA-256 while it is parsed (one streaming pass, nothing unpacked that is not needed).

Rows: ``label,"title","content"`` (RFC 4180 quoting, quotes doubled, UTF-8), label 1..14, the
content starting with a space. Parsed with the :mod:`csv` module.

Text (our choice, documented): ``title + " " + content.strip()``, i.e. title and abstract joined
by exactly one space (the content's leading space is not doubled) with no leading or trailing
whitespace, so that the last step is the last real character. No other normalisation (no
lower-casing, no escape rewriting). A NUL character (never seen in the real files) would be
replaced by a space so that byte 0 stays reserved for padding; the count is recorded.

Encoding: the UTF-8 bytes of that text, one step per byte (vocabulary 256, pad 0). Documents
longer than ``max_len`` bytes are truncated keeping the *beginning* (the title and the first
sentences carry the class evidence; a multi-byte character may be cut at the end); the number of
truncated documents per split is recorded in the manifest. Shorter documents are *left*-padded
with byte 0, so the last real character is always the last step. ``max_len=None`` pads to the
longest document of both splits instead (no truncation, as docs/paper.md §2.2 reads the paper).
Prepared: ``x`` uint8 ``[N, max_len, 1]``, labels 0..13 (= CSV label - 1).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .download import open_member
from .progress import Progress, log
from .sources import DBPEDIA_CLASSES, DBPEDIA_MEMBERS, DBPEDIA_ROWS, Member

PAD = 0
N_CLASSES = len(DBPEDIA_CLASSES)


def row_text(title: str, content: str) -> str:
    """The document text of one CSV row (see the module docstring)."""
    return f"{title.strip()} {content.strip()}"


def parse_csv(reader: io.TextIOBase, name: str, n_classes: int = N_CLASSES,
              bar: Progress | None = None) -> tuple[list[bytes], np.ndarray, int]:
    """Parse rows into (UTF-8 documents, labels 0-based, number of NULs replaced)."""
    docs: list[bytes] = []
    labels: list[int] = []
    nul = 0
    for lineno, row in enumerate(csv.reader(reader, strict=True), start=1):
        if not row:
            continue
        if len(row) != 3:
            raise DataError(f"{name} row {lineno}: {len(row)} fields, expected 3 "
                            "(label,\"title\",\"content\").")
        try:
            label = int(row[0])
        except ValueError:
            raise DataError(f"{name} row {lineno}: label {row[0]!r} is not an integer.") from None
        if not 1 <= label <= n_classes:
            raise DataError(f"{name} row {lineno}: label {label} outside 1..{n_classes}.")
        text = row_text(row[1], row[2])
        if "\x00" in text:
            nul += text.count("\x00")
            text = text.replace("\x00", " ")
        docs.append(text.encode("utf-8"))
        labels.append(label - 1)
        if bar is not None and lineno % 10_000 == 0:
            bar.update(10_000)
    return docs, np.asarray(labels, dtype=np.int64), nul


def encode(docs: list[bytes], max_len: int) -> tuple[np.ndarray, int]:
    """Left-pad with byte 0 (truncate longer docs, keeping the beginning) into ``[N, max_len, 1]``."""
    x = np.zeros((len(docs), max_len, 1), dtype=np.uint8)
    truncated = 0
    for i, doc in enumerate(docs):
        if len(doc) > max_len:
            doc = doc[:max_len]
            truncated += 1
        if doc:
            x[i, max_len - len(doc):, 0] = np.frombuffer(doc, dtype=np.uint8)
    return x, truncated


def read_split(member: Member, raw_dir: Path, mirror: Any = None, progress: Any = None,
               siblings=(), expected_rows: int | None = None, **fetch_kw
               ) -> tuple[list[bytes], np.ndarray, int]:
    with open_member(member, raw_dir, mirror, progress, siblings, **fetch_kw) as raw, \
            Progress(expected_rows, f"parse {member.name}", progress, unit="rows") as bar:
        text = io.TextIOWrapper(io.BufferedReader(raw, 1 << 20), encoding="utf-8",
                                errors="strict", newline="")
        try:
            docs, labels, nul = parse_csv(text, member.name, bar=bar)
        except UnicodeDecodeError as exc:
            raise DataError(f"{member.name}: not valid UTF-8 ({exc}).") from exc
        except csv.Error as exc:
            raise DataError(f"{member.name}: malformed CSV ({exc}).") from exc
        raw.finish()  # raises DataError unless the bytes have the registered SHA-256
    return docs, labels, nul


def build(spec: dict, raw_dir: Path, mirror: Any = None, progress: Any = None,
          sources: dict[str, Member] | None = None, **fetch_kw
          ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    members = DBPEDIA_MEMBERS if sources is None else sources
    parsed = {}
    for split in ("train", "test"):
        expected = DBPEDIA_ROWS[split] if members[split] == DBPEDIA_MEMBERS[split] else None
        parsed[split] = read_split(members[split], raw_dir, mirror, progress,
                                   siblings=members.values(), expected_rows=expected, **fetch_kw)
        if expected is not None and len(parsed[split][0]) != expected:
            raise DataError(f"{members[split].name}: {len(parsed[split][0])} rows, expected "
                            f"{expected}.")
    max_len = spec["max_len"]
    if max_len is None:
        max_len = max(max((len(d) for d in parsed[s][0]), default=1) for s in parsed)
    arrays: dict[str, Any] = {}
    stats: dict[str, Any] = {}
    for split in ("train", "test"):
        docs, labels, nul = parsed[split]
        x, truncated = encode(docs, max_len)
        lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        arrays[f"{split}_x"], arrays[f"{split}_y"] = x, labels
        stats[split] = {
            "documents": len(docs), "truncated": truncated, "nul_replaced": nul,
            "length_bytes": {
                "min": int(lengths.min(initial=0)), "max": int(lengths.max(initial=0)),
                "mean": float(lengths.mean()) if len(lengths) else 0.0,
                "median": float(np.median(lengths)) if len(lengths) else 0.0,
            },
        }
        log(f"DBpedia {split}: {len(docs)} documents, {truncated} truncated to {max_len} bytes",
            progress)
    info = {
        "n_classes": N_CLASSES, "pad_token": PAD, "class_names": list(DBPEDIA_CLASSES),
        "sources": [members[s].record() for s in ("train", "test")],
        "text": {"recipe": 'title + " " + content.strip(), UTF-8 bytes, left-padded with 0, '
                           "truncated keeping the beginning",
                 "max_len": max_len, "truncated": {s: stats[s]["truncated"] for s in stats},
                 "stats": stats},
        "truncated": {s: stats[s]["truncated"] for s in stats},
    }
    return arrays, info
