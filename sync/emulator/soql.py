"""A small SOQL: tokenizer, recursive-descent parser and evaluator for the queries a sync sends.

SELECT <fields | COUNT()> FROM <Object> [WHERE <condition>] [ORDER BY <field> [ASC|DESC] [NULLS FIRST|LAST], ...]
[LIMIT n] [OFFSET n], where conditions combine comparisons (=, !=, <>, <, >, <=, >=, [NOT] IN, LIKE) with
AND / OR / NOT and parentheses; SOQL forbids mixing AND and OR at one level without parentheses, and so do we.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .values import parse_datetime

KEYWORDS = frozenset(
    [
        "SELECT",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
        "NULL",
        "TRUE",
        "FALSE",
        "ORDER",
        "BY",
        "ASC",
        "DESC",
        "NULLS",
        "FIRST",
        "LAST",
        "LIMIT",
        "OFFSET",
        "GROUP",
        "HAVING",
        "WITH",
        "FOR",
        "USING",
        "TYPEOF",
        "INCLUDES",
        "EXCLUDES",
    ]
)
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\d:T])
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::\d+)?)
  | (?P<string>')
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)
_ESCAPES = {"'": "'", '"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


class SoqlError(Exception):
    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


@dataclass
class Token:
    kind: str  # name, keyword, string, number, datetime, date, op, punct, end
    value: Any
    position: int

    @property
    def upper(self) -> str:
        return str(self.value).upper()


@dataclass
class DateRange:
    """A relative date literal (TODAY, LAST_N_DAYS:7): the half-open UTC interval it names."""

    start: datetime
    end: datetime


@dataclass
class Comparison:
    path: str
    op: str
    value: Any


@dataclass
class BoolOp:
    op: str  # AND | OR
    children: list[Any]


@dataclass
class Not:
    child: Any


@dataclass
class Query:
    fields: list[str]
    object_name: str
    where: Any = None
    order_by: list[tuple[str, bool, bool]] = field(default_factory=list)  # (path, descending, nulls_last)
    limit: int | None = None
    offset: int = 0
    count: bool = False


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise malformed(text, position, f"unexpected token: {text[position]}")
        kind = match.lastgroup or ""
        if kind == "string":
            value, position = _read_string(text, match.end())
            tokens.append(Token("string", value, match.start()))
            continue
        raw = match.group(kind)
        if kind == "name" and raw.upper() in KEYWORDS:
            tokens.append(Token("keyword", raw.upper(), match.start()))
        elif kind == "number":
            tokens.append(Token("number", float(raw) if "." in raw else int(raw), match.start()))
        elif kind != "space":
            tokens.append(Token(kind, raw, match.start()))
        position = match.end()
    tokens.append(Token("end", None, len(text)))
    return tokens


def _read_string(text: str, position: int) -> tuple[str, int]:
    chars: list[str] = []
    while position < len(text):
        char = text[position]
        if char == "'":
            return "".join(chars), position + 1
        if char == "\\":
            following = text[position + 1 : position + 2]
            if following in _ESCAPES:
                chars.append(_ESCAPES[following])
            elif following in ("%", "_"):
                chars.append("\\" + following)  # kept escaped: only LIKE gives them meaning
            else:
                raise malformed(
                    text,
                    position,
                    f"Invalid string literal '{text[position : position + 2]}'. Illegal character sequence",
                )
            position += 2
            continue
        chars.append(char)
        position += 1
    raise malformed(text, position, "unexpected end of query: unterminated string literal")


def malformed(text: str, position: int, detail: str) -> SoqlError:
    row = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return SoqlError(
        "MALFORMED_QUERY", f"\n{text}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{detail}"
    )


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, detail: str | None = None) -> SoqlError:
        token = self.current
        shown = "end of query" if token.kind == "end" else f"token: {token.value}"
        return malformed(self.text, token.position, detail or f"unexpected {shown}")

    def accept_keyword(self, *words: str) -> str | None:
        if self.current.kind == "keyword" and self.current.value in words:
            return str(self.advance().value)
        return None

    def expect_keyword(self, word: str) -> None:
        if not self.accept_keyword(word):
            raise self.error()

    def expect_punct(self, char: str) -> None:
        if self.current.kind != "punct" or self.current.value != char:
            raise self.error()
        self.advance()

    def name(self) -> str:
        if self.current.kind != "name" or ":" in self.current.value:
            raise self.error()
        return str(self.advance().value)

    def parse(self) -> Query:
        self.expect_keyword("SELECT")
        count = False
        fields: list[str] = []
        if self.current.kind == "name" and self.current.upper == "COUNT" and self.tokens[self.index + 1].value == "(":
            self.advance()
            self.expect_punct("(")
            if self.current.value != ")":
                raise self.error("the emulator supports only COUNT() without a field")
            self.expect_punct(")")
            count = True
        else:
            fields.append(self.select_item())
            while self.current.value == ",":
                self.advance()
                fields.append(self.select_item())
        self.expect_keyword("FROM")
        query = Query(fields=fields, object_name=self.name(), count=count)
        if self.accept_keyword("WHERE"):
            query.where = self.condition()
        if self.accept_keyword("ORDER"):
            self.expect_keyword("BY")
            query.order_by.append(self.order_item())
            while self.current.value == ",":
                self.advance()
                query.order_by.append(self.order_item())
        if self.accept_keyword("LIMIT"):
            query.limit = self.integer()
        if self.accept_keyword("OFFSET"):
            query.offset = self.integer()
        if self.current.kind != "end":
            raise self.error()
        return query

    def select_item(self) -> str:
        if self.current.value == "(":
            raise self.error("the emulator does not support subqueries")
        item = self.name()
        if self.current.value == "(":
            raise self.error(f"the emulator does not support the function {item}()")
        return item

    def integer(self) -> int:
        if self.current.kind != "number" or not isinstance(self.current.value, int) or self.current.value < 0:
            raise self.error()
        return int(self.advance().value)

    def order_item(self) -> tuple[str, bool, bool]:
        path = self.name()
        descending = self.accept_keyword("ASC", "DESC") == "DESC"
        nulls_last = descending  # Salesforce's default: NULLS FIRST ascending, NULLS LAST descending
        if self.accept_keyword("NULLS"):
            nulls_last = self.accept_keyword("FIRST", "LAST") == "LAST"
        return path, descending, nulls_last

    def condition(self) -> Any:
        first = self.unary()
        joiner = self.accept_keyword("AND", "OR")
        if joiner is None:
            return first
        children = [first, self.unary()]
        while True:
            following = self.current
            if following.kind == "keyword" and following.value in ("AND", "OR"):
                if following.value != joiner:
                    raise self.error(f"unexpected token: {following.value} (use parentheses to mix AND and OR)")
                self.advance()
                children.append(self.unary())
                continue
            return BoolOp(joiner, children)

    def unary(self) -> Any:
        if self.accept_keyword("NOT"):
            return Not(self.unary())
        if self.current.value == "(" and self.current.kind == "punct":
            self.advance()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        path = self.name()
        if self.current.kind == "op":
            op = str(self.advance().value)
            return Comparison(path, "!=" if op == "<>" else op, self.literal())
        if self.accept_keyword("LIKE"):
            if self.current.kind != "string":
                raise self.error()
            return Comparison(path, "LIKE", self.advance().value)
        negated = self.accept_keyword("NOT")
        if self.accept_keyword("IN"):
            self.expect_punct("(")
            if self.current.value == ")" or self.current.upper == "SELECT":
                raise self.error(
                    "the emulator does not support semi-join subqueries" if self.current.value != ")" else None
                )
            values = [self.literal()]
            while self.current.value == ",":
                self.advance()
                values.append(self.literal())
            self.expect_punct(")")
            return Comparison(path, "NOT IN" if negated else "IN", values)
        raise self.error()

    def literal(self) -> Any:
        token = self.current
        if token.kind == "string":
            self.advance()
            return token.value
        if token.kind == "number":
            self.advance()
            return token.value
        if token.kind == "datetime":
            self.advance()
            return parse_datetime(token.value)
        if token.kind == "date":
            self.advance()
            return date.fromisoformat(token.value)
        if token.kind == "keyword" and token.value in ("NULL", "TRUE", "FALSE"):
            self.advance()
            return {"NULL": None, "TRUE": True, "FALSE": False}[token.value]
        if token.kind == "name":
            relative = relative_date(token.upper)
            if relative is not None:
                self.advance()
                return relative
        raise self.error()


def relative_date(word: str) -> DateRange | None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day = timedelta(days=1)
    fixed = {
        "TODAY": (today, today + day),
        "YESTERDAY": (today - day, today),
        "TOMORROW": (today + day, today + 2 * day),
    }
    if word in fixed:
        return DateRange(*fixed[word])
    name, _, amount = word.partition(":")
    if amount.isdigit():
        n = int(amount)
        if name == "LAST_N_DAYS":
            return DateRange(today - n * day, today + day)
        if name == "NEXT_N_DAYS":
            return DateRange(today + day, today + (n + 1) * day)
    return None


def parse(text: str) -> Query:
    return Parser(text).parse()
