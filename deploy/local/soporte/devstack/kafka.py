"""A single-node Apache Kafka (KRaft, broker+controller) from the Maven Central jars."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import subprocess
import uuid

from soporte.platform.kafka import ensure_topics, wait_for_kafka

from .common import (
    DEPLOY_LOCAL,
    StackConfig,
    StackError,
    port_open,
    read_pid,
    require_command,
    require_free_port,
    say,
    spawn_detached,
    stop_pid,
)

POM = DEPLOY_LOCAL / "kafka" / "pom.xml"
LOG4J_CONFIG = DEPLOY_LOCAL / "kafka" / "log4j2.properties"
_JAR_IN_LINE = re.compile(r"([\w.+-]+\.jar)\b")
HEAP = os.environ.get("SOPORTE_DEV_KAFKA_HEAP", "-Xms256m -Xmx768m")


def server_properties(config: StackConfig) -> str:
    """The combined broker+controller configuration, loopback only, topics created by the project."""
    host, port, cport = config.host, config.kafka_port, config.kafka_controller_port
    return f"""\
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers={host}:{cport}
listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}
advertised.listeners=PLAINTEXT://{host}:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={config.paths.kafka / "data"}
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=-1
log.segment.bytes=67108864
"""


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def check_prerequisites(config: StackConfig) -> None:
    """Java always; Maven only while the jars are not fetched yet."""
    require_command("java", "install Java 17+ (apt-get install openjdk-17-jre-headless)")
    if not _jars_ready(config):
        require_command("mvn", "install Maven (apt-get install maven) to fetch the Kafka jars")


def _jars_ready(config: StackConfig) -> bool:
    marker = config.paths.kafka_libs / ".complete"
    return marker.exists() and marker.read_text().strip() == _pom_digest()


def ensure_jars(config: StackConfig) -> None:
    """Fetch the broker jars with Maven once; reused while the pom is unchanged."""
    libs = config.paths.kafka_libs
    if _jars_ready(config):
        return
    mvn = require_command("mvn", "install Maven (apt-get install maven) to fetch the Kafka jars")
    say("fetching the Kafka broker jars from Maven Central (first start only, about 45 MB)...")
    libs.mkdir(parents=True, exist_ok=True)
    for old in libs.glob("*.jar"):
        old.unlink()
    cmd = [
        mvn,
        "-B",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={libs}",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    fetched = 0
    tail: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        tail = (tail + [line.rstrip()])[-30:]
        jar = _JAR_IN_LINE.search(line)
        if jar and ("Downloaded from" in line or "Copying" in line):
            fetched += 1
            say(f"  {fetched}: {jar[1]}")
    if proc.wait() != 0:
        raise StackError("Maven could not fetch the Kafka jars:\n" + "\n".join(tail))
    (libs / ".complete").write_text(_pom_digest())
    say(f"Kafka jars ready in {libs} ({len(list(libs.glob('*.jar')))} jars)")


def _cluster_id() -> str:
    # Kafka's Uuid.toString(): url-safe base64 of 16 bytes, no padding, never starting with '-'.
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _java(config: StackConfig) -> list[str]:
    java = require_command("java", "install Java 17+ (apt-get install openjdk-17-jre-headless)")
    return [
        java,
        *HEAP.split(),
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        f"-Dkafka.logs.dir={config.paths.kafka / 'logs'}",
        "-cp",
        str(config.paths.kafka_libs / "*"),
    ]


def ensure_storage(config: StackConfig) -> None:
    """Write server.properties and format the log dir the first time (KRaft needs it)."""
    kdir = config.paths.kafka
    props = kdir / "server.properties"
    props.parent.mkdir(parents=True, exist_ok=True)
    props.write_text(server_properties(config))
    if (kdir / "data" / "meta.properties").exists():
        return
    say("formatting Kafka storage (first start only)")
    result = subprocess.run(
        [*_java(config), "kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(props), "--standalone"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise StackError(f"formatting Kafka storage failed: {(result.stdout + result.stderr).strip()[-800:]}")


def pid_file(config: StackConfig):
    return config.paths.run / "kafka.pid"


def is_running(config: StackConfig) -> bool:
    return read_pid(pid_file(config)) is not None


def start(config: StackConfig, timeout: float = 120.0) -> None:
    """Start the node unless it runs already; wait until it answers metadata requests."""
    if is_running(config):
        return
    check_prerequisites(config)
    require_free_port(config.host, config.kafka_port, "Kafka", "SOPORTE_DEV_KAFKA_PORT")
    require_free_port(
        config.host, config.kafka_controller_port, "the Kafka controller", "SOPORTE_DEV_KAFKA_CONTROLLER_PORT"
    )
    ensure_jars(config)
    ensure_storage(config)
    say(f"starting Kafka on {config.kafka_bootstrap}")
    log = config.paths.kafka / "server.log"
    pid = spawn_detached(
        [*_java(config), "kafka.Kafka", str(config.paths.kafka / "server.properties")], log, pid_file(config)
    )
    try:
        asyncio.run(_wait_ready(config, pid, timeout))
    except TimeoutError as exc:
        stop(config)
        raise StackError(f"Kafka did not become ready within {timeout:.0f}s (see {log})") from exc


async def _wait_ready(config: StackConfig, pid: int, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not port_open(config.host, config.kafka_port):
        if read_pid(pid_file(config)) is None:
            raise StackError(f"Kafka exited during start-up (see {config.paths.kafka / 'server.log'})")
        if loop.time() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.25)
    await wait_for_kafka(config.kafka_bootstrap, timeout=max(5.0, deadline - loop.time()))


def create_topics(config: StackConfig, prefix: str = "") -> list[str]:
    return asyncio.run(ensure_topics(config.kafka_bootstrap, prefix=prefix))


def stop(config: StackConfig) -> bool:
    return stop_pid(pid_file(config), "Kafka", timeout=60.0)
