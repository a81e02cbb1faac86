# Production image: the same code and settings as `make run`, configured by environment.
# Needs SECRET_KEY (and ALLOWED_HOSTS) at run time, not at build time; see docker-compose.yml.
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
        gdal-bin libgdal32 libgeos-c1v5 libproj25 postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir -e .
COPY . .
ENV DJANGO_SETTINGS_MODULE=koban.settings \
    STATIC_ROOT=/app/var/staticfiles
# Hashed, compressed (gzip and brotli) static files with their manifest, which WhiteNoise serves.
# Collecting needs no secret: a throwaway key only for this build step.
RUN KOBAN_DEV=true KOBAN_STATIC_MANIFEST=true python manage.py collectstatic --noinput
EXPOSE 8000
# One process per core (koban/server.py); behind a TLS-terminating proxy, FORWARDED_ALLOW_IPS
# names the peers whose X-Forwarded-For/-Proto are trusted.
CMD ["gunicorn", "-c", "python:koban.server", "-b", "0.0.0.0:8000", "koban.asgi:application"]
