"""Pages for IT staff: sources, a source's runs and rejected records, the source form.

Views stay thin: permission, a selector or a service, render. Integrators and administrators
only (others get 403; anonymous users are sent to log in).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from incidents import roles
from incidents.errors import InvalidInput

from . import selectors, services
from .adapters import UnknownAdapter, registry
from .forms import SourceForm, UploadForm
from .models import RejectedRecord, Source, SyncRun


class IntegratorOnly(LoginRequiredMixin, UserPassesTestMixin, View):
    def test_func(self) -> bool:
        return roles.is_integrator(self.request.user)


def _adapter(kind: str):
    try:
        return registry.get(kind)
    except UnknownAdapter as exc:
        raise Http404(str(exc)) from exc


def _error_messages(request: HttpRequest, exc: InvalidInput) -> None:
    for text in exc.errors.values():
        messages.error(request, " ".join(text))


def run_progress(run: SyncRun) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(run, name) for name in SyncRun.COUNTS}
    data.update(
        id=run.pk,
        status=run.status,
        status_label=run.get_status_display(),
        active=run.is_active,
        error=run.error,
        started_at=run.started_at.isoformat() if run.started_at else None,
        finished_at=run.finished_at.isoformat() if run.finished_at else None,
        heartbeat_at=run.heartbeat_at.isoformat() if run.heartbeat_at else None,
        holder=run.holder,
        attempts=run.attempts,
        notes=run.notes,
    )
    return data


class SourceListView(IntegratorOnly):
    def get(self, request: HttpRequest) -> HttpResponse:
        sources = list(selectors.sources_with_last_run())
        last_runs = selectors.runs_by_id([s.last_run_id for s in sources])
        rows = [(s, last_runs.get(s.last_run_id)) for s in sources]
        return render(
            request,
            "integrations/source_list.html",
            {"rows": rows, "adapters": registry.all()},
        )


class SourceFormView(IntegratorOnly):
    """Create (?adapter=kind) or edit a source; "Test connection" runs a dry run unsaved."""

    template_name = "integrations/source_form.html"

    def _setup(self, request: HttpRequest, pk: int | None) -> tuple[Source | None, Any]:
        if pk is not None:
            source = get_object_or_404(Source, pk=pk)
            return source, _adapter(source.adapter)
        kind = request.GET.get("adapter") or request.POST.get("adapter")
        return None, _adapter(kind) if kind else None

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        source, adapter = self._setup(request, pk)
        if adapter is None:
            return render(request, "integrations/adapter_choice.html", {"adapters": registry.all()})
        form = SourceForm(adapter=adapter, instance=source)
        return render(request, self.template_name, {"form": form, "source": source})

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        source, adapter = self._setup(request, pk)
        if adapter is None:
            raise Http404("Choose an adapter.")
        form = SourceForm(request.POST, adapter=adapter, instance=source)
        dry_run = None
        if not form.is_valid():
            # Show every problem at once: the service checks what the form could read.
            values = form.source_values()
            values.pop("enabled")
            try:
                services.source_check(**values, instance=source)
            except InvalidInput as exc:
                form.add_service_errors(exc.errors)
        else:
            values = form.source_values()
            try:
                if request.POST.get("action") == "test":
                    dry_run = services.source_dry_run(
                        adapter=values["adapter"], config=values["config"]
                    )
                elif source is None:
                    source = services.source_create(**values)
                    messages.success(request, _("Source created."))
                    return redirect("integrations:source", pk=source.pk)
                else:
                    values.pop("name")
                    services.source_update(source=source, **values)
                    messages.success(request, _("Source saved."))
                    return redirect("integrations:source", pk=source.pk)
            except InvalidInput as exc:
                form.add_service_errors(exc.errors)
        status = 400 if form.errors else 200
        context = {"form": form, "source": source, "dry_run": dry_run}
        return render(request, self.template_name, context, status=status)


class SourceDetailView(IntegratorOnly):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        source = get_object_or_404(Source, pk=pk)
        adapter = registry.get(source.adapter) if source.adapter in registry else None
        context = {
            "source": source,
            "adapter": adapter,
            "runs": selectors.runs_for_source(source).select_related("requested_by")[:30],
            "active_run": selectors.active_run(source),
            "rejected": selectors.rejected_records(source=source, status="open")[:100],
            "rejected_other": selectors.rejected_records(source=source)
            .exclude(status="open")
            .count(),
            "upload_form": UploadForm() if adapter and adapter.accepts_upload else None,
        }
        return render(request, "integrations/source_detail.html", context)


class SourceTestView(IntegratorOnly):
    """Dry run of the saved configuration, shown on its own page."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        source = get_object_or_404(Source, pk=pk)
        try:
            dry_run = services.source_dry_run(
                adapter=source.adapter, config=source.config, cursor=source.cursor
            )
        except InvalidInput as exc:
            dry_run = services.DryRun(False, str(exc))
        return render(request, "integrations/dry_run.html", {"source": source, "dry_run": dry_run})


class SourceRunView(IntegratorOnly):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        source = get_object_or_404(Source, pk=pk)
        upload = None
        name = ""
        if request.FILES:
            form = UploadForm(request.POST, request.FILES)
            if not form.is_valid():
                messages.error(request, _("Choose a file to upload."))
                return redirect("integrations:source", pk=pk)
            upload, name = form.cleaned_data["file"].read(), form.cleaned_data["file"].name
        try:
            run, created = services.run_now(
                source=source, user=request.user, upload=upload, name=name
            )
        except InvalidInput as exc:
            _error_messages(request, exc)
            return redirect("integrations:source", pk=pk)
        if not created:
            messages.info(request, _("A run of this source is already in progress."))
        return redirect("integrations:run", pk=run.pk)


class SourceDeleteView(IntegratorOnly):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        services.source_delete(source=get_object_or_404(Source, pk=pk))
        messages.success(request, _("Source deleted; the items it imported stay."))
        return redirect("integrations:sources")


class RunDetailView(IntegratorOnly):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = get_object_or_404(selectors.runs_all(), pk=pk)
        context = {
            "run": run,
            "progress": run_progress(run),
            "rejected": run.rejected_records.order_by("-id")[:100],
        }
        return render(request, "integrations/run_detail.html", context)


class RunProgressView(IntegratorOnly):
    """A small JSON document the pages poll every second while a run is active."""

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        return JsonResponse(run_progress(get_object_or_404(selectors.runs_all(), pk=pk)))


class RejectedActionView(IntegratorOnly):
    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        record = get_object_or_404(RejectedRecord, pk=pk)
        try:
            if action == "replay":  # the URLconf allows only "replay" and "dismiss"
                outcome = services.rejected_replay(record=record, actor=request.user)[1]
                messages.success(request, _("Imported (%(outcome)s).") % {"outcome": outcome})
            else:
                services.rejected_dismiss(record=record, actor=request.user)
                messages.success(request, _("Dismissed."))
        except InvalidInput as exc:
            _error_messages(request, exc)
        back = request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, {request.get_host()}):
            return redirect(back)
        return redirect("integrations:source", pk=record.source_id)


class ReplayOpenView(IntegratorOnly):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        source = get_object_or_404(Source, pk=pk)
        counts = services.rejected_replay_open(source=source, actor=request.user)
        messages.info(
            request,
            _("Replayed: %(imported)d imported, %(refused)d still refused.") % counts,
        )
        return redirect("integrations:source", pk=pk)
