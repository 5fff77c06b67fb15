"""No inline script or style anywhere: the CSP forbids both, so none may be written.

Scans every template of the project; a new template is covered automatically.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_TAG = re.compile(r"<style\b", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
EVENT_ATTR = re.compile(r"\son[a-z]+\s*=", re.I)
HTMX_INLINE_JS = re.compile(r"\shx-on[:\-]|\shx-vars\s*=|\sjs:", re.I)
JS_URL = re.compile(r"(href|src|action)\s*=\s*[\"']\s*javascript:", re.I)


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_inline_script_or_style(path):
    text = path.read_text()
    for name, pattern in [
        ("inline <script>", INLINE_SCRIPT),
        ("<style> element", STYLE_TAG),
        ("style= attribute", STYLE_ATTR),
        ("on*= event handler", EVENT_ATTR),
        ("htmx inline JavaScript", HTMX_INLINE_JS),
        ("javascript: URL", JS_URL),
    ]:
        match = pattern.search(text)
        around = text[max(0, match.start() - 40) : match.end() + 40] if match else ""
        assert match is None, f"{name} in {path.name}: {around!r}"


@pytest.mark.django_db
def test_the_policy_header_forbids_inline_code(as_admin):
    csp = as_admin.get(reverse("portal:dashboard"))["Content-Security-Policy"]
    directives = dict(
        part.strip().split(" ", 1) for part in csp.split(";") if part.strip()
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in csp
