# The production image: gunicorn serving Django; the same image runs the Celery
# worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GUNICORN_BIND=0.0.0.0:8000

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --uid 1000 antrean

WORKDIR /app
# The runtime set only: requirements-local.txt (make run's PostgreSQL wheel) and
# requirements-dev.txt (tests, lint) stay out of the image.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=antrean:antrean . .
# Build-time only: the real secret comes from the environment at run time.
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only-not-secret \
        python manage.py collectstatic --noinput -v 0 \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only-not-secret \
        python manage.py compilemessages --ignore=.venv -v 0 \
    && mkdir -p /app/private && chown antrean:antrean /app/private

USER antrean
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["gunicorn", "immigration.wsgi"]
