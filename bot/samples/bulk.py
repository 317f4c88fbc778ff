"""Many plausible alerts for benchmarks: invented papers that recur across alerts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.samples import mime
from bot.samples.scholar_mail import SampleResult, build_scholar_alert

_METHODS = (
    "Adaptive",
    "Learned",
    "Incremental",
    "Vectorized",
    "Speculative",
    "Cost-Based",
    "Lock-Free",
    "Elastic",
    "Approximate",
    "Partition-Aware",
    "Energy-Efficient",
    "Verifiable",
)
_OBJECTS = (
    "Join Processing",
    "Index Maintenance",
    "Query Rewriting",
    "Cache Eviction",
    "Compaction",
    "Checkpointing",
    "Tensor Sharding",
    "Attention Kernels",
    "Graph Partitioning",
    "Log Replication",
    "Cardinality Estimation",
    "Model Serving",
)
_SETTINGS = (
    "in Disaggregated Memory",
    "for Serverless Analytics",
    "on Commodity GPUs",
    "at the Network Edge",
    "for Streaming Workloads",
    "in Lakehouse Tables",
    "for Mixture-of-Experts Inference",
    "over Encrypted Data",
    "under Skewed Workloads",
    "in Geo-Distributed Databases",
)
_BOTTLENECKS = (
    "memory bandwidth",
    "tail latency",
    "coordination cost",
    "stale statistics",
    "write amplification",
    "cross-device traffic",
)
_SURNAMES = (
    "Achebe",
    "Berg",
    "Castillo",
    "Dvořák",
    "Eriksen",
    "Fujita",
    "Gallo",
    "Horvat",
    "Iyer",
    "Jansen",
    "Kowalski",
    "Laurent",
    "Mensah",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quispe",
    "Rahman",
    "Schmidt-Weber",
    "Tanaka",
    "Uddin",
    "Varga",
    "Wójcik",
    "Yilmaz",
    "Zhou",
)
_GIVEN = ("Ada", "Bruno", "Chiara", "Dev", "Elif", "Farah", "Goran", "Hana", "Ivo")
_VENUES = (
    "Proceedings of the VLDB Endowment",
    "Proceedings of the ACM on Management of Data",
    "IEEE Transactions on Knowledge and Data Engineering",
    "Advances in Neural Information Processing Systems",
    "The VLDB Journal",
    "Information Systems",
)
_HOSTS = ("scholar.google.com",) * 6 + (
    "scholar.google.co.uk",
    "scholar.google.de",
    "scholar.google.com.au",
    "scholar.google.ru",
)
_ENCODINGS: tuple[mime.TransferEncoding, ...] = ("quoted-printable",) * 15 + (
    ("base64",) * 4 + ("8bit",)
)
_START = datetime(2026, 11, 2, 5, 0, tzinfo=UTC)


def iter_bulk_alerts(
    count: int, *, seed: int = 0, start: datetime = _START
) -> Iterator[bytes]:
    """Yield ``count`` raw Scholar alerts, one at a time, reproducibly.

    Papers are drawn from a pool twice ``count`` large, so many recur across
    alerts as they do in a real mailbox; alert types, languages, hosts and
    transfer encodings vary.
    """
    pool = max(10, 2 * count)
    for number in range(count):
        rng = mime.seeded_rng("bulk-alert", str(seed), str(number))
        folt = rng.choice(("rel", "rel", "cit", "art", "kw"))
        language = "zh" if rng.random() < 0.1 else "en"
        followed = _person(rng) if folt != "kw" else _query(rng)
        picks = rng.sample(range(pool), rng.randint(1, 6))
        results = [_paper(seed, index) for index in picks]
        if folt == "cit":
            cited = f"{rng.choice(_METHODS)} {rng.choice(_OBJECTS)}"
            results = [replace(result, cites=cited) for result in results]
        yield build_scholar_alert(
            subject=_subject(folt, language, followed, len(results)),
            followed=followed,
            folt=folt,
            results=results,
            message_id=f"{mime.boundary(rng)}@google.com",
            date=start + timedelta(minutes=7 * number),
            language=language,
            sender_name="Google 学术搜索快讯"
            if language == "zh"
            else "Google Scholar Alerts",
            transfer_encoding=rng.choice(_ENCODINGS),
            host=rng.choice(_HOSTS),
        )


def _paper(seed: int, index: int) -> SampleResult:
    rng = mime.seeded_rng("bulk-paper", str(seed), str(index))
    method, subject = rng.choice(_METHODS), rng.choice(_OBJECTS)
    setting = rng.choice(_SETTINGS)
    title = f"{method} {subject} {setting}"
    authors = tuple(
        f"{rng.choice('ABCDEFGHJKLMNPRSTW')} {rng.choice(_SURNAMES)}"
        for _ in range(rng.randint(1, 4))
    )
    snippet = (
        f"{subject} {setting.split(' ', 1)[1]} is limited by "
        f"{rng.choice(_BOTTLENECKS)}. We present {method.lower()} techniques "
        f"that adapt to the workload at run time and improve throughput by"
    )
    year = rng.choice((2025, 2026, 2026))
    kind = rng.randrange(6)
    if kind == 0:
        arxiv_id = f"{year % 100}{rng.randint(1, 12):02d}.{rng.randint(0, 29999):05d}"
        return SampleResult(
            title,
            f"https://arxiv.org/abs/{arxiv_id}",
            authors,
            f"arXiv preprint arXiv:{arxiv_id}",
            year,
            snippet,
        )
    if kind == 1:
        return SampleResult(
            title,
            None,
            authors,
            None,
            year,
            None,
            marker="[CITATION]",
            cluster_id=mime.digits(rng, 19),
        )
    return SampleResult(
        title,
        _publisher_target(rng, kind),
        authors,
        rng.choice(_VENUES),
        year,
        snippet,
        marker="[PDF]" if kind == 5 else None,
    )


def _publisher_target(rng: random.Random, kind: int) -> str:
    number = mime.digits(rng, 7)
    if kind == 2:
        return f"https://dl.acm.org/doi/10.1145/{number[:4]}{number}.{number}"
    if kind == 3:
        pii = f"S0306437926{number}"
        return f"https://www.sciencedirect.com/science/article/pii/{pii}?via%3Dihub"
    if kind == 4:
        return f"https://ieeexplore.ieee.org/document/11{number[:6]}"
    return f"https://openreview.net/pdf?id={mime.token(rng, 10)}"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_GIVEN)} {rng.choice(_SURNAMES)}"


def _query(rng: random.Random) -> str:
    return f"{rng.choice(_OBJECTS).lower()} {rng.choice(_SETTINGS).split(' ', 1)[1]}"


def _subject(folt: str, language: str, followed: str, results: int) -> str:
    if language == "zh":
        templates = {
            "rel": "{f} - 新的相关研究工作",
            "cit": "{f}的文章新增了 {n} 次引用",
            "art": "{f} - 新文章",
            "kw": "{f} - 新的结果",
        }
    else:
        templates = {
            "rel": "{f} - new related research",
            "cit": "{n} new citations to articles by {f}",
            "art": "{f} - new articles",
            "kw": '"{f}" - new results',
        }
    return templates[folt].format(f=followed, n=results)
