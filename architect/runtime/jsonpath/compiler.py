"""Path text to steps, following Jayway's PathCompiler, including what it accepts and what it refuses."""

from __future__ import annotations

import re

from architect.runtime.jsonpath.cursor import Cursor
from architect.runtime.jsonpath.cursor import Overrun
from architect.runtime.jsonpath.errors import InvalidPathError
from architect.runtime.jsonpath.errors import JsonPathError
from architect.runtime.jsonpath.filters import compile_filter
from architect.runtime.jsonpath.filters import parse_permissive_json
from architect.runtime.jsonpath.filters import register_path_compiler
from architect.runtime.jsonpath.functions import path_function
from architect.runtime.jsonpath.javatext import JavaNumberFormat
from architect.runtime.jsonpath.javatext import parse_int
from architect.runtime.jsonpath.javatext import unescape
from architect.runtime.jsonpath.tokens import CompiledPath
from architect.runtime.jsonpath.tokens import FunctionToken
from architect.runtime.jsonpath.tokens import IndexToken
from architect.runtime.jsonpath.tokens import JsonParameter
from architect.runtime.jsonpath.tokens import PredicateToken
from architect.runtime.jsonpath.tokens import PropertyToken
from architect.runtime.jsonpath.tokens import RootToken
from architect.runtime.jsonpath.tokens import ScanToken
from architect.runtime.jsonpath.tokens import SliceToken
from architect.runtime.jsonpath.tokens import Token
from architect.runtime.jsonpath.tokens import WildcardToken

# Source: json-path/JsonPath json-path/src/main/java/com/jayway/jsonpath/internal/path/PathCompiler.java, with
# ArrayIndexOperation.java and ArraySliceOperation.java, and CompiledPath.java (invertScannerFunctionRelationship).
# https://github.com/json-path/JsonPath/blob/master/json-path/src/main/java/com/jayway/jsonpath/internal/path/PathCompiler.java
# - A path not starting with `$` or `@` gets `$.` in front: `key` is `$.key`, `.key` is `$..key`,
#   `['participants'][0]` is `$.['participants'][0]`; a leading blank is refused (" $.a" reads as "$. $.a").
# - A path ending with `.` is refused; after the root only `.` or `[` may follow.
# - A dot name runs to the next `.`, `[` or `(`: any other character, `屬性`, `'key'` with its quotes, is part of it;
#   a space is refused ("use bracket notation").
# - `[...]` is tried as quoted names, then indexes/slices, then `*`, then a filter `?(...)`; anything else is refused.

_WHITESPACE = " \t\n\r"
_INDEX_COMMA = re.compile(r"\s*,\s*")


def compile_text(text: str) -> CompiledPath:
    """PathCompiler.compile: raises InvalidPathError with Jayway's reason when it refuses the path."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidPathError("path can not be null or empty")
    # The first character is checked before trimming: " $.a" becomes "$. $.a", which is refused.
    source = text if text[0] in "$@" else "$." + text
    source = source.rstrip(" ")
    if source.endswith("."):
        raise InvalidPathError("Path must not end with a '.' or '..'")
    try:
        root = _PathParser(source).read_context()
    except InvalidPathError:
        raise
    except (Overrun, JavaNumberFormat) as exc:
        raise InvalidPathError(str(exc)) from None
    return CompiledPath(text, _invert_scan_function(text, root))


def _invert_scan_function(text: str, root: RootToken) -> RootToken:
    """`$..x.fn()` is evaluated as `$.fn($..x)`: the function gets all the scan's results at once."""
    if not isinstance(root.next, ScanToken):
        return root
    token: Token = root
    prior = None
    while token.next is not None:
        prior, token = token, token.next
    if not isinstance(token, FunctionToken) or prior is None:
        return root
    if isinstance(prior, ScanToken):
        raise InvalidPathError(f"a function cannot follow '..' directly in {text}")
    prior.next = None
    if token.function is path_function("length"):
        prior.next = WildcardToken()  # Length.invoke appends [*] to its argument and counts what it finds
    token.parameters = [CompiledPath(text, root)]
    new_root = RootToken("$")
    new_root.next = token
    return new_root


