"""Every write of the integrations area; views, API, tasks, admin and commands call these."""

from .dry_run import DryRun, source_dry_run
from .files import ApplyReport, SourcesFileInvalid, sources_apply, sources_export, sources_parse
from .records import (
    record_apply,
    record_quarantine,
    rejected_dismiss,
    rejected_replay,
    rejected_replay_open,
)
from .runs import run_create, run_execute, run_inline, run_is_stale, run_now, run_scheduled
from .sources import source_check, source_create, source_delete, source_update

__all__ = [
    "ApplyReport",
    "DryRun",
    "SourcesFileInvalid",
    "record_apply",
    "record_quarantine",
    "rejected_dismiss",
    "rejected_replay",
    "rejected_replay_open",
    "run_create",
    "run_execute",
    "run_inline",
    "run_is_stale",
    "run_now",
    "run_scheduled",
    "source_check",
    "source_create",
    "source_delete",
    "source_dry_run",
    "source_update",
    "sources_apply",
    "sources_export",
    "sources_parse",
]
