"""The Redis cache keeps one redis-py client per connection pool instead of building one per call."""

import os

from wallet_followup.cache import RedisCacheKeepingClients


def a_cache():
    # Building clients connects to nothing: only a command does.
    return RedisCacheKeepingClients(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5"), {})


def test_every_call_of_a_process_uses_the_same_client():
    cache = a_cache()
    first = cache._cache.get_client("a")
    assert cache._cache.get_client("b") is first
    assert cache._cache.get_client("c", write=True) is first  # one server: reads and writes share its pool


def test_each_server_keeps_its_own_client():
    cache = RedisCacheKeepingClients("redis://127.0.0.1:6379/5,redis://127.0.0.1:6379/6", {})
    writer = cache._cache.get_client(write=True)
    assert writer.connection_pool.connection_kwargs["db"] == 5
    assert cache._cache.get_client(write=True) is writer
