"""The steps of a compiled path and how each one walks a document, as Jayway's PathToken subclasses do."""

from __future__ import annotations

from architect.runtime.jsonpath.errors import InvalidPathError
from architect.runtime.jsonpath.errors import PathNotFound
from architect.runtime.jsonpath.functions import PathFunction

# Sources (json-path/JsonPath, json-path/src/main/java/com/jayway/jsonpath/internal/path/):
# PathToken.java (handleObjectProperty, handleArrayIndex, definiteness), PropertyPathToken.java, ArrayIndexToken.java,
# ArraySliceToken.java, ArrayPathToken.java (checkArrayModel), WildcardPathToken.java, ScanPathToken.java,
# PredicatePathToken.java, FunctionPathToken.java, RootPathToken.java, EvaluationContextImpl.java (getValue).
# Configuration: Jayway's default (no Option set), so REQUIRE_PROPERTIES is only on inside filter existence tests.


class Context:
    """One evaluation: the root document, the results in order, and the REQUIRE_PROPERTIES option."""

    __slots__ = ("root", "results", "require_properties")

    def __init__(self, root, require_properties: bool = False):
        self.root = root
        self.results: list = []
        self.require_properties = require_properties


class Token:
    """One step; `next` is the following step (None for the leaf)."""

    __slots__ = ("next", "upstream_definite")

    def __init__(self):
        self.next: Token | None = None
        self.upstream_definite = True

    def is_leaf(self) -> bool:
        return self.next is None

    def is_token_definite(self) -> bool:
        return True

    def emit(self, value, ctx: Context) -> None:
        if self.next is None:
            ctx.results.append(value)
        else:
            self.next.evaluate(value, ctx)

    def evaluate(self, model, ctx: Context) -> None:  # pragma: no cover - every step overrides it
        raise NotImplementedError

    def handle_property(self, name: str, model: dict, ctx: Context) -> None:
        """PathToken.handleObjectProperty for one property."""
        if name not in model:
            if self.next is None:
                if ctx.require_properties:
                    raise PathNotFound(f"No results for path: ['{name}']")
                return
            if (not (self.upstream_definite and self.is_token_definite()) and not ctx.require_properties):
                return  # absences after an indefinite step are forgiven
            raise PathNotFound(f"Missing property in path ['{name}']")
        self.emit(model[name], ctx)

    def handle_index(self, index: int, model: list, ctx: Context) -> None:
        """PathToken.handleArrayIndex: a negative index counts from the end; out of range gives nothing."""
        effective = index + len(model) if index < 0 else index
        if 0 <= effective < len(model):
            self.emit(model[effective], ctx)

    def check_array(self, model) -> bool:
        """ArrayPathToken.checkArrayModel: skip non-arrays after an indefinite step, else PathNotFound."""
        if isinstance(model, list):
            return True
        if not self.upstream_definite:
            return False
        raise PathNotFound("The path is null" if model is None else "Filter can only be applied to arrays")


class RootToken(Token):
    """`$` (the document) or `@` (the filtered element)."""

    __slots__ = ("symbol",)

    def __init__(self, symbol: str):
        super().__init__()
        self.symbol = symbol

    def evaluate(self, model, ctx):
        self.emit(model, ctx)


class PropertyToken(Token):
    """`.name`, `['name']`, `['a','b']`: several names at the leaf merge into one object."""

    __slots__ = ("names",)

    def __init__(self, names: list[str]):
        super().__init__()
        self.names = names

    def is_token_definite(self) -> bool:
        return len(self.names) == 1 or self.next is None

    def evaluate(self, model, ctx):
        if not isinstance(model, dict):
            if not self.upstream_definite:
                return
            raise PathNotFound(f"Expected to find an object with property {self.names!r}")
        if len(self.names) == 1:
            self.handle_property(self.names[0], model, ctx)
        elif self.next is None:
            merged = {}
            for name in self.names:
                if name in model:
                    merged[name] = model[name]
                elif ctx.require_properties:
                    raise PathNotFound(f"Missing property in path {self.names!r}")
            ctx.results.append(merged)
        else:
            for name in self.names:
                self.handle_property(name, model, ctx)


class IndexToken(Token):
    """`[0]`, `[-1]`, `[0,2]`."""

    __slots__ = ("indexes",)

    def __init__(self, indexes: list[int]):
        super().__init__()
        self.indexes = indexes

    def is_token_definite(self) -> bool:
        return len(self.indexes) == 1

    def evaluate(self, model, ctx):
        if self.check_array(model):
            for index in self.indexes:
                self.handle_index(index, model, ctx)


class SliceToken(Token):
    """`[from:to]`, `[from:]`, `[:to]`: Jayway ignores a step and has its own rules for negative bounds."""

    __slots__ = ("start", "stop")

    def __init__(self, start: int | None, stop: int | None):
        super().__init__()
        self.start = start
        self.stop = stop

    def is_token_definite(self) -> bool:
        return False

    def evaluate(self, model, ctx):
        if not self.check_array(model):
            return
        length = len(model)
        if self.stop is None:  # SLICE_FROM
            start = self.start + length if self.start < 0 else self.start
            start = max(0, start)
            if length == 0 or start >= length:
                return
            indexes = range(start, length)
        elif self.start is None:  # SLICE_TO
            if length == 0:
                return
            stop = self.stop + length if self.stop < 0 else self.stop
            indexes = range(0, min(length, stop))
        else:  # SLICE_BETWEEN: the start is not adjusted, handleArrayIndex counts a negative one from the end
            stop = min(length, self.stop)
            if self.start >= stop or length == 0:
                return
            indexes = range(self.start, stop)
        for index in indexes:
            self.handle_index(index, model, ctx)


