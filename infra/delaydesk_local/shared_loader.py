"""One botocore data loader for every session created while the embedded AWS runs.

Each ``boto3.Session`` gets its own botocore loader, which reads and parses the JSON of the
endpoints, the partitions and each service's model again, and lists botocore's data folder. The
embedded AWS makes a new container (``FunctionRunner.reset_delaydesk``) whenever the invoked
function changes, and powertools' parameters then build a new ``SSMProvider``, hence a new
``boto3.Session``: in a replay that was about a tenth of the time, spent loading the same files.

While the block runs, ``botocore.session.create_loader`` returns one loader per data path, so
the files are parsed once. A loader only reads files and caches what it parsed, and every client
of a session already shares its session's loader, so clients of several sessions sharing one see
exactly the same models. Sessions created outside the block are not affected.
"""

from __future__ import annotations

import contextlib
from typing import Any

import botocore.session

from delaydesk_local.patching import Patch

_loaders: dict[Any, Any] = {}


def _create_loader(search_path_string: Any = None) -> Any:
    if search_path_string not in _loaders:
        _loaders[search_path_string] = _patch.original(search_path_string)
    return _loaders[search_path_string]


_patch = Patch(botocore.session, "create_loader", _create_loader, on_exit=_loaders.clear)


def installed() -> contextlib.AbstractContextManager[None]:
    """Sessions created while the block runs share one loader per data path (``patching``)."""
    return _patch.installed()
