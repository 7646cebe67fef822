FROM python:3.11-slim
# The letters and other documents (WeasyPrint, printing.py): Pango and HarfBuzz, and fonts with Arial's metrics.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    fontconfig fonts-liberation fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY policy policy
COPY records records
COPY workflows workflows
COPY activities activities
COPY client client
COPY services services
COPY cli cli
COPY web web
COPY devstack devstack
COPY starter starter
COPY worker.py settings.py printing.py ./
RUN pip install --no-cache-dir .
CMD ["python", "-m", "worker"]
