"""Django's Redis cache backend, keeping one redis-py client per connection pool.

django.core.cache.backends.redis builds a new ``redis.Redis`` for every cache call, and since redis-py 5
that constructor fills a table of about 170 response callbacks: on the API's path (the token's cached
row, the rate counter) building the clients cost more CPU than the round trips. A client only wraps its
pool and is safe to share between threads, so one per pool does; redis-py's pool itself notices a fork.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _OneClientPerPool(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCacheKeepingClients(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool
