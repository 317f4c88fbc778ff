"""The fictional papers of the bundled sample inbox, as alerts and arXiv list them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.samples.arxiv_mail import ListingPaper, ListingReplacement
from bot.samples.scholar_markup import SampleResult

# Every title, name, abstract and identifier below is invented for the samples.

KV_PREFETCH = SampleResult(
    title="Cost-Aware Speculative Prefetching for Disaggregated KV Caches",
    link_target="https://arxiv.org/pdf/2612.04417",
    authors=("J Lindqvist", "P Achterberg", "R Oyelaran", "M Castellanos"),
    authors_truncated=True,
    venue="arXiv preprint arXiv:2612.04417",
    year=2026,
    marker="[PDF]",
    snippet=(
        "Serving long-context language models spills the key-value cache to "
        "remote memory, and every miss stalls decoding. We prefetch cache "
        "blocks speculatively, weighing predicted reuse against the network "
        "cost of each fetch, and cut decode stalls by"
    ),
)

STREAM_HISTOGRAMS = SampleResult(
    title="Adaptive Histogram Maintenance for Streaming Cardinality Estimation",
    link_target="https://dl.acm.org/doi/10.1145/3786154.3786171",
    authors=("E Varga", "S Pillai"),
    venue="Proceedings of the ACM on Management of Data",
    year=2026,
    snippet=(
        "Cardinality estimates for streaming joins go stale within minutes "
        "when the key distribution shifts. We maintain equi-depth histograms "
        "incrementally, re-splitting only the buckets whose error bound is "
        "violated, and keep the q-error below"
    ),
)

MOE_ROUTING = SampleResult(
    title="Sparse Mixture-of-Experts Routing under Device Memory Budgets",
    link_target="https://openreview.net/pdf?id=vK3nQ8sZr2",
    authors=("A Kowalewska", "D Mbeki", "H Tanaka"),
    venue="openreview.net",
    year=2026,
    marker="[PDF]",
    snippet=(
        "Routing tokens to experts is usually tuned for accuracy alone, yet on "
        "a single accelerator the experts that fit in memory decide "
        "throughput. We add a memory-aware penalty to the router and show "
        "that a small loss in perplexity buys"
    ),
)

ELASTIC_STREAMS = SampleResult(
    title="Elastic Operator Scaling for Multi-Tenant Stream Processing",
    link_target="https://ieeexplore.ieee.org/abstract/document/11234567/",
    authors=("刘 洋", "陈 静", "赵 磊"),
    venue="IEEE Transactions on Knowledge and Data Engineering",
    year=2026,
    cites="Backpressure-Aware Operator Placement in Dataflow Systems",
    snippet=(
        "Multi-tenant stream processors over-provision operators because "
        "scaling decisions lag behind load spikes. We forecast the backlog of "
        "each operator and rescale ahead of the spike while bounding the cost "
        "of state migration, which lowers"
    ),
)

OPTIMIZER_SURVEY = SampleResult(
    title="Learned Query Optimizers in Practice: A Survey of Deployment Lessons",
    link_target=None,
    cluster_id="14593026718830157742",
    authors=("N Ferreira", "K Osei", "L Wagner"),
    authors_truncated=True,
    venue=None,
    year=2025,
    snippet=None,
    marker="[CITATION]",
    cites="Backpressure-Aware Operator Placement in Dataflow Systems",
)

SKEWED_INDEXES = SampleResult(
    title="Updatable Learned Index Structures for Skewed Write Workloads",
    link_target="https://www.vldb.org/pvldb/vol20/p1187-okafor.pdf",
    authors=("T Okafor", "B Lindgren"),
    venue="Proceedings of the VLDB Endowment",
    year=2026,
    marker="[PDF]",
    highlights=("Learned", "Index", "Structures"),
    snippet=(
        "Learned indexes answer lookups quickly but degrade when inserts "
        "concentrate on a few key ranges. We give each model segment a small "
        "gapped buffer sized from the observed skew, so that hot ranges absorb "
        "writes without"
    ),
)

# Scholar cut this title at about 140 characters; the full one ends
# "… Across Six Workloads".
PMEM_INDEXES = SampleResult(
    title=(
        "Learned Index Structures on Persistent Memory: An Experimental Study "
        "of Insert Throughput, Recovery Time and Space Amplification Across"
    ),
    truncated=True,
    link_target=(
        "https://www.sciencedirect.com/science/article/pii/S0306437926001457?via%3Dihub"
    ),
    authors=("G Moreau", "I Petrescu", "W Zhou"),
    authors_truncated=True,
    venue="Information Systems",
    year=2026,
    highlights=("Learned", "Index", "Structures"),
    snippet=(
        "Persistent memory changes the trade-offs of learned indexes because "
        "writes are costly and recovery must be fast. We compare six designs "
        "on two generations of hardware and find that the fastest index after "
        "a crash is rarely"
    ),
)

EMBEDDING_PARTITIONS = SampleResult(
    title="Learned Partitioning of Embedding Tables for Recommendation Inference",
    link_target="https://arxiv.org/abs/2612.05230v1",
    whole_target_encoded=True,
    authors=("Y Baptiste", "J Ibáñez", "O Lindahl"),
    venue="arXiv preprint arXiv:2612.05230",
    year=2026,
    marker="[PDF]",
    highlights=("Learned",),
    snippet=(
        "Embedding tables dominate the memory of recommendation models and are "
        "sharded by hashing, which ignores access skew. We learn a "
        "partitioning from access traces that places co-accessed rows together "
        "and reduces remote lookups by"
    ),
)

TEXT_TO_SQL_ERRORS = SampleResult(
    title="大規模言語モデルによる SQL 問合せ生成の誤り分類と自動修正",
    link_target="https://www.jstage.jst.go.jp/article/tjsai/41/6/41_C-Q47/_pdf",
    authors=("石川 拓海", "A Brandt-Yamazaki", "森 由紀"),
    venue="人工知能学会論文誌",
    year=2026,
    marker="[PDF]",
    snippet=(
        "大規模言語モデルは自然言語の質問から SQL 問合せを生成できるが、"
        "結合条件や集約の誤りはいまだに多い。本研究では生成誤りを七種類に分類し、"
        "実行結果の差分を手掛かりとする自動修正手法を提案する。"
        "三つのベンチマークで正解率が"
    ),
)

PROVENANCE_VIEWS = SampleResult(
    title="Provenance-Preserving Materialized Views for Incremental Data Pipelines",
    link_target="https://link.springer.com/article/10.1007/s00778-026-00912-4",
    authors=("A Brandt-Yamazaki", "F Oduya-Kessler"),
    venue="The VLDB Journal",
    year=2026,
    snippet=(
        "Incremental pipelines refresh materialized views cheaply but lose "
        "track of which source rows produced each output row. We carry compact "
        "provenance sketches through the delta rules so that every refreshed "
        "row can be explained, at a cost of"
    ),
)

COMPACTION_DEBT = SampleResult(
    title="Tail Latency & Compaction Debt in LSM-Tree Key-Value Stores",
    link_target="https://www.usenix.org/system/files/fast27-kaminski.pdf",
    authors=("K Kamiński", "R Baptista"),
    venue="USENIX Conference on File and Storage Technologies",
    year=2026,
    marker="[PDF]",
    snippet=(
        "Compaction in LSM-trees is scheduled to keep write amplification low, "
        "but the backlog it leaves behind shows up later as read tail latency. "
        "We model this compaction debt explicitly and schedule compactions "
        "against a latency budget, which"
    ),
)

GEO_QUORUMS = SampleResult(
    title="Flexible Quorums for Cross-Region Consensus in Geo-Distributed Databases",
    link_target="https://ieeexplore.ieee.org/document/11302288",
    authors=("M Haddadi", "S Okonjo", "T Ruiz"),
    venue="2026 IEEE International Conference on Big Data",
    year=2026,
    cites="Leaderless Replication with Bounded Staleness",
    snippet=(
        "Geo-distributed databases pay a wide-area round trip on every commit "
        "when quorums span regions. We choose read and write quorums per key "
        "range from observed access locality, keeping commits local for most "
        "transactions while"
    ),
)

# The same papers as a citation alert shows them: another link form, a Cites line.
KV_PREFETCH_CITING = replace(
    KV_PREFETCH,
    link_target="https://arxiv.org/abs/2612.04417v2",
    marker=None,
    cites="Remote Memory Paging for Database Buffer Pools",
)
MOE_ROUTING_CITING = replace(
    MOE_ROUTING, cites="Leaderless Replication with Bounded Staleness"
)


def _gmt(day: int, hour: int, minute: int, second: int) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, tzinfo=UTC)


COLUMNAR_KNN = ListingPaper(
    arxiv_id="2612.05198",
    title="Sublinear $k$-Nearest-Neighbour Joins over Compressed Columnar Data",
    authors=("Mar\\'ia Gonz\\'alez", "Pieter de Vries", "Sunita Rao"),
    categories=("cs.DB", "cs.DS"),
    submitted=_gmt(7, 14, 22, 9),
    size_kb=734,
    comments="14 pages, 9 figures",
    abstract=(
        "Nearest-neighbour joins over columnar data usually decompress every "
        "block that might hold a candidate. We show that lightweight encodings "
        "such as frame-of-reference and dictionary coding preserve enough order "
        "to prune most blocks without decompressing them, and give a join whose "
        "work grows sublinearly in the number of blocks. On three real datasets "
        "the join reads between 4% and 11% of the compressed data and runs up "
        "to nine times faster than decompressing first."
    ),
)

SERVERLESS_REPLAY = ListingPaper(
    arxiv_id="2612.05261",
    title=(
        "Deterministic Replay of Serverless Workflows under Partial Failures "
        "and Non-Idempotent Side Effects"
    ),
    authors=("Oksana Hrytsenko", "Daniel Mensah"),
    categories=("cs.DC", "cs.OS"),
    submitted=_gmt(7, 16, 3, 51),
    size_kb=1210,
    comments="Accepted at EuroSys 2027",
    abstract=(
        "Serverless workflows recover from failures by re-running functions, "
        "which is only safe when every side effect is idempotent. We record "
        "the nondeterministic inputs of each function at the platform boundary "
        "and replay a failed workflow deterministically, deduplicating external "
        "effects through a small log kept next to the workflow state. Our "
        "prototype adds 3% latency in the common case and recovers correctly "
        "from every failure we injected."
    ),
)

EMBEDDING_PARTITIONS_LISTED = ListingPaper(
    arxiv_id="2612.05230",
    title=EMBEDDING_PARTITIONS.title,
    authors=("Yannick Baptiste", "Jos\\'e Ib\\'a\\~nez", "Olof Lindahl"),
    categories=("cs.LG", "cs.DB", "cs.IR"),
    submitted=_gmt(7, 11, 40, 17),
    size_kb=2048,
    cross_list=True,
    abstract=(
        "Embedding tables dominate the memory of recommendation models and are "
        "sharded by hashing, which ignores access skew. We learn a "
        "partitioning from access traces that places co-accessed rows on the "
        "same device, and update it online as popularity drifts. On two "
        "production-scale traces remote lookups drop by 38% and end-to-end "
        "inference latency by 21%."
    ),
)

HASH_JOINS_REVISED = ListingReplacement(
    arxiv_id="2609.11873",
    title="Skew-Resilient Hash Joins on Disaggregated Memory",
    authors=("Lena Vogt", "Kwame Asante"),
    categories=("cs.DB", "cs.DC"),
    replaced=_gmt(7, 17, 45, 2),
    size_kb=956,
    comments="v2: adds TPC-H results and a comparison with radix joins",
)
