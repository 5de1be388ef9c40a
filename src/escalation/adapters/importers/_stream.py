"""Streaming JSON records out of helpdesk exports without loading the whole file.

A file may hold one API page (`{"tickets": [...], "next_page": ...}`), several pages one after
another (concatenated or one per line, as `curl` loops and incremental exports write them), a
bare JSON array of records, or newline-delimited records. Records are decoded one at a time
with `json.JSONDecoder.raw_decode` over a sliding buffer, so memory holds one record plus one
read chunk (64 KiB), whatever the file's size; metadata values of a page object (`next_page`,
`count`, sideloads) are decoded whole, so a page must keep its sideloads small.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

CHUNK = 64 * 1024
_WS = " \t\r\n\ufeff"


class StreamError(ValueError):
    """The file is not JSON of the expected shape; nothing after this point can be read."""


class _Reader:
    def __init__(self, stream: IO[str]):
        self._stream = stream
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(CHUNK)
        if not chunk:
            self._eof = True
            return False
        self._buf = self._buf[self._pos:] + chunk
        self._pos = 0
        return True

    def peek(self) -> str:
        """The next non-blank character ('' at the end of the file)."""
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in _WS:
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def take(self, expected: str) -> None:
        found = self.peek()
        if found != expected:
            raise StreamError(f"expected {expected!r}, found {found or 'end of file'!r}")
        self._pos += 1

    def value(self) -> Any:
        """Decode the next JSON value, reading more of the file while it is incomplete."""
        self.peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                # An incomplete value fails at (or near) the end of the buffer: read on.
                if self._fill():
                    continue
                raise StreamError(f"not valid JSON ({exc.msg})") from exc
            # A number at the buffer's edge may continue in the next chunk.
            if (end == len(self._buf) and not self._eof and isinstance(value, int | float)
                    and self._fill()):
                continue
            self._pos = end
            return value


def json_records(stream: IO[str], array_keys: tuple[str, ...],
                 single_keys: tuple[str, ...] = ()) -> Iterator[Any]:
    """Each record of the file, in order: items of the first `array_keys` array of each page
    object, items of a top-level array, the value under a `single_keys` key (`{"ticket":
    {...}}`), or a bare top-level record object."""
    reader = _Reader(stream)
    while True:
        start = reader.peek()
        if start == "":
            return
        if start == "[":
            yield from _array(reader)
        elif start == "{":
            yield from _object(reader, array_keys, single_keys)
        else:
            raise StreamError(f"expected a JSON object or array, found {start!r}")
        if reader.peek() == ",":  # tolerate a list of pages written loosely
            reader.take(",")


def _array(reader: _Reader) -> Iterator[Any]:
    reader.take("[")
    if reader.peek() == "]":
        reader.take("]")
        return
    while True:
        yield reader.value()
        nxt = reader.peek()
        if nxt == ",":
            reader.take(",")
            continue
        reader.take("]")
        return


def _object(reader: _Reader, array_keys: tuple[str, ...],
            single_keys: tuple[str, ...]) -> Iterator[Any]:
    """A page object: stream its records array; a bare record (no records key) is one record."""
    reader.take("{")
    found = False
    others: dict[str, Any] = {}
    if reader.peek() == "}":
        reader.take("}")
        return
    while True:
        key = reader.value()
        if not isinstance(key, str):
            raise StreamError("expected an object key")
        reader.take(":")
        if key in array_keys and not found and reader.peek() == "[":
            found = True
            yield from _array(reader)
        elif key in single_keys and not found and reader.peek() == "{":
            found = True
            yield reader.value()
        else:
            value = reader.value()
            if not found:
                others[key] = value
        if reader.peek() == ",":
            reader.take(",")
            continue
        reader.take("}")
        break
    if not found and others and not any(key in others for key in array_keys):
        yield others  # a bare record, e.g. one ticket object per line
