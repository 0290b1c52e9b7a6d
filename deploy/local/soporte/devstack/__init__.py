"""soporte.devstack — the local stack without Docker.

Apache Kafka (one KRaft node from the Maven Central jars), a PostgreSQL cluster
the project initialises, and an aiosmtpd mail sink, all on 127.0.0.1, their data
under ``.local/`` in the repository (ignored by git).
"""
