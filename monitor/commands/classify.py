"""`classify` and `eval`: the classifier on JSONL, with no store needed."""

from __future__ import annotations

import json
import sys

import click

from monitor.commands.root import _settings, cli
from monitor.hygiene import json_text


def _classifier(ctx: click.Context):
    from classifiers import build_classifier
    from monitor.watchlist import load_watchlist
    from monitor.wiring import make_deps

    settings = _settings(ctx)
    watchlist = load_watchlist(settings.watchlist_paths)
    return build_classifier(settings.classifier, make_deps(watchlist=watchlist)), watchlist


@cli.command()
@click.argument("file", type=click.File("rb"))  # bytes: one line that is not UTF-8 is an error row, not the end
@click.pass_context
def classify(ctx: click.Context, file) -> None:
    """Classify JSONL items ({"id","title","summary"} per line; `-` for stdin): one JSON line out per line in."""
    from classifiers.jsonl import classify_stream

    classifier, _ = _classifier(ctx)
    out = sys.stdout
    for row in classify_stream(classifier, file):
        out.write(json_text(row) + "\n")  # controls from the input come back as \u escapes
    out.flush()


@cli.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def eval_cmd(ctx: click.Context, file: str, as_json: bool) -> None:
    """Score the classifier on labeled JSONL (the dev_items format): P/R/F1, false alarms, companies."""
    from classifiers.evaluate import evaluate, format_report
    from classifiers.jsonl import read_labeled
    from monitor.types import ClassifyInput

    try:  # read the whole file first: a bad line is one message, not a traceback after the model loaded
        rows = list(read_labeled(file))
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{exc} (eval reads one JSON object per line, in the dev_items.jsonl format)") \
            from None
    classifier, watchlist = _classifier(ctx)
    inputs = [ClassifyInput(id=str(r["id"]), title=r.get("title", ""), summary=r.get("summary", ""),
                            url=r.get("url") or "", lang=r.get("lang")) for r in rows]
    result = evaluate(rows, classifier.classify_many(inputs), watchlist)
    click.echo(json.dumps(result, indent=None if as_json else 2) if as_json else format_report(result))
