"""The reading process (catalogue.isolation): one per process, shared by its threads, recycled after its reads, and
holding none of the connections its parent had open when it started. What a crash or a hang becomes is tested where
files are read: tests/ingest/test_damaged_files.py and tests/landing/test_viewer.py."""

import os
import select
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from catalogue import isolation


def test_the_reading_process_is_recycled_after_its_files(settings):
    settings.READER_MAX_FILES = 2
    readers = [isolation.read_apart("INGEST_READ_TIMEOUT", os.getpid) for _ in range(3)]
    assert readers[0] == readers[1] != readers[2] and os.getpid() not in readers


def test_the_reading_process_lets_go_of_the_pipes_and_sockets_open_when_it_started():
    """A subprocess (a browser driver in the tests) waits for the end of its input, a server for the end of its
    connection: each must come when this process closes its end."""
    driver = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    isolation.read_apart("INGEST_READ_TIMEOUT", os.getpid)  # the reading process starts now, with both open here
    driver.stdin.close()
    client.close()
    assert driver.wait(timeout=10) == 0, "the reading process still holds the driver's input"
    readable, _, _ = select.select([accepted], [], [], 10)
    assert readable and accepted.recv(1) == b"", "the reading process still holds the connection"
    for item in (accepted, listener):
        item.close()


def test_threads_of_one_process_share_one_reading_process():
    """A web process's request threads start it together: one is started, not one a thread."""
    with ThreadPoolExecutor(max_workers=8) as threads:
        readers = set(threads.map(lambda _: isolation.read_apart("VIEWER_READ_TIMEOUT", os.getpid), range(32)))
    assert len(readers) == 1 and os.getpid() not in readers


@pytest.fixture(autouse=True)
def _own_reader():
    """Each test starts and ends with no reading process (one recycles after two reads)."""
    isolation.stop_reader()
    yield
    isolation.stop_reader()


def test_reads_side_by_side_outlive_the_recycling_of_the_reading_process(settings):
    """H5Web sends its requests side by side: reads queued when the reading process is recycled run on the next one.
    Pebble's own recycling (max_tasks) failed them all with BrokenProcessPool ("All workers expired")."""
    settings.READER_MAX_FILES = 3
    with ThreadPoolExecutor(max_workers=8) as threads:
        readers = list(threads.map(lambda _: isolation.read_apart("VIEWER_READ_TIMEOUT", os.getpid), range(60)))
    assert len(readers) == 60 and len(set(readers)) >= 20 and os.getpid() not in readers


def test_a_read_sent_as_the_reading_process_is_killed_runs_on_a_new_one():
    first = isolation.read_apart("INGEST_READ_TIMEOUT", os.getpid)
    os.kill(first, signal.SIGKILL)
    second = isolation.read_apart("INGEST_READ_TIMEOUT", os.getpid)
    assert second not in (first, os.getpid())
