"""What the dashboard's scripts need from the resident loop: words and the resident languages
(merged into the page configuration by dashboard/templatetags/koban.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext


def resident_languages() -> list[dict[str, Any]]:
    return [{"code": code, "name": name} for code, name in settings.KOBAN_RESIDENT_LANGUAGES]


def resident_ui_strings() -> dict[str, str]:
    return {
        "rm_title": gettext("Message to the resident"),
        "rm_none": gettext(
            "No message: the resident left no contact that can be reached, or did not agree "
            "to be contacted."
        ),
        "rm_language": gettext("In {language}"),
        "rm_subject": gettext("Subject"),
        "rm_body": gettext("Message"),
        "rm_send": gettext("Send to the resident"),
        "rm_send_again": gettext("Send again"),
        "rm_link_note": gettext('A link to answer "was the problem solved?" is added at the end.'),
        "rm_sent": gettext("Sent by {channel} on {date}"),
        "rm_failed": gettext("Not delivered: {reason}"),
        "rm_status_draft": gettext("Draft"),
        "rm_status_sending": gettext("Sending"),
        "rm_status_sent": gettext("Sent"),
        "rm_status_failed": gettext("Not delivered"),
        "rm_feedback": gettext("Resident's answer"),
        "rm_feedback_none": gettext("No answer yet."),
        "rm_score": gettext("solved: {score}/5"),
        "feedback_title": gettext("Residents' feedback"),
        "feedback_none": gettext("No answers from residents yet."),
        "reporter_language": gettext("Language for messages"),
        "reporter_language_saved": gettext("Language recorded."),
    }
