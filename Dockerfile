# The one image of the stack: the worker, the HTTP API (`partnerships api`), the migrations
# (`partnerships db upgrade`) and the CLI. The package and its dependencies only; the Temporal
# dev server (the `local` extra) stays out of production.
# The base is pinned to a patch release; rebuild with a newer one deliberately.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm
ARG NODE_IMAGE=node:20.18.1-slim

# The console's htmx, from the npm registry at the version `make` installs (never a CDN).
FROM ${NODE_IMAGE} AS assets
WORKDIR /assets
RUN npm install --no-audit --no-fund htmx.org@2.0.11

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY activities ./activities
COPY workflows ./workflows
COPY app ./app
COPY interfaces ./interfaces
COPY --from=assets /assets/node_modules/htmx.org/dist/htmx.min.js ./interfaces/console/static/vendor/htmx.min.js
COPY tools ./tools
COPY migrations ./migrations
COPY worker.py settings.py ./
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
# WeasyPrint renders the Council's PDF documents with Pango.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 partnerships
USER partnerships
WORKDIR /home/partnerships
# The API's port (`partnerships api --host 0.0.0.0 --api-port 8000`); the worker listens on none.
EXPOSE 8000
# Stop with SIGTERM: the worker finishes its in-flight tasks, the API its requests, before exiting.
STOPSIGNAL SIGTERM
ENTRYPOINT ["partnerships"]
CMD ["worker"]
