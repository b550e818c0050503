# Relintel for production: one image for the web server, the workers and beat.
# docker-compose.yml shows how the processes fit together.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RELINTEL_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app

RUN groupadd --system --gid 10001 relintel \
    && useradd --system --uid 10001 --gid relintel --home-dir /app --shell /usr/sbin/nologin relintel

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
COPY requirements/constraints.txt requirements/constraints.txt
RUN pip install -c requirements/constraints.txt .

COPY . .

# Static files are collected (and compressed by whitenoise) into the image. The
# settings need a SECRET_KEY to load; this one exists only for this build step.
RUN SECRET_KEY=collectstatic-only DEBUG=0 python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var \
    && chown -R relintel:relintel /app/var

USER relintel

EXPOSE 8000

# The web server; docker-compose.yml overrides the command for the worker and beat.
CMD ["gunicorn", "relintel.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--forwarded-allow-ips", "*"]
