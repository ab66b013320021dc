# One image for every ptrack service: the command picks which (`ptrack serve finance`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed numeric UID lets orchestrators verify "runs as non-root" without reading /etc/passwd.
RUN useradd --create-home --uid 10001 --user-group ptrack

# The finance service lays out the project accounts' PDF with WeasyPrint, which needs Pango (and
# HarfBuzz's subsetter) and fonts with Norwegian letters; fontconfig builds the font cache here,
# since the root file system is read-only when the service runs on Kubernetes.
RUN apt-get update \
    && apt-get install --no-install-recommends -y libpango-1.0-0 libpangoft2-1.0-0 \
        libharfbuzz-subset0 fontconfig fonts-liberation fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Only what the package build needs, so edits to tests, plans or docs keep the install layer cached.
COPY pyproject.toml /tmp/ptrack/
COPY shared /tmp/ptrack/shared
COPY services /tmp/ptrack/services
COPY ptrack /tmp/ptrack/ptrack
# The source tree is removed so nothing on disk can shadow the installed package.
RUN pip install /tmp/ptrack && rm -rf /tmp/ptrack

USER 10001:10001
# `ptrack` keeps local state (admin key, stack file) under ./.ptrack: give it a writable home.
WORKDIR /home/ptrack

ENTRYPOINT ["ptrack"]
CMD ["--help"]
