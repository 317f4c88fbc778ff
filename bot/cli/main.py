"""The ``scholar-digest`` command line: ingest, digest, demo, status, run."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot import __version__
from bot.cli.output import progress, setup_logging
from bot.cli.rules_cmd import rules
from bot.config import Settings, load_settings
from bot.errors import ScholarDigestError
from bot.intake.files import RawMessage, iter_raw_messages
from bot.intake.pipeline import IngestLimits, IngestResult, Outcome
from bot.jobs import IngestTally, ingest_all, limits_from, make_digest
from bot.rules.bundle import RuleBundle, load_bundle
from bot.samples import sample_inbox
from bot.store import open_store
from bot.store.status import read_status
from bot.store.summaries import usage_since

if TYPE_CHECKING:  # delivery and the daemon load only when used
    from bot.daemon.cycle import DueCheck
    from bot.deliver.outbox import FlushReport

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


class _Context:
    def __init__(self, settings: Settings, *, verbose: bool) -> None:
        self.settings = settings
        self.verbose = verbose


def _settings(ctx: click.Context) -> Settings:
    state = ctx.find_object(_Context)
    assert state is not None
    return state.settings


@click.group(
    epilog="\b\nExample:\n  scholar-digest ingest --from ~/Mail/alerts.mbox\n"
    "  scholar-digest digest --out ./today",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option("-v", "--verbose", is_flag=True, help="Log wire detail (DEBUG).")
@click.option("-q", "--quiet", is_flag=True, help="Log only warnings and errors.")
@click.version_option(__version__, prog_name="scholar-digest")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """Turn Google Scholar alerts and arXiv listings into one daily digest.

    Settings come from SCHOLAR_DIGEST_* environment variables (or a .env
    file); the digest's shape comes from the rule files in ./rules.
    """
    settings = load_settings()
    level = "DEBUG" if verbose else "WARNING" if quiet else settings.log_level
    setup_logging(level)
    ctx.obj = _Context(settings, verbose=verbose)


@cli.command(
    epilog="\b\nExamples:\n  scholar-digest ingest --from alert.eml\n"
    "  scholar-digest ingest --from ~/Maildir/.Scholar --from old-alerts.mbox"
)
@click.option(
    "--from",
    "sources",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="An .eml file, a folder of .eml files, an mbox file or a Maildir "
    "(repeatable).",
)
@click.option(
    "--retry-quarantined",
    is_flag=True,
    help="Try quarantined messages among these again, from their first attempt.",
)
@click.pass_context
def ingest(
    ctx: click.Context, sources: Sequence[Path], retry_quarantined: bool
) -> None:
    """Read alert emails from files into the store.

    Each message goes through the same function the IMAP listener uses.
    Messages already stored are recognised and change nothing; a message
    that cannot be parsed is recorded and does not stop the others.
    """
    settings = _settings(ctx)
    # Read every path first: a typo in the last --from fails before any work.
    messages = [m for source in sources for m in iter_raw_messages(source)]
    conn = open_store(settings.store_path)
    try:
        limits = limits_from(settings, retry_quarantined=retry_quarantined)
        tally = _ingest_with_progress(conn, messages, limits)
    finally:
        conn.close()
    click.echo(_tally_line(tally))


@cli.command(
    epilog="\b\nExamples:\n  scholar-digest digest --out ./digest\n"
    "  scholar-digest digest --dry-run --out /tmp/preview"
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("digest"),
    show_default=True,
    help="Folder for digest.md, digest.html, digest.txt and digest.json.",
)
@click.option(
    "--dry-run", is_flag=True, help="Write a preview; mark no paper as delivered."
)
@click.option(
    "--send",
    is_flag=True,
    help="Mail today's digest now to SCHOLAR_DIGEST_TO (or the rules' "
    "recipients); its files go to DATA_DIR/digests/DAY.",
)
@click.pass_context
def digest(ctx: click.Context, out_dir: Path, dry_run: bool, send: bool) -> None:
    """Write the digest of every paper not yet in an earlier digest.

    Pending papers are first completed from arXiv and OpenAlex (each paper
    looked up once; SCHOLAR_DIGEST_OFFLINE=1 skips this), then summarized by
    the model named in SCHOLAR_DIGEST_LLM_MODEL (else extractively). A written digest
    counts as delivered: the next one starts after its papers. With
    --dry-run nothing is marked. With --send the digest is mailed instead
    (once per day: a second --send only retries what the outbox holds).
    """
    settings = _settings(ctx)
    bundle = load_bundle(settings.rules_dir, required=settings.rules_dir_given)
    digest_settings = bundle.settings
    if send:
        if dry_run:
            raise click.UsageError("--send and --dry-run cannot go together")
        _send_today(settings, bundle)
        return
    conn = open_store(settings.store_path)
    try:
        with ExitStack() as stack:
            enricher = None
            if not settings.offline:
                # Imported here: the HTTP stack is not needed offline.
                from bot.enrich.setup import open_enricher

                enricher = stack.enter_context(open_enricher(conn, settings))
            # Imported here: the model summarizer is not needed by other commands.
            from bot.summarize.llm import summarizer_for

            run = make_digest(
                conn,
                out_dir,
                digest_settings,
                summarizer=summarizer_for(conn, settings, digest_settings),
                enricher=enricher,
                rules=bundle.rules,
                dry_run=dry_run,
            )
    finally:
        conn.close()
    verb = "previewed" if dry_run else "wrote"
    click.echo(f"{verb} a digest of {run.digest.paper_count} paper(s):")
    for path in run.written.paths:
        click.echo(f"  {path}")


@cli.command(
    epilog="\b\nExample (then open digest-demo/digest.html in a browser):\n"
    "  scholar-digest demo --out ./digest-demo"
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("digest-demo"),
    show_default=True,
    help="Folder the demo digest is written to.",
)
@click.pass_context
def demo(ctx: click.Context, out_dir: Path) -> None:
    """Run the whole job on the bundled sample inbox: no network, no key.

    The samples are ingested into a temporary store (your data folder is
    not touched) and the four digest files are written to --out.
    """
    settings = _settings(ctx)
    bundle = load_bundle(settings.rules_dir, required=settings.rules_dir_given)
    state = ctx.find_object(_Context)
    if state is None or not state.verbose:
        # The samples fail and skip on purpose; the summary below says so.
        logging.getLogger().setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="scholar-digest-demo-") as temp:
        store_path = Path(temp) / "demo.sqlite3"
        conn = open_store(store_path)
        try:
            messages = list(sample_inbox())
            tally = _ingest_with_progress(conn, messages, limits_from(settings))
            run = make_digest(conn, out_dir, bundle.settings, rules=bundle.rules)
        finally:
            conn.close()
    click.echo(_tally_line(tally))
    click.echo(
        "(the sample inbox holds a newsletter and a damaged message on purpose: "
        "one skipped and one failed are expected; -v shows why)"
    )
    click.echo(f"wrote a digest of {run.digest.paper_count} paper(s):")
    for path in run.written.paths:
        click.echo(f"  {path}")


@cli.command(
    epilog="Example:\n\n  SCHOLAR_DIGEST_DATA_DIR=/srv/digest scholar-digest status"
)
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show messages seen, papers pending, failures and the last digest."""
    settings = _settings(ctx)
    if not settings.store_path.exists():
        click.echo(
            f"no store yet at {settings.store_path}: run `scholar-digest ingest`"
        )
        _echo_rules_status(settings, None)
        return
    conn = open_store(settings.store_path)
    try:
        _echo_status(settings, conn)
    finally:
        conn.close()


