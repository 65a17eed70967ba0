"""Run every benchmarks/bench_*.py module's main() and print its figures."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import benchmarks


def main(argv: list[str]) -> None:
    wanted = {a for a in argv if not a.startswith("--")}
    flags = [a for a in argv if a.startswith("--")]  # e.g. --full, for bench_cycle
    for info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda m: m.name):
        if info.name.startswith("bench_") and (not wanted or info.name in wanted):
            print(f"== {info.name}", flush=True)
            sys.argv = [info.name] + (flags if info.name == "bench_cycle" else [])  # the others: their defaults
            importlib.import_module(f"benchmarks.{info.name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
