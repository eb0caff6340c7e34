"""State texts stored once: a step's game state without its text, and each distinct text in the `texts` table.

A game state's text (the map and facts a model plans from) is most of a step row, and an agent passes the same
spot in the same situation again and again: a long run has few distinct texts. So the store keeps each text once,
by its sha256, and a step's `state` column holds `GameState.to_json()` with the text emptied (`"text":""`) and
the hash in `text_sha`. Reading puts the text back byte for byte, so readers see the JSON `to_json` wrote. Rows
written before schema 5 have no `text_sha` and keep their text in place.

The split works on the JSON text, without parsing it: in `to_json`'s output the first `,"text":"` is the key
(inside a JSON string every quote is escaped, so that sequence cannot occur in one), and the text's string ends
at the first `","position":` after it, for the same reason. The text is kept in its JSON-escaped form.
"""

from __future__ import annotations

import hashlib
import sqlite3

KEY = ',"text":"'
END = '","position":'


def split(state: str) -> tuple[str, str, str] | None:
    """(state with the text emptied, sha256 of the text, the escaped text), or None for a state without text or
    not in `to_json`'s layout (kept whole)."""
    start = state.find(KEY)
    if start < 0:
        return None
    begin = start + len(KEY)
    end = state.find(END, begin)
    if end <= begin:  # no text, or an empty one: nothing to gain
        return None
    text = state[begin:end]
    return state[:begin] + state[end:], hashlib.sha256(text.encode()).hexdigest(), text


def join(stripped: str, text: str) -> str:
    """The whole state again from `split`'s first and third parts."""
    begin = stripped.find(KEY) + len(KEY)
    return stripped[:begin] + text + stripped[begin:]


class Texts:
    """The `texts` table of one store, with the hashes already known (written or read) kept in memory."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._known: dict[str, str | None] = {}  # sha -> text (None: written by us, not read back yet)
        self._pending: list[str] = []  # written in the open transaction

    def put(self, sha: str, text: str) -> None:
        """Store `text` under `sha` unless it is there (call inside the step's transaction)."""
        if sha not in self._known:
            self._conn.execute("INSERT OR IGNORE INTO texts (sha256, text) VALUES (?, ?)", (sha, text))
            self._known[sha] = None
            self._pending.append(sha)

    def ended(self, committed: bool) -> None:
        """The transaction ended: a rolled-back text is not known after all."""
        if not committed:
            for sha in self._pending:
                self._known.pop(sha, None)
        self._pending.clear()

    def get(self, sha: str) -> str:
        text = self._known.get(sha)
        if text is None:
            row = self._conn.execute("SELECT text FROM texts WHERE sha256 = ?", (sha,)).fetchone()
            if row is None:
                raise sqlite3.DatabaseError(f"state text {sha[:12]}… is missing from the texts table")
            text = self._known[sha] = str(row[0])
        return text
