"""A small HTML reader for page tests (the standard library's parser: no extra dependency)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Page(HTMLParser):
    elements: list[Element] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    _open: list[Element] = field(default_factory=list)

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in ("meta", "link", "input", "br", "img", "hr"):
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        for element in self._open:
            element.text += data

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.texts).split())

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e for e in self.elements if e.tag == tag and all(e.attrs.get(k) == v for k, v in attrs.items())
        ]

    def links(self) -> list[str]:
        return [e.attrs.get("href", "") for e in self.find("a")]

    def json_script(self, kind: str) -> Any:
        (script,) = self.find("script", type=kind)
        return json.loads(script.text)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def assert_no_injected_markup(page: Page) -> None:
    """Only our own scripts, no event-handler attributes, no javascript: links."""
    for element in page.elements:
        if element.tag == "script":
            assert element.attrs.get("src", "").startswith("/static/") or element.attrs.get("type") in (
                "application/json",
                "application/ld+json",
            ), element
        assert not any(name.startswith("on") for name in element.attrs), element
        for name in ("href", "src", "action"):
            assert not element.attrs.get(name, "").strip().lower().startswith("javascript:"), element
