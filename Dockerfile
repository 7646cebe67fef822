FROM python:3.11-slim
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
COPY worker.py settings.py ./
RUN pip install --no-cache-dir .
CMD ["python", "-m", "worker"]
