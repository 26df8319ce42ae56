"""Namespaces and the controlled vocabularies the DCAT export maps the GDC profile's Thai choices onto.

The EU vocabularies (file types, frequencies, languages, access rights) are what DCAT-AP harvesters
understand; where a GDC choice has no counterpart we emit nothing for the term and keep the Thai value
under the `sapan:` namespace instead."""

from __future__ import annotations

import re

from rdflib import Namespace, URIRef

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
# Sapan's own terms, for profile fields DCAT has no term for (data classification, GDC objective...).
# The URI is an identifier, not a web page: `.example` is reserved (RFC 2606), so the namespace can never
# be taken over by someone else's vocabulary, and it stays the same whatever host a portal runs on.
SAPAN = Namespace("https://sapan.example/ns#")

PREFIXES = {
    "dcat": DCAT, "dct": DCT, "dcatap": DCATAP, "foaf": FOAF, "vcard": VCARD, "skos": SKOS, "spdx": SPDX,
    "hydra": HYDRA, "locn": LOCN, "gsp": GSP, "sapan": SAPAN,
}  # fmt: skip

_EU = "http://publications.europa.eu/resource/authority/"
PUBLIC_ACCESS = URIRef(_EU + "access-right/PUBLIC")
THAILAND = URIRef(_EU + "country/THA")

FILE_TYPES = {
    "CSV": "CSV", "TSV": "TSV", "XLSX": "XLSX", "XLS": "XLS", "ODS": "ODS", "JSON": "JSON",
    "GEOJSON": "GEOJSON", "XML": "XML", "PDF": "PDF", "HTML": "HTML", "ZIP": "ZIP", "TXT": "TXT",
    "DOC": "DOC", "DOCX": "DOCX", "PARQUET": "PARQUET", "SHP": "SHP", "KML": "KML", "KMZ": "KMZ",
}  # fmt: skip

MEDIA_TYPES = {
    "CSV": "text/csv", "TSV": "text/tab-separated-values", "JSON": "application/json",
    "GEOJSON": "application/geo+json", "XML": "application/xml", "PDF": "application/pdf",
    "HTML": "text/html", "ZIP": "application/zip", "TXT": "text/plain",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "XLS": "application/vnd.ms-excel", "ODS": "application/vnd.oasis.opendocument.spreadsheet",
}  # fmt: skip
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")

LANGUAGES = {  # GDC's data_language choices -> EU language codes
    "ไทย": "THA", "อังกฤษ": "ENG", "จีน": "ZHO", "มลายู": "MSA", "พม่า": "MYA", "ลาว": "LAO",
    "เขมร": "KHM", "ญี่ปุ่น": "JPN", "เกาหลี": "KOR", "ฝรั่งเศส": "FRA", "เยอรมัน": "DEU", "อารบิก": "ARA",
}  # fmt: skip

# GDC's update_frequency_unit (with update_frequency_interval) -> EU frequency codes. A unit maps to
# a code for interval 1 (or any interval when the unit has one code), else per interval.
FREQUENCIES: dict[str, dict[str, str]] = {
    "ปี": {"1": "ANNUAL", "2": "BIENNIAL", "3": "TRIENNIAL"},
    "ครึ่งปี": {"1": "ANNUAL_2"},
    "ไตรมาส": {"1": "QUARTERLY"},
    "เดือน": {"1": "MONTHLY", "2": "BIMONTHLY"},
    "สัปดาห์": {"1": "WEEKLY", "2": "BIWEEKLY"},
    "วัน": {"1": "DAILY"},
    "วันทำการ": {"1": "DAILY"},
    "ชั่วโมง": {"1": "HOURLY"},
    "นาที": {"*": "UPDATE_CONT"},
    "ตามเวลาจริง": {"*": "CONT"},
    "ไม่มีการปรับปรุงหลังจากการจัดเก็บข้อมูล": {"*": "NEVER"},
    "ไม่ทราบ": {"*": "UNKNOWN"},
}


def file_type(fmt: str) -> URIRef | None:
    code = FILE_TYPES.get(fmt.strip().upper().lstrip("."))
    return URIRef(f"{_EU}file-type/{code}") if code else None


def media_type(mimetype: str | None, fmt: str) -> URIRef | None:
    """The IANA media type IRI, from the resource's mimetype or else its format."""
    value = (mimetype or MEDIA_TYPES.get(fmt.strip().upper().lstrip("."), "")).strip().lower()
    if not _MEDIA_TYPE.match(value):
        return None
    return URIRef(f"https://www.iana.org/assignments/media-types/{value}")


def media_type_name(mimetype: str | None, fmt: str) -> str | None:
    """The plain media type string (for Data Packages), or None when unknown."""
    iri = media_type(mimetype, fmt)
    return str(iri).rsplit("media-types/", 1)[1] if iri else None


def language(choice: str) -> URIRef | None:
    code = LANGUAGES.get(choice)
    return URIRef(f"{_EU}language/{code}") if code else None


def frequency(unit: str | None, interval: str | None) -> URIRef | None:
    codes = FREQUENCIES.get(unit or "")
    if not codes:
        return None
    code = codes.get("*") or codes.get((interval or "1").strip() or "1")
    return URIRef(f"{_EU}frequency/{code}") if code else None
