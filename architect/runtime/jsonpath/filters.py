"""Jayway's inline filters `[?(...)]`: the filter grammar, its value nodes and its comparison rules."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal

from architect.runtime.jsonpath.cursor import Cursor
from architect.runtime.jsonpath.cursor import Overrun
from architect.runtime.jsonpath.errors import InvalidPathError
from architect.runtime.jsonpath.errors import JsonPathError
from architect.runtime.jsonpath.errors import PathNotFound
from architect.runtime.jsonpath.javatext import JavaNumberFormat
from architect.runtime.jsonpath.javatext import decimal_of
from architect.runtime.jsonpath.javatext import parse_decimal
from architect.runtime.jsonpath.javatext import unescape

# Sources (json-path/JsonPath, json-path/src/main/java/com/jayway/jsonpath/internal/filter/):
# FilterCompiler.java (grammar: LogicalOR = LogicalAND {'||' LogicalAND}; LogicalAND = Operand {'&&' Operand};
# Operand = '!' Operand | '(' LogicalOR ')' | RelationalExpression; a lone path is an existence test),
# ValueNode.java / ValueNodes.java (literals and what a path gives: number, string, boolean, null, JSON, undefined),
# EvaluatorFactory.java (==, ===, !=, !==, <, <=, >, >=, =~, in, nin, contains, all, size, empty, subsetof, anyof,
# noneof), RelationalOperator.java (operator names, case-insensitive), LogicalExpressionNode.java,
# PatternFlag.java (regex flags). Paths inside a filter are compiled by the same path compiler.

_OPERATOR_CHARS = "<>=~!"
_PATTERN_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE, "d": 0, "u": 0,
                  "U": 0}


# --------------------------------------------------------------------------------------------------------------
# Value nodes
# --------------------------------------------------------------------------------------------------------------


class Node:
    """A value in a filter comparison."""

    __slots__ = ()

    def equals(self, other: "Node") -> bool:
        return self is other


class StringNode(Node):
    __slots__ = ("value",)

    def __init__(self, value: str):
        self.value = value

    def as_number(self):
        try:
            return parse_decimal(self.value)
        except JavaNumberFormat:
            return None

    def equals(self, other):
        if isinstance(other, StringNode):
            return self.value == other.value
        if isinstance(other, NumberNode):
            return self.value == other.text()
        return False

    def __repr__(self):
        return repr(self.value)


class NumberNode(Node):
    __slots__ = ("value",)

    def __init__(self, value: Decimal):
        self.value = value

    def text(self) -> str:
        return str(self.value)  # BigDecimal.toString and Decimal.__str__ follow the same notation rules

    def equals(self, other):
        if isinstance(other, NumberNode):
            return self.value == other.value
        if isinstance(other, StringNode):
            number = other.as_number()
            return number is not None and self.value == number
        return False

    def __repr__(self):
        return self.text()


class BooleanNode(Node):
    __slots__ = ("value",)

    def __init__(self, value: bool):
        self.value = value

    def equals(self, other):
        return isinstance(other, BooleanNode) and other.value == self.value

    def __repr__(self):
        return "true" if self.value else "false"


class NullNode(Node):
    __slots__ = ()

    def equals(self, other):
        return isinstance(other, NullNode)

    def __repr__(self):
        return "null"


class UndefinedNode(Node):
    """What a path that finds nothing gives; equal to nothing, not even itself."""

    __slots__ = ()

    def equals(self, other):
        return False


class JsonNode(Node):
    """An array or object: parsed (from the document) or still text (a literal, parsed when first compared)."""

    __slots__ = ("json", "parsed")

    def __init__(self, json_value, parsed: bool):
        self.json = json_value
        self.parsed = parsed

    def parse(self):
        return self.json if self.parsed else parse_permissive_json(self.json)

    def is_array(self) -> bool:
        return isinstance(self.parse(), list)

    def value_list(self):
        """asValueListNode: a ValueListNode for an array, UNDEFINED otherwise."""
        value = self.parse()
        return ValueListNode(value) if isinstance(value, list) else UNDEFINED

    def json_equals(self, other: "JsonNode") -> bool:
        # JsonNode.equals(JsonNode, ctx): this.json (still text when a literal) against the other parsed.
        if self is other:
            return True
        return java_equals(self.json, other.parse())

    def equals(self, other):
        return isinstance(other, JsonNode) and java_equals(self.json, other.json)

    def __repr__(self):
        return self.json if not self.parsed else json.dumps(self.json)


class PatternNode(Node):
    __slots__ = ("pattern", "source")

    def __init__(self, source: str):
        begin = source.index("/")
        end = source.rindex("/")
        flags = 0
        for flag in source[end + 1:]:
            flags |= _PATTERN_FLAGS.get(flag, 0)
        self.source = source
        try:
            self.pattern = re.compile(source[begin + 1:end], flags)
        except re.error as exc:
            raise _Malformed(f"invalid regular expression {source}: {exc}") from None

    def __repr__(self):
        return self.source


class ValueListNode(Node):
    __slots__ = ("nodes",)

    def __init__(self, values: list):
        self.nodes = [to_value_node(value) for value in values]

    def contains(self, node: Node) -> bool:
        return any(node.equals(element) for element in self.nodes)


class OpaqueNode(Node):
    """A list element Jayway turns into a path node (a string starting with $ or @): equal to nothing."""

    __slots__ = ()


UNDEFINED = UndefinedNode()
NULL = NullNode()
TRUE = BooleanNode(True)
FALSE = BooleanNode(False)


def java_equals(left, right) -> bool:
    """Java's equals on parsed JSON: 1 (Integer) is not 1.0 (Double), true is not 1."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int) and isinstance(right, int):
        return left == right
    if isinstance(left, float) and isinstance(right, float):
        return left == right
    if isinstance(left, (int, float)) or isinstance(right, (int, float)):
        return False
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(java_equals(a, b) for a, b in zip(left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(java_equals(left[k], right[k]) for k in left)
    return type(left) is type(right) and left == right


def node_of(value) -> Node:
    """PathNode.evaluate: what a path's value becomes in a comparison."""
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, (int, float)):
        return NumberNode(decimal_of(value))
    if isinstance(value, str):
        return StringNode(value)
    if value is None:
        return NULL
    return JsonNode(value, parsed=True)


def to_value_node(value) -> Node:
    """ValueNode.toValueNode, for the elements of an array compared with in/contains/subsetof..."""
    if value is None:
        return NULL
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("$", "@") and _compiles(stripped):
            return OpaqueNode()
        if len(stripped) > 1 and ((stripped[0], stripped[-1]) in (("[", "]"), ("{", "}"))):
            try:
                parse_permissive_json(stripped)
                return JsonNode(stripped, parsed=False)
            except JsonPathError:
                pass
        try:
            return StringNode(unescape(value))
        except JavaNumberFormat as exc:
            raise JsonPathError(str(exc)) from None
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, (int, float)):
        return NumberNode(decimal_of(value))
    raise JsonPathError("Could not determine value type")  # a nested array or object


