"""Paging by key: a list read in a fixed order resumes after the last row a page gave, instead of
skipping `offset` rows. A page then costs about the same at the end of a long list as at its start,
and a row added while a reader pages (a new incident at the top of a list newest first) neither
repeats a row on the next page nor pushes one past it.

An `Order` names the list and its columns, each ascending or `.desc()`, the last of them unique (an
id), so that a row's values place it exactly. `Order.after(values)` is the SQL condition "comes after
that row"; `Order.token(row)` writes a row's place as the opaque `?after=` value a page's
`Link rel="next"` carries, and `Order.position(token)` reads it back, refusing a token that is not a
place in this list and this order.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Table, and_, func, literal_column, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from sqlalchemy.sql.visitors import InternalTraversal

from . import b64url
from .clock import as_utc

MOST_CHARS = 2000   # a longer token is not one this service wrote
# read_in_order's weights, per row a sort takes: a row the walk in order reads, a row skipped from the sort
WALKED, SKIPPED = 0.4, 5.0
NOT_GIVEN = "not a position a page of this list gave (its Link rel=\"next\")"


class Order:
    """`name`: which list and order (a token of another is refused); `terms`: the ORDER BY, columns
    or `column.desc()`, the last unique. A column named twice is compared once, where first named."""

    def __init__(self, name: str, *terms):
        self.name, self.terms = name, terms
        self.columns: list[tuple[ColumnElement, bool]] = []   # (column, descending), each column once
        for term in terms:
            descending = isinstance(term, UnaryExpression) and term.modifier is operators.desc_op
            column = term.element if descending else term
            if not any(column is c for c, _ in self.columns):
                self.columns.append((column, descending))

    def after(self, values: tuple) -> ColumnElement:
        """Rows after the row with these values, in this order. Written as "the first column at or past
        its value, and then lexicographically past" so a database reads on from the first column's index."""
        first, descending = self.columns[0]
        bound = first <= values[0] if descending else first >= values[0]
        past, same = [], []
        for (column, descending), value in zip(self.columns, values):
            past.append(and_(*same, column < value if descending else column > value))
            same.append(column == value)
        return and_(bound, or_(*past))

    def token(self, row) -> str:
        """The `?after=` value placing `row` (a mapping, or a Row) in this order."""
        mapping = row if isinstance(row, Mapping) else row._mapping
        values = [mapping[column.name] for column, _ in self.columns]
        text = json.dumps([self.name, *[v.isoformat() if isinstance(v, datetime) else v for v in values]],
                          ensure_ascii=False, separators=(",", ":"))
        return b64url.encode(text.encode())

    def position(self, token: str) -> tuple:
        """The values `token` places a row at; ValueError saying why when it is not a place in this list."""
        try:
            if len(token) > MOST_CHARS:
                raise ValueError
            decoded = json.loads(b64url.decode(token).decode())
        except ValueError:   # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ValueError(NOT_GIVEN) from None
        if not isinstance(decoded, list) or not decoded or decoded[0] != self.name:
            raise ValueError("a position in another list or another order")
        if len(decoded) != len(self.columns) + 1:
            raise ValueError(NOT_GIVEN)
        return tuple(_typed(column, value) for (column, _), value in zip(self.columns, decoded[1:]))


def _typed(column: ColumnElement, value):
    """`value` as the column's Python type; ValueError when it cannot be one."""
    kind = getattr(column.type, "impl", column.type).python_type   # a TypeDecorator's: its stored type's
    if kind is datetime:
        try:
            when = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise ValueError(f"{column.name}: not a time with its zone")
        return as_utc(when)
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{column.name}: not an integer")
        return value
    if kind is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError(f"{column.name}: not a number")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"{column.name}: not a string")
    return value


class Unindexed(ColumnElement):
    """A column whose comparisons the database must not answer from an index: SQLite's unary `+`,
    which its query planner documents for this; elsewhere the column as it is (their planners weigh
    the choice with statistics of their own)."""
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement):
        self.column, self.type = column, column.type


@compiles(Unindexed)
def _unindexed(element: Unindexed, compiler, **kw) -> str:
    return compiler.process(element.column, **kw)


@compiles(Unindexed, "sqlite")
def _unindexed_sqlite(element: Unindexed, compiler, **kw) -> str:
    return "+" + compiler.process(element.column, **kw)


def read_in_order(conn, table: Table, matching: int, offset: int, limit: int) -> bool:
    """Whether the page (`offset`, `limit`) of the `matching` rows of `table` that a filter keeps is best
    read by walking the table in the list's order, the filter tested on each row, until the page's last
    row; rather than by finding all `matching` through the filter's indexes, sorting them and skipping
    `offset`. The walk reads about (offset + limit) × rows / matching rows; the sort takes `matching`
    rows and then skips `offset` of its output. Their weights (WALKED, SKIPPED: per row sorted) were
    measured on SQLite (bench/README.md): the walk is chosen when it costs no more.

    SQLite only: with the statistics it keeps (the rows an index key finds on average) its planner
    takes the filter's indexes for a region's orders, the 30,000 of 100,000 that concern a city, and
    sorts them all for a page of 50. Its table's largest rowid stands for its size (rows deleted make
    it larger, and the choice then leans to the indexes). PostgreSQL weighs this itself."""
    if conn.dialect.name != "sqlite" or matching <= 0:
        return False
    rows = conn.execute(select(func.max(literal_column("rowid"))).select_from(table)).scalar()
    return bool(rows) and WALKED * (offset + limit) * rows <= matching * (matching + SKIPPED * offset)