def _echo_status(settings: Settings, conn: sqlite3.Connection) -> None:
    report = read_status(conn)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    summarized, spent = usage_since(conn, today)
    seen = sum(report.messages_by_status.values())
    parts = ", ".join(f"{n} {s}" for s, n in sorted(report.messages_by_status.items()))
    click.echo(f"store:          {settings.store_path}")
    click.echo(f"messages seen:  {seen}" + (f" ({parts})" if parts else ""))
    unsent = (
        f", {report.papers_unsent} in a digest waiting to be sent"
        if report.papers_unsent
        else ""
    )
    click.echo(
        f"papers:         {report.papers_total} "
        f"({report.papers_pending} pending{unsent})"
    )
    last = (
        f"#{report.last_digest_id} {report.last_digest_at} "
        f"({report.last_digest_papers} paper(s))"
        if report.last_digest_at
        else "none yet"
    )
    click.echo(f"last digest:    {last}")
    click.echo(f"model today:    {summarized} paper(s) summarized, ${spent:.4f} spent")
    _echo_mail_status(settings, conn)
    if report.failures:
        click.echo("failures:")
        for failure in report.failures:
            click.echo(
                f"  {failure.status} after {failure.attempts} attempt(s): "
                f"{failure.message_id or '(no Message-ID)'} from {failure.origin}: "
                f"{failure.error}"
            )


@cli.command(
    epilog="\b\nExamples:\n  scholar-digest run\n"
    "  scholar-digest run --once   # from cron, e.g. every 15 minutes"
)
@click.option(
    "--once",
    is_flag=True,
    help="One full cycle (catch up, enrich, summarize, send if due), then exit.",
)
@click.pass_context
def run(ctx: click.Context, once: bool) -> None:
    """Watch the mailbox over IMAP and mail the digest once a day.

    New alerts are read as they arrive (IMAP IDLE, or polling where the
    server has no IDLE) and the digest goes out daily at send_at in the
    rules' time zone. Only one `run` may use a data folder at a time;
    `ingest`, `digest` and `status` work beside it.
    """
    settings = _settings(ctx)
    # Imported here: the daemon pulls in the IMAP and SMTP stacks.
    from bot.daemon.cycle import make_clock
    from bot.daemon.run import run_daemon, run_once

    clock = make_clock(settings.now)
    if not once:
        run_daemon(settings, clock)
        return
    report = run_once(settings, clock)
    if report.mailbox_error is None:
        click.echo(f"read {report.messages_read} new message(s) from the mailbox")
    _echo_due(report.due)
    _finish_flush(report.flush)
    if report.mailbox_error is not None:
        went = (
            "what was already stored went out"
            if report.flush.sent
            else ("nothing was sent")
        )
        raise ScholarDigestError(
            f"the mailbox could not be read ({report.mailbox_error}); {went}"
        )


