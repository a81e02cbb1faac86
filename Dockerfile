# Production image: the same code and settings as `make run`, configured by environment.
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
RUN KOBAN_DEV=true python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "koban.asgi:application"]
