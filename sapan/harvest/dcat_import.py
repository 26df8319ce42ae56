"""DCAT catalogue sources (Turtle, RDF/XML, JSON-LD), read with rdflib: pages followed through Hydra's
`hydra:next` (and ckanext-dcat's older `hydra:nextPage`). Each dcat:Dataset becomes a CKAN-shaped
package dict, the reverse of dcat_export.py's mapping (so Sapan's own catalogue re-imports unchanged);
`sapan:<field>` terms go back to their profile fields."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import unquote, urljoin

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

from sapan.harvest.backend import Fetcher, HarvestFailed, Listing, Progress, RemoteRecord, SourceSettings
from sapan.harvest.vocab import DCAT, DCT, FOAF, HYDRA, SAPAN, VCARD
from sapan.thai.slug import slugify

MAX_PAGES = 10_000
ACCEPT = "text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8"
STATEMENTS = {"accessible_condition": DCT.rights, "standard": DCT.conformsTo, "data_source": DCT.provenance}


def syntax_of(url: str, body: bytes) -> str:
    """rdflib's format name, from the URL's suffix or else the first character of the document."""
    path = url.split("?", 1)[0].lower()
    for suffix, fmt in ((".ttl", "turtle"), (".jsonld", "json-ld"), (".json", "json-ld"), (".rdf", "xml"),
                        (".xml", "xml"), (".nt", "nt"), (".n3", "n3")):  # fmt: skip
        if path.endswith(suffix):
            return fmt
    start = body.lstrip()[:1]
    return "json-ld" if start in (b"{", b"[") else "xml" if start == b"<" else "turtle"


def parse(url: str, body: bytes) -> Graph:
    try:
        return Graph().parse(data=body, format=syntax_of(url, body), publicID=url)
    except Exception as exc:  # rdflib raises many kinds: each means the document is not valid RDF
        raise HarvestFailed(f"{url} sent malformed RDF: {type(exc).__name__}: {str(exc)[:300]}") from exc


def next_page(graph: Graph, url: str) -> str | None:
    for predicate in (HYDRA.next, HYDRA.nextPage):
        for target in graph.objects(None, predicate):
            following = urljoin(url, str(target))
            if following != url:
                return following
    return None


class DcatBackend:
    def list_records(
        self, fetch: Fetcher, source: SourceSettings, since: str | None, progress: Progress
    ) -> Listing:
        records: dict[str, RemoteRecord] = {}
        url: str | None = source.url
        seen: set[str] = set()
        while url and url not in seen and len(seen) < MAX_PAGES:
            seen.add(url)
            graph = parse(url, fetch.get(url, accept=ACCEPT))
            for node in graph.subjects(RDF.type, DCAT.Dataset):
                record = convert(graph, node)
                records.setdefault(record.remote_id, record)
            progress(0.25, f"Read {len(seen)} page(s), {len(records)} datasets")
            url = next_page(graph, url)
        return Listing(list(records.values()), complete=True)


def _best(graph: Graph, node: Node, predicate: URIRef) -> str:
    """One text value: Thai first, then untagged, then English, then any language."""
    values = [v for v in graph.objects(node, predicate) if isinstance(v, Literal)]
    if not values:
        return ""
    rank = {"th": 0, None: 1, "en": 2}
    values.sort(key=lambda v: (rank.get(v.language, 3), str(v)))
    return str(values[0]).strip()


def _iri_or_text(graph: Graph, node: Node, predicate: URIRef) -> str:
    for value in graph.objects(node, predicate):
        if isinstance(value, URIRef):
            return str(value)
    return _best(graph, node, predicate)


def _label(graph: Graph, node: Node) -> str:
    return (
        _best(graph, node, RDFS.label) or _best(graph, node, FOAF.name) or _best(graph, node, VCARD.fn)
        or _best(graph, node, DCT.title) or _best(graph, node, RDF.value)
    )  # fmt: skip


def _mail(graph: Graph, node: Node, predicate: URIRef) -> str:
    for value in graph.objects(node, predicate):
        text = unquote(str(value))
        if isinstance(value, BNode):
            text = _iri_or_text(graph, value, VCARD.value)
        return text.removeprefix("mailto:").strip()
    return ""


def convert(graph: Graph, node: Node) -> RemoteRecord:
    """A dcat:Dataset as a CKAN-shaped package dict."""
    identifier = _best(graph, node, DCT.identifier)
    remote_id = identifier or (str(node) if isinstance(node, URIRef) else "")
    title = _best(graph, node, DCT.title)
    if not remote_id:
        remote_id = "urn:title:" + slugify(title or "dataset")
    package: dict[str, Any] = {
        "id": remote_id,
        "title": title,
        "notes": _best(graph, node, DCT.description),
        "tags": sorted({str(k).strip() for k in graph.objects(node, DCAT.keyword) if str(k).strip()}),
        "version": _best(graph, node, DCAT.version)
        or _best(graph, node, URIRef("http://www.w3.org/2002/07/owl#versionInfo")),
    }
    pages = [str(p) for p in graph.objects(node, DCAT.landingPage)]
    # Sapan's export lists its own dataset page first; the dataset's own url is any other page.
    own = f"/dataset/{identifier}" if identifier else None
    package["url"] = next((p for p in pages if not (own and p.endswith(own)) and "/dataset/" not in p), "")
    package["url"] = package["url"] or (pages[0] if len(pages) == 1 and "/dataset/" not in pages[0] else "")
    _agents(graph, node, package)
    for field, predicate in STATEMENTS.items():
        statement = next(iter(graph.objects(node, predicate)), None)
        if statement is not None:
            package[field] = _label(graph, statement) or (
                str(statement) if isinstance(statement, Literal) else ""
            )
    created = _best(graph, node, DCT.created)
    if created:
        package["created_date"] = created[:10]
    own_terms: dict[str, list[str]] = {}
    for term, obj in graph.predicate_objects(node):
        if isinstance(term, URIRef) and str(term).startswith(str(SAPAN)):
            own_terms.setdefault(str(term)[len(str(SAPAN)) :], []).append(str(obj))
    package.update({k: sorted(v) if len(v) > 1 else v[0] for k, v in own_terms.items()})
    licence = _licence(graph, node)
    distributions = sorted(graph.objects(node, DCAT.distribution), key=str)
    package["resources"] = [_distribution(graph, d) for d in distributions]
    if not licence:
        licence = next((lic for d in distributions if (lic := _licence(graph, d))), {})
    publisher = next(iter(graph.objects(node, DCT.publisher)), None)
    organization = None
    if publisher is not None:
        name = _label(graph, publisher)
        if name:
            organization = {"name": slugify(name)[:100] or "publisher", "title": name, "description": ""}
    modified = _best(graph, node, DCT.modified) or _best(graph, node, DCT.issued)
    return RemoteRecord(
        remote_id=remote_id, package=package, modified=modified,
        original_url=str(node) if isinstance(node, URIRef) else (pages[0] if pages else ""),
        remote_name="", public=True, organization=organization, licence=licence,
    )  # fmt: skip


def _agents(graph: Graph, node: Node, package: dict[str, Any]) -> None:
    contact = next(iter(graph.objects(node, DCAT.contactPoint)), None)
    if contact is not None:
        package["maintainer"] = _best(graph, contact, VCARD.fn) or _best(
            graph, contact, VCARD["organization-name"]
        )
        package["maintainer_email"] = _mail(graph, contact, VCARD.hasEmail)
    creator = next(iter(graph.objects(node, DCT.creator)), None)
    if creator is not None:
        package["author"] = _label(graph, creator)
        package["author_email"] = _mail(graph, creator, FOAF.mbox)


def _licence(graph: Graph, node: Node) -> dict[str, Any]:
    licence = next(iter(graph.objects(node, DCT.license)), None)
    if licence is None:
        return {}
    url = str(licence) if isinstance(licence, URIRef) else ""
    ident = _best(graph, licence, DCT.identifier)
    title = _label(graph, licence)
    if isinstance(licence, Literal):
        title = str(licence)
    return {"id": ident, "title": title, "url": url, "is_open": _open_licence(url + " " + title)}


def _open_licence(text: str) -> bool:
    lowered = text.lower()
    return any(
        mark in lowered
        for mark in ("creativecommons.org/licenses/by", "creativecommons.org/publicdomain", "opendatacommons",
                     "opendefinition.org", "open-data-licence", "open government licence", "cc-by", "cc0")
    )  # fmt: skip


def _distribution(graph: Graph, node: Node) -> dict[str, Any]:
    url = _iri_or_text(graph, node, DCAT.downloadURL) or _iri_or_text(graph, node, DCAT.accessURL)
    out: dict[str, Any] = {
        "name": _best(graph, node, DCT.title),
        "description": _best(graph, node, DCT.description),
        "url": url,
        "format": _format(graph, node),
    }
    ident = _best(graph, node, DCT.identifier)
    if ident:
        out["id"] = ident
    media = _iri_or_text(graph, node, DCAT.mediaType)
    if media:
        out["mimetype"] = media.rsplit("media-types/", 1)[-1]
    size = _best(graph, node, DCAT.byteSize)
    if size:
        with contextlib.suppress(ValueError):
            out["size"] = int(float(size))
    for predicate, obj in graph.predicate_objects(node):
        if isinstance(predicate, URIRef) and str(predicate).startswith(str(SAPAN)):
            out[str(predicate)[len(str(SAPAN)) :]] = str(obj)
    return out


def _format(graph: Graph, node: Node) -> str:
    fmt = next(iter(graph.objects(node, DCT["format"])), None)
    if fmt is None:
        return ""
    if isinstance(fmt, Literal):
        return str(fmt)
    label = _label(graph, fmt)
    if label:
        return label
    return str(fmt).rstrip("/").rsplit("/", 1)[-1] if "file-type" in str(fmt) else ""
