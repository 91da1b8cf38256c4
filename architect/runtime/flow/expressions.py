"""Architect's expression language: parse once (cached), evaluate against a Scope of flow variables."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Callable, Protocol

from architect.runtime.flow import functions as fns
from architect.runtime.flow.values import (  # re-exported: the flow runner imports everything from here
    NOT_SET,
    Audio,
    DictScope,
    EvaluationError,
    ExpressionError,
    NotSetError,
    PhoneNumber,
    Prompt,
    UnsupportedError,
    coerce,
    parse_phone_number,
    to_architect_string,
    type_name,
)

__all__ = [
    "NOT_SET",
    "Audio",
    "DictScope",
    "EvaluationError",
    "Expression",
    "ExpressionError",
    "NotSetError",
    "PhoneNumber",
    "Prompt",
    "Scope",
    "UnsupportedError",
    "coerce",
    "compile_expression",
    "evaluate",
    "parse_phone_number",
    "to_architect_string",
]


class Scope(Protocol):
    """Where variables come from; the flow runner resolves names case-insensitively."""

    def lookup(self, name: str) -> object:
        """The value of a variable or built-in, e.g. "Task.tier", "Call.Ani", "flow.ani", as written."""


# ---- tokens ---------------------------------------------------------------------------------------------------

# Operators as seen in real flows (docs/reference/archy-flows.md §4): == != < > <= >=, and/or/not, + - * /, parentheses,
# commas, property access with "." and collection indexing with [ ] (Flow.ConversationId[0] in PARK).
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", ",", ".", "[", "]")
_KEYWORDS = {"and", "or", "not", "true", "false", "not_set"}


@dataclass(frozen=True)
class Token:
    kind: str  # "string", "number", "name", "op", "end"
    value: object
    position: int


def _tokenize(text: str) -> list[Token]:
    tokens = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == '"':
            start = i
            i += 1
            chars = []
            while True:
                if i >= n:
                    raise ExpressionError("unterminated string literal", text, start)
                ch = text[i]
                if ch == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    # \" and \\ are the escapes real flows use inside string literals (PCB's JSON-building expression).
                    chars.append(text[i + 1])
                    i += 2
                    continue
                if ch == '"':
                    i += 1
                    break
                chars.append(ch)
                i += 1
            tokens.append(Token("string", "".join(chars), start))
            continue
        if ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            start = i
            while i < n and text[i].isdigit():
                i += 1
            is_decimal = False
            if i < n and text[i] == "." and i + 1 < n and text[i + 1].isdigit():
                is_decimal = True
                i += 1
                while i < n and text[i].isdigit():
                    i += 1
            if i < n and (text[i].isalpha() or text[i] == "_"):
                raise ExpressionError(f"malformed number {text[start:i + 1]!r}", text, start)
            literal = text[start:i]
            tokens.append(Token("number", Decimal(literal) if is_decimal else int(literal), start))
            continue
        if ch.isalpha() or ch == "_":
            start = i
            while i < n and (text[i].isalnum() or text[i] == "_"):
                i += 1
            tokens.append(Token("name", text[start:i], start))
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                tokens.append(Token("op", op, i))
                i += len(op)
                break
        else:
            hint = " (use == to compare)" if ch == "=" else ""
            raise ExpressionError(f"unexpected character {ch!r}{hint}", text, i)
    tokens.append(Token("end", None, n))
    return tokens


# ---- syntax tree: each node compiles to a closure taking the evaluation context --------------------------------

Evaluator = Callable[["_Run"], object]


class _Run:
    """One evaluation: the scope plus the function context."""

    __slots__ = ("scope", "context")

    def __init__(self, scope):
        self.scope = scope
        self.context = fns.Context(scope)


class _Parser:
    """Recursive descent. Precedence, loosest first: or, and, not, comparison, + -, * /, unary -, postfix."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.variables: set[str] = set()
        self.unsupported: list[str] = []

    # token helpers
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def _advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _is_op(self, *ops: str) -> bool:
        token = self.current
        return token.kind == "op" and token.value in ops

    def _is_keyword(self, word: str) -> bool:
        token = self.current
        return token.kind == "name" and token.value.lower() == word

    def _expect_op(self, op: str) -> Token:
        if not self._is_op(op):
            raise self._error(f"expected {op!r}")
        return self._advance()

    def _error(self, message: str, token: Token | None = None) -> ExpressionError:
        token = token or self.current
        found = "end of expression" if token.kind == "end" else repr(self._source(token))
        return ExpressionError(f"{message}, found {found}", self.text, token.position)

    def _source(self, token: Token) -> str:
        if token.kind == "string":
            return '"' + str(token.value) + '"'
        return str(token.value)

    # grammar
    def parse(self) -> Evaluator:
        if self.current.kind == "end":
            raise ExpressionError("empty expression", self.text, 0)
        node = self._or()
        if self.current.kind != "end":
            raise self._error("unexpected token")
        return node

    def _or(self) -> Evaluator:
        node = self._and()
        while self._is_keyword("or"):
            token = self._advance()
            node = self._logical(node, self._and(), token, is_and=False)
        return node

    def _and(self) -> Evaluator:
        node = self._not()
        while self._is_keyword("and"):
            token = self._advance()
            node = self._logical(node, self._not(), token, is_and=True)
        return node

    def _logical(self, left: Evaluator, right: Evaluator, token: Token, is_and: bool) -> Evaluator:
        word = "and" if is_and else "or"
        text, position = self.text, token.position

        def run(r: _Run):
            # Short-circuit (chosen; Architect does not document whether it evaluates both operands).
            first = _truth(left(r), word, text, position)
            if first != is_and:
                return first
            return _truth(right(r), word, text, position)

        return run

    def _not(self) -> Evaluator:
        if self._is_keyword("not"):
            token = self._advance()
            operand = self._not()
            text, position = self.text, token.position
            return lambda r: not _truth(operand(r), "not", text, position)
        return self._comparison()

    def _comparison(self) -> Evaluator:
        node = self._additive()
        if self._is_op("==", "!=", "<", ">", "<=", ">="):
            token = self._advance()
            right = self._additive()
            if self._is_op("==", "!=", "<", ">", "<=", ">="):
                raise self._error("comparisons cannot be chained; use and")
            node = _binary(token.value, node, right, self.text, token.position)
        return node

    def _additive(self) -> Evaluator:
        node = self._multiplicative()
        while self._is_op("+", "-"):
            token = self._advance()
            node = _binary(token.value, node, self._multiplicative(), self.text, token.position)
        return node

    def _multiplicative(self) -> Evaluator:
        node = self._unary()
        while self._is_op("*", "/"):
            token = self._advance()
            node = _binary(token.value, node, self._unary(), self.text, token.position)
        return node

    def _unary(self) -> Evaluator:
        if self._is_op("-"):
            token = self._advance()
            operand = self._unary()
            text, position = self.text, token.position

            def negate(r: _Run):
                value = operand(r)
                if value is NOT_SET:
                    raise NotSetError("cannot negate NOT_SET", text, position)
                if isinstance(value, bool) or not isinstance(value, (int, Decimal, dt.timedelta)):
                    raise ExpressionError(f"cannot negate a {type_name(value)}", text, position)
                return -value

            return negate
        return self._postfix()

    def _postfix(self) -> Evaluator:
        node = self._primary()
        while True:
            if self._is_op("."):
                self._advance()
                token = self.current
                if token.kind != "name":
                    raise self._error("expected a property name after '.'")
                self._advance()
                if self._is_op("("):
                    raise ExpressionError(
                        f"methods are not supported ({token.value} is called like a method; call it as a function)",
                        self.text,
                        token.position,
                    )
                node = _property(node, token.value, self.text, token.position)
            elif self._is_op("["):
                token = self._advance()
                index = self._or()
                self._expect_op("]")
                node = _index(node, index, self.text, token.position)
            else:
                return node

    def _primary(self) -> Evaluator:
        token = self.current
        if token.kind in ("string", "number"):
            self._advance()
            value = token.value
            return lambda r: value
        if self._is_op("("):
            self._advance()
            node = self._or()
            self._expect_op(")")
            return node
        if token.kind != "name":
            raise self._error("expected a value")
        word = token.value.lower()
        if word in ("true", "false"):
            self._advance()
            value = word == "true"
            return lambda r: value
        if word == "not_set":
            self._advance()
            return lambda r: NOT_SET
        if word in _KEYWORDS:
            raise self._error("expected a value")
        self._advance()
        if self._is_op("("):
            return self._call(token)
        return self._variable(token)

    def _variable(self, first: Token) -> Evaluator:
        # A variable is <Scope>.<Name> (Task.x, Flow.x, State.x, Call.Ani, System.X ...); further ".name" segments
        # are properties of its value (Task.Queue.id, ToPhoneNumber(Call.Ani).e164).
        if not self._is_op("."):
            raise ExpressionError(
                f"unknown name {first.value} (variables are written Scope.Name, e.g. Task.{first.value})",
                self.text,
                first.position,
            )
        self._advance()
        second = self.current
        if second.kind != "name":
            raise self._error("expected a variable name after '.'")
        self._advance()
        name = f"{first.value}.{second.value}"
        self.variables.add(name)
        text, position = self.text, first.position

        def read(r: _Run):
            try:
                return r.scope.lookup(name)
            except ExpressionError as error:
                raise _locate(error, text, position) from None

        return read

    def _call(self, name_token: Token) -> Evaluator:
        self._expect_op("(")
        args: list[Evaluator] = []
        if not self._is_op(")"):
            args.append(self._or())
            while self._is_op(","):
                self._advance()
                args.append(self._or())
        self._expect_op(")")
        name, position, text = name_token.value, name_token.position, self.text
        function = fns.lookup_function(name)
        if function is None:
            # Not a syntax error: the expression may be valid Architect we do not implement. It parses, and
            # evaluating it raises UnsupportedError naming the function (never a silent fallback).
            self.unsupported.append(name)

            def unsupported(r: _Run):
                raise UnsupportedError(f"unsupported function {name}", text, position)

            return unsupported
        if len(args) < function.min_args or (function.max_args is not None and len(args) > function.max_args):
            if function.max_args is None:
                expected = f"at least {function.min_args}"
            elif function.min_args == function.max_args:
                expected = str(function.min_args)
            else:
                expected = f"{function.min_args} to {function.max_args}"
            raise ExpressionError(
                f"{function.name} takes {expected} argument(s), got {len(args)}", text, position
            )
        impl = function.impl
        if function.lazy:

            def call_lazy(r: _Run):
                thunks = [functools.partial(arg, r) for arg in args]
                try:
                    return impl(r.context, *thunks)
                except ExpressionError as error:
                    raise _locate(error, text, position) from None

            return call_lazy

        def call(r: _Run):
            values = [arg(r) for arg in args]
            try:
                return impl(r.context, *values)
            except ExpressionError as error:
                raise _locate(error, text, position) from None

        return call


