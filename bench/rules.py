"""Rules benchmark: 50 varied rules applied to 5,000 generated papers.

Prints papers/s as the median of several runs and the ratio to the target of
5,000 papers/s. Each run builds fresh paper facts, so folding the text (done
once per paper) is timed too. Run from the repository root:

    .venv/bin/python bench/rules.py [--papers 5000] [--runs 5]

Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from bot.rules.engine import apply_rules
from bot.rules.facts import AlertFacts, PaperFacts, paper_facts
from bot.rules.loader import load_rules
from bot.rules.model import RuleSet

TARGET_PAPERS_PER_SECOND = 5_000.0
RULE_COUNT = 50

TOPICS = [
    "learned index",
    "query optimization",
    "retrieval augmented generation",
    "graph neural network",
    "vector database",
    "transaction processing",
    "large language model",
    "federated learning",
    "stream processing",
    "knowledge graph",
]
# Words nearly every abstract has, and syllables for made-up technical terms.
COMMON_WORDS = (
    "we propose a novel method for the of and in to on with that our is are "
    "results show approach improves over baselines data models evaluation"
)
COMMON = COMMON_WORDS.split()
SYLLABLE_TEXT = "ka lo mi ne ru ta vo xi ze qu pra stel dor fen gri hul"
SYLLABLES = SYLLABLE_TEXT.split()
AUTHORS = [
    "Ingrid Halvorsen",
    "Lars Solberg",
    "José Núñez",
    "Wei Zhang",
    "Aiko Tanaka",
    "Müller Schmidt",
    "Ana Lúcia Costa",
    "Priya Raman",
    "Olga Ivanova",
    "Tomás Ó Briain",
]
VENUES = ["VLDB", "SIGMOD", "NeurIPS", "ICML", "arXiv", "CIDR", "KDD", "ACL", ""]
CATEGORIES = ["cs.DB", "cs.LG", "cs.IR", "cs.CL", "stat.ML", "math.OC", "cs.DS"]
ALERTS = [
    ("learned index structures", "search", "scholar"),
    ("Ingrid Halvorsen", "articles", "scholar"),
    ("citations to my papers", "citations", "scholar"),
    ("recommended", "recommended", "scholar"),
    ("cs.DB new", "arxiv_listing", "arxiv_listing"),
]
FORWARDERS = [None, "ada@example.org", "bo@lab.example.org"]


def technical_terms(rng: random.Random, count: int = 600) -> list[str]:
    """Made-up words standing in for an abstract's technical vocabulary."""
    return [
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        for _ in range(count)
    ]


def rule_text(index: int, rng: random.Random, words: list[str]) -> str:
    """One rule in TOML, cycling through the kinds of condition and action.

    ``words`` are what keywords and regular expressions look for: technical
    terms (some papers have them) or, with ``--hard``, words every abstract has.
    """
    topic = TOPICS[index % len(TOPICS)]
    word = rng.choice(words)
    conditions = [
        f'title = ["{topic}", "{word} {rng.choice(words)}"]',
        f'text = ["{topic}", "{word}"]\nnot_venue = ["{rng.choice(VENUES[:-1])}"]',
        f"title_regex = '{topic.split()[0]}(s|ing|ed)?\\s+\\w+'",
        f'authors = ["{rng.choice(AUTHORS).split()[-1]}"]',
        f'categories = ["{rng.choice(CATEGORIES)}", "math.*"]',
        f'alert = ["{ALERTS[index % len(ALERTS)][0]}"]\nabstract = ["{word}"]',
        f'alert_type = ["search"]\nnot_abstract = ["{topic}"]',
        f"abstract_regex = '\\b{word}\\w*\\s+(of|for)\\b'",
        'source = ["arxiv"]\nnot_categories = ["cs.LG"]',
        f'forwarder = ["@example.org"]\nnot_title = ["{topic}"]',
    ][index % 10]
    actions = [
        f'section = "Section {index % 7}"',
        f'tags = ["tag-{index % 5}"]',
        "drop = true",
        f"priority = {index}",
        "star = true",
        "keep = true",
        "summary = false",
        'language = "de"',
    ][index % 8]
    return f'[[rule]]\nname = "rule {index}"\n{conditions}\n{actions}\n'


def make_rules(folder: Path, *, hard: bool) -> RuleSet:
    """Write :data:`RULE_COUNT` rules over two files and load them."""
    rng = random.Random(11)
    words = COMMON if hard else technical_terms(random.Random(7))
    texts = [rule_text(index, rng, words) for index in range(RULE_COUNT)]
    half = RULE_COUNT // 2
    (folder / "10-first.toml").write_text("\n".join(texts[:half]), encoding="utf-8")
    (folder / "20-second.toml").write_text("\n".join(texts[half:]), encoding="utf-8")
    return load_rules(folder)


def make_papers(count: int) -> list[dict[str, object]]:
    """Raw paper fields, as the store would hand them over (seeded)."""
    rng = random.Random(7)
    terms = technical_terms(rng)
    papers = []
    for index in range(count):
        topic = rng.choice(TOPICS) if rng.random() < 0.5 else rng.choice(terms)
        title = f"{rng.choice(terms).title()} {topic} {' '.join(rng.sample(terms, 4))}"
        abstract = " ".join(
            rng.choice(COMMON) if rng.random() < 0.5 else rng.choice(terms)
            for _ in range(rng.randint(80, 250))
        )
        name, kind, source = rng.choice(ALERTS)
        papers.append(
            {
                "key": f"arxiv:2401.{index:05d}",
                "title": title,
                "abstract": f"{abstract} {topic}." if rng.random() < 0.3 else abstract,
                "authors": rng.sample(AUTHORS, rng.randint(1, 5)),
                "venue": rng.choice(VENUES),
                "categories": rng.sample(CATEGORIES, rng.randint(0, 3)),
                "alerts": [AlertFacts(name, kind, source, rng.choice(FORWARDERS))],
            }
        )
    return papers


def one_run(rules: RuleSet, raw: list[dict[str, object]]) -> tuple[float, int, int]:
    """Build facts for every paper and apply the rules; time both."""
    started = time.perf_counter()
    facts: list[PaperFacts] = [paper_facts(**fields) for fields in raw]  # type: ignore[arg-type]
    decisions = [apply_rules(rules, paper) for paper in facts]
    elapsed = time.perf_counter() - started
    matches = sum(len(decision.matches) for decision in decisions)
    dropped = sum(decision.drop for decision in decisions)
    return elapsed, matches, dropped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--hard",
        action="store_true",
        help="keywords and regexes on words every abstract has (worst case)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-rules-") as temp:
        rules = make_rules(Path(temp), hard=args.hard)
    raw = make_papers(args.papers)
    mix = "common words (worst case)" if args.hard else "technical terms"
    print(f"{len(rules)} rules on {mix}, {args.papers} papers")

    timings = []
    matches = dropped = 0
    for run in range(args.runs):
        elapsed, matches, dropped = one_run(rules, raw)
        timings.append(elapsed)
        print(f"run {run + 1}: {elapsed:.3f} s, {args.papers / elapsed:.0f} papers/s")

    median = statistics.median(timings)
    rate = args.papers / median
    print(f"median over {args.runs} runs: {median:.3f} s")
    print(
        f"papers/s: {rate:.0f} (target {TARGET_PAPERS_PER_SECOND:.0f}: "
        f"{rate / TARGET_PAPERS_PER_SECOND:.1f}x)"
    )
    print(
        f"rule matches per paper: {matches / args.papers:.1f}; "
        f"dropped: {dropped} of {args.papers}"
    )


if __name__ == "__main__":
    main()
