"""Which tests can see an edit: the mutant bank runs a variant's tests only where they run its changes.

The bank's warm-up runs the reference's tests once (`grader.worker`). There, `Recorder` notes which of
the reference's functions and methods each test ran, its fixtures' runs included: every one of them
already calls a check first (`grader.target._checked_source`), and the warm-up swaps that check for a
note of the caller. A test that read the module's source (`inspect.getsource`: a static check) is noted
as reading everything.

A variant that only rewrites the bodies, signatures or decorators of existing functions and methods
(`changed`) then faces the tests that ran one of them (`select`); a variant that changes anything else
(module-level code, a class body, a function added or removed, a rewritten function with a `global`
statement) faces them all. A test that ran none of the changed code runs what it ran for the
reference, so its outcome is the reference's: a pass. (The one assumption: it does not read state
that changed code left behind in another test by other means, e.g. in a module-level dict.)
"""
from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import sys
from pathlib import Path

import pytest

EVERYTHING = "*"      # a test that read the module's source
OUTSIDE = ""          # what ran outside any test (collection, a session's set-up)


class Recorder:
    """A pytest plugin for the warm-up: `touched` maps each test's cost key (`pytest_plugin.cost_key`)
    to the qualified names of the functions of the module at `filename` it ran, and OUTSIDE to those
    run outside tests."""

    def __init__(self, filename: str):
        self.filename, self.rootpath = filename, Path("/")
        self.touched: dict[str, set[str]] = {OUTSIDE: set()}
        self._by_fixture: dict[str, set[str]] = {}
        self._current = self.touched[OUTSIDE]

    def note(self, _getframe=sys._getframe) -> None:
        """Stands in for the reference's caller check: note the calling function."""
        code = _getframe(1).f_code
        if code.co_filename == self.filename:
            self._current.add(code.co_qualname.split(".<locals>.")[0])   # a nested function is its outer one's

    @contextlib.contextmanager
    def _into(self, names: set[str]):
        saved, self._current = self._current, names
        try:
            yield
        finally:
            self._current = saved

    def pytest_sessionstart(self, session):
        self.rootpath = session.config.rootpath

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        # a fixture's value outlives the test that set it up: every test using it is charged its calls
        with self._into(self._by_fixture.setdefault(fixturedef.argname, set())):
            yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        from grader.pytest_plugin import cost_key
        names = self.touched.setdefault(cost_key(self.rootpath, item.nodeid), set())
        with self._into(names), _watching_source_reads(self.filename, names):
            yield
        for fixture in getattr(item, "fixturenames", ()):
            names |= self._by_fixture.get(fixture, set())

    def table(self) -> dict[str, list[str]]:
        return {key: sorted(names) for key, names in self.touched.items()}


@contextlib.contextmanager
def _watching_source_reads(filename: str, names: set[str]):
    read = inspect.getsource

    def getsource(obj):
        with contextlib.suppress(TypeError):
            if inspect.getfile(obj) == filename:
                names.add(EVERYTHING)
        return read(obj)
    inspect.getsource = getsource
    try:
        yield
    finally:
        inspect.getsource = read


def _functions(body: list[ast.stmt], prefix: str, found: dict[str, ast.AST]) -> list[ast.stmt]:
    """`body` with every function (and, within classes, every method) cut down to its name; each cut
    one goes into `found` under its qualified name."""
    kept = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[prefix + node.name] = node
            node = ast.Name(node.name)
        elif isinstance(node, ast.ClassDef):
            node = ast.ClassDef(name=node.name, bases=node.bases, keywords=node.keywords,
                                body=_functions(node.body, f"{prefix}{node.name}.", found),
                                decorator_list=node.decorator_list)
        kept.append(node)
    return kept


def changed(before: str, after: str) -> set[str] | None:
    """The qualified names of the functions and methods `after` rewrote, or None when it changed more
    than that, rewrote one that writes module globals (state a later test may read), or does not parse."""
    outlines = [_outline(source) for source in (before, after)]
    if None in outlines:
        return None
    (shape, functions, writers), (shape_after, functions_after, writers_after) = outlines
    if shape != shape_after or functions.keys() != functions_after.keys():
        return None
    edited = {name for name in functions if functions[name] != functions_after[name]}
    return None if edited & (writers | writers_after) else edited


@functools.lru_cache(maxsize=8)   # a bank compares every variant with one original
def _outline(source: str) -> tuple[str, dict[str, str], set[str]] | None:
    """The module's syntax with its functions cut out, each function's syntax (both as `ast.dump`
    strings), and the functions with a `global` statement; None when it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found: dict[str, ast.AST] = {}
    shape = ast.dump(ast.Module(_functions(tree.body, "", found), []))
    writers = {name for name, node in found.items() if any(isinstance(n, ast.Global) for n in ast.walk(node))}
    return shape, {name: ast.dump(node) for name, node in found.items()}, writers


def select(touched: dict[str, list[str]], edits: set[str] | None) -> list[str] | None:
    """The cost keys of the tests a variant with these `edits` must face; None: all of them."""
    if edits is None or edits & set(touched.get(OUTSIDE, ())):
        return None
    return [key for key, names in touched.items()
            if key != OUTSIDE and (EVERYTHING in names or edits & set(names))]
