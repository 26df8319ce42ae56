"""DCAT-AP 3 graphs of package dicts (package_show's shape): the catalogue's pages and single datasets.

Pure functions of the dicts: which datasets and resources may appear is decided before (export.py).
Every node that a DCAT-AP range constrains is typed here (dct:LicenseDocument, foaf:Agent, ...), so
the graph conforms to the SHACL range shapes without the vocabularies' own graphs. See docs/harvest.md
for the mapping table."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from sapan.catalog.profiles import Profile
from sapan.harvest import vocab
from sapan.harvest.export import CatalogPage
from sapan.harvest.vocab import DCAT, DCT, FOAF, GSP, HYDRA, SAPAN, SKOS, SPDX, VCARD
from sapan.thai.text import THAI_DIGITS

# Profile fields whose value lives whole in a DCAT term; every other profile field also travels as
# sapan:<field name>, since the EU vocabularies are coarser than GDC's Thai choices.
IN_DCAT_TERMS = frozenset(
    {"created_date", "data_release_date", "standard", "accessible_condition", "data_source"}
)
_THAI = re.compile(r"[\u0E00-\u0E7F]")
_YEAR = re.compile(r"\d{4}")
_IRI_SAFE = ":/?#[]@!$&'()*+,;=%~"


@dataclass(frozen=True)
class Site:
    url: str  # the portal's public base URL, without a trailing slash
    title: str
    profile: Profile


FORMATS = {  # extension -> (rdflib format, Content-Type)
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("xml", "application/rdf+xml"),
    "xml": ("xml", "application/rdf+xml"),
}


def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in vocab.PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def serialize(graph: Graph, extension: str) -> bytes:
    rdf_format = FORMATS[extension][0]
    if rdf_format == "json-ld":  # compact with our prefixes, so the JSON reads like the Turtle
        context = {prefix: str(ns) for prefix, ns in vocab.PREFIXES.items()} | {"xsd": str(XSD)}
        return graph.serialize(format="json-ld", context=context, auto_compact=True, encoding="utf-8")
    return graph.serialize(format=rdf_format, encoding="utf-8")


def text(value: str) -> Literal:
    """A literal tagged with its language where the script tells it: Thai script is Thai; plain ASCII
    words are taken as English (government metadata here is written in one or the other)."""
    if _THAI.search(value):
        return Literal(value, lang="th")
    if value.isascii() and any(c.isalpha() for c in value):
        return Literal(value, lang="en")
    return Literal(value)


def iri(url: str | None) -> URIRef | None:
    """An http(s) URL as an IRI that every RDF syntax accepts (spaces, quotes and Thai percent-encoded)."""
    url = (url or "").strip()
    if not re.match(r"^https?://[^/\s]", url, re.IGNORECASE):
        return None
    return URIRef(quote(url, safe=_IRI_SAFE))


def _when(value: str | None) -> Literal | None:
    """A stored timestamp (naive UTC) as an xsd:dateTime with its zone."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return Literal(moment.isoformat(), datatype=XSD.dateTime)


def _date(value: Any) -> Literal | None:
    try:
        return Literal(date.fromisoformat(str(value)[:10]).isoformat(), datatype=XSD.date)
    except ValueError:
        return None


def _year(value: Any) -> Literal | None:
    """GDC years are mostly Buddhist era (2564 = 2021), sometimes in Thai digits."""
    found = _YEAR.search(str(value or "").translate(THAI_DIGITS))
    if not found:
        return None
    year = int(found.group(0))
    return Literal(str(year - 543 if year > 2400 else year), datatype=XSD.gYear)


