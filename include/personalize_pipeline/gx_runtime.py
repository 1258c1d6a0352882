"""Great Expectations, imported quietly.

GX registers thousands of functions at import time and logs each at INFO ("Skipping registering function ...");
under Airflow's logging that floods task logs. Raise its loggers to WARNING and turn off analytics and progress bars
before the first import. Import GX only through this module, and only inside tasks.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from types import ModuleType
from typing import Any

_NOISY = ("great_expectations", "great_expectations._docs_decorators", "great_expectations.data_context")


def import_gx() -> ModuleType:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    import great_expectations as gx

    return gx


def ephemeral_context(docs_dir: Path | None = None) -> Any:
    """An in-memory GX context; with docs_dir, a Data Docs site that renders there."""
    gx = import_gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    if docs_dir is not None:
        context.add_data_docs_site(
            site_name="staged",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context
