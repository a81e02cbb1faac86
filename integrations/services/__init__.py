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
from .recovery import ReconcileReport, run_is_abandoned, run_recover, runs_reconcile
from .retention import rejected_prune
from .runs import run_create, run_execute, run_inline, run_now, run_scheduled
from .sources import source_check, source_create, source_delete, source_update

__all__ = [
    "ApplyReport",
    "DryRun",
    "ReconcileReport",
    "SourcesFileInvalid",
    "record_apply",
    "record_quarantine",
    "rejected_dismiss",
    "rejected_prune",
    "rejected_replay",
    "rejected_replay_open",
    "run_create",
    "run_execute",
    "run_inline",
    "run_is_abandoned",
    "run_now",
    "run_recover",
    "run_scheduled",
    "runs_reconcile",
    "source_check",
    "source_create",
    "source_delete",
    "source_dry_run",
    "source_update",
    "sources_apply",
    "sources_export",
    "sources_parse",
]