def _values(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def dataset_uri(site: Site, ds: dict[str, Any]) -> URIRef:
    return URIRef(f"{site.url}/dataset/{ds['id']}")


def dataset_graph(site: Site, ds: dict[str, Any], withheld: frozenset[str]) -> Graph:
    graph = new_graph()
    add_dataset(graph, site, ds, withheld)
    return graph


def catalog_graph(site: Site, page: CatalogPage, page_url: Callable[[int], str]) -> Graph:
    """One page of the catalogue, with its Hydra view (first, previous, next, last)."""
    graph = new_graph()
    catalog = URIRef(f"{site.url}/catalog")
    publisher = URIRef(f"{site.url}/#publisher")
    themes = URIRef(f"{site.url}/group")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCT.title, text(site.title)))
    graph.add((catalog, DCT.description, Literal(f"ชุดข้อมูลที่เผยแพร่บน {site.title}", lang="th")))
    graph.add((catalog, DCT.description, Literal(f"Datasets published on {site.title}", lang="en")))
    graph.add((catalog, DCT.publisher, publisher))
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, text(site.title)))
    homepage = URIRef(f"{site.url}/")
    graph.add((catalog, FOAF.homepage, homepage))
    graph.add((homepage, RDF.type, FOAF.Document))
    graph.add((catalog, DCAT.themeTaxonomy, themes))
    graph.add((themes, RDF.type, SKOS.ConceptScheme))
    graph.add((themes, DCT.title, Literal("กลุ่มชุดข้อมูล", lang="th")))
    graph.add((themes, DCT.title, Literal("Dataset groups", lang="en")))
    for ds in page.datasets:
        graph.add((catalog, DCAT.dataset, add_dataset(graph, site, ds, page.withheld)))
    _add_view(graph, catalog, page, page_url)
    return graph


def _add_view(graph: Graph, catalog: URIRef, page: CatalogPage, page_url: Callable[[int], str]) -> None:
    number, last = page.query.page, page.last_page
    view = URIRef(page_url(number))
    graph.add((catalog, HYDRA.totalItems, Literal(page.total, datatype=XSD.nonNegativeInteger)))
    graph.add((catalog, HYDRA.view, view))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.first, URIRef(page_url(1))))
    graph.add((view, HYDRA.last, URIRef(page_url(last))))
    if number > 1:
        graph.add((view, HYDRA.previous, URIRef(page_url(min(number - 1, last)))))
    if number < last:
        graph.add((view, HYDRA.next, URIRef(page_url(number + 1))))


def add_dataset(graph: Graph, site: Site, ds: dict[str, Any], withheld: frozenset[str]) -> URIRef:
    """Add one dataset, its distributions and the nodes they point to; returns the dataset's IRI."""
    node = dataset_uri(site, ds)
    add = graph.add
    add((node, RDF.type, DCAT.Dataset))
    add((node, DCT.identifier, Literal(ds["id"])))
    add((node, DCT.title, text(ds["title"] or ds["name"])))
    # DCAT-AP requires a description; the plain CKAN profile does not, so the title stands in.
    add((node, DCT.description, text(ds.get("notes") or ds["title"] or ds["name"])))
    for tag in ds.get("tags", []):
        add((node, DCAT.keyword, text(tag["name"])))
    for page in (f"{site.url}/dataset/{ds['name']}", ds.get("url")):
        if landing := iri(page):
            _typed(graph, node, DCAT.landingPage, landing, FOAF.Document)
    if version := ds.get("version"):
        add((node, DCAT.version, Literal(version)))
    _add_when(graph, node, ds)
    _add_agents(graph, site, node, ds)
    licence = _add_licence(graph, site, node, ds)
    _typed(graph, node, DCT.accessRights, vocab.PUBLIC_ACCESS, DCT.RightsStatement)  # only public ones
    _add_statements(graph, node, ds)
    for group in ds.get("groups", []):
        theme = URIRef(f"{site.url}/group/{group['id']}")
        _typed(graph, node, DCAT.theme, theme, SKOS.Concept)
        add((theme, SKOS.prefLabel, text(group.get("title") or group["name"])))
        add((theme, SKOS.inScheme, URIRef(f"{site.url}/group")))
    _add_coverage(graph, node, ds)
    for choice in _values(ds.get("data_language")):
        if language := vocab.language(choice):
            _typed(graph, node, DCT.language, language, DCT.LinguisticSystem)
    if freq := vocab.frequency(ds.get("update_frequency_unit"), ds.get("update_frequency_interval")):
        _typed(graph, node, DCT.accrualPeriodicity, freq, DCT.Frequency)
    _add_profile_fields(graph, node, ds, site.profile.extra_dataset_fields)
    for res in ds.get("resources", []):
        if res["id"] not in withheld:
            add((node, DCAT.distribution, _add_distribution(graph, site, node, ds, res, licence)))
    return node