def _locate(error: ExpressionError, text: str, position: int) -> ExpressionError:
    """The same error with the expression text and position, unless an inner node already located it."""
    if error.expression is not None:
        return error
    return error.locate(text, position)


def _truth(value, word: str, text: str, position: int) -> bool:
    if value is NOT_SET:
        raise NotSetError(f"'{word}' needs a Boolean, got NOT_SET", text, position)
    if not isinstance(value, bool):
        raise ExpressionError(f"'{word}' needs a Boolean, not {type_name(value)}", text, position)
    return value


# ---- operators -------------------------------------------------------------------------------------------------


def _is_number(value) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _equal(left, right, op: str, text: str, position: int) -> bool:
    # Comparing with NOT_SET works and is only true for NOT_SET ([NOTSET]: ToString(NOT_SET) == "" is false).
    if left is NOT_SET or right is NOT_SET:
        return left is right
    if _is_number(left) and _is_number(right):
        return left == right
    if isinstance(left, PhoneNumber) and isinstance(right, PhoneNumber):
        # Two tel numbers with valid E.164 forms are equal when those match; otherwise their URIs must match.
        if left.e164 is not NOT_SET and right.e164 is not NOT_SET:
            return left.e164 == right.e164
        return left.uri == right.uri
    if type(left) is not type(right) and not (isinstance(left, list) and isinstance(right, list)):
        raise ExpressionError(f"cannot compare {type_name(left)} {op} {type_name(right)}", text, position)
    # Strings compare case-sensitively (chosen; Architect's docs do not say, and real flows Lower() before Contains).
    return left == right


