"""The queue backend the installation is configured with really carries tasks between
processes: Redis when AFTERSALES_REDIS_URL is set (the PostgreSQL run), SQLite otherwise."""

from __future__ import annotations

import os
import uuid

from huey import RedisHuey, SqliteHuey


def make_queue(tmp_path, name: str):
    url = os.environ.get("AFTERSALES_TEST_REDIS_URL")
    if url:
        return RedisHuey(name, url=url)
    return SqliteHuey(name, filename=str(tmp_path / "queue.sqlite3"))


def test_a_task_enqueued_by_one_queue_object_is_run_by_another(tmp_path):
    name = f"aftersales-test-{uuid.uuid4().hex[:8]}"
    producer = make_queue(tmp_path, name)

    @producer.task()
    def add(a, b):
        return a + b

    result = add(2, 3)
    assert producer.pending_count() == 1
    # A second queue object with the same name stands for the worker process.
    consumer = make_queue(tmp_path, name)
    consumer._registry = producer._registry
    task = consumer.dequeue()
    assert consumer.execute(task) == 5
    assert result.get() == 5
    producer.flush()