class _PathParser:
    def __init__(self, text: str):
        self.path = Cursor(text)
        self.tail: Token | None = None

    def append(self, token: Token) -> None:
        self.tail.next = token
        self.tail = token

    def fail(self, message: str):
        raise InvalidPathError(message)

    def read_context(self) -> RootToken:
        path = self.path
        while path.in_bounds() and path.current() in _WHITESPACE:
            path.advance()
        if path.current() not in "$@":
            self.fail("Path must start with '$' or '@'")
        root = RootToken(path.current())
        self.tail = root
        if path.current_is_tail():
            return root
        path.advance()
        if path.current() not in ".[":
            self.fail(f"Illegal character at position {path.position} expected '.' or '['")
        self.read_next()
        return root

    def read_next(self) -> bool:
        path = self.path
        char = path.current()
        if char == "[":
            if not (self.read_bracket_property() or self.read_array() or self.read_wildcard() or self.read_filter()
                    or self.read_placeholder()):
                self.fail(f"Could not parse token starting at position {path.position}. Expected ?, ', 0-9, * ")
        elif char == ".":
            self.read_dot()
        elif char == "*":
            if not self.read_wildcard():
                self.fail(f"Could not parse token starting at position {path.position}")
        elif not self.read_property_or_function():
            self.fail(f"Could not parse token starting at position {path.position}")
        return True

    def continue_or_end(self) -> bool:
        return self.path.current_is_tail() or self.read_next()

    def read_dot(self) -> bool:
        path = self.path
        if path.current_is(".") and path.next_char_is("."):
            self.append(ScanToken())
            path.advance(2)
        elif not path.has_more():
            self.fail("Path must not end with a '.")
        else:
            path.advance()
        if path.current_is("."):
            self.fail(f"Character '.' on position {path.position} is not valid.")
        return self.read_next()

    def read_property_or_function(self) -> bool:
        path = self.path
        if path.current() in "[*. ":
            return False
        start = path.position
        read = start
        end = 0
        is_function = False
        while path.in_bounds(read):
            char = path.text[read]
            if char == " ":
                self.fail(f"Use bracket notion ['my prop'] if your property contains blank characters. "
                          f"position: {path.position}")
            if char in ".[":
                end = read
                break
            if char == "(":
                is_function = True
                end = read
                break
            read += 1
        if end == 0:
            end = len(path)
        name = path.text[start:end]
        if is_function:
            depth = 1
            index = read + 1
            while index < len(path):
                if path.text[index] == ")":
                    depth -= 1
                elif path.text[index] == "(":
                    depth += 1
                if depth == 0:
                    break
                index += 1
            if depth != 0:
                self.fail(f"Arguments to function: '{name}' are not closed properly.")
            function = path_function(name)
            if path.char_at(read + 1) != ")":
                path.position = end + 1
                parameters = self.read_function_parameters(name)
                if name in ("length", "size") and parameters and isinstance(parameters[0], CompiledPath):
                    parameters[0] = _with_wildcard(parameters[0])  # Length counts the children of what it finds
                self.append(FunctionToken(function, parameters))
            else:
                path.position = read + 1
                self.append(FunctionToken(function))
        else:
            path.position = end
            self.append(PropertyToken([name]))
        return self.continue_or_end()

    def read_function_parameters(self, name: str) -> list:
        """PathCompiler.parseFunctionParameters: comma-separated JSON literals (starting with {, a digit, " or -)
        and paths (starting with $ or @); anything else is skipped. Leaves the cursor after the closing `)`."""
        path = self.path
        kind = None
        paren, bracket, brace, quote = 1, 0, 0, 0
        end_of_stream = False
        prior = ""
        parameters: list = []
        text: list[str] = []
        while path.in_bounds() and not end_of_stream:
            char = path.current()
            path.advance()
            if kind is None:
                if char in _WHITESPACE:
                    continue
                if char == "{" or char.isdigit() or char in '"-':
                    kind = "json"
                elif char in "$@":
                    kind = "path"
            if char == '"':
                if prior != "\\" and quote > 0:
                    quote -= 1
                else:
                    quote += 1
            elif char == "(":
                paren += 1
            elif char == "{":
                brace += 1
            elif char == "[":
                bracket += 1
            elif char == "}":
                if brace == 0:
                    self.fail(f"Unexpected close brace '}}' at character position: {path.position}")
                brace -= 1
            elif char == "]":
                if bracket == 0:
                    self.fail(f"Unexpected close bracket ']' at character position: {path.position}")
                bracket -= 1
            elif char == "\\" and path.in_bounds() and quote == 1 and path.current() in ',"':
                text.append(path.current())
                path.advance()
                prior = ""
                continue
            if char in "),":
                if char == ")":
                    paren -= 1
                    if paren < 0 or prior == "(":
                        text.append(char)
                if quote == 0 and brace == 0 and bracket == 0 and ((paren == 0 and char == ")") or paren == 1):
                    end_of_stream = paren == 0
                    if kind is not None:
                        parameters.append(_parameter(kind, "".join(text)))
                        text.clear()
                        kind = None
            if kind is not None and not (char == "," and brace == 0 and bracket == 0 and paren == 1):
                text.append(char)
            prior = char
        if brace or paren or bracket:
            self.fail(f"Arguments to function: '{name}' are not closed properly.")
        return parameters

    def read_placeholder(self) -> bool:
        path = self.path
        if not path.current_is("["):
            return False
        question = path.index_of_next_significant("?")
        if question == -1:
            return False
        if path.next_significant_char(question) not in "],":
            return False
        if path.next_index_of("]", path.position + 1) == -1:
            return False
        self.fail("Not enough predicates supplied for filter [?]: placeholders need Java Filter objects")

    def read_filter(self) -> bool:
        path = self.path
        if not path.current_is("[") and not path.next_significant_is("?"):
            return False
        open_statement = path.position
        question = path.index_of_next_significant("?")
        if question == -1:
            return False
        open_paren = path.index_of_next_significant("(", question)
        if open_paren == -1:
            return False
        close_paren = path.index_of_matching_close(open_paren, "(", ")", True, True)
        if close_paren == -1:
            return False
        if not path.next_significant_is("]", close_paren):
            return False
        close_statement = path.index_of_next_significant("]", close_paren)
        criteria = path.text[open_statement:close_statement + 1]
        self.append(PredicateToken(compile_filter(criteria, compile_text)))
        path.position = close_statement + 1
        return self.continue_or_end()

    def read_wildcard(self) -> bool:
        path = self.path
        in_bracket = path.current_is("[")
        if in_bracket and not path.next_significant_is("*"):
            return False
        if not path.current_is("*") and not path.in_bounds(path.position + 1):
            return False
        if in_bracket:
            star = path.index_of_next_significant("*")
            if not path.next_significant_is("]", star):
                self.fail(f"Expected wildcard token to end with ']' on position {star + 1}")
            path.position = path.index_of_next_significant("]", star) + 1
        else:
            path.advance()
        self.append(WildcardToken())
        return self.continue_or_end()

    def read_array(self) -> bool:
        path = self.path
        if not path.current_is("["):
            return False
        following = path.next_significant_char()
        if not (following.isdigit() or following in "-:"):
            return False
        begin = path.position + 1
        end = path.next_index_of("]", begin)
        if end == -1:
            return False
        expression = path.text[begin:end].strip()
        if expression == "*":
            return False
        if any(not (c.isdigit() or c in ",-: ") for c in expression):
            return False
        if ":" in expression:
            self.append(_slice(expression))
        else:
            self.append(_indexes(expression))
        path.position = end + 1
        return self.continue_or_end()

    def read_bracket_property(self) -> bool:
        path = self.path
        if not path.current_is("["):
            return False
        quote = path.next_significant_char()
        if quote not in "'\"":
            return False
        names = []
        start = path.position + 1
        read = start
        end = 0
        in_name = in_escape = last_was_comma = False
        while path.in_bounds(read):
            char = path.text[read]
            if in_escape:
                in_escape = False
            elif char == "\\":
                in_escape = True
            elif char == "]" and not in_name:
                if last_was_comma:
                    self.fail(f"Found empty property at index {read}")
                break
            elif char == quote:
                if in_name:
                    if path.next_significant_char(read) not in "],":
                        self.fail(f"Property must be separated by comma or Property must be terminated close "
                                  f"square bracket at index {read}")
                    end = read
                    names.append(unescape(path.text[start:end]))
                    in_name = False
                else:
                    start = read + 1
                    in_name = True
                    last_was_comma = False
            elif char == "," and not in_name:
                if last_was_comma:
                    self.fail(f"Found empty property at index {read}")
                last_was_comma = True
            read += 1
        if in_name:
            self.fail(f"Property has not been closed - missing closing {quote}")
        close = path.index_of_next_significant("]", end)
        if close == -1:
            self.fail("Property has not been closed - missing closing ]")
        if not names:
            self.fail("Empty properties")
        path.position = close + 1
        self.append(PropertyToken(names))
        return self.continue_or_end()


