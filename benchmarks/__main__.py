"""Run every benchmarks/bench_*.py module's main() and print its figures."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import benchmarks


def main(argv: list[str]) -> None:
    wanted = set(argv)
    for info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda m: m.name):
        if info.name.startswith("bench_") and (not wanted or info.name in wanted):
            print(f"== {info.name}", flush=True)
            sys.argv = [info.name]  # each benchmark runs on its own defaults
            importlib.import_module(f"benchmarks.{info.name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