def _echo_due(due: DueCheck) -> None:
    prepared = due.prepared
    if prepared is None:
        when = due.next_send.isoformat(timespec="minutes")
        click.echo(f"no digest due now; the next one is due at {when}")
    elif prepared.status == "skipped":
        click.echo(f"digest for {prepared.day}: nothing new, empty days are skipped")
    else:
        click.echo(
            f"digest for {prepared.day}: {prepared.paper_count} paper(s) for "
            f"{len(prepared.recipients)} recipient(s)"
        )


def _finish_flush(flush: FlushReport) -> None:
    click.echo(flush.describe())
    if flush.deferred or flush.failed:
        raise ScholarDigestError(
            "some digest email stays in the outbox; the next run or "
            "`scholar-digest digest --send` tries again"
        )


def _send_today(settings: Settings, bundle: RuleBundle) -> None:
    # Imported here: delivery pulls in the SMTP stack.
    from bot.daemon.cycle import make_clock, prepare_if_due
    from bot.deliver.outbox import flush_outbox

    clock = make_clock(settings.now)
    due = prepare_if_due(settings, bundle, clock(), force_today=True)
    if due.prepared is None:
        click.echo("today's digest was made already; sending what the outbox holds")
    else:
        _echo_due(due)
    conn = open_store(settings.store_path)
    try:
        flush = asyncio.run(
            flush_outbox(
                conn,
                settings,
                now=clock,
                retries_now=2,
                lock_wait=120.0,
                ignore_backoff=True,
            )
        )
    finally:
        conn.close()
    _finish_flush(flush)


def _echo_rules_status(settings: Settings, conn: sqlite3.Connection | None) -> None:
    from bot.rules.loader import check_rules
    from bot.rules.subscribers import is_stranger, load_subscribers

    problems = [p for p in check_rules(settings.rules_dir) if p.is_error]
    if problems and settings.rules_dir.is_dir():
        click.echo(
            f"rules:          {len(problems)} error(s); the last good rules are used "
            "(scholar-digest rules check)"
        )
        for problem in problems[:5]:
            where = f"{problem.path}:{problem.line}" if problem.line else problem.path
            click.echo(f"  {where}: {problem.message}")
        return
    try:
        subscribers = load_subscribers(settings.rules_dir)
    except ScholarDigestError:
        return
    if conn is None:
        return
    rows = conn.execute(
        "SELECT forwarder, COUNT(DISTINCT message_row) AS n FROM paper_sources "
        "WHERE forwarder IS NOT NULL GROUP BY forwarder ORDER BY forwarder"
    ).fetchall()
    for row in rows:
        if is_stranger(subscribers, row["forwarder"]):
            click.echo(
                f"stranger:       {row['forwarder']} forwarded {row['n']} "
                "message(s); stored, never answered (not a [[subscriber]])"
            )


def _echo_mail_status(settings: Settings, conn: sqlite3.Connection) -> None:
    from bot.store.outbox import outbox_report
    from bot.store.positions import all_positions

    _echo_rules_status(settings, conn)
    positions = all_positions(conn)
    mailing = conn.execute(
        "SELECT day, status FROM mailings ORDER BY day DESC LIMIT 1"
    ).fetchone()
    outbox = outbox_report(conn)
    for account, folder, position in positions:
        click.echo(
            f"mailbox:        {account} {folder!r}: read up to UID "
            f"{position.last_uid} (UIDVALIDITY {position.uidvalidity})"
        )
    if mailing is not None:
        click.echo(f"last mailing:   {mailing['day']} ({mailing['status']})")
    if outbox.counts:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(outbox.counts.items()))
        retry = f"; next try {outbox.next_attempt_at}" if outbox.next_attempt_at else ""
        click.echo(f"outbox:         {counts}{retry}")
    for problem in outbox.problems:
        click.echo(
            f"  {problem.status} for {problem.recipient} ({problem.day}, "
            f"{problem.attempts} attempt(s)): {problem.error}"
        )


cli.add_command(rules)


def _ingest_with_progress(
    conn: Any, messages: list[RawMessage], limits: IngestLimits
) -> IngestTally:
    with progress("ingesting", total=len(messages)) as bar:

        def advance(_: IngestResult) -> None:
            bar.advance()

        return ingest_all(conn, messages, limits, on_result=advance)


def _tally_line(tally: IngestTally) -> str:
    counts = ", ".join(
        f"{tally.outcomes[outcome]} {outcome.value}"
        for outcome in Outcome
        if tally.outcomes[outcome]
    )
    return (
        f"ingested {tally.messages} message(s) ({counts or 'none'}): "
        f"{tally.papers_found} paper(s) found, {tally.papers_new} new"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: errors become one line on stderr and exit status 1."""
    try:
        cli.main(args=argv, prog_name="scholar-digest", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("scholar-digest: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ScholarDigestError as exc:
        click.echo(f"scholar-digest: error: {exc}", err=True)
        sys.exit(1)
