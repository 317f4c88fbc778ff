"""`rules check` and `rules explain`: the rule files, seen from outside."""

from __future__ import annotations

from pathlib import Path

import click

from bot.config import Settings, load_settings
from bot.errors import ScholarDigestError
from bot.rules.apply import decide
from bot.rules.engine import explain, precedence_text
from bot.rules.loader import check_rules, load_rules
from bot.rules.subscribers import Subscriber, load_subscribers
from bot.store import open_store
from bot.store.papers import StoredPaper, pending_papers, placed_papers


@click.group(
    epilog="\b\nExamples:\n  scholar-digest rules check\n"
    "  scholar-digest rules explain --digest 12"
)
def rules() -> None:
    """Check the rule files, and see what they do to papers."""


@rules.command(
    epilog="\b\nExamples:\n  scholar-digest rules check\n"
    "  scholar-digest rules check ~/digest-rules"
)
@click.argument(
    "folder", required=False, type=click.Path(file_okay=False, path_type=Path)
)
def check(folder: Path | None) -> None:
    """Report every problem in the rule files, with file, line and a hint.

    FOLDER defaults to SCHOLAR_DIGEST_RULES_DIR (./rules). Exits with status
    1 when there is an error; warnings alone leave it at 0.
    """
    settings = load_settings()
    target = folder or settings.rules_dir
    if folder is None and not settings.rules_dir_given and not target.is_dir():
        click.echo(f"no rules folder at {target}: the defaults apply")
        return
    # check_rules covers [settings], [[rule]], [[subscriber]] and each
    # subscriber's own rules folder.
    problems = check_rules(target)
    for problem in problems:
        where = f"{problem.path}:{problem.line}" if problem.line else problem.path
        hint = f" (hint: {problem.hint})" if problem.hint else ""
        click.echo(f"{where}: {problem.level}: {problem.message}{hint}")
    errors = sum(problem.is_error for problem in problems)
    if errors:
        raise ScholarDigestError(
            f"{errors} error(s) in {target}: a running `scholar-digest run` keeps "
            "the last good rules; other commands stop until this is fixed"
        )
    ruleset = load_rules(target)
    subscribers = load_subscribers(target)
    warnings = len(problems)
    click.echo(
        f"{target}: {len(ruleset.rules)} rule(s), {len(subscribers)} subscriber(s), "
        f"no errors" + (f", {warnings} warning(s)" if warnings else "")
    )


@rules.command(
    epilog="\b\nExamples:\n  scholar-digest rules explain\n"
    "  scholar-digest rules explain --digest 12\n"
    "  scholar-digest rules explain --for ada@example.org"
)
@click.option(
    "--digest",
    "digest_id",
    type=int,
    help="Explain the papers of this digest (its number in `status`).",
)
@click.option(
    "--for",
    "address",
    help="Use this subscriber's own rules too, and their pending papers.",
)
def explain_cmd(digest_id: int | None, address: str | None) -> None:
    """Show, per paper, which rules matched and what they did.

    Without --digest the papers waiting for the next digest written to files
    are explained; with --for, those waiting for that subscriber's email.
    The precedence of rules is printed first.
    """
    settings = load_settings()
    ruleset = load_rules(settings.rules_dir, required=settings.rules_dir_given)
    audience = None
    if address is not None:
        subscriber = _subscriber(settings, address)
        audience = subscriber.audience
        if subscriber.rules_dir is not None:
            ruleset = ruleset.then(load_rules(subscriber.rules_dir, required=True))
    papers = _papers(settings, digest_id, audience)
    if address is not None and digest_id is None:
        papers = [paper for paper in papers if subscriber.is_fed_by(paper)]
    click.echo(precedence_text())
    click.echo(f"{len(ruleset.rules)} rule(s) over {len(papers)} paper(s)")
    for paper in papers:
        click.echo("")
        click.echo(f"{paper.record.title}")
        for line in explain(decide(ruleset, paper)):
            click.echo(f"  {line}")


explain_cmd.name = "explain"


def _subscriber(settings: Settings, address: str) -> Subscriber:
    for subscriber in load_subscribers(settings.rules_dir):
        if subscriber.audience == address.lower():
            return subscriber
    raise ScholarDigestError(
        f"{address} is not a [[subscriber]] in {settings.rules_dir}"
    )


def _papers(
    settings: Settings, digest_id: int | None, audience: str | None
) -> list[StoredPaper]:
    if not settings.store_path.exists():
        if digest_id is not None:
            raise ScholarDigestError(f"no digest {digest_id}: there is no store yet")
        return []
    conn = open_store(settings.store_path)
    try:
        if digest_id is None:
            return pending_papers(conn, audience)
        papers = placed_papers(conn, digest_id)
        if not papers:
            raise ScholarDigestError(f"no digest {digest_id} (or it was empty)")
        return papers
    finally:
        conn.close()
