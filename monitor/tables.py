"""Tables a person reads on a terminal of any width, and full rows when the output goes to a file or a pipe.

On a terminal the table fits its width without splitting a word: ids, states, severities, counts and
times stay whole, names wrap between words, and the one free-text column (a title, an error) takes what
is left, wrapped at words (never narrower than its longest word). When even that does not fit, each
row is printed as a short record instead (`header: value` lines). Piped or redirected, nothing is squeezed:
every row is printed in full, however wide (unless COLUMNS is set, which is then the width).
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

WHOLE, WORDS, FREE = "whole", "words", "free"
FREE_MIN = 24  # the free-text column is never narrower than this in a table (records take over)
FREE_WANT = 40  # ... and keeps this much while other columns can still wrap
FREE_CUT = 200  # on a terminal, free text is cut at a word after this many characters (by default)


@dataclass(frozen=True)
class Col:
    """One column: its header and how its cells may be broken (whole, words, or free text)."""

    header: str
    fit: str = WHOLE
    cut: int = FREE_CUT  # free text only: on a terminal, cut at a word after this many characters


def output_width() -> int | None:
    """The columns to fit in: COLUMNS when set, the terminal's width, or None (no limit) when stdout is not a terminal."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if not _stdout_is_terminal():
        return None
    return shutil.get_terminal_size().columns


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def print_table(cols: Sequence[Col], rows: Sequence[Sequence[str]], title: str | None = None,
                width: int | None = None) -> None:
    """Print rows under these columns, fitted to `width` (by default the output's, see `output_width`)."""
    import click

    from monitor.hygiene import clean_line
    from monitor.readable import cut_at_word

    if width is None:
        width = output_width()
    cells = [[clean_line(str(c)) for c in row] for row in rows]
    if width is not None:
        cells = [[cut_at_word(c, col.cut) if col.fit == FREE else c for col, c in zip(cols, row, strict=True)]
                 for row in cells]
    widths = fit_widths(cols, cells, width)
    if widths is None:
        assert width is not None
        click.echo("\n".join(records(cols, cells, width, title)))
        return
    _print_rich(cols, cells, widths, title)


def table_width(widths: Sequence[int]) -> int:
    """The width of a rich table with these column widths (heavy-head box, one space of padding)."""
    return sum(widths) + 3 * len(widths) + 1


def fit_widths(cols: Sequence[Col], cells: Sequence[Sequence[str]], width: int | None) -> list[int] | None:
    """Each column's width so the table fits `width` without splitting a word; None when no table can."""
    from rich.cells import cell_len

    natural, least = [], []
    for k, col in enumerate(cols):
        values = [row[k] for row in cells]
        longest = max((cell_len(v) for v in values), default=0)
        header_word = max(cell_len(w) for w in col.header.split() or [""])
        natural.append(max(longest, cell_len(col.header), 1))
        if col.fit == WHOLE:
            least.append(max(longest, header_word, 1))
        elif col.fit == WORDS:
            least.append(max([header_word, 1, *(cell_len(w) for v in values for w in v.split())]))
        else:  # wide enough for its longest word (a host in an error), so none is cut in a table
            longest_word = max([0, *(cell_len(w) for v in values for w in v.split())])
            least.append(min(natural[-1], max(FREE_MIN, header_word, longest_word)))
    if width is None or table_width(natural) <= width:
        return natural
    if table_width(least) > width:
        return None
    widths = list(natural)
    excess = table_width(widths) - width
    # the free text gives way first (down to FREE_WANT), then the columns that wrap between words, widest
    # first, then the free text again, down to its least
    for floor in (FREE_WANT, 0):
        for k, col in enumerate(cols):
            if col.fit == FREE:
                cut = max(0, min(excess, widths[k] - max(least[k], floor)))
                widths[k] -= cut
                excess -= cut
        while excess > 0:
            room = [j for j, col in enumerate(cols) if col.fit != FREE and widths[j] > least[j]]
            if not room:
                break
            k = max(room, key=lambda j: widths[j])
            widths[k] -= 1
            excess -= 1
    return widths


def _print_rich(cols: Sequence[Col], cells: Sequence[Sequence[str]], widths: Sequence[int], title: str | None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title)
    for col, w in zip(cols, widths, strict=True):
        table.add_column(col.header, width=w, no_wrap=False, overflow="ellipsis" if col.fit == FREE else "fold")
    for row in cells:
        table.add_row(*(Text(c) for c in row))
    Console(highlight=False, width=max(table_width(widths), len(title or ""))).print(table)


def records(cols: Sequence[Col], cells: Sequence[Sequence[str]], width: int, title: str | None = None) -> list[str]:
    """Each row as a record: its first cell on a line, then `header: value` fields packed into lines of `width`."""
    width = max(width, 20)
    lines = [title] if title else []
    for row in cells:
        if lines:
            lines.append("")
        lines.extend(_wrap(f"{cols[0].header}: {row[0]}", width, "", "  "))
        line = ""
        for col, value in zip(cols[1:], row[1:], strict=True):
            if col.fit == FREE or not value:
                continue
            field = f"{col.header}: {value}"
            if line and len(line) + 3 + len(field) <= width:
                line += " · " + field
                continue
            if line:
                lines.append(line)
            if 2 + len(field) <= width:
                line = "  " + field
            else:
                lines.extend(_wrap(field, width, "  ", "    "))
                line = ""
        if line:
            lines.append(line)
        for col, value in zip(cols[1:], row[1:], strict=True):
            if col.fit == FREE and value:
                lines.extend(_wrap(f"{col.header}: {value}", width, "  ", "    "))
    return lines


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest, break_long_words=False,
                         break_on_hyphens=False) or [first.rstrip()]


def print_wrapped(text: str) -> None:
    """Print a line of prose, wrapped between words to the output's width (whole when piped)."""
    import click

    width = output_width()
    click.echo("\n".join(_wrap(text, width, "", "")) if width else text)
