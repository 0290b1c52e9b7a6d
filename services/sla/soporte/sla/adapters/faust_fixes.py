"""Two fixes to faust-streaming 0.15.3's Kafka consumer (on aiokafka 0.14): no record is skipped at a rebalance.

:func:`install` applies them to faust's aiokafka driver before an app starts (``create_app`` calls it). Without
them (reproduced by ``make test-scale``, several times in twelve takeovers):

- a ticket event that arrives around the end of a rebalance is read and dropped, and its ticket never gets a
  clock;
- now and then recovery hangs for good ("No event received for active tp ...-clocks-changelog"): recovery
  seeks the changelog partitions to where it will read from, a fetch still pending from before the rebalance
  drains them at once while they are paused (the first race below), faust drops what it drained, and recovery
  waits for offsets it will never be handed again.

1. **A paused partition is never drained.** faust runs the aiokafka consumer in a thread of its own and hands
   every fetch its *live* set of active partitions (``Consumer._active_partitions``, through
   ``AIOKafkaConsumerThread._fetch_records`` to aiokafka's ``Fetcher.fetched_records(partitions)``), while the
   main thread pauses and resumes partitions in that same set. aiokafka reads an empty set as "all partitions"
   (``if partitions and tp not in partitions``). The set is empty whenever everything is paused: during a
   rebalance, and when recovery pauses the changelog partitions it has read before resuming the others. A
   fetch pending then hands over the records of every *paused* partition (ticket, due, and the changelog
   partitions recovery has just positioned) and moves their positions on, and faust's ``getmany`` drops them
   (it yields only active partitions, and nothing while the flow is stopped). The fix passes
   :class:`LivePartitions`, true even when empty, with membership read from the live set at drain time:
   aiokafka then drains only partitions active at that moment, and a paused partition keeps its position.
2. **"Seek back to committed" also rewinds a partition with no committed offset.** faust counts on
   ``Consumer.perform_seek`` (at the end of every recovery, and whenever a fetch returns while the flow is
   stopped) to re-read what it dropped. aiokafka's ``seek_to_committed`` leaves a partition with no committed
   offset where it is (``if offset and offset > 0``), so a record dropped there, by the race above or by
   another one (faust filters a batch drained in its consumer thread against the active set of the main
   thread), was skipped for good. The fix seeks such partitions of the streams to their beginning: where
   aiokafka starts a partition with no committed offset under ``consumer_auto_offset_reset="earliest"`` (ours).
   Changelog partitions are left alone: recovery positions them itself. Committing the log-start offset of
   every partition beforehand would not do: a committed offset 0 (the start of every topic that was never
   truncated) is "no offset" to both aiokafka (above) and faust (``perform_seek`` maps a falsy offset to None).

Re-reading is safe: the processor ignores a ticket event whose version it has applied already. Both fixes are
checked against the versions they were written for; another faust-streaming or aiokafka release must be
re-examined (the fix may be wrong, or no longer needed), so :func:`install` refuses it.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from typing import Any

import aiokafka
import faust
from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.transport.drivers import aiokafka as faust_aiokafka

FIXED_VERSIONS = {"faust-streaming": "0.15.3", "aiokafka": "0.14."}


class LivePartitions:
    """Stands in for faust's active-partition set in aiokafka's ``fetched_records``: never "all partitions".

    Always true, so aiokafka filters; ``in`` reads faust's set as it is at drain time, so a partition paused
    while the fetch waited is not drained (its position stays, its records are fetched again after resuming).
    """

    __slots__ = ("_live",)

    def __init__(self, live: Container[Any]) -> None:
        self._live = live

    def __bool__(self) -> bool:
        return True

    def __contains__(self, tp: object) -> bool:
        return tp in self._live

    def __repr__(self) -> str:
        return f"LivePartitions({self._live!r})"


async def seek_to_committed_or_beginning(
    consumer: AIOKafkaConsumer, rewind: Callable[[TopicPartition], bool]
) -> Mapping[TopicPartition, int | None]:
    """aiokafka's ``seek_to_committed``, then partitions without a committed offset (and ``rewind``) to their start.

    Returns what ``seek_to_committed`` returns (the committed offsets, None where there is none), which is what
    faust's ``perform_seek`` expects.
    """
    committed = await consumer.seek_to_committed()
    uncommitted = [tp for tp, offset in committed.items() if not offset and rewind(tp)]
    if uncommitted:
        await consumer.seek_to_beginning(*uncommitted)
    return committed


def check_versions() -> None:
    """Refuse versions these fixes were not written for (see the module docstring)."""
    found = {"faust-streaming": faust.__version__, "aiokafka": aiokafka.__version__}
    if not (
        found["faust-streaming"] == FIXED_VERSIONS["faust-streaming"]
        and found["aiokafka"].startswith(FIXED_VERSIONS["aiokafka"])
    ):
        raise RuntimeError(
            f"soporte.sla.adapters.faust_fixes was written for {FIXED_VERSIONS}, found {found}: "
            "check whether its two fixes are still needed and still right, then update it"
        )


def install() -> None:
    """Apply both fixes to faust's aiokafka consumer thread (idempotent)."""
    check_versions()
    thread_class = faust_aiokafka.AIOKafkaConsumerThread
    if thread_class.seek_to_committed is _fixed_seek_to_committed:
        return
    fetch_records = thread_class._fetch_records  # noqa: SLF001 - the fix wraps faust's own method

    async def _fetch_records(
        self: Any, consumer: AIOKafkaConsumer, active_partitions: Any, timeout: Any = None, max_records: Any = None
    ) -> Any:
        # None means "every partition" on purpose (client-only apps); a set means "these, as they are now".
        partitions = None if active_partitions is None else LivePartitions(active_partitions)
        return await fetch_records(self, consumer, partitions, timeout=timeout, max_records=max_records)

    thread_class._fetch_records = _fetch_records  # noqa: SLF001 - the fix replaces faust's own method
    thread_class.seek_to_committed = _fixed_seek_to_committed


async def _fixed_seek_to_committed(self: Any) -> Mapping[TopicPartition, int | None]:
    """``AIOKafkaConsumerThread.seek_to_committed``, run in the consumer's thread as faust's own is."""
    changelogs = self.app.tables.changelog_topics
    return await self.call_thread(
        seek_to_committed_or_beginning, self._ensure_consumer(), lambda tp: tp.topic not in changelogs
    )
