"""One lock per device so two drainers never work one register at once.

Always a local file lock (fcntl: released by the kernel when its process
dies), plus a python-redis-lock lock with auto-renewal when Redis is there,
which extends the exclusion to other hosts sharing the register. When Redis
does not answer the drain carries on under the file lock alone and logs it.
Correctness never rests on these locks alone: claims in the outbox are atomic.
"""

import contextlib
import fcntl
import logging
import os
import socket
import urllib.parse
import uuid

import redis
import redis_lock

_logger = logging.getLogger(__name__)

# A device busy with another drainer is normal, not a warning worth a log line.
logging.getLogger("redis_lock.acquire").setLevel(logging.ERROR)

_HOST = socket.gethostname()


def _process_start(pid):
    """The process's start time from /proc (None if it is gone or a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else fields[19]


_live_owners = set()  # ids in use in this process (a drain, a held lock)


def owner_id():
    """A new id naming this process (host, pid, start time) plus a random part; in use
    until forget_owner(id)."""
    pid = os.getpid()
    owner = f"{_HOST}|{pid}|{_process_start(pid)}|{uuid.uuid4().hex}"
    _live_owners.add(owner)
    return owner


def forget_owner(owner):
    _live_owners.discard(owner)


def owner_is_dead(owner):
    """True if `owner` is an id of this host whose process stopped (or, for this very
    process, that is no longer in use: e.g. a drain that ended on an error)."""
    parts = (owner or "").split("|")
    if len(parts) != 4 or parts[0] != _HOST:
        return False
    if int(parts[1]) == os.getpid() and parts[2] == _process_start(os.getpid()):
        return owner not in _live_owners
    return _process_start(int(parts[1])) != parts[2]


class _RenewedLock(redis_lock.Lock):
    """redis_lock.Lock whose renewal thread notes a Redis failure instead of dying noisily."""

    lost = False

    @classmethod
    def register_scripts(cls, redis_client):
        # The library registers its scripts once, on whichever Lock class came first.
        if cls.unlock_script is None:
            cls.unlock_script = redis_client.register_script(redis_lock.UNLOCK_SCRIPT)
            cls.extend_script = redis_client.register_script(redis_lock.EXTEND_SCRIPT)
            cls.reset_script = redis_client.register_script(redis_lock.RESET_SCRIPT)

    @staticmethod
    def _lock_renewer(name, lockref, interval, stop):
        while not stop.wait(timeout=interval):
            lock = lockref()
            if lock is None:
                break
            try:
                lock.extend(expire=lock._expire)  # noqa: SLF001 - same call as the library's renewer
            except (redis.RedisError, redis_lock.NotAcquired) as error:
                lock.lost = True
                _logger.warning(
                    "Lost the Redis lock %s (%s): this drainer stops the device", name, error
                )
                break
            del lock


class DeviceLock:
    """Held lock of one device: `mode` is "redis+file" or "file"."""

    def __init__(self, handle, redis_lock_obj):
        self._handle = handle
        self._redis_lock = redis_lock_obj
        self.mode = "redis+file" if redis_lock_obj else "file"

    @property
    def lost(self):
        return bool(self._redis_lock and self._redis_lock.lost)

    def release(self):
        if self._redis_lock is not None:
            try:
                self._redis_lock.release()
            except (redis.RedisError, redis_lock.NotAcquired) as error:
                _logger.warning("Could not release the Redis lock cleanly: %s", error)
            forget_owner(self._redis_lock.id)
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()


class LockManager:
    def __init__(self, lock_dir, redis_client=None, prefix="", expire=60):
        self.lock_dir = lock_dir
        self.redis = redis_client
        self.prefix = prefix
        self.expire = max(int(expire), 3)
        os.makedirs(lock_dir, exist_ok=True)

    def acquire(self, device):
        """Take the device's lock without waiting; None if another drainer holds it."""
        name = urllib.parse.quote(device, safe="")
        handle = open(os.path.join(self.lock_dir, name + ".lock"), "a+b")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        held = None
        if self.redis is not None:
            try:
                held = self._acquire_redis(f"{self.prefix}fiscal:device:{name}")
            except redis.RedisError as error:
                _logger.warning(
                    "Redis unreachable (%s): device %s drained under the local file lock only, "
                    "safe on this host",
                    error,
                    device,
                )
            else:
                if held is None:
                    fcntl.flock(handle, fcntl.LOCK_UN)
                    handle.close()
                    return None
        return DeviceLock(handle, held)

    def _acquire_redis(self, name):
        lock = _RenewedLock(self.redis, name, expire=self.expire, id=owner_id(), auto_renewal=True)
        if lock.acquire(blocking=False):
            return lock
        owner = lock.get_owner_id()
        if not owner_is_dead(owner):
            forget_owner(lock.id)
            return None
        # A killed drainer of this host cannot hold a lock: free it (only if still its id).
        _logger.info("Freeing the Redis lock %s of a stopped drainer (%s)", name, owner)
        with contextlib.suppress(redis_lock.NotAcquired):
            _RenewedLock(self.redis, name, id=owner).release()
        if lock.acquire(blocking=False):
            return lock
        forget_owner(lock.id)
        return None