class WildcardToken(Token):
    """`*` / `[*]`: every value of an object or element of an array."""

    __slots__ = ()

    def is_token_definite(self) -> bool:
        return False

    def evaluate(self, model, ctx):
        if isinstance(model, dict):
            for name in list(model):
                self.handle_property(name, model, ctx)
        elif isinstance(model, list):
            for index in range(len(model)):
                try:
                    self.handle_index(index, model, ctx)
                except PathNotFound:
                    if ctx.require_properties:
                        raise
        elif self.next is not None:
            raise PathNotFound("Expected to find an object or array")


class ScanToken(Token):
    """`..`: the next step applied at every level, parents before children (ScanPathToken.walk)."""

    __slots__ = ()

    def is_token_definite(self) -> bool:
        return False

    def evaluate(self, model, ctx):
        self._walk(self.next, model, ctx)

    def _matches(self, target: Token, model, ctx) -> bool:
        if isinstance(target, PropertyToken):
            if not isinstance(model, dict):
                return False
            if ctx.require_properties or not target.is_token_definite():
                return True
            return all(name in model for name in target.names)
        if isinstance(target, (IndexToken, SliceToken)):
            return isinstance(model, list)
        if isinstance(target, WildcardToken):
            return True
        if isinstance(target, PredicateToken):
            return target.accept(model, ctx)
        return False

    def _walk(self, target: Token, model, ctx) -> None:
        if isinstance(model, dict):
            if self._matches(target, model, ctx):
                target.evaluate(model, ctx)
            for value in list(model.values()):
                self._walk(target, value, ctx)
        elif isinstance(model, list):
            if self._matches(target, model, ctx):
                if target.next is None:
                    target.evaluate(model, ctx)
                else:
                    # ScanPathToken.walkArray hands each element to the step after the target.
                    for element in model:
                        target.next.evaluate(element, ctx)
            for element in model:
                self._walk(target, element, ctx)


class PredicateToken(Token):
    """`[?(...)]`: an object is tested itself, an array element by element."""

    __slots__ = ("predicate",)

    def __init__(self, predicate):
        super().__init__()
        self.predicate = predicate

    def is_token_definite(self) -> bool:
        return False

    def accept(self, element, ctx) -> bool:
        try:
            return self.predicate.apply(element, ctx.root, ctx.require_properties)
        except InvalidPathError:
            return False

    def evaluate(self, model, ctx):
        if isinstance(model, dict):
            if self.accept(model, ctx):
                self.emit(model, ctx)
        elif isinstance(model, list):
            for index, element in enumerate(model):
                if self.accept(element, ctx):
                    self.handle_index(index, model, ctx)
        elif self.upstream_definite:
            raise InvalidPathError(f"Filter: {self.predicate} can not be applied to primitives. "
                                   f"Current context is: {model!r}")


class JsonParameter:
    """A JSON literal passed to a function: `$.sum(10)`, `$.a.append({"k": 1})`."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class FunctionToken(Token):
    """`.length()` and the other path functions, applied to each value the previous steps give."""

    __slots__ = ("function", "parameters")

    def __init__(self, function: PathFunction, parameters: list | None = None):
        super().__init__()
        self.function = function
        # CompiledPath (evaluated from the root, FunctionPathToken.evaluateParameters) or JsonParameter;
        # $..x.fn() is evaluated as $.fn($..x) (CompiledPath.invertScannerFunctionRelationship).
        self.parameters = parameters or []

    def evaluate(self, model, ctx):
        arguments = [p.value if isinstance(p, JsonParameter) else p.find(ctx.root, ctx.root) for p in self.parameters]
        result = self.function(model, arguments)
        ctx.results.append(result)
        if self.next is not None:
            self.next.evaluate(result, ctx)


class CompiledPath:
    """A compiled path: its first step, whether it is definite, and whether it starts at `$`."""

    __slots__ = ("text", "root", "definite", "is_root_path")

    def __init__(self, text: str, root: RootToken):
        self.text = text
        self.root = root
        definite = True
        upstream = True
        token = root
        while token is not None:
            token.upstream_definite = upstream
            upstream = upstream and token.is_token_definite()
            definite = definite and token.is_token_definite()
            token = token.next
        self.definite = definite
        self.is_root_path = root.symbol == "$"

    def find(self, document, root, require_properties: bool = False):
        """EvaluationContextImpl.getValue: the value (definite), the list (indefinite), or PathNotFound."""
        ctx = Context(root, require_properties)
        self.root.evaluate(document, ctx)
        if self.definite:
            if not ctx.results:
                raise PathNotFound(f"No results for path: {self.text}")
            return ctx.results[0]
        return ctx.results

    def __repr__(self) -> str:
        return f"CompiledPath({self.text!r})"