def _typed(graph: Graph, subject: URIRef, predicate: URIRef, obj: URIRef, cls: URIRef) -> None:
    graph.add((subject, predicate, obj))
    graph.add((obj, RDF.type, cls))


def _add_when(graph: Graph, node: URIRef, ds: dict[str, Any]) -> None:
    # dct:modified is the record's last change, the time modified_since compares with
    issued = _date(ds["data_release_date"]) if ds.get("data_release_date") else _when(ds["metadata_created"])
    for predicate, value in (
        (DCT.issued, issued),
        (DCT.modified, _when(ds.get("metadata_modified"))),
        (DCT.created, _date(ds["created_date"]) if ds.get("created_date") else None),
    ):
        if value is not None:
            graph.add((node, predicate, value))


def _add_agents(graph: Graph, site: Site, node: URIRef, ds: dict[str, Any]) -> None:
    if org := ds.get("organization"):
        publisher = URIRef(f"{site.url}/organization/{org['id']}")
        _typed(graph, node, DCT.publisher, publisher, FOAF.Agent)
        graph.add((publisher, RDF.type, FOAF.Organization))
        graph.add((publisher, FOAF.name, text(org.get("title") or org["name"])))
    if ds.get("maintainer") or ds.get("maintainer_email"):
        contact = URIRef(f"{node}#contact")
        _typed(graph, node, DCAT.contactPoint, contact, VCARD.Kind)
        graph.add((contact, VCARD.fn, text(ds.get("maintainer") or ds["maintainer_email"])))
        if ds.get("maintainer_email"):
            graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{quote(ds['maintainer_email'], safe='@')}")))
    if ds.get("author") or ds.get("author_email"):
        creator = URIRef(f"{node}#creator")
        _typed(graph, node, DCT.creator, creator, FOAF.Agent)
        graph.add((creator, FOAF.name, text(ds.get("author") or ds["author_email"])))
        if ds.get("author_email"):
            graph.add((creator, FOAF.mbox, URIRef(f"mailto:{quote(ds['author_email'], safe='@')}")))


def _add_licence(graph: Graph, site: Site, node: URIRef, ds: dict[str, Any]) -> URIRef | None:
    if not ds.get("license_id"):
        return None
    # The licence's own URL names it best; the ones seeded without a URL get an IRI on this portal.
    licence = iri(ds.get("license_url")) or URIRef(f"{site.url}/licence/{quote(ds['license_id'])}")
    _typed(graph, node, DCT.license, licence, DCT.LicenseDocument)
    graph.add((licence, DCT.identifier, Literal(ds["license_id"])))
    if ds.get("license_title"):
        graph.add((licence, RDFS.label, text(ds["license_title"])))
    return licence


def _add_statements(graph: Graph, node: URIRef, ds: dict[str, Any]) -> None:
    """GDC's free-text access conditions, standard and data source, as DCAT's statement nodes."""
    for field, predicate, cls in (
        ("accessible_condition", DCT.rights, DCT.RightsStatement),
        ("standard", DCT.conformsTo, DCT.Standard),
        ("data_source", DCT.provenance, DCT.ProvenanceStatement),
    ):
        if value := ds.get(field):
            statement = URIRef(f"{node}#{field}")
            _typed(graph, node, predicate, statement, cls)
            graph.add((statement, RDFS.label, text(str(value))))


