# The bot's image, `spasticity-bot:0.1.0` in deploy/k8s/ (the Rasa servers, the action servers and the content Job):
#
#   docker build -t spasticity-bot:0.1.0 .
#
# Three stages: the website widget is built with Node, the Python environment, the spaCy pipeline and the Rasa
# model with the full Python image's tools, and the final image holds only what the servers read, owned by root
# and run as the unprivileged user `bot` (UID/GID 10001, the manifests' runAsUser). The manifests mount the root
# filesystem read-only, with an emptyDir on /tmp: nothing in the image is written at run time (FEEDBACK_SALT comes
# from a Secret, so var/ stays read-only too). Base images are pinned by version; update them deliberately.
# .dockerignore lets in only the files named here, so a local .env, var/ or a filled-in Secret never reaches a layer.

# Rasa 3.6 runs on Python 3.10 only (like `make install`).
ARG PYTHON_IMAGE=python:3.10.18-slim-bookworm

FROM node:22.12.0-bookworm-slim AS widget
WORKDIR /src/widget
COPY widget/package.json widget/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY widget/build.mjs ./
COPY widget/src ./src
RUN node build.mjs

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    TF_CPP_MIN_LOG_LEVEL=2 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# requirements.txt pins every package by version (`make lock`) but carries no hashes, so pip cannot be run
# with --require-hashes; the pins are the same as `make install`.
COPY requirements.txt /tmp/requirements.txt
RUN pip install "pip<25" "setuptools<71" wheel \
    && pip install -r /tmp/requirements.txt
WORKDIR /app
COPY bot ./bot
COPY actions ./actions
COPY content ./content
COPY data ./data
COPY config.yml domain.yml credentials.yml endpoints.yml ./
# `make pipeline train`: the spaCy pipeline into var/nlp/, the model into models/spasticity.tar.gz.
RUN python -m bot.nlp build \
    && python -m bot.training \
    && python -m compileall -q bot actions

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin bot
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp/matplotlib \
    RASA_TELEMETRY_ENABLED=false \
    SQLALCHEMY_SILENCE_UBER_WARNING=1
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --from=build /app/bot ./bot
COPY --from=build /app/actions ./actions
COPY --from=build /app/content ./content
COPY --from=build /app/credentials.yml /app/endpoints.yml ./
COPY --from=build /app/models/spasticity.tar.gz ./models/spasticity.tar.gz
COPY --from=build /app/var/nlp ./var/nlp
COPY widget/demo ./widget/demo
COPY --from=widget /src/widget/dist ./widget/dist
USER 10001:10001
EXPOSE 5005 5055
CMD ["python", "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"]
