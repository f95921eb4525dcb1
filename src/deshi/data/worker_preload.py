"""Imported by the local executor's fork server before anything else it preloads: one thread per
worker process for native libraries (:mod:`deshi.data.worker_init` says why). A module, not a
call, because a fork server runs no code of ours before importing its preload list; nothing else
imports it. With ``DESHI_CURATE_TRACE`` set it also logs when the fork server began its preload.
"""

from deshi.data.executor import trace
from deshi.data.worker_init import limit_native_threads

limit_native_threads()
trace("forkserver_preload")
