# postlive: a small, non-root image that runs `postlive serve` with migrations applied.
# Build: docker build -t postlive .      Run: see docker-compose.yml
FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/opt/venv
RUN pip install --no-cache-dir "uv>=0.5,<1"
WORKDIR /src
# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY bot ./bot
COPY adapters ./adapters
COPY flows ./flows
COPY prompts ./prompts
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 postlive \
    && mkdir -p /data/media /flows && chown -R postlive /data
COPY --from=build /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/postlive.db \
    MEDIA_DIR=/data/media \
    LOG_FORMAT=json \
    FLOWS_DIR=/flows
# Your own surveys: mount a folder of flow files at /flows (searched before the shipped
# ones, so a post-live.yaml there replaces the shipped survey). No rebuild needed.
VOLUME ["/flows"]
USER postlive
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
CMD ["sh", "-c", "postlive db upgrade && exec postlive serve --host 0.0.0.0 --port 8000"]