_path_compiler: list = []  # the path compiler, registered by compiler.py (which imports this module)


def register_path_compiler(compile_path: Callable) -> None:
    """Let to_value_node ask whether a string is a path, without importing the compiler (no import cycle)."""
    _path_compiler[:] = [compile_path]


def _compiles(text: str) -> bool:
    try:
        _path_compiler[0](text)
        return True
    except JsonPathError:
        return False


_SINGLE_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def parse_permissive_json(text: str):
    """json-smart's permissive mode, for what filters hold: JSON, plus single-quoted strings."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return json.loads(_SINGLE_QUOTED.sub(lambda m: json.dumps(unescape(m.group(1))), text))
    except (ValueError, JavaNumberFormat):
        raise JsonPathError(f"filter literal {text} is not JSON") from None


class PathNode(Node):
    """A path inside a filter (`@.a`, `$.b`), compared by its value or tested for existence."""

    __slots__ = ("path", "exists_check", "should_exist")

    def __init__(self, path, exists_check: bool = False, should_exist: bool = True):
        self.path = path
        self.exists_check = exists_check
        self.should_exist = should_exist

    def evaluate(self, item, root, require_properties: bool = False) -> Node:
        """The value node; inside an existence test (REQUIRE_PROPERTIES on) nested paths keep that option."""
        if self.exists_check:
            # Evaluated on the element itself (even for `$...`) with REQUIRE_PROPERTIES on.
            try:
                self.path.find(item, root, require_properties=True)
                return TRUE
            except PathNotFound:
                return FALSE
        try:
            value = self.path.find(root if self.path.is_root_path else item, root, require_properties)
        except PathNotFound:
            return UNDEFINED
        return node_of(value)

    def __repr__(self):
        return ("!" if self.exists_check and not self.should_exist else "") + self.path.text


# --------------------------------------------------------------------------------------------------------------
# Evaluators
# --------------------------------------------------------------------------------------------------------------


def _equals(left: Node, right: Node) -> bool:
    if isinstance(left, JsonNode) and isinstance(right, JsonNode):
        return left.json_equals(right)
    return left.equals(right)


def _type_safe_equals(left, right) -> bool:
    return type(left) is type(right) and _equals(left, right)


def _ordering(test: Callable[[int], bool]) -> Callable[[Node, Node], bool]:
    def compare(left, right):
        if isinstance(left, NumberNode) and isinstance(right, NumberNode):
            a, b = left.value, right.value
        elif isinstance(left, StringNode) and isinstance(right, StringNode):
            a, b = left.value, right.value
        else:
            return False  # a string and a number do not compare (Jayway 2.9: `"two" > 0` is false)
        return test((a > b) - (a < b))
    return compare


def _value_list(node: Node):
    """right.asJsonNode().asValueListNode(ctx), or right.asValueListNode(): None when not a list."""
    if isinstance(node, JsonNode):
        converted = node.value_list()
        return None if converted is UNDEFINED else converted
    if isinstance(node, ValueListNode):
        return node
    raise InvalidPathError("Expected value list node")


def _in(left, right) -> bool:
    values = _value_list(right)
    return values is not None and values.contains(left)


def _contains(left, right) -> bool:
    if isinstance(left, StringNode) and isinstance(right, StringNode):
        return right.value in left.value
    if isinstance(left, JsonNode):
        values = left.value_list()
        return values is not UNDEFINED and values.contains(right)
    return False


def _all(left, right) -> bool:
    if not isinstance(right, ValueListNode):
        raise InvalidPathError("Expected value list node")  # AllEvaluator: right.asValueListNode()
    if isinstance(left, JsonNode):
        values = left.value_list()
        if isinstance(values, ValueListNode):
            return all(values.contains(required) for required in right.nodes)
        return True
    return False


def _size(left, right) -> bool:
    if not isinstance(right, NumberNode):
        return False
    expected = int(right.value)
    if isinstance(left, StringNode):
        return len(left.value) == expected
    if isinstance(left, JsonNode):
        value = left.parse()
        return (len(value) if isinstance(value, list) else -1) == expected
    return False


def _empty(left, right) -> bool:
    if not isinstance(right, BooleanNode):
        raise InvalidPathError("Expected boolean node")
    if isinstance(left, StringNode):
        return (left.value == "") == right.value
    if isinstance(left, JsonNode):
        value = left.parse()
        empty = len(value) == 0 if isinstance(value, (list, dict, str)) else True
        return empty == right.value
    return False


def _both_lists(left, right):
    right_list = _value_list(right)
    if right_list is None:
        return None
    left_list = _value_list(left)
    if left_list is None:
        return None
    return left_list, right_list


def _subset_of(left, right) -> bool:
    lists = _both_lists(left, right)
    return lists is not None and all(lists[1].contains(node) for node in lists[0].nodes)


def _any_of(left, right) -> bool:
    lists = _both_lists(left, right)
    return lists is not None and any(a.equals(b) for a in lists[0].nodes for b in lists[1].nodes)


def _none_of(left, right) -> bool:
    lists = _both_lists(left, right)
    return lists is not None and not any(a.equals(b) for a in lists[0].nodes for b in lists[1].nodes)


def _regex_input(node: Node) -> str:
    if isinstance(node, StringNode):
        return node.value
    if isinstance(node, NumberNode):
        return node.text()
    if isinstance(node, BooleanNode):
        return repr(node)
    return ""


def _regex(left, right) -> bool:
    if isinstance(left, PatternNode) == isinstance(right, PatternNode):
        return False
    pattern, other = (left, right) if isinstance(left, PatternNode) else (right, left)
    if isinstance(other, JsonNode) and other.is_array():
        values = other.value_list()
        return any(pattern.pattern.fullmatch(_regex_input(node)) for node in values.nodes)
    return pattern.pattern.fullmatch(_regex_input(other)) is not None


def _exists(left, right) -> bool:
    return left.value == right.value


EVALUATORS: dict[str, Callable[[Node, Node], bool]] = {
    "==": _equals,
    "!=": lambda left, right: not _equals(left, right),
    "===": _type_safe_equals,
    "!==": lambda left, right: not _type_safe_equals(left, right),
    "<": _ordering(lambda c: c < 0),
    "<=": _ordering(lambda c: c <= 0),
    ">": _ordering(lambda c: c > 0),
    ">=": _ordering(lambda c: c >= 0),
    "=~": _regex,
    "IN": _in,
    "NIN": lambda left, right: not _in(left, right),
    "CONTAINS": _contains,
    "ALL": _all,
    "SIZE": _size,
    "EMPTY": _empty,
    "SUBSETOF": _subset_of,
    "ANYOF": _any_of,
    "NONEOF": _none_of,
}


# --------------------------------------------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------------------------------------------


class Relational:
    __slots__ = ("left", "operator", "right", "evaluator")

    def __init__(self, left: Node, operator: str, right: Node, evaluator):
        self.left, self.operator, self.right, self.evaluator = left, operator, right, evaluator

    def apply(self, item, root, require_properties: bool = False) -> bool:
        left, right = self.left, self.right
        if isinstance(left, PathNode):
            left = left.evaluate(item, root, require_properties)
        if isinstance(right, PathNode):
            right = right.evaluate(item, root, require_properties)
        return self.evaluator(left, right)

    def __repr__(self):
        return repr(self.left) if self.operator == "EXISTS" else f"{self.left!r} {self.operator} {self.right!r}"


class Logical:
    __slots__ = ("operator", "operands")

    def __init__(self, operator: str, operands: list):
        self.operator, self.operands = operator, operands

    def apply(self, item, root, require_properties: bool = False) -> bool:
        if self.operator == "&&":
            return all(operand.apply(item, root, require_properties) for operand in self.operands)
        if self.operator == "||":
            return any(operand.apply(item, root, require_properties) for operand in self.operands)
        return not self.operands[0].apply(item, root, require_properties)

    def __repr__(self):
        if self.operator == "!":
            return f"!{self.operands[0]!r}"
        return "(" + f" {self.operator} ".join(repr(o) for o in self.operands) + ")"


# --------------------------------------------------------------------------------------------------------------
# Compiler
# --------------------------------------------------------------------------------------------------------------


class _Malformed(Exception):
    """A failure Jayway does not raise as InvalidPathException (NumberFormatException...): never backtracked."""


def compile_filter(criteria: str, compile_path: Callable) -> Relational | Logical:
    """FilterCompiler.compile for `[?(...)]`; paths inside are compiled with compile_path."""
    text = criteria.strip(" ")
    if not (text.startswith("[") and text.endswith("]")):
        raise InvalidPathError(f"Filter must start with '[' and end with ']'. {criteria}")
    text = text[1:-1].strip(" ")
    if not text.startswith("?"):
        raise InvalidPathError(f"Filter must start with '[?' and end with ']'. {criteria}")
    text = text[1:].strip(" ")
    if not (text.startswith("(") and text.endswith(")")):
        raise InvalidPathError(f"Filter must start with '[?(' and end with ')]'. {criteria}")
    parser = _FilterParser(text, compile_path)
    try:
        result = parser.logical_or()
        parser.cursor.skip_blanks()
        if parser.cursor.in_bounds():
            raise InvalidPathError(f"Expected end of filter expression instead of: "
                                   f"{text[parser.cursor.position:]}")
        return result
    except InvalidPathError:
        raise
    except (_Malformed, Overrun, JavaNumberFormat, JsonPathError) as exc:
        raise InvalidPathError(f"Failed to parse filter: {criteria} ({exc})") from None


class _FilterParser:
    def __init__(self, text: str, compile_path: Callable):
        self.cursor = Cursor(text)
        self.compile_path = compile_path

    def logical_or(self):
        operands = [self.logical_and()]
        while True:
            saved = self.cursor.position
            if self.cursor.has_significant("||"):
                operands.append(self.logical_and())
            else:
                self.cursor.position = saved
                break
        return operands[0] if len(operands) == 1 else Logical("||", operands)

    def logical_and(self):
        operands = [self.operand()]
        while True:
            saved = self.cursor.position
            if self.cursor.has_significant("&&"):
                operands.append(self.operand())
            else:
                self.cursor.position = saved
                break
        return operands[0] if len(operands) == 1 else Logical("&&", operands)

    def operand(self):
        cursor = self.cursor
        saved = cursor.skip_blanks().position
        if cursor.in_bounds() and cursor.current_is("!"):
            cursor.read_significant("!", InvalidPathError)
            cursor.skip_blanks()
            if cursor.in_bounds() and cursor.current() in "$@":
                cursor.position = saved  # `!@.a`: a negated existence test, read by the value reader
            else:
                return Logical("!", [self.operand()])
        if cursor.skip_blanks().in_bounds() and cursor.current_is("("):
            cursor.read_significant("(", InvalidPathError)
            expression = self.logical_or()
            cursor.read_significant(")", InvalidPathError)
            return expression
        return self.relational()

    def relational(self):
        left = self.value()
        saved = self.cursor.position
        try:
            operator = self.operator()
            right = self.value()
            return Relational(left, operator, right, EVALUATORS[operator])
        except InvalidPathError:
            self.cursor.position = saved
        if not isinstance(left, PathNode):
            raise InvalidPathError("Expected path node")
        exists = PathNode(left.path, exists_check=True, should_exist=left.should_exist)
        return Relational(exists, "EXISTS", TRUE if left.should_exist else FALSE, _exists)

    def operator(self) -> str:
        cursor = self.cursor
        begin = cursor.skip_blanks().position
        if cursor.current() in _OPERATOR_CHARS:
            while cursor.in_bounds() and cursor.current() in _OPERATOR_CHARS:
                cursor.advance()
        else:
            while cursor.in_bounds() and cursor.current() != " ":
                cursor.advance()
        text = cursor.text[begin:cursor.position]
        operator = text if text[:1] in _OPERATOR_CHARS else text.upper()
        if operator not in EVALUATORS:
            raise InvalidPathError(f"Filter operator {text} is not supported!")
        return operator

    def value(self) -> Node:
        cursor = self.cursor
        char = cursor.skip_blanks().current()
        if char in "$@":
            return self.path()
        if char == "!":
            cursor.advance()
            if cursor.skip_blanks().current() in "$@":
                return self.path()
            raise InvalidPathError("Unexpected character: !")
        return self.literal()

    def literal(self) -> Node:
        cursor = self.cursor
        char = cursor.skip_blanks().current()
        if char in "'\"":
            return self.string(char)
        if char in "tf":
            return self.boolean()
        if char == "n":
            return self.null()
        if char in "[{":
            return self.json_literal(char)
        if char == "/":
            return self.pattern()
        return self.number()

    def string(self, quote: str) -> StringNode:
        cursor = self.cursor
        begin = cursor.position
        end = cursor.next_index_of_unescaped(quote)
        if end == -1:
            raise InvalidPathError(f"String literal does not have matching quotes. Expected {quote}")
        cursor.position = end + 1
        return StringNode(unescape(cursor.text[begin + 1:end]))

    def boolean(self) -> BooleanNode:
        cursor = self.cursor
        begin = cursor.position
        end = begin + 3 if cursor.current() == "t" else begin + 4
        if not cursor.in_bounds(end):
            raise InvalidPathError("Expected boolean literal")
        text = cursor.text[begin:end + 1]
        if text not in ("true", "false"):
            raise InvalidPathError("Expected boolean literal")
        cursor.advance(len(text))
        return TRUE if text == "true" else FALSE

    def null(self) -> NullNode:
        cursor = self.cursor
        if cursor.in_bounds(cursor.position + 3) and cursor.text[cursor.position:cursor.position + 4] == "null":
            cursor.advance(4)
            return NULL
        raise InvalidPathError("Expected <null> value")

    def json_literal(self, open_char: str) -> JsonNode:
        cursor = self.cursor
        begin = cursor.position
        close = cursor.index_of_matching_close(begin, open_char, "]" if open_char == "[" else "}", True, False)
        if close == -1:
            raise InvalidPathError(f"String not closed. Expected ' in {cursor.text}")
        cursor.position = close + 1
        return JsonNode(cursor.text[begin:close + 1], parsed=False)

    def pattern(self) -> PatternNode:
        cursor = self.cursor
        begin = cursor.position
        end = cursor.next_index_of_unescaped("/")
        if end == -1:
            raise InvalidPathError(f"Pattern not closed. Expected / in {cursor.text}")
        flags_end = end + 1
        while cursor.in_bounds(flags_end) and cursor.text[flags_end] in _PATTERN_FLAGS:
            flags_end += 1
        cursor.position = flags_end
        return PatternNode(cursor.text[begin:flags_end])

    def number(self) -> NumberNode:
        cursor = self.cursor
        begin = cursor.position
        while cursor.in_bounds() and (cursor.current().isdigit() or cursor.current() in "-.eE"):
            cursor.advance()
        text = cursor.text[begin:cursor.position]
        try:
            return NumberNode(parse_decimal(text))
        except JavaNumberFormat as exc:
            raise _Malformed(str(exc)) from None

    def path(self) -> PathNode:
        cursor = self.cursor
        previous = cursor.previous_significant_char()
        begin = cursor.position
        cursor.advance()  # $ or @
        while cursor.in_bounds():
            if cursor.current() == "[":
                close = cursor.index_of_matching_close(cursor.position, "[", "]", True, False)
                if close == -1:
                    raise InvalidPathError(f"Square brackets does not match in filter {cursor.text}")
                cursor.position = close + 1
                if not cursor.in_bounds():
                    break
            char = cursor.current()
            closing_function = char == ")" and self._closes_function(begin)
            if char in _OPERATOR_CHARS or char == " " or (char == ")" and not closing_function):
                break
            cursor.advance()
        path = self.compile_path(cursor.text[begin:cursor.position])
        return PathNode(path, exists_check=False, should_exist=previous != "!")

    def _closes_function(self, lower_bound: int) -> bool:
        """The `)` at the cursor closes `name(` of a function call: `(` before it, a `.` before that."""
        cursor = self.cursor
        index = cursor.index_of_previous_significant()
        if index == -1 or cursor.text[index] != "(":
            return False
        index -= 1
        while cursor.in_bounds(index) and index > lower_bound:
            if cursor.text[index] == ".":
                return True
            index -= 1
        return False
