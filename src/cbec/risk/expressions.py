"""The expression language of analyst rules: JSON trees, type-checked, compiled to closures.

A rule's condition is data, never code: a JSON value that is a literal (number, string,
boolean, list of numbers or of strings), a reference (``{"feature": "unit_price_ratio"}``,
``{"field": "taxable_value"}``) or an operator with its arguments
(``{"<": [{"feature": "unit_price_ratio"}, 0.4]}``). :func:`compile_expression` checks the
tree against a catalogue of references and their types, and reports every problem with the
path where it is (``when/and[1]/<[0]/feature``) and the rule it breaks; then it builds a
closure per node (one small evaluator per operator, each tested on its own). Nothing is
ever passed to ``eval``.

Missing values (a feature without enough history) are ``None``: arithmetic on ``None`` is
``None``, a comparison or membership test with ``None`` is false, and ``is_null`` asks for
it explicitly, so a rule never fires on a value it does not have.

Examples
--------
>>> catalogue = {"feature.x": Kind.NUMBER}
>>> rule = compile_expression({"between": [{"feature": "x"}, 1, 2]}, catalogue)
>>> rule.kind, rule.evaluate({"feature.x": 1.5}), rule.evaluate({"feature.x": None})
(<Kind.BOOL: 'bool'>, True, False)
>>> sorted(rule.refs)
['feature.x']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cbec.errors import FieldError

#: A value an expression computes: numbers are floats; lists are tuples.
Value = float | str | bool | tuple[str, ...] | tuple[float, ...] | None
Context = Mapping[str, Value]
Evaluator = Callable[[Context], Value]

#: How deep a tree may nest (a guard against pathological input, not a style rule).
MAX_DEPTH = 32
#: Namespaces of references: ``{"feature": name}`` and ``{"field": name}``.
NAMESPACES = ("feature", "field")


class Kind(StrEnum):
    """The type of a value."""

    NUMBER = "number"
    STRING = "string"
    BOOL = "bool"
    NUMBERS = "numbers"  # a list of numbers
    STRINGS = "strings"  # a list of strings


@dataclass(frozen=True, slots=True)
class Compiled:
    """A checked expression: its type, the references it reads, and its evaluator."""

    kind: Kind
    evaluate: Evaluator
    refs: frozenset[str]


class _Problems:
    """Problems found while compiling, each with its path and rule."""

    def __init__(self) -> None:
        self.found: list[FieldError] = []

    def add(self, path: str, rule: str, message: str) -> None:
        self.found.append(FieldError(path, rule, message))


def _show(kinds: Sequence[Kind]) -> str:
    return " or ".join(k.value for k in kinds)


# -- evaluators: one small function per operator ------------------------------------------


def _and(args: Sequence[Evaluator]) -> Evaluator:
    return lambda c: all(a(c) is True for a in args)


def _or(args: Sequence[Evaluator]) -> Evaluator:
    return lambda c: any(a(c) is True for a in args)


def _not(args: Sequence[Evaluator]) -> Evaluator:
    (a,) = args
    return lambda c: a(c) is not True


def _compare(test: Callable[[Any, Any], bool]) -> Callable[[Sequence[Evaluator]], Evaluator]:
    def build(args: Sequence[Evaluator]) -> Evaluator:
        left, right = args

        def evaluate(c: Context) -> Value:
            x, y = left(c), right(c)
            if x is None or y is None:
                return False
            return test(x, y)

        return evaluate

    return build


def _between(args: Sequence[Evaluator]) -> Evaluator:
    value, low, high = args

    def evaluate(c: Context) -> Value:
        x: Any = value(c)
        lo: Any = low(c)
        hi: Any = high(c)
        if x is None or lo is None or hi is None:
            return False
        return bool(lo <= x <= hi)

    return evaluate


def _members(value: Value) -> tuple[Any, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def _in(args: Sequence[Evaluator]) -> Evaluator:
    """Scalar in list, or (for a list such as ``hs_codes``) any element in the list."""
    left, right = args

    def evaluate(c: Context) -> Value:
        options = set(_members(right(c)))
        return any(x in options for x in _members(left(c)))

    return evaluate


def _prefix(args: Sequence[Evaluator]) -> Evaluator:
    """Any of the strings on the left starts with any of the prefixes on the right."""
    left, right = args

    def evaluate(c: Context) -> Value:
        prefixes = tuple(str(p) for p in _members(right(c)))
        return bool(prefixes) and any(str(x).startswith(prefixes) for x in _members(left(c)))

    return evaluate


def _is_null(args: Sequence[Evaluator]) -> Evaluator:
    (a,) = args
    return lambda c: a(c) is None


def _arithmetic(fold: Callable[[list[float]], float | None]) -> Callable[..., Evaluator]:
    def build(args: Sequence[Evaluator]) -> Evaluator:
        def evaluate(c: Context) -> Value:
            values = [a(c) for a in args]
            if any(v is None for v in values):
                return None
            result = fold([float(v) for v in values])  # type: ignore[arg-type]
            if result is None or math.isnan(result) or math.isinf(result):
                return None
            return result

        return evaluate

    return build


def _sum(values: list[float]) -> float:
    return math.fsum(values)


def _product(values: list[float]) -> float:
    return math.prod(values)


def _minus(values: list[float]) -> float:
    return values[0] - values[1]


def _divide(values: list[float]) -> float | None:
    return None if values[1] == 0 else values[0] / values[1]


def _abs(values: list[float]) -> float:
    return abs(values[0])


@dataclass(frozen=True, slots=True)
class Operator:
    """What an operator takes (its arguments' types), what it gives, and its evaluator."""

    description: str
    #: allowed kinds of each argument; the last entry repeats when ``variadic``
    takes: tuple[tuple[Kind, ...], ...]
    gives: Kind
    build: Callable[[Sequence[Evaluator]], Evaluator]
    variadic: bool = False
    #: the arguments (all of them) must have the same kind
    same_kind: bool = False
    #: the last argument must be a literal (a list, in ``in`` and ``prefix``)
    literal_last: bool = False


_NUM = (Kind.NUMBER,)
_BOOL = (Kind.BOOL,)
_SCALAR = (Kind.NUMBER, Kind.STRING, Kind.BOOL)

OPERATORS: dict[str, Operator] = {
    "and": Operator("all are true", (_BOOL, _BOOL), Kind.BOOL, _and, variadic=True),
    "or": Operator("at least one is true", (_BOOL, _BOOL), Kind.BOOL, _or, variadic=True),
    "not": Operator("the opposite", (_BOOL,), Kind.BOOL, _not),
    "==": Operator(
        "equal", (_SCALAR, _SCALAR), Kind.BOOL, _compare(lambda x, y: x == y), same_kind=True
    ),
    "!=": Operator(
        "not equal", (_SCALAR, _SCALAR), Kind.BOOL, _compare(lambda x, y: x != y), same_kind=True
    ),
    "<": Operator("less than", (_NUM, _NUM), Kind.BOOL, _compare(lambda x, y: x < y)),
    "<=": Operator("at most", (_NUM, _NUM), Kind.BOOL, _compare(lambda x, y: x <= y)),
    ">": Operator("greater than", (_NUM, _NUM), Kind.BOOL, _compare(lambda x, y: x > y)),
    ">=": Operator("at least", (_NUM, _NUM), Kind.BOOL, _compare(lambda x, y: x >= y)),
    "between": Operator("low <= value <= high", (_NUM, _NUM, _NUM), Kind.BOOL, _between),
    "in": Operator(
        "the value (or, for a list, any of its elements) is one of a literal list",
        ((Kind.NUMBER, Kind.STRING, Kind.STRINGS, Kind.NUMBERS), (Kind.NUMBERS, Kind.STRINGS)),
        Kind.BOOL,
        _in,
        literal_last=True,
    ),
    "prefix": Operator(
        "the string (or any of a list's strings) starts with one of the prefixes",
        ((Kind.STRING, Kind.STRINGS), (Kind.STRING, Kind.STRINGS)),
        Kind.BOOL,
        _prefix,
        literal_last=True,
    ),
    "is_null": Operator(
        "the value is missing", ((*_SCALAR, Kind.NUMBERS, Kind.STRINGS),), Kind.BOOL, _is_null
    ),
    "+": Operator("sum", (_NUM, _NUM), Kind.NUMBER, _arithmetic(_sum), variadic=True),
    "*": Operator("product", (_NUM, _NUM), Kind.NUMBER, _arithmetic(_product), variadic=True),
    "-": Operator("difference", (_NUM, _NUM), Kind.NUMBER, _arithmetic(_minus)),
    "/": Operator("quotient (missing when dividing by 0)", (_NUM, _NUM), Kind.NUMBER,
                  _arithmetic(_divide)),
    "min": Operator("smallest", (_NUM, _NUM), Kind.NUMBER, _arithmetic(min), variadic=True),
    "max": Operator("largest", (_NUM, _NUM), Kind.NUMBER, _arithmetic(max), variadic=True),
    "abs": Operator("absolute value", (_NUM,), Kind.NUMBER, _arithmetic(_abs)),
}  # fmt: skip


# -- the compiler -------------------------------------------------------------------------


def _literal(node: Any, path: str, problems: _Problems) -> Compiled | None:
    if isinstance(node, bool):
        value: Value = node
        kind = Kind.BOOL
    elif isinstance(node, int | float):
        if isinstance(node, float) and not math.isfinite(node):
            problems.add(path, "finite", "numbers must be finite")
            return None
        value, kind = float(node), Kind.NUMBER
    elif isinstance(node, str):
        value, kind = node, Kind.STRING
    elif isinstance(node, list):
        if not node:
            problems.add(path, "non_empty", "a list needs at least one element")
            return None
        if all(isinstance(x, str) for x in node):
            value, kind = tuple(node), Kind.STRINGS
        elif all(isinstance(x, int | float) and not isinstance(x, bool) for x in node):
            value, kind = tuple(float(x) for x in node), Kind.NUMBERS
        else:
            problems.add(path, "list_type", "a list holds only numbers or only strings")
            return None
    elif node is None:
        problems.add(path, "not_null", "null is not a value here; ask with is_null")
        return None
    else:
        problems.add(path, "json", f"not a JSON value: {type(node).__name__}")
        return None
    return Compiled(kind, lambda _c: value, frozenset())


def _reference(
    namespace: str, name: Any, path: str, catalogue: Mapping[str, Kind], problems: _Problems
) -> Compiled | None:
    if not isinstance(name, str):
        problems.add(f"{path}/{namespace}", "type", f"the name of a {namespace} is a string")
        return None
    key = f"{namespace}.{name}"
    kind = catalogue.get(key)
    if kind is None:
        known = sorted(k.split(".", 1)[1] for k in catalogue if k.startswith(f"{namespace}."))
        problems.add(
            f"{path}/{namespace}",
            f"unknown_{namespace}",
            f"unknown {namespace} {name!r}; known: {', '.join(known)}",
        )
        return None
    return Compiled(kind, lambda c: c.get(key), frozenset({key}))


def _node(
    node: Any, path: str, catalogue: Mapping[str, Kind], problems: _Problems, depth: int
) -> Compiled | None:
    if depth > MAX_DEPTH:
        problems.add(path, "depth", f"nested deeper than {MAX_DEPTH}")
        return None
    if not isinstance(node, dict):
        return _literal(node, path, problems)
    if len(node) != 1:
        problems.add(
            path,
            "one_key",
            "an expression object has exactly one key: an operator, 'feature' or 'field'"
            + (f" (found {', '.join(sorted(map(str, node)))})" if node else ""),
        )
        return None
    ((name, args),) = node.items()
    if name in NAMESPACES:
        return _reference(name, args, path, catalogue, problems)
    operator = OPERATORS.get(name)
    if operator is None:
        problems.add(
            path,
            "unknown_operator",
            f"unknown operator {name!r}; one of {', '.join(OPERATORS)}, feature, field",
        )
        return None
    here = f"{path}/{name}"
    if not isinstance(args, list):
        args = [args]  # {"not": {...}}, {"abs": {...}}: a single argument without a list
    count = len(operator.takes)
    if (operator.variadic and len(args) < count) or (not operator.variadic and len(args) != count):
        problems.add(
            here,
            "arity",
            f"{name} takes {'at least ' if operator.variadic else ''}{count} argument(s), "
            f"not {len(args)}",
        )
        return None
    compiled: list[Compiled] = []
    for i, arg in enumerate(args):
        arg_path = f"{here}[{i}]"
        if operator.literal_last and i == len(args) - 1 and isinstance(arg, dict):
            problems.add(arg_path, "literal", f"the last argument of {name} is a literal list")
            return None
        child = _node(arg, arg_path, catalogue, problems, depth + 1)
        if child is None:
            continue
        allowed = operator.takes[min(i, count - 1)]
        if child.kind not in allowed:
            problems.add(
                arg_path,
                "type",
                f"{name} takes {_show(allowed)} here, not {child.kind.value}",
            )
            continue
        compiled.append(child)
    if len(compiled) != len(args):
        return None
    if operator.same_kind and len({c.kind for c in compiled}) > 1:
        problems.add(
            here,
            "type",
            f"{name} compares values of one type, not {' and '.join(c.kind for c in compiled)}",
        )
        return None
    if name in ("in", "prefix"):
        left, right = compiled[0].kind, compiled[1].kind
        strings = left in (Kind.STRING, Kind.STRINGS)
        if name == "in" and strings != (right is Kind.STRINGS):
            problems.add(
                f"{here}[1]",
                "type",
                f"{name} needs a list of {'strings' if strings else 'numbers'}",
            )
            return None
    refs = frozenset().union(*(c.refs for c in compiled))
    return Compiled(operator.gives, operator.build([c.evaluate for c in compiled]), refs)


def compile_expression(
    tree: Any,
    catalogue: Mapping[str, Kind],
    *,
    path: str = "when",
    expect: Kind | None = Kind.BOOL,
) -> Compiled:
    """Check ``tree`` against ``catalogue`` (``"feature.name"`` / ``"field.name"`` -> kind)
    and compile it. Raises :class:`ExpressionError` listing every problem found."""
    problems = _Problems()
    compiled = _node(tree, path, catalogue, problems, 0)
    if compiled is not None and expect is not None and compiled.kind is not expect:
        problems.add(path, "type", f"the condition must be {expect.value}, not {compiled.kind}")
    if problems.found or compiled is None:
        raise ExpressionError(problems.found)
    return compiled


def check_expression(
    tree: Any, catalogue: Mapping[str, Kind], *, path: str = "when"
) -> list[FieldError]:
    """The problems of ``tree`` (empty when it compiles)."""
    try:
        compile_expression(tree, catalogue, path=path)
    except ExpressionError as exc:
        return exc.problems
    return []


def _number(node: Any) -> float | None:
    if isinstance(node, int | float) and not isinstance(node, bool):
        return float(node)
    return None


def never_true(tree: Any, *, path: str = "when") -> list[FieldError]:
    """Parts of a compiled ``tree`` that can never be true, each with its path: a
    ``between`` whose literal bounds are reversed (``{"between": [x, 2, 1]}``, rule
    ``between.order``). A rule holding one would silently hit nothing.

    Kept apart from :func:`compile_expression`, which also compiles the rules already
    stored: a check added later must refuse new rules, not stop the stored ones deciding.

    >>> [(p.path, p.rule) for p in never_true({"not": {"between": [{"field": "x"}, 2, 1]}})]
    [('when/not[0]/between', 'between.order')]
    >>> never_true({"between": [{"field": "x"}, 1, 1]})
    []
    """
    found: list[FieldError] = []

    def walk(node: Any, at: str, depth: int) -> None:
        if depth > MAX_DEPTH or not isinstance(node, dict) or len(node) != 1:
            return
        ((name, args),) = node.items()
        if name not in OPERATORS:
            return
        here = f"{at}/{name}"
        args = args if isinstance(args, list) else [args]
        if name == "between" and len(args) == 3:
            low, high = _number(args[1]), _number(args[2])
            if low is not None and high is not None and low > high:
                found.append(
                    FieldError(
                        here,
                        "between.order",
                        f"the low bound {args[1]:g} is above the high bound {args[2]:g}: "
                        "never true",
                    )
                )
        for i, arg in enumerate(args):
            walk(arg, f"{here}[{i}]", depth + 1)

    walk(tree, path, 0)
    return found


class ExpressionError(ValueError):
    """An expression that does not compile; ``problems`` name path and rule of each."""

    def __init__(self, problems: list[FieldError]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
