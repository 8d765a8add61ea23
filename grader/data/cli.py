"""`grader data` commands: list what exists and where, fetch a dataset, verify every file present.

    grader data list                 each file: found in a mirror / the cache / missing, verified or not
    grader data fetch NAME [NAME..]  make a dataset available (mirror, cache or download); NAME may be `all`
    grader data verify [NAME..]      re-hash every present file; corrupt cache copies are moved aside
"""
from __future__ import annotations

import argparse
import warnings

from rich.console import Console
from rich.table import Table

from grader.data import store


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grader data", description="Datasets: list, fetch, verify.")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="what exists, where, verified or not")
    f = sub.add_parser("fetch", help="make datasets available (mirror, cache, or download)")
    f.add_argument("names", nargs="+", metavar="NAME", help=f"one of {', '.join(store.manifest())}, or all")
    v = sub.add_parser("verify", help="re-hash every present file against the manifest")
    v.add_argument("names", nargs="*", metavar="NAME", help="datasets to verify (default: all)")
    return p


def _names(names: list[str]) -> list[str]:
    if not names or "all" in names:
        return list(store.manifest())
    return [store.dataset(n).name for n in names]


def _where(console: Console) -> None:
    for m in store.mirrors():
        console.print(f"mirror: {m}" + ("" if m.is_dir() else " [red](does not exist)[/]"))
    if not store.mirrors():
        console.print(f"mirror: none ({store.MIRROR_VAR} not set)")
    console.print(f"cache:  {store.cache_dir()}" + ("  [dim](offline)[/]" if store.offline() else ""))


def _size(spec: store.FileSpec) -> str:
    return f"{spec.size:,}" if spec.size is not None else "?"


def cmd_list(console: Console) -> int:
    _where(console)
    table = Table(title="datasets")
    for col in ("dataset", "file", "bytes", "status", "location"):
        table.add_column(col, no_wrap=col != "location", overflow="fold" if col == "location" else "ellipsis")
    for ds in store.manifest().values():
        for spec in ds.files:
            path = next((p for p in [*(m / spec.rel for m in store.mirrors()), store.cache_dir() / spec.rel]
                         if p.is_file()), None)
            if path is None:
                status = "[red]missing[/]"
            elif store.is_recorded(path, spec):
                status = "[green]verified[/]"
            else:
                status = "[yellow]present, not yet verified[/]"
            table.add_row(ds.name, spec.name, _size(spec), status, str(path or ""))
    console.print(table)
    console.print("Also available offline: diabetes, breast_cancer, digits, iris (bundled with scikit-learn).")
    return 0


def cmd_fetch(console: Console, names: list[str]) -> int:
    rc = 0
    for name in _names(names):
        try:
            paths = store.require(name)
        except store.DataUnavailable as e:
            console.print(f"[red]{name}: unavailable[/]\n{e}", highlight=False, soft_wrap=True)
            rc = 1
            continue
        console.print(f"[green]{name}: {len(paths)} file(s) verified[/]")
        for n, p in paths.items():
            console.print(f"  {n}: {p}", highlight=False)
    return rc


def cmd_verify(console: Console, names: list[str]) -> int:
    _where(console)
    table = Table(title="verification (sha256 against datasets/manifest.toml)")
    for col in ("dataset", "file", "result", "location"):
        table.add_column(col, no_wrap=col != "location", overflow="fold" if col == "location" else "ellipsis")
    counts = {"verified": 0, "corrupt": 0, "missing": 0}
    for name in _names(names):
        for spec in store.dataset(name).files:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", store.DataWarning)
                found = store.locate(spec, trust_record=False, quiet=True)
            for note in found.notes:
                counts["corrupt"] += 1
                table.add_row(name, spec.name, "[red]CORRUPT[/]", note)
            if found.path is not None:
                counts["verified"] += 1
                table.add_row(name, spec.name, f"[green]verified[/] ({found.where})", str(found.path))
            elif not found.notes:
                counts["missing"] += 1
                table.add_row(name, spec.name, "[dim]missing[/]", "")
    console.print(table)
    console.print(f"{counts['verified']} verified, {counts['corrupt']} corrupt, {counts['missing']} missing")
    return 1 if counts["corrupt"] else 0


def main(argv: list[str] | None = None) -> int:
    """Run `grader data ARGV...`; returns the exit status (0 ok, 1 a problem, 2 bad usage)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    console = Console(width=None if Console().is_terminal else 160)
    try:
        if args.cmd == "list":
            return cmd_list(console)
        if args.cmd == "fetch":
            return cmd_fetch(console, args.names)
        return cmd_verify(console, args.names)
    except KeyError as e:
        console.print(f"[red]{e.args[0]}[/]")
        return 2
