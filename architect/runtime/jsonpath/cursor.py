"""A read position over path or filter text, with the look-ahead helpers Jayway's parsers use (CharacterIndex)."""

from __future__ import annotations

# Mirrors com.jayway.jsonpath.internal.CharacterIndex:
# https://github.com/json-path/JsonPath/blob/master/json-path/src/main/java/com/jayway/jsonpath/internal/CharacterIndex.java
# Jayway's parsers rely on its exact look-ahead rules (only ' ' counts as a blank), so they are kept as they are.

SPACE = " "


class Overrun(Exception):
    """Read past the end of the text (Java's StringIndexOutOfBoundsException): the caller refuses the path."""


class Cursor:
    """Text plus a position; every method keeps Jayway's semantics, including its quirks."""

    __slots__ = ("text", "position")

    def __init__(self, text: str):
        self.text = text
        self.position = 0

    def __len__(self) -> int:
        return len(self.text)

    def char_at(self, index: int) -> str:
        if not 0 <= index < len(self.text):
            raise Overrun(f"unexpected end of text at position {index}")
        return self.text[index]

    def current(self) -> str:
        return self.char_at(self.position)

    def current_is(self, char: str) -> bool:
        return self.current() == char

    def next_char_is(self, char: str) -> bool:
        return self.in_bounds(self.position + 1) and self.text[self.position + 1] == char

    def advance(self, count: int = 1) -> None:
        self.position += count

    def in_bounds(self, index: int | None = None) -> bool:
        index = self.position if index is None else index
        return 0 <= index < len(self.text)

    def current_is_tail(self) -> bool:
        return not self.in_bounds(self.position + 1)

    def has_more(self) -> bool:
        return self.in_bounds(self.position + 1)

    def last_char_is(self, char: str) -> bool:
        return bool(self.text) and self.text[-1] == char

    def skip_blanks(self) -> "Cursor":
        while self.in_bounds() and self.text[self.position] == SPACE:
            self.position += 1
        return self

    def index_of_next_significant(self, char: str, start: int | None = None) -> int:
        index = (self.position if start is None else start) + 1
        while self.in_bounds(index) and self.text[index] == SPACE:
            index += 1
        return index if self.char_at(index) == char else -1

    def next_significant_char(self, start: int | None = None) -> str:
        index = (self.position if start is None else start) + 1
        while self.in_bounds(index) and self.text[index] == SPACE:
            index += 1
        return self.text[index] if self.in_bounds(index) else SPACE

    def next_significant_is(self, char: str, start: int | None = None) -> bool:
        index = (self.position if start is None else start) + 1
        while self.in_bounds(index) and self.text[index] == SPACE:
            index += 1
        return self.in_bounds(index) and self.text[index] == char

    def next_index_of(self, char: str, start: int) -> int:
        index = self.text.find(char, start)
        return index

    def next_index_of_unescaped(self, char: str, start: int | None = None) -> int:
        """Index of the next `char` not escaped by a backslash, from `start` (default: after the cursor)."""
        index = (self.position + 1) if start is None else start
        in_escape = False
        while self.in_bounds(index):
            current = self.text[index]
            if in_escape:
                in_escape = False
            elif current == "\\":
                in_escape = True
            elif current == char:
                return index
            index += 1
        return -1

    def index_of_matching_close(self, start: int, open_char: str, close_char: str, skip_strings: bool,
                                skip_regex: bool) -> int:
        """Index of the close_char matching the open_char at start, skipping quoted strings (and /regex/)."""
        if self.char_at(start) != open_char:
            raise Overrun(f"expected {open_char!r} at position {start}")
        opened = 1
        index = start + 1
        text = self.text
        while self.in_bounds(index):
            char = text[index]
            if skip_strings and char in "'\"":
                end = self.next_index_of_unescaped(char, index + 1)
                if end == -1:
                    return -1
                index = end + 1
                continue
            if skip_regex and char == "/":
                end = self.next_index_of_unescaped("/", index + 1)
                if end == -1:
                    return -1
                index = end + 1
                continue
            if char == open_char:
                opened += 1
            elif char == close_char:
                opened -= 1
                if opened == 0:
                    return index
            index += 1
        return -1

    def index_of_previous_significant(self, start: int | None = None) -> int:
        index = (self.position if start is None else start) - 1
        while self.in_bounds(index) and self.text[index] == SPACE:
            index -= 1
        return index if self.in_bounds(index) else -1

    def previous_significant_char(self, start: int | None = None) -> str:
        index = self.index_of_previous_significant(start)
        return SPACE if index == -1 else self.text[index]

    def has_significant(self, sequence: str) -> bool:
        """Skip blanks; when the text continues with `sequence`, step over it and say so."""
        self.skip_blanks()
        if not self.in_bounds(self.position + len(sequence) - 1):
            return False
        if self.text.startswith(sequence, self.position):
            self.position += len(sequence)
            return True
        return False

    def read_significant(self, char: str, error) -> None:
        """Skip blanks and step over `char`; raise error(message) when something else comes."""
        self.skip_blanks()
        if not self.in_bounds() or self.text[self.position] != char:
            raise error(f"expected {char!r} at position {self.position}")
        self.position += 1
