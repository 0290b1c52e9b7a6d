"""soporte.platform — runtime plumbing every service uses the same way.

Settings from the environment, JSON logging, SQL migrations, Kafka topic
creation and clients, and the HTTP edges (problem+json, health, metrics).
Nothing here knows about tickets: that is each service's domain.
"""
