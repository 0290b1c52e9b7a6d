"""Kafka plumbing shared by the services: topic creation, producer and consumer factories."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from soporte.events import ALL_TOPICS, TopicSpec

from .logging import get_logger
from .startup import retry_until

log = get_logger(__name__)


async def ensure_topics(
    bootstrap: str,
    specs: Iterable[TopicSpec] = ALL_TOPICS,
    prefix: str = "",
    *,
    replication_factor: int = 1,
) -> list[str]:
    """Create the topics that do not exist yet (idempotent). Returns the names created now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [s for s in specs if s.name(prefix) not in existing]
        created = []
        for spec in wanted:
            topic = NewTopic(
                name=spec.name(prefix),
                num_partitions=spec.partitions,
                replication_factor=replication_factor,
                topic_configs=dict(spec.config),
            )
            try:
                await admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass  # another process won the race: same outcome
        if created:
            log.info("topics created", topics=created)
        return created
    finally:
        await admin.close()


def make_producer(bootstrap: str, *, client_id: str = "soporte", **overrides) -> AIOKafkaProducer:
    """An idempotent producer waiting for all in-sync replicas (not started)."""
    options = dict(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=30_000,
    )
    options.update(overrides)
    return AIOKafkaProducer(**options)


async def start_producer(
    stop: asyncio.Event, bootstrap: str, *, client_id: str, **overrides
) -> AIOKafkaProducer | None:
    """A started producer, once the broker answers (waited out with backoff); None if ``stop`` came first.
    Each attempt uses a new producer: one whose start failed is not started again."""

    async def attempt() -> AIOKafkaProducer:
        producer = make_producer(bootstrap, client_id=client_id, **overrides)
        try:
            await producer.start()
        except BaseException:
            await producer.stop()
            raise
        return producer

    return await retry_until(stop, f"Kafka ({client_id})", attempt)


def make_consumer(bootstrap: str, *topics: str, group_id: str | None, **overrides) -> AIOKafkaConsumer:
    """A consumer with manual commits (readers store their position with their effect)."""
    options = dict(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    options.update(overrides)
    return AIOKafkaConsumer(*topics, **options)


async def wait_for_kafka(bootstrap: str, timeout: float = 60.0) -> None:
    """Poll until the broker answers a metadata request, or raise TimeoutError."""
    deadline = asyncio.get_running_loop().time() + timeout
    last_error: Exception | None = None
    while asyncio.get_running_loop().time() < deadline:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3_000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except (TimeoutError, KafkaConnectionError, OSError) as exc:
            last_error = exc
        except Exception as exc:  # noqa: BLE001 - any failure while the broker boots means "not yet"
            last_error = exc
        finally:
            try:
                await admin.close()
            except Exception:  # noqa: BLE001 - closing a client that never connected
                log.debug("admin close failed while waiting for kafka")
        await asyncio.sleep(0.5)
    raise TimeoutError(f"Kafka at {bootstrap} did not answer within {timeout:.0f}s: {last_error}")
