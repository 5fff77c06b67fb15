"""Load tests of the portal and of the Vobiz path (`make loadtest`).

`python -m loadtest` starts the simulator, the portal under gunicorn and a Celery
worker with beat against a PostgreSQL database and a Redis database of their own,
seeds users of every role and a million CDRs, then runs Locust headless in
bounded phases and writes a report under `var/loadtest/`. Only 127.0.0.1 is ever
a target. See loadtest/README.md.
"""