_ORDERED = (str, dt.datetime, dt.timedelta)


def _order(left, right, op: str, text: str, position: int) -> bool:
    if left is NOT_SET or right is NOT_SET:
        raise NotSetError(f"'{op}' cannot compare NOT_SET", text, position)
    comparable = (_is_number(left) and _is_number(right)) or any(
        isinstance(left, kind) and isinstance(right, kind) for kind in _ORDERED
    )
    if not comparable:
        raise ExpressionError(f"cannot compare {type_name(left)} {op} {type_name(right)}", text, position)
    if op == "<":
        return left < right
    if op == ">":
        return left > right
    if op == "<=":
        return left <= right
    return left >= right


def _arithmetic(op: str, left, right, text: str, position: int):
    if left is NOT_SET or right is NOT_SET:
        # [NOTSET]: "5+Flow.MyInteger" with a NOT_SET integer "invokes an error".
        raise NotSetError(f"'{op}' cannot use a NOT_SET operand", text, position)
    if _is_number(left) and _is_number(right):
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        # "/" always gives a decimal: real flows write ToInt(Task.intSeconds/60) to get back to an integer.
        try:
            return Decimal(left) / Decimal(right)
        except (DivisionByZero, InvalidOperation):
            raise EvaluationError("division by zero", text, position) from None
    if op == "+" and isinstance(left, str) and isinstance(right, str):
        return left + right
    temporal = (op == "+" and (
        (isinstance(left, dt.datetime) and isinstance(right, dt.timedelta))
        or (isinstance(left, dt.timedelta) and isinstance(right, (dt.datetime, dt.timedelta)))
    )) or (op == "-" and (
        (isinstance(left, dt.datetime) and isinstance(right, (dt.datetime, dt.timedelta)))
        or (isinstance(left, dt.timedelta) and isinstance(right, dt.timedelta))
    ))
    if temporal:
        try:
            return left + right if op == "+" else left - right
        except OverflowError:
            message = f"'{op}': the result is outside the DateTime/Duration range"
            raise EvaluationError(message, text, position) from None
    hint = ""
    if op == "+" and (isinstance(left, str) or isinstance(right, str)):
        # Architect casts only a whole expression's result, never an operand
        # (help.mypurecloud.com/articles/use-implicit-casting-expressions/).
        hint = "; wrap the non-string side in ToString()"
    raise ExpressionError(f"cannot apply {op} to {type_name(left)} and {type_name(right)}{hint}", text, position)


