# A small image that runs the bot with its data folder on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    SCHOLAR_DIGEST_DATA_DIR=/data \
    SCHOLAR_DIGEST_RULES_DIR=/app/rules

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . && useradd --system --uid 10001 --home-dir /data digest \
    && mkdir -p /data && chown digest /data
COPY rules ./rules

USER digest
# Commands run in the data folder, so a digest written with a relative
# --out lands on the volume, where the unprivileged user may write.
WORKDIR /data
VOLUME ["/data"]
CMD ["scholar-digest", "run"]
