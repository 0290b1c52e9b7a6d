"""soporte.platform — runtime plumbing every service uses the same way.

Settings from the environment, JSON logging, the clock, SQL migrations, Kafka
topic creation and clients, the tracked reader that keeps a projection of Kafka
records in PostgreSQL (``reader``, ``projection``, ``positions``,
``deadletters``), and the HTTP edges (problem+json, health, metrics, the
OpenAPI document). Nothing here knows about tickets: that is each service's
domain.
"""