def _binary(op: str, left: Evaluator, right: Evaluator, text: str, position: int) -> Evaluator:
    if op in ("==", "!="):
        negate = op == "!="
        return lambda r: _equal(left(r), right(r), op, text, position) != negate
    if op in ("<", ">", "<=", ">="):
        return lambda r: _order(left(r), right(r), op, text, position)
    return lambda r: _arithmetic(op, left(r), right(r), text, position)


def _property(target: Evaluator, name: str, text: str, position: int) -> Evaluator:
    def read(r: _Run):
        value = target(r)
        if value is NOT_SET:
            raise NotSetError(f"cannot read property {name} of NOT_SET", text, position)
        if isinstance(value, PhoneNumber):
            try:
                return value.property(name)
            except ExpressionError as error:
                raise _locate(error, text, position) from None
        if isinstance(value, dict):
            folded = name.lower()
            for key, item in value.items():
                if key.lower() == folded:
                    return item
            raise UnsupportedError(f"unsupported property {name} of this object", text, position)
        raise UnsupportedError(f"unsupported property {name} of a {type_name(value)}", text, position)

    return read


def _index(target: Evaluator, index: Evaluator, text: str, position: int) -> Evaluator:
    def read(r: _Run):
        collection, at = target(r), index(r)
        if not isinstance(collection, list):
            raise ExpressionError(f"cannot index a {type_name(collection)}", text, position)
        if at is NOT_SET:
            raise NotSetError("collection index is NOT_SET", text, position)
        if isinstance(at, bool) or not isinstance(at, int):
            raise ExpressionError(f"collection index must be an Integer, not {type_name(at)}", text, position)
        if not 0 <= at < len(collection):
            raise EvaluationError(f"index {at} is outside a collection of {len(collection)} items", text, position)
        return collection[at]

    return read


# ---- public API --------------------------------------------------------------------------------------------------


class Expression:
    """A parsed expression: its text, the variables it reads, and evaluate(scope)."""

    __slots__ = ("text", "_root", "_variables", "_unsupported")

    def __init__(self, text: str, root: Evaluator, variables: set[str], unsupported: list[str]):
        self.text = text
        self._root = root
        self._variables = frozenset(variables)
        self._unsupported = tuple(unsupported)

    def evaluate(self, scope: Scope) -> object:
        """The value of the expression; raises ExpressionError (NotSetError, UnsupportedError ...) naming it."""
        return self._root(_Run(scope))

    def variables(self) -> set[str]:
        """Variable names as written (e.g. {"Task.Queue", "Call.Ani"})."""
        return set(self._variables)

    def unsupported_functions(self) -> tuple[str, ...]:
        """Functions called here that this runtime does not implement (evaluating them raises UnsupportedError)."""
        return self._unsupported

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def compile_expression(text: str) -> Expression:
    """Parse an Architect expression once; raises ExpressionError with the position on a syntax error."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}")
    return _compile(text)


@functools.lru_cache(maxsize=4096)
def _compile(text: str) -> Expression:
    parser = _Parser(text)
    root = parser.parse()
    return Expression(text, root, parser.variables, parser.unsupported)


def evaluate(text: str, scope: Scope) -> object:
    """Parse (cached) and evaluate an expression."""
    return compile_expression(text).evaluate(scope)