def _parameter(kind: str, text: str):
    """A function parameter: a compiled path (evaluated from the root when the function runs) or a JSON value."""
    if kind == "path":
        source = text.strip()
        return CompiledPath(source, _PathParser(source).read_context())
    try:
        return JsonParameter(parse_permissive_json(text.strip()))
    except JsonPathError as exc:
        raise InvalidPathError(f"function parameter {text.strip()!r} is not JSON: {exc}") from None


def _with_wildcard(path: CompiledPath) -> CompiledPath:
    """The same path with `[*]` appended (Length.invoke does this to its path parameter)."""
    token: Token = path.root
    while token.next is not None:
        token = token.next
    if isinstance(token, FunctionToken):
        return path
    token.next = WildcardToken()
    return CompiledPath(path.text, path.root)


def _slice(expression: str) -> SliceToken:
    """ArraySliceOperation.parse: `from:to`; a third part (step) is ignored; `:` alone or `::2` is refused."""
    if any(not (c.isdigit() or c in "-:") for c in expression):
        raise InvalidPathError(f"Failed to parse SliceOperation: {expression}")
    parts = expression.split(":")
    while parts and parts[-1] == "":  # Java's String.split drops trailing empty strings
        parts.pop()

    def read(index: int):
        if index >= len(parts) or parts[index] == "":
            return None
        return parse_int(parts[index])

    start, stop = read(0), read(1)
    if start is None and stop is None:
        raise InvalidPathError(f"Failed to parse SliceOperation: {expression}")
    return SliceToken(start, stop)


def _indexes(expression: str) -> IndexToken:
    """ArrayIndexOperation.parse: comma-separated 32-bit integers."""
    if any(not (c.isdigit() or c in ", -") for c in expression):
        raise InvalidPathError(f"Failed to parse ArrayIndexOperation: {expression}")
    try:
        return IndexToken([parse_int(part) for part in _INDEX_COMMA.split(expression)])
    except JavaNumberFormat as exc:
        raise InvalidPathError(f"Failed to parse token in ArrayIndexOperation: {exc}") from None


register_path_compiler(compile_text)
