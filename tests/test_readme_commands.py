"""Issue 11, finding 5: every command of the README exists with the options it prints, and the README
says how to run them after `make install`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def command_lines() -> list[str]:
    block = README.split("## Commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines, current = [], ""
    for raw in block.splitlines():
        text = raw.split("#", 1)[0].rstrip()
        if text.startswith("rights-monitor "):
            if current:
                lines.append(current)
            current = text
        elif text.strip().startswith("[") and current:  # a wrapped option line
            current += " " + text.strip()
    return lines + ([current] if current else [])


def words_and_options(line: str) -> tuple[list[str], list[str]]:
    words = []
    for word in line.split()[1:]:
        if not re.fullmatch(r"[a-z][a-z-]*", word):
            break
        words.append(word)
    return words, sorted(set(re.findall(r"--[a-z][a-z-]*", line)))


@pytest.mark.parametrize("line", command_lines())
def test_each_readme_command_exists_with_its_options(line):
    words, options = words_and_options(line)
    if words[:2] == ["incidents", "list|show"]:
        words = ["incidents", "list"]
    words = [w for w in words if w not in ("dismiss", "reopen")] if words[:1] == ["incidents"] else words
    result = CliRunner().invoke(cli, [*words, "--help"], terminal_width=200)
    assert result.exit_code == 0, (line, result.output)
    for option in options:
        assert option in result.output, (line, option)


def test_the_readme_says_how_to_run_the_command_after_make_install():
    assert ".venv/bin/rights-monitor" in README and "source .venv/bin/activate" in README
    assert "## Troubleshooting" in README
