"""Pages for log-source definitions: list, detail with history and diff, edit with a sample-line test,
upload and download. Reading needs ``logs.view``; every change needs ``sources.manage`` and is audited."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.authz.decorators import require
from ringfence.authz.roles import Perm
from ringfence.authz.services import has_permission
from ringfence.core.errors import BadInput, InputProblem

from .definitions import selectors, services
from .definitions.models import StoredSource
from .sources import SourceDefinition

MAX_UPLOAD_BYTES = 256 * 1024
NEW_TEMPLATE = (
    'id = ""\nsystem = ""\nformat = "csv"\nencoding = "utf-8"\ntime_zone = "Asia/Tokyo"\n\n[fields]\n'
)


def _source_or_404(source_id: str) -> StoredSource:
    source = selectors.get_source(source_id)
    if source is None:
        raise Http404(_("No such log-source definition."))
    return source


def _problem_rows(exc: BadInput) -> list[InputProblem]:
    return list(exc.problems) or [InputProblem("<definition>", None, None, str(exc))]


@require(Perm.LOGS_VIEW)
def definition_list(request: HttpRequest) -> HttpResponse:
    """Every stored definition with its system, format, encoding, state and last change."""
    return render(request, "logs/definitions/list.html", {
        "sources": selectors.source_list(),
        "can_manage": has_permission(request, Perm.SOURCES_MANAGE),
    })  # fmt: skip


@require(Perm.LOGS_VIEW)
def definition_detail(request: HttpRequest, source_id: str) -> HttpResponse:
    """One definition rendered readably (field and value mappings), its TOML, versions and a diff."""
    source = _source_or_404(source_id)
    history = selectors.versions(source)
    shown = history[0]
    wanted = request.GET.get("version", "")
    if wanted.isdigit():
        shown = next((v for v in history if v.number == int(wanted)), shown)
    previous = next((v for v in history if v.number == shown.number - 1), None)
    definition: SourceDefinition | None
    try:
        definition = services.parse_definition_text(shown.toml, file=source_id)
    except BadInput:
        definition = None  # an old version valid under older rules; the text is still shown
    return render(request, "logs/definitions/detail.html", {
        "source": source, "shown": shown, "history": history, "definition": definition,
        "diff": selectors.version_diff(previous, shown),
        "can_manage": has_permission(request, Perm.SOURCES_MANAGE),
    })  # fmt: skip


@require(Perm.SOURCES_MANAGE)
def definition_edit(request: HttpRequest, source_id: str | None = None) -> HttpResponse:
    """Create or edit a definition as TOML; "test" parses sample lines with the edited text, writing nothing."""
    source = _source_or_404(source_id) if source_id else None
    text = source.current().toml if source else NEW_TEMPLATE
    reason, sample = "", ""
    problems: list[InputProblem] = []
    preview = None
    if request.method == "POST":
        text = request.POST.get("toml", "").replace("\r\n", "\n")
        reason = request.POST.get("reason", "").strip()
        sample = request.POST.get("sample", "")
        try:
            if request.POST.get("action") == "test":
                definition = services.parse_definition_text(text, file=source_id or "<new>")
                preview = services.preview_lines(definition, sample)
            else:
                result = services.save_definition(
                    text, request=request, reason=reason, expect_id=source_id, file=source_id or "<new>"
                )
                return redirect("logs:definition_detail", source_id=result.version.source.source_id)
        except BadInput as exc:
            problems = _problem_rows(exc)
    return render(request, "logs/definitions/edit.html", {
        "source": source, "text": text, "reason": reason, "sample": sample, "problems": problems,
        "preview": preview, "max_lines": services.MAX_PREVIEW_LINES,
    })  # fmt: skip


@require(Perm.SOURCES_MANAGE)
@require_POST
def definition_upload(request: HttpRequest) -> HttpResponse:
    """Store an uploaded ``.toml`` file as a new definition or a new version of the one with its id."""
    upload = request.FILES.get("file")
    problems: list[InputProblem] = []
    if upload is None or upload.size is None or upload.size > MAX_UPLOAD_BYTES:
        problems.append(InputProblem("<upload>", None, "file", _("choose a .toml file of at most 256 KiB")))
    else:
        name = upload.name or "<upload>"
        try:
            text = upload.read().decode("utf-8").replace("\r\n", "\n")
            result = services.save_definition(
                text, request=request, reason=request.POST.get("reason", "").strip() or _("uploaded %(file)s")
                % {"file": name}, file=name,
            )  # fmt: skip
            return redirect("logs:definition_detail", source_id=result.version.source.source_id)
        except UnicodeDecodeError:
            problems.append(InputProblem(name, None, None, _("the file is not UTF-8")))
        except BadInput as exc:
            problems = _problem_rows(exc)
    return render(request, "logs/definitions/list.html", {
        "sources": selectors.source_list(), "can_manage": True, "problems": problems,
    }, status=400)  # fmt: skip


@require(Perm.SOURCES_MANAGE)
@require_POST
def definition_toggle(request: HttpRequest, source_id: str) -> HttpResponse:
    """Enable or disable a definition for ingest."""
    _source_or_404(source_id)
    services.set_enabled(source_id, request.POST.get("enabled") == "1", request=request)
    return redirect("logs:definition_detail", source_id=source_id)


@require(Perm.LOGS_VIEW)
def definition_download(request: HttpRequest, source_id: str) -> HttpResponse:
    """The definition's text (current, or ``?version=n``) as a ``<id>.toml`` file."""
    source = _source_or_404(source_id)
    history = selectors.versions(source)
    wanted = request.GET.get("version", "")
    version = next((v for v in history if str(v.number) == wanted), history[0])
    record(AuditAction.EXPORT, request=request, target_type=services.AUDIT_TARGET, target_ref=source_id,
           detail={"version": version.number})  # fmt: skip
    response = HttpResponse(version.toml, content_type="application/toml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{source_id}.toml"'
    return response