def _add_coverage(graph: Graph, node: URIRef, ds: dict[str, Any]) -> None:
    start, end = _year(ds.get("first_year_of_data")), _year(ds.get("last_year_of_data"))
    if start is not None or end is not None:
        period = URIRef(f"{node}#temporal")
        _typed(graph, node, DCT.temporal, period, DCT.PeriodOfTime)
        if start is not None:
            graph.add((period, DCAT.startDate, start))
        if end is not None:
            graph.add((period, DCAT.endDate, end))
    bounds = [ds.get(f"{side}_bound_longitude") for side in ("west", "east", "north", "south")]
    try:
        west, east, north, south = (float(b) for b in bounds)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return
    place = URIRef(f"{node}#spatial")
    _typed(graph, node, DCT.spatial, place, DCT.Location)
    polygon = f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}))"
    graph.add((place, DCAT.bbox, Literal(polygon, datatype=GSP.wktLiteral)))


def _add_profile_fields(graph: Graph, node: URIRef, values: dict[str, Any], fields: Iterable[Any]) -> None:
    """Profile fields without a DCAT term of their own, as sapan:<field name> (the stored values:
    choice codes stay comparable across portals using the same profile)."""
    for field in fields:
        if field.name in IN_DCAT_TERMS:
            continue
        for value in _values(values.get(field.name)):
            graph.add((node, SAPAN[field.name], Literal(value)))


def _add_distribution(
    graph: Graph, site: Site, dataset: URIRef, ds: dict[str, Any], res: dict[str, Any], licence: URIRef | None
) -> URIRef:
    node = URIRef(f"{site.url}/dataset/{ds['id']}/resource/{res['id']}")
    add = graph.add
    add((node, RDF.type, DCAT.Distribution))
    add((node, DCT.identifier, Literal(res["id"])))
    if res.get("name"):
        add((node, DCT.title, text(res["name"])))
    if res.get("description"):
        add((node, DCT.description, text(res["description"])))
    url = iri(res.get("url"))
    # DCAT-AP requires an access URL: a resource without a usable link is reached from the dataset's page
    add((node, DCAT.accessURL, url or URIRef(f"{site.url}/dataset/{ds['name']}")))
    if url is not None and res.get("url_type") == "upload":
        add((node, DCAT.downloadURL, url))
    fmt = str(res.get("format") or "")
    if file_type := vocab.file_type(fmt):
        _typed(graph, node, DCT["format"], file_type, DCT.MediaTypeOrExtent)
    elif fmt:
        other = URIRef(f"{node}#format")
        _typed(graph, node, DCT["format"], other, DCT.MediaTypeOrExtent)
        add((other, RDFS.label, Literal(fmt)))
    if media := vocab.media_type(res.get("mimetype"), fmt):
        _typed(graph, node, DCAT.mediaType, media, DCT.MediaType)
    if isinstance(res.get("size"), int) and res["size"] >= 0:
        add((node, DCAT.byteSize, Literal(res["size"], datatype=XSD.nonNegativeInteger)))
    _add_checksum(graph, node, str(res.get("hash") or ""))
    for predicate, value in (
        (DCT.issued, _when(res.get("created"))),
        (DCT.modified, _when(res.get("last_modified") or res.get("metadata_modified"))),
    ):
        if value is not None:
            add((node, predicate, value))
    if licence is not None:
        add((node, DCT.license, licence))
    _add_profile_fields(graph, node, res, site.profile.extra_resource_fields)
    return node


def _add_checksum(graph: Graph, node: URIRef, digest: str) -> None:
    algorithm, _, value = digest.partition(":")
    if algorithm != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", value):
        return
    checksum: Node = URIRef(f"{node}#checksum")
    graph.add((node, SPDX.checksum, checksum))
    graph.add((checksum, RDF.type, SPDX.Checksum))
    graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    graph.add((checksum, SPDX.checksumValue, Literal(value, datatype=XSD.hexBinary)))
