# Production image: the app only; MongoDB comes from docker-compose (MONGODB_URI).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    SIGNALCORD_HOST=0.0.0.0 SIGNALCORD_PORT=8080 SIGNALCORD_DATA_DIR=/data

RUN useradd --create-home --uid 10001 signalcord && mkdir /data && chown signalcord /data
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY core ./core
COPY models ./models
COPY bot ./bot
COPY dashboard ./dashboard
COPY signalcord ./signalcord
RUN pip install --no-cache-dir -c constraints.txt .

USER signalcord
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os,sys,urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SIGNALCORD_PORT','8080'), timeout=4).status == 200 else 1)"
CMD ["signalcord", "run"]
