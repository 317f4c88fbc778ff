"""Building the enricher from settings: one polite HTTP client per service."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta

from bot.config import Settings
from bot.enrich.arxiv_client import ArxivClient
from bot.enrich.enricher import Enricher, RetryPolicy
from bot.enrich.http import PoliteClient, user_agent
from bot.enrich.openalex_client import OpenAlexClient

# OpenAlex asks for at most ten requests a second; a tenth of a second
# between requests keeps us inside that with one connection.
OPENALEX_MIN_INTERVAL = 0.1
# Three tries (waits of 1 and 2 s between them) ride out a passing 503; a
# service still down after that is left for a later run, so a dead or hung
# service costs a digest at most about 3 x the timeout per service.
LOOKUP_ATTEMPTS = 3


@contextmanager
def open_enricher(
    conn: sqlite3.Connection,
    settings: Settings,
    *,
    retry_after: timedelta | None = None,
) -> Iterator[Enricher]:
    """An :class:`Enricher` talking to the configured arXiv and OpenAlex.

    Never call this in offline mode: the caller decides, so that offline
    runs do not even build an HTTP client.
    """
    agent = user_agent(settings.contact_email)
    with ExitStack() as stack:
        arxiv_http = stack.enter_context(
            PoliteClient(
                user_agent=agent,
                min_interval=settings.arxiv_min_interval,
                timeout=settings.http_timeout,
                max_attempts=LOOKUP_ATTEMPTS,
            )
        )
        openalex_http = stack.enter_context(
            PoliteClient(
                user_agent=agent,
                min_interval=OPENALEX_MIN_INTERVAL,
                timeout=settings.http_timeout,
                max_attempts=LOOKUP_ATTEMPTS,
            )
        )
        policy = RetryPolicy() if retry_after is None else RetryPolicy(retry_after)
        yield Enricher(
            conn,
            arxiv=ArxivClient(arxiv_http, settings.arxiv_api_url),
            openalex=OpenAlexClient(
                openalex_http, settings.openalex_url, mailto=settings.contact_email
            ),
            policy=policy,
        )
