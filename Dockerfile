# The worker image (also runs `partnerships db upgrade` and the CLI): the package and its
# dependencies only; the Temporal dev server (the `local` extra) stays out of production.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY activities ./activities
COPY workflows ./workflows
COPY app ./app
COPY interfaces ./interfaces
COPY tools ./tools
COPY migrations ./migrations
COPY worker.py settings.py ./
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 partnerships
USER partnerships
WORKDIR /home/partnerships
# Stop with SIGTERM: the worker finishes its in-flight tasks before it exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["partnerships"]
CMD ["worker"]
