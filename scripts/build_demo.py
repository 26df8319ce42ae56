"""Build the demo catalogue that `sapan demo` loads: catalog.json and files/*.csv.

Run by hand, from the repository root, on a machine that has the shared data folder:

    python3 scripts/build_demo.py [--shared /work/shared/data]

The program itself never reads the shared folder: it loads only the files this script writes
next to it. The script documents how the demo data was made and checks it:

* Thai datasets come from the 2016 data.go.th catalogue (heytitle/data.go.th-auditing, 770 rows of
  category, Thai title and URL). Each pick is named by its data.go.th id and its title is kept
  exactly as published (typos, Thai digits, double spaces and a stray quote included), because
  that is what a Thai portal really holds. The agency, groups, tags, a one- or two-sentence Thai
  description and the Thai Government Data Catalog (GDC) fields were written here by hand from
  the title and the catalogue category. They are plausible, not the publisher's own metadata.
* One Thai dataset is the real data.go.th record `covid-19-daily` (a CKAN package_search answer)
  with its own GDC values; one is made for the ICU-beds CSV shipped here.
* Singapore datasets come from the data.gov.sg v2 collections list; their title, description,
  agency, frequency and dates are the collection's own.
* GDC choice values are checked against the ckanext-thai_gdc scheming schema (AGPL), read here at
  build time only to verify the values; the schema file is not copied into the project.

Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1] / "sapan" / "demo"
DEFAULT_SHARED = Path("/work/shared/data")

LEGACY_CSV = "datagoth-legacy-catalog/data.go.th-auditing_data.csv"
COVID_JSON = "datagoth-ckan-api/package_search.covid-19-daily.json"
SG_COLLECTIONS = "datagovsg-catalogue/collections.v2.prod.json"
SG_SINGSTAT = "datagovsg-catalogue/datasets.v2.singstat-admin.json"
GDC_SCHEMA = "thai-gdc-schema/ckan_dataset.json"

# shared-data source -> name under files/ (byte-for-byte copies; all small, so none is truncated)
UPLOADS = {
    "datagovsg-csv/populationsg.csv": "populationsg.csv",
    "datagovsg-csv/wastestats.csv": "wastestats.csv",
    "datagovsg-csv/primaryschoolsg.csv": "primaryschoolsg.csv",
    "thai-gov-tabular/covidthailand-n_icu_bed_2553.csv": "n_icu_bed_2553.csv",
    "thai-gov-tabular/covidthailand-province_mapping.csv": "province_mapping.csv",
}

NAME_RE = re.compile(r"^[a-z0-9_-]{2,100}$")
LICENSES = {"cc-by", "cc-by-sa", "cc-zero", "odc-by", "other-open", "sg-odl"}
GDC_CHOICE_FIELDS = (
    "data_type",
    "objective",
    "update_frequency_unit",
    "geo_coverage",
    "data_format",
    "data_category",
    "data_language",
)
NO_INTERVAL_UNITS = {"ไม่มีการปรับปรุงหลังจากการจัดเก็บข้อมูล", "ไม่ทราบ", "อื่นๆ"}

# ---------------------------------------------------------------------------------------------
# Groups and organizations
# ---------------------------------------------------------------------------------------------

GROUPS: list[dict[str, str]] = [
    {
        "name": "health",
        "title": "สุขภาพ / Health",
        "description": "สาธารณสุข โรค ยา และบริการทางการแพทย์ / Public health, diseases, medicines and "
        "medical services.",
    },
    {
        "name": "economy",
        "title": "เศรษฐกิจและการเงิน / Economy and Finance",
        "description": "รายได้ การเงิน การค้า แรงงาน การเกษตร และงบประมาณ / Income, finance, trade, labour, "
        "agriculture and public spending.",
    },
    {
        "name": "population",
        "title": "ประชากรและสังคม / Population and Society",
        "description": "ประชากร ครัวเรือน ที่อยู่อาศัย ศาสนา และวัฒนธรรม / Population, households, housing, "
        "religion and culture.",
    },
    {
        "name": "environment",
        "title": "สิ่งแวดล้อมและทรัพยากรธรรมชาติ / Environment and Natural Resources",
        "description": "อากาศ น้ำ ป่าไม้ ขยะ พลังงาน และสภาพภูมิอากาศ / Air, water, forests, waste, energy "
        "and climate.",
    },
    {
        "name": "transport",
        "title": "คมนาคมและขนส่ง / Transport",
        "description": "ถนน ยานพาหนะ การขนส่งทางน้ำและทางอากาศ / Roads, vehicles, water and air transport.",
    },
    {
        "name": "education",
        "title": "การศึกษา / Education",
        "description": "สถานศึกษา นักเรียน ครู และทุนการศึกษา / Schools, students, teachers and scholarships.",
    },
    {
        "name": "government",
        "title": "ภาครัฐและกฎหมาย / Government and Law",
        "description": "หน่วยงานรัฐ การปกครอง กฎหมาย ยุติธรรม และความปลอดภัย / Public bodies, administration, "
        "law, justice and public safety.",
    },
    {
        "name": "maps",
        "title": "แผนที่และข้อมูลเชิงพื้นที่ / Maps and Geospatial",
        "description": "ขอบเขตการปกครอง พิกัด และชั้นข้อมูลภูมิสารสนเทศ / Boundaries, coordinates and "
        "geospatial layers.",
    },
]

# name -> (title, description, e-mail domain). The contact addresses are illustrative.
TH_ORGS: dict[str, tuple[str, str, str]] = {
    "national-statistical-office": (
        "สำนักงานสถิติแห่งชาติ",
        "หน่วยงานหลักด้านสถิติของประเทศ จัดทำสำมะโนและการสำรวจด้านประชากร เศรษฐกิจ และสังคม / "
        "National Statistical Office of Thailand.",
        "nso.go.th",
    ),
    "ministry-of-public-health": (
        "กระทรวงสาธารณสุข",
        "ดูแลระบบสาธารณสุข การป้องกันควบคุมโรค และบริการสุขภาพของประชาชน / Ministry of Public Health.",
        "moph.go.th",
    ),
    "department-of-provincial-administration": (
        "กรมการปกครอง",
        "ดูแลการบริหารราชการส่วนภูมิภาค เขตการปกครอง และงานทะเบียน สังกัดกระทรวงมหาดไทย / "
        "Department of Provincial Administration, Ministry of Interior.",
        "dopa.go.th",
    ),
    "ministry-of-transport": (
        "กระทรวงคมนาคม",
        "ดูแลการขนส่งทางบก ทางน้ำ และทางอากาศ รวมถึงโครงข่ายทางหลวง / Ministry of Transport.",
        "mot.go.th",
    ),
    "bank-of-thailand": (
        "ธนาคารแห่งประเทศไทย",
        "ธนาคารกลางของประเทศไทย ดูแลเสถียรภาพทางการเงินและระบบการชำระเงิน / Bank of Thailand.",
        "bot.or.th",
    ),
    "ministry-of-justice": (
        "กระทรวงยุติธรรม",
        "ดูแลงานยุติธรรม การคุมประพฤติ นิติวิทยาศาสตร์ และการป้องกันปราบปรามยาเสพติด / Ministry of Justice.",
        "moj.go.th",
    ),
    "ministry-of-natural-resources-and-environment": (
        "กระทรวงทรัพยากรธรรมชาติและสิ่งแวดล้อม",
        "ดูแลทรัพยากรป่าไม้ น้ำ และคุณภาพสิ่งแวดล้อมของประเทศ / Ministry of Natural Resources and Environment.",
        "mnre.go.th",
    ),
    "ministry-of-agriculture-and-cooperatives": (
        "กระทรวงเกษตรและสหกรณ์",
        "ดูแลการเกษตร การประมง และสหกรณ์ / Ministry of Agriculture and Cooperatives.",
        "moac.go.th",
    ),
    "ministry-of-culture": (
        "กระทรวงวัฒนธรรม",
        "ดูแลศาสนา ศิลปะ และวัฒนธรรม รวมถึงกรมการศาสนาและสำนักงานวัฒนธรรมจังหวัด / Ministry of Culture.",
        "m-culture.go.th",
    ),
    "ministry-of-education-thailand": (
        "กระทรวงศึกษาธิการ",
        "ดูแลการศึกษาขั้นพื้นฐานและสถานศึกษาทั่วประเทศ / Ministry of Education, Thailand.",
        "moe.go.th",
    ),
}

# managedByAgencyName -> (slug, description, e-mail domain). The contact addresses are illustrative.
SG_ORGS: dict[str, tuple[str, str, str]] = {
    "Singapore Department of Statistics": (
        "singapore-department-of-statistics",
        "Singapore's national statistical authority: official statistics on the economy and population.",
        "singstat.gov.sg",
    ),
    "National Environment Agency": (
        "national-environment-agency",
        "Environmental public health, weather, air quality, waste and hawker centres in Singapore.",
        "nea.gov.sg",
    ),
    "Land Transport Authority": (
        "land-transport-authority",
        "Plans and regulates land transport in Singapore: roads, vehicles, buses, taxis and rail.",
        "lta.gov.sg",
    ),
    "Ministry of Education": (
        "ministry-of-education",
        "Singapore's Ministry of Education: schools, students and teachers.",
        "moe.gov.sg",
    ),
    "Ministry of Health": (
        "ministry-of-health",
        "Singapore's Ministry of Health: hospitals, diseases and health services.",
        "moh.gov.sg",
    ),
    "Housing and Development Board": (
        "housing-and-development-board",
        "Singapore's public housing authority (HDB flats, resale market and car parks).",
        "hdb.gov.sg",
    ),
    "Ministry of Manpower": (
        "ministry-of-manpower",
        "Singapore's Ministry of Manpower: labour market, employment and unemployment statistics.",
        "mom.gov.sg",
    ),
    "Urban Redevelopment Authority": (
        "urban-redevelopment-authority",
        "Singapore's land use planning authority (Master Plan, planning areas and subzones).",
        "ura.gov.sg",
    ),
    "Singapore Tourism Board": (
        "singapore-tourism-board",
        "Promotes tourism to Singapore; visitor arrivals and attractions.",
        "stb.gov.sg",
    ),
    "Singapore Police Force": (
        "singapore-police-force",
        "Singapore's police force: crime statistics and public safety.",
        "police.gov.sg",
    ),
    "Energy Market Authority": (
        "energy-market-authority",
        "Regulates Singapore's electricity and gas industries; tariffs and energy statistics.",
        "ema.gov.sg",
    ),
    "PUB, Singapore's national water agency": (
        "pub",
        "PUB, Singapore's national water agency: water supply, NEWater and drainage.",
        "pub.gov.sg",
    ),
    "Government Technology Agency": (
        "government-technology-agency",
        "GovTech: digital services and real-time data APIs of the Singapore government.",
        "tech.gov.sg",
    ),
}

# ---------------------------------------------------------------------------------------------
# Thai datasets from the 2016 data.go.th catalogue
# ---------------------------------------------------------------------------------------------
# Keys: id = data.go.th DatasetDetail id; title = the title as published (checked, not changed);
# name = our slug, or None to let Sapan romanize the Thai title; org; groups; tags; notes;
# type/objective/unit/interval/geo/source/format/lang = GDC fields; maintainer (optional sub-unit)
# and email_domain (optional, else the organization's); dates (optional).
STAT = "ข้อมูลสถิติ"
RECORD = "ข้อมูลระเบียน"
GEO = "ข้อมูลภูมิสารสนเทศเชิงพื้นที่"
OTHER = "ข้อมูลประเภทอื่นๆ"
MISSION = "พันธกิจหน่วยงาน"
SERVICE = "เพื่อการให้บริการประชาชน"
LAW = "กฎหมายที่เกี่ยวข้อง"
NO_UPDATE = "ไม่มีการปรับปรุงหลังจากการจัดเก็บข้อมูล"

NSO = "national-statistical-office"
MOPH = "ministry-of-public-health"
DOPA = "department-of-provincial-administration"
MOT = "ministry-of-transport"
BOT = "bank-of-thailand"
MOJ = "ministry-of-justice"
MNRE = "ministry-of-natural-resources-and-environment"
MOAC = "ministry-of-agriculture-and-cooperatives"
MOC = "ministry-of-culture"
MOE_TH = "ministry-of-education-thailand"

THAI_PICKS: list[dict[str, Any]] = [
    # แผนที่
    dict(
        id="c6d42e1b-3219-47e1-b6b7-dfe914f27910",
        title="ข้อมูลพิกัด  LAT/LONG ที่ตั้งตำบล",
        name=None,
        org=DOPA,
        groups=["maps"],
        tags=["ตำบล", "พิกัด", "ที่ตั้ง", "เขตการปกครอง"],
        notes="พิกัดละติจูดและลองจิจูดของที่ตั้งตำบลทั่วประเทศ ใช้แสดงตำแหน่งบนแผนที่และเชื่อมโยงกับข้อมูลระดับตำบลจากแหล่งอื่น",
        type=GEO,
        objective=[MISSION, SERVICE],
        unit="ปี",
        geo="ตำบล",
        source="ทะเบียนเขตการปกครอง กรมการปกครอง",
        format=["CSV"],
        maintainer="สำนักบริหารการทะเบียน กรมการปกครอง",
    ),
    dict(
        id="70513227-8977-4b6f-acc1-6360a73a0a6e",
        title="ชั้นข้อมูลเส้นทางหลวงชนบท",
        name="rural-highway-network-layer",
        org=MOT,
        groups=["maps", "transport"],
        tags=["ทางหลวงชนบท", "ถนน", "ภูมิสารสนเทศ"],
        notes="ชั้นข้อมูลภูมิสารสนเทศแสดงแนวเส้นทางทางหลวงชนบททั่วประเทศ ใช้ซ้อนทับกับแผนที่เพื่อวางแผนและบำรุงรักษาโครงข่ายถนน",
        type=GEO,
        objective=[MISSION],
        unit="ปี",
        geo="ประเทศ",
        source="กรมทางหลวงชนบท",
        format=["Shapefile"],
        maintainer="กรมทางหลวงชนบท",
        email_domain="drr.go.th",
    ),
    # เศรษฐกิจ การเงิน และอุตสาหกรรม
    dict(
        id="7049410f-5bb8-4c75-9e94-112ca18b63e2",
        title="รายได้เฉลี่ยต่อเดือนต่อครัวเรือน จำแนกตามภาค และจังหวัด พ.ศ. 2539 - 2556",
        name="household-monthly-income-by-province-1996-2013",
        org=NSO,
        groups=["economy", "population"],
        tags=["รายได้", "ครัวเรือน", "จังหวัด", "การสำรวจภาวะเศรษฐกิจและสังคม"],
        notes="รายได้เฉลี่ยต่อเดือนของครัวเรือน จำแนกตามภาคและจังหวัด ตั้งแต่ พ.ศ. 2539 ถึง 2556 จากการสำรวจ"
        "ภาวะเศรษฐกิจและสังคมของครัวเรือน ใช้ติดตามความเหลื่อมล้ำของรายได้ระหว่างพื้นที่",
        type=STAT,
        objective=["แผนพัฒนาเศรษฐกิจและสังคมแห่งชาติ", MISSION],
        unit="ปี",
        interval="2",
        geo="จังหวัด",
        source="การสำรวจภาวะเศรษฐกิจและสังคมของครัวเรือน สำนักงานสถิติแห่งชาติ",
        format=["XLS"],
    ),
    dict(
        id="d58029e1-f228-4aa8-96f5-3921979f3f67",
        title="ธุรกรรมการชำระเงินผ่านบริการ Mobile banking และ Internet banking ม.ค. 2553  - มี.ค. 2558",
        name="mobile-and-internet-banking-transactions-2010-2015",
        org=BOT,
        groups=["economy"],
        tags=["การชำระเงิน", "โมบายแบงกิ้ง", "อินเทอร์เน็ตแบงกิ้ง", "ระบบการชำระเงิน"],
        notes="ปริมาณและมูลค่าธุรกรรมการชำระเงินผ่านบริการ Mobile banking และ Internet banking รายเดือน "
        "ตั้งแต่มกราคม 2553 ถึงมีนาคม 2558 ใช้ติดตามพัฒนาการของการชำระเงินทางอิเล็กทรอนิกส์ในประเทศไทย",
        type=STAT,
        objective=[MISSION],
        unit="เดือน",
        geo="ประเทศ",
        source="รายงานข้อมูลระบบการชำระเงิน ธนาคารแห่งประเทศไทย",
        format=["XLS"],
        maintainer="ฝ่ายนโยบายระบบการชำระเงิน ธนาคารแห่งประเทศไทย",
    ),
    dict(
        id="3d00c7fd-b404-4497-93ca-05fc695ee523",
        title="เงินรับฝากและเงินให้สินเชื่อของธนาคารพาณิชย์ในภาคเหนือ (ม.ค. 2553 - มี.ค. 2558)",
        name=None,
        org=BOT,
        groups=["economy"],
        tags=["เงินฝาก", "สินเชื่อ", "ธนาคารพาณิชย์", "ภาคเหนือ"],
        notes="ยอดเงินรับฝากและเงินให้สินเชื่อของธนาคารพาณิชย์ในภาคเหนือรายเดือน ตั้งแต่มกราคม 2553 "
        "ถึงมีนาคม 2558 สะท้อนภาวะการเงินของภูมิภาค",
        type=STAT,
        objective=[MISSION],
        unit="เดือน",
        geo="ภาค",
        source="สำนักงานภาคเหนือ ธนาคารแห่งประเทศไทย",
        format=["XLS"],
        maintainer="สำนักงานภาคเหนือ ธนาคารแห่งประเทศไทย",
    ),
    dict(
        id="555dea27-1ceb-4eae-8a18-9409f4a2afd6",
        title="ฐานข้อมูลโรงมหรสพ ในเขตกรุงเทพมหานคร ประจำปี ๒๕๕๘",
        name=None,
        org=DOPA,
        groups=["economy"],
        tags=["โรงมหรสพ", "โรงภาพยนตร์", "กรุงเทพมหานคร", "ใบอนุญาต"],
        notes="รายชื่อและที่ตั้งโรงมหรสพที่ได้รับอนุญาตในเขตกรุงเทพมหานคร ประจำปี 2558 "
        "ใช้ตรวจสอบสถานประกอบการและความปลอดภัยของอาคารที่ประชาชนใช้บริการ",
        type=RECORD,
        objective=[SERVICE],
        unit="ปี",
        geo="จังหวัด",
        source="ทะเบียนใบอนุญาตโรงมหรสพ",
        format=["XLS"],
    ),
    # การเมือง และการปกครอง
    dict(
        id="9a353d99-b640-4448-a4c2-471767d37211",
        title="รายชื่อหน่วยงานของรัฐประเภทองค์การมหาชน,องค์การอิสระ,รัฐวิสาหกิจ",
        name="public-organizations-independent-bodies-state-enterprises",
        org=DOPA,
        groups=["government"],
        tags=["หน่วยงานของรัฐ", "องค์การมหาชน", "องค์กรอิสระ", "รัฐวิสาหกิจ"],
        notes="รายชื่อหน่วยงานของรัฐประเภทองค์การมหาชน องค์กรอิสระ และรัฐวิสาหกิจ พร้อมสังกัด "
        "ใช้เป็นข้อมูลอ้างอิงโครงสร้างของภาครัฐ",
        type=RECORD,
        objective=[SERVICE],
        unit="ปี",
        geo="ประเทศ",
        source="กรมการปกครอง",
        format=["XLS"],
    ),
    dict(
        id="339cafe6-fdd6-4901-9e8f-1205de9fcf70",
        title="ข้อมูลรายชื่อองค์กรปกครองส่วนท้องถิ่นที่ได้รับรางวัลการบริหารจัดการที่ดี พ.ศ. 2557",
        name="local-government-good-governance-awards-2014",
        org=DOPA,
        groups=["government"],
        tags=["องค์กรปกครองส่วนท้องถิ่น", "ธรรมาภิบาล", "รางวัล"],
        notes="รายชื่อองค์กรปกครองส่วนท้องถิ่นที่ได้รับรางวัลการบริหารจัดการที่ดี ประจำปี พ.ศ. 2557 "
        "จำแนกตามจังหวัดและประเภทองค์กร",
        type=RECORD,
        objective=[MISSION],
        unit="ปี",
        geo="เทศบาล/อบต.",
        source="กระทรวงมหาดไทย",
        format=["XLS"],
    ),
    dict(
        id="a737a3ce-3404-4328-b66b-7bf47ecbb9ee",
        title="สรุปจำนวนการรับเรื่องพระราชบัญญัติ การอำนวยความสะดวกในการพิจารณาอนุญาตของทางราชการ พ.ศ. 2558",
        name=None,
        org=DOPA,
        groups=["government"],
        tags=["พระราชบัญญัติการอำนวยความสะดวก", "การขออนุญาต", "ศูนย์ดำรงธรรม"],
        notes="สรุปจำนวนเรื่องที่รับตามพระราชบัญญัติการอำนวยความสะดวกในการพิจารณาอนุญาตของทางราชการ "
        "พ.ศ. 2558 ใช้ติดตามการให้บริการประชาชนของหน่วยงานรัฐ",
        type=STAT,
        objective=[LAW, SERVICE],
        unit="เดือน",
        geo="ประเทศ",
        source="ศูนย์ดำรงธรรม กรมการปกครอง",
        format=["XLS"],
    ),
    # การศึกษา
    dict(
        id="8548e3ab-00bf-4eae-b29a-156a4aa52c0d",
        title="ข้อมูลพื้นฐานสถานศึกษา ปี 2558",
        name="basic-school-information-2015",
        org=MOE_TH,
        groups=["education"],
        tags=["สถานศึกษา", "โรงเรียน", "การศึกษาขั้นพื้นฐาน"],
        notes="ข้อมูลพื้นฐานของสถานศึกษาทั่วประเทศ ปี 2558 เช่น ชื่อ ที่ตั้ง สังกัด และระดับชั้นที่เปิดสอน",
        type=RECORD,
        objective=[MISSION, SERVICE],
        unit="ปี",
        geo="ประเทศ",
        source="ระบบข้อมูลสถานศึกษา กระทรวงศึกษาธิการ",
        format=["CSV"],
        maintainer="สำนักงานคณะกรรมการการศึกษาขั้นพื้นฐาน",
    ),
    dict(
        id="63eec647-1115-44fb-ac17-07f6ec3b6c52",
        title="สถิติการศึกษาต่อของนักเรียนทุนรัฐบาลตามประเทศที่ศึกษาและประเภททุน ในเดือนมีนาคม 2558",
        name="government-scholarship-students-by-country-2015-03",
        org=MOE_TH,
        groups=["education"],
        tags=["นักเรียนทุนรัฐบาล", "ทุนการศึกษา", "ศึกษาต่อต่างประเทศ"],
        notes="จำนวนนักเรียนทุนรัฐบาลที่กำลังศึกษาต่อ จำแนกตามประเทศที่ศึกษาและประเภททุน ข้อมูลเดือนมีนาคม 2558",
        type=STAT,
        objective=[MISSION],
        unit="เดือน",
        geo="โลก",
        source="ทะเบียนนักเรียนทุนรัฐบาล",
        format=["XLS"],
    ),
    # กฎหมาย ศาล และอาชญากรรม
    dict(
        id="d0956a1d-5b67-4c24-97b8-be07264d6130",
        title="ข้อมูลสถิติการจับกุมคดียาเสพติด ประจำปีงบประมาณ 2558",
        name="drug-arrest-statistics-fy2015",
        org=MOJ,
        groups=["government"],
        tags=["ยาเสพติด", "การจับกุม", "คดีอาญา"],
        notes="สถิติการจับกุมคดียาเสพติดทั่วประเทศ ประจำปีงบประมาณ 2558 จำแนกตามประเภทยาเสพติดและข้อหา",
        type=STAT,
        objective=["แผนความมั่นคงแห่งชาติ", MISSION],
        unit="ปี",
        geo="ประเทศ",
        source="สำนักงานคณะกรรมการป้องกันและปราบปรามยาเสพติด",
        format=["XLS"],
        maintainer="สำนักงานคณะกรรมการป้องกันและปราบปรามยาเสพติด",
        email_domain="oncb.go.th",
    ),
    dict(
        id="b76304e9-0c8b-422c-888c-01f38ed940d3",
        title="ข้อมูลสถิติการคุมประพฤติคดีเมาแล้วขับช่วงเทศกาลปีใหม่ตั้งแต่ พ.ศ. 2549 - พ.ศ 2559",
        name="probation-drunk-driving-new-year-2006-2016",
        org=MOJ,
        groups=["government", "transport"],
        tags=["เมาแล้วขับ", "คุมประพฤติ", "เทศกาลปีใหม่", "อุบัติเหตุทางถนน"],
        notes="สถิติคดีเมาแล้วขับที่ศาลสั่งคุมความประพฤติในช่วงเทศกาลปีใหม่ ตั้งแต่ พ.ศ. 2549 ถึง 2559 "
        "ใช้ประกอบการรณรงค์ลดอุบัติเหตุทางถนน",
        type=STAT,
        objective=[MISSION],
        unit="ปี",
        geo="ประเทศ",
        source="กรมคุมประพฤติ",
        format=["XLS"],
        maintainer="กรมคุมประพฤติ",
        email_domain="probation.go.th",
    ),
    dict(
        id="d7dc831c-7369-4b92-ba24-d1fd916d6146",
        title="ข้อมูลสถิติรายงานอายุและเพศของจําเลย งานสืบเสาะและพินิจ ของสํานักงานคุมประพฤติทั่วประเทศ "
        "ประจําปีงบประมาณ2550 - 2559 กรมคุมประพฤติ",
        name=None,
        org=MOJ,
        groups=["government"],
        tags=["คุมประพฤติ", "สืบเสาะและพินิจ", "จำเลย"],
        notes="จำนวนจำเลยในงานสืบเสาะและพินิจของสำนักงานคุมประพฤติทั่วประเทศ จำแนกตามอายุและเพศ "
        "ปีงบประมาณ 2550 ถึง 2559",
        type=STAT,
        objective=[MISSION],
        unit="ปี",
        geo="ประเทศ",
        source="กรมคุมประพฤติ",
        format=["XLS"],
        maintainer="กรมคุมประพฤติ",
        email_domain="probation.go.th",
    ),
    dict(
        id="d23f9355-085e-4875-86db-be27ceb6bd71",
        title="ระเบียบสำนักนายรัฐมนตรีว่าด้วยการสนับสนุนการปฏิบัติงานติดตามคนหายและพิสูจน์ศพนิรนาม พ.ศ. ๒๕๕๘",
        name=None,
        org=MOJ,
        groups=["government"],
        tags=["ระเบียบ", "คนหาย", "ศพนิรนาม", "นิติวิทยาศาสตร์"],
        notes="ระเบียบสำนักนายกรัฐมนตรีว่าด้วยการสนับสนุนการปฏิบัติงานติดตามคนหายและพิสูจน์ศพนิรนาม พ.ศ. 2558 "
        "กำหนดบทบาทของหน่วยงานในการตรวจพิสูจน์เอกลักษณ์บุคคลและติดตามคนหาย",
        type=OTHER,
        objective=[LAW],
        unit=NO_UPDATE,
        geo="ประเทศ",
        source="สถาบันนิติวิทยาศาสตร์",
        format=["PDF"],
        maintainer="สถาบันนิติวิทยาศาสตร์ กระทรวงยุติธรรม",
    ),
    # งบประมาณ และการใช้จ่ายของภาครัฐ
    dict(
        id="d54b6a0e-0490-4b61-a5a0-83d15459162c",
        title="รายงานสรุปผลการดำเนินงานจัดซื้อจัดจ้างของสำนักงานปลัดกระทรวงยุติธรรม",
        name="moj-procurement-summary",
        org=MOJ,
        groups=["government", "economy"],
        tags=["จัดซื้อจัดจ้าง", "งบประมาณ", "ความโปร่งใส"],
        notes="สรุปผลการดำเนินงานจัดซื้อจัดจ้างของสำนักงานปลัดกระทรวงยุติธรรมรายเดือน "
        "เพื่อเปิดเผยข้อมูลการใช้จ่ายงบประมาณต่อสาธารณะ",
        type=RECORD,
        objective=[LAW, MISSION],
        unit="เดือน",
        geo="ประเทศ",
        source="สำนักงานปลัดกระทรวงยุติธรรม",
        format=["XLS", "PDF"],
        maintainer="สำนักงานปลัดกระทรวงยุติธรรม",
    ),
    # คมนาคม และโลจิสติกส์
    dict(
        id="19d8d378-6dfd-4a51-a16a-0dd5db308e14",
        title="จำนวนรถจดทะเบียน (สะสม) ณ วันที่ 31 ธันวาคม 2558",
        name="registered-vehicles-cumulative-2015-12-31",
        org=MOT,
        groups=["transport"],
        tags=["รถจดทะเบียน", "ยานพาหนะ", "กรมการขนส่งทางบก"],
        notes="จำนวนรถที่จดทะเบียนสะสมทั่วประเทศ ณ วันที่ 31 ธันวาคม 2558 จำแนกตามประเภทรถและจังหวัด",
        type=STAT,
        objective=[MISSION],
        unit="เดือน",
        geo="จังหวัด",
        source="ระบบทะเบียนรถ กรมการขนส่งทางบก",
        format=["XLS"],
        maintainer="กรมการขนส่งทางบก",
        email_domain="dlt.go.th",
        last_updated_from_title=True,
    ),
    dict(
        id="ac34b92c-7bdf-40d2-9940-e24236e5ad35",
        title="สถิติขนส่งทางอากาศปริมาณการจราจรทางอากาศรวมปี 2557",
        name="air-traffic-statistics-2014",
        org=MOT,
        groups=["transport"],
        tags=["การขนส่งทางอากาศ", "ท่าอากาศยาน", "เที่ยวบิน", "ผู้โดยสาร"],
        notes="สถิติปริมาณการจราจรทางอากาศรวมของประเทศไทย ปี 2557 ได้แก่ จำนวนเที่ยวบิน ผู้โดยสาร "
        "และสินค้า จำแนกตามท่าอากาศยาน",
        type=STAT,
        objective=[MISSION],
        unit="ปี",
        geo="ประเทศ",
        source="กระทรวงคมนาคม",
        format=["XLS"],
    ),
    dict(
        id="a35de9b5-a891-481d-b9ec-0c2cde0f1820",
        title="ตารางจำนวนผู้โดยสารเฉลี่ยต่อวันเรือด่วนเลียบฝั่งแม่น้ำเจ้าพระยาจำแนกตามท่าเทียบเรือต่างๆ "
        "(เรือขาขึ้น-เรือขาล่อง) ปี 2548 - 2557 (คนขึ้น-คนลง)",
        name=None,
        org=MOT,
        groups=["transport"],
        tags=["เรือด่วนเจ้าพระยา", "ผู้โดยสาร", "ท่าเรือ", "การขนส่งทางน้ำ"],
        notes="จำนวนผู้โดยสารเฉลี่ยต่อวันของเรือด่วนเลียบฝั่งแม่น้ำเจ้าพระยา จำแนกตามท่าเทียบเรือ "
        "และทิศทางการเดินเรือ ปี 2548 ถึง 2557",
        type=STAT,
        objective=[MISSION],
        unit="ปี",
        geo="จังหวัด",
        source="กรมเจ้าท่า",
        format=["XLS"],
        maintainer="กรมเจ้าท่า",
        email_domain="md.go.th",
    ),
    dict(
        id="e85c10bb-d155-4292-8352-0cf0b3dfa752",
        title="สิถิติจราจรปี 2556",
        name=None,
        org=MOT,
        groups=["transport"],
        tags=["การจราจร", "ปริมาณจราจร", "ถนน"],
        notes="สถิติการจราจรประจำปี 2556 แสดงปริมาณยานพาหนะบนโครงข่ายถนนสายหลัก",
        type=STAT,
        objective=[MISSION],
        unit="ปี",
        geo="ประเทศ",
        source="กระทรวงคมนาคม",
        format=["XLS"],
    ),
    # สาธารณสุข
    dict(
        id="64a59021-3316-4e88-a56d-b8669dc99071",
        title="บัญชียาหลักแห่งชาติ",
        name=None,
        org=MOPH,
        groups=["health"],
        tags=["ยา", "บัญชียาหลักแห่งชาติ", "ระบบยา"],
        notes="รายการยาในบัญชียาหลักแห่งชาติ ซึ่งเป็นยาที่จำเป็นต่อการป้องกันและแก้ไขปัญหาสุขภาพของคนไทย "
        "และใช้อ้างอิงในการเบิกจ่ายค่ายาของสวัสดิการรักษาพยาบาลภาครัฐ",
        type=RECORD,
        objective=[MISSION, SERVICE],
        unit="ปี",
        geo="ประเทศ",
        source="คณะกรรมการพัฒนาระบบยาแห่งชาติ",
        format=["XLS"],
        maintainer="สำนักงานคณะกรรมการอาหารและยา",
        email_domain="fda.moph.go.th",
    ),
    dict(
        id="ff313a7a-041c-4e6a-9c73-3643604a7d27",
        title="ราคากลางยา แผนปัจจุบัน",
        name="median-drug-prices-modern-medicine",
        org=MOPH,
        groups=["health", "economy"],
        tags=["ราคากลางยา", "ยาแผนปัจจุบัน", "จัดซื้อยา"],
        notes="ราคากลางยาแผนปัจจุบันที่หน่วยงานภาครัฐใช้อ้างอิงในการจัดซื้อยา ช่วยให้การจัดซื้อโปร่งใสและคุ้มค่า",
        type=RECORD,
        objective=[MISSION],
        unit="ปี",
        geo="ประเทศ",
        source="กระทรวงสาธารณสุข",
        format=["XLS"],
        maintainer="สำนักงานปลัดกระทรวงสาธารณสุข",
    ),
    dict(
        id="7d61f508-d2e1-4f0c-8408-dfde29f111f5",
        title="ผู้บาดเจ็บและเสียชีวิต ในช่วงเทศกาล ปี 51-58_CutName_NewYear_Edit",
        name="new-year-road-injuries-and-deaths-2008-2015",
        org=MOPH,
        groups=["health", "transport"],
        tags=["อุบัติเหตุทางถนน", "เทศกาลปีใหม่", "ผู้บาดเจ็บ", "ผู้เสียชีวิต"],
        notes="จำนวนผู้บาดเจ็บและผู้เสียชีวิตจากอุบัติเหตุทางถนนในช่วงเทศกาลปีใหม่ ปี 2551 ถึง 2558 ตัดชื่อผู้ประสบเหตุออกก่อนเผยแพร่",
        type=STAT,
        objective=[MISSION],
        unit="ปี",
        geo="จังหวัด",
        source="ระบบเฝ้าระวังการบาดเจ็บช่วงเทศกาล กระทรวงสาธารณสุข",
        format=["XLS"],
    ),
    dict(
        id="02ea2d85-14ba-4f0a-b595-5b8274fd3a3c",
        title="ข้อมูลหน่วยงานบริการสุขภาพจังหวัดกาฬสินธ์ุ",
        name=None,
        org=MOPH,
        groups=["health", "maps"],
        tags=["หน่วยบริการสุขภาพ", "โรงพยาบาล", "กาฬสินธุ์"],
        notes="รายชื่อและที่ตั้งหน่วยงานบริการสุขภาพในจังหวัดกาฬสินธุ์ เช่น โรงพยาบาลและโรงพยาบาลส่งเสริมสุขภาพตำบล พร้อมพิกัด",
        type=RECORD,
        objective=[SERVICE],
        unit="ปี",
        geo="จังหวัด",
        source="กระทรวงสาธารณสุข",
        format=["CSV"],
        maintainer="สำนักงานสาธารณสุขจังหวัดกาฬสินธุ์",
    ),
    dict(
        id="ae06f10c-9890-4e81-a904-867074def1b6",
        title="จำนวนพาหนะปฏิบัติการฉุกเฉิน ที่ขึ้นทะเบียนในระบบการแพทย์ฉุกเฉิน (ITEMS)",
        name="registered-emergency-vehicles-items",
        org=MOPH,
        groups=["health"],
        tags=["การแพทย์ฉุกเฉิน", "รถพยาบาล", "ITEMS"],
        notes="จำนวนพาหนะปฏิบัติการฉุกเฉินที่ขึ้นทะเบียนในระบบสารสนเทศการแพทย์ฉุกเฉิน (ITEMS) จำแนกตามจังหวัดและประเภทพาหนะ",
        type=STAT,
        objective=[MISSION],
        unit="ปี",
        geo="จังหวัด",
        source="ระบบ ITEMS",
        format=["XLS"],
        maintainer="สถาบันการแพทย์ฉุกเฉินแห่งชาติ",
        email_domain="niems.go.th",
    ),
    # สังคมและสวัสดิการ / เทคโนโลยีสารสนเทศ
    dict(
        id="ae399a21-b4a2-42ed-b4b9-9c604f494ad4",
        title="จำนวนประชากรอายุ 15 ปีขึ้นไป จำแนกตามสถานภาพแรงงาน เพศ ทั่วราชอาณาจักร พ.ศ. 2548 - 2557",
        name="population-15-plus-by-labour-force-status-2005-2014",
        org=NSO,
        groups=["population", "economy"],
        tags=["แรงงาน", "การสำรวจภาวะการทำงาน", "ประชากร", "เพศ"],
        notes="จำนวนประชากรอายุ 15 ปีขึ้นไป จำแนกตามสถานภาพแรงงานและเพศ ทั่วราชอาณาจักร พ.ศ. 2548 ถึง 2557 "
        "จากการสำรวจภาวะการทำงานของประชากร",
        type=STAT,
        objective=[MISSION],
        unit="ปี",
        geo="ประเทศ",
        source="การสำรวจภาวะการทำงานของประชากร สำนักงานสถิติแห่งชาติ",
        format=["XLS"],
    ),
    dict(
        id="66ef03a6-91bf-4944-b7a2-c86aff6c1dba",
        title="อัตราการว่างงาน จำแนกตามเพศ ทั่วราชอาณาจักร พ.ศ.2548-2557",
        name=None,
        org=NSO,
        groups=["economy", "population"],
        tags=["อัตราการว่างงาน", "แรงงาน", "เพศ"],
        notes="อัตราการว่างงานจำแนกตามเพศ ทั่วราชอาณาจักร พ.ศ. 2548 ถึง 2557 เป็นตัวชี้วัดสำคัญของภาวะตลาดแรงงาน",
        type=STAT,
        objective=["ดัชนี/ตัวชี้วัดระดับนานาชาติ", MISSION],
        unit="ปี",
        geo="ประเทศ",
        source="การสำรวจภาวะการทำงานของประชากร สำนักงานสถิติแห่งชาติ",
        format=["XLS"],
    ),
    dict(
        id="64c4f848-f4f0-45a3-8e4e-fcfc45174ebd",
        title="จำนวนประชากรอายุ 6 ปีขึ้นไป จำแนกตามการมีการใช้เครื่องมือ/อุปกรณ์เทคโนโลยีสารสนเทศ "
        "ทั่วราชอาณาจักร พ.ศ.2548-2557",
        name="ict-device-use-population-6-plus-2005-2014",
        org=NSO,
        groups=["population"],
        tags=["เทคโนโลยีสารสนเทศ", "อินเทอร์เน็ต", "โทรศัพท์มือถือ", "คอมพิวเตอร์"],
        notes="จำนวนประชากรอายุ 6 ปีขึ้นไป จำแนกตามการมีและการใช้อุปกรณ์เทคโนโลยีสารสนเทศ เช่น คอมพิวเตอร์ "
        "อินเทอร์เน็ต และโทรศัพท์มือถือ ทั่วราชอาณาจักร พ.ศ. 2548 ถึง 2557",
        type=STAT,
        objective=[MISSION],
        unit="ปี",
        geo="ประเทศ",
        source="การสำรวจการมีการใช้เทคโนโลยีสารสนเทศและการสื่อสารในครัวเรือน",
        format=["XLS"],
    ),
    dict(
        id="0d929453-42e0-4c8c-bac2-5a73e53fde65",
        title="จำนวนครัวเรือนที่คนในครัวเรือนมีรายได้เฉลี่ยน้อยกว่า 30,000 บาทต่อปี จากข้อมูล จปฐ ปี 2555-2558”",
        name="households-income-below-30000-baht-bmn-2012-2015",
        org=DOPA,
        groups=["population", "economy"],
        tags=["จปฐ", "รายได้", "ครัวเรือน", "ความยากจน"],
        notes="จำนวนครัวเรือนที่คนในครัวเรือนมีรายได้เฉลี่ยน้อยกว่า 30,000 บาทต่อคนต่อปี จากข้อมูลความจำเป็น"
        "พื้นฐาน (จปฐ.) ปี 2555 ถึง 2558 ใช้ระบุครัวเรือนเป้าหมายในการแก้ไขปัญหาความยากจน",
        type=STAT,
        objective=["แผนพัฒนาเศรษฐกิจและสังคมแห่งชาติ"],
        unit="ปี",
        geo="จังหวัด",
        source="ข้อมูลความจำเป็นพื้นฐาน (จปฐ.) กระทรวงมหาดไทย",
        format=["XLS"],
    ),
    # พลังงาน ทรัพยากรธรรมชาติ และสิ่งแวดล้อม / ภูมิอากาศ และภัยพิบัติ
    dict(
        id="55b3500c-7d6f-4dc2-a28b-e1a303ec07fe",
        title="ข้อมูลคุณภาพอากาศประเทศไทย (PM10) รายชั่วโมง พ.ศ.2557 กรมควบคุมมลพิษ",
        name="pm10-hourly-air-quality-2014",
        org=MNRE,
        groups=["environment", "health"],
        tags=["คุณภาพอากาศ", "ฝุ่นละออง", "PM10", "มลพิษทางอากาศ"],
        notes="ค่าความเข้มข้นของฝุ่นละอองขนาดไม่เกิน 10 ไมครอน (PM10) รายชั่วโมง จากสถานีตรวจวัดคุณภาพอากาศ"
        "ของกรมควบคุมมลพิษทั่วประเทศ พ.ศ. 2557",
        type=STAT,
        objective=[MISSION, SERVICE],
        unit=NO_UPDATE,
        geo="พิกัด",
        source="สถานีตรวจวัดคุณภาพอากาศ กรมควบคุมมลพิษ",
        format=["CSV"],
        maintainer="กรมควบคุมมลพิษ",
        email_domain="pcd.go.th",
    ),
    dict(
        id="a2ecd607-f38f-48ab-92b6-5af78287b3c3",
        title="ข้อมูลผลการตรวจวัดคุณภาพน้ำจากสถานีตรวจวัดคุณภาพน้ำอัตโนมัติแบบ real-time ของกรมควบคุมมลพิษ ในลุ่มน้ำเจ้าพระยา",
        name=None,
        org=MNRE,
        groups=["environment"],
        tags=["คุณภาพน้ำ", "แม่น้ำเจ้าพระยา", "สถานีตรวจวัดอัตโนมัติ"],
        notes="ผลการตรวจวัดคุณภาพน้ำแบบเรียลไทม์จากสถานีตรวจวัดอัตโนมัติของกรมควบคุมมลพิษในลุ่มน้ำเจ้าพระยา "
        "เช่น ออกซิเจนละลายน้ำ ความเป็นกรดด่าง และอุณหภูมิ",
        type=STAT,
        objective=[MISSION, SERVICE],
        unit="ตามเวลาจริง",
        geo="พิกัด",
        source="สถานีตรวจวัดคุณภาพน้ำอัตโนมัติ กรมควบคุมมลพิษ",
        format=["CSV"],
        maintainer="กรมควบคุมมลพิษ",
        email_domain="pcd.go.th",
    ),
    dict(
        id="b4664c3a-cea5-426a-b3f3-98c695678749",
        title="พื้นที่ป่าไม้ แยกรายจังหวัด ปี 2558",
        name="forest-area-by-province-2015",
        org=MNRE,
        groups=["environment", "maps"],
        tags=["ป่าไม้", "พื้นที่ป่า", "จังหวัด"],
        notes="พื้นที่ป่าไม้ของประเทศไทยแยกรายจังหวัด ปี 2558 ใช้ติดตามการเปลี่ยนแปลงของพื้นที่ป่า",
        type=STAT,
        objective=["ยุทธศาสตร์ชาติ", MISSION],
        unit="ปี",
        geo="จังหวัด",
        source="กรมป่าไม้",
        format=["XLS"],
        maintainer="กรมป่าไม้",
        email_domain="forest.go.th",
    ),
    dict(
        id="e9ab5b50-d228-4953-ac6f-aeeed71ec751",
        title="ข้อมูลนํ้าฝนรวมรายชั่วโมง ปี 2014",
        name=None,
        org=MNRE,
        groups=["environment"],
        tags=["ปริมาณน้ำฝน", "ภูมิอากาศ", "สถานีโทรมาตร"],
        notes="ปริมาณน้ำฝนรวมรายชั่วโมงจากสถานีตรวจวัดทั่วประเทศ ปี ค.ศ. 2014 (พ.ศ. 2557) "
        "ใช้วิเคราะห์สถานการณ์น้ำและเตือนภัยน้ำท่วม",
        type=STAT,
        objective=[MISSION],
        unit=NO_UPDATE,
        geo="พิกัด",
        source="สถานีโทรมาตร กรมทรัพยากรน้ำ",
        format=["CSV"],
        maintainer="กรมทรัพยากรน้ำ",
        email_domain="dwr.go.th",
    ),
    # สถานที่ การท่องเที่ยว และกีฬา
    dict(
        id="bebe4e41-9d85-4344-9841-d552307b2ffd",
        title="ข้อมูลแหล่งท่องเที่ยว กรมอุทยานแห่งชาติ สัตว์ป่า และพันธุ์พืช",
        name="national-park-tourist-attractions",
        org=MNRE,
        groups=["environment", "maps"],
        tags=["อุทยานแห่งชาติ", "แหล่งท่องเที่ยว", "ท่องเที่ยวเชิงธรรมชาติ"],
        notes="แหล่งท่องเที่ยวในอุทยานแห่งชาติและพื้นที่ในความดูแลของกรมอุทยานแห่งชาติ สัตว์ป่า และพันธุ์พืช พร้อมที่ตั้ง",
        type=RECORD,
        objective=[SERVICE],
        unit="ปี",
        geo="พิกัด",
        source="กรมอุทยานแห่งชาติ สัตว์ป่า และพันธุ์พืช",
        format=["CSV"],
        maintainer="กรมอุทยานแห่งชาติ สัตว์ป่า และพันธุ์พืช",
        email_domain="dnp.go.th",
    ),
    dict(
        id="a03fe520-889c-4742-96b0-427ea4950936",
        title="ชื่อจังหวัดในประเทศไทย (อักษรไทยและอักษรโรมัน)",
        name="thai-province-names",
        org=DOPA,
        groups=["maps", "government"],
        tags=["จังหวัด", "ชื่อจังหวัด", "อักษรโรมัน", "เขตการปกครอง"],
        notes="ชื่อจังหวัดของประเทศไทยเป็นอักษรไทยและอักษรโรมัน ใช้อ้างอิงการเขียนชื่อจังหวัดให้ถูกต้อง "
        "และเชื่อมโยงข้อมูลระหว่างระบบ",
        type=RECORD,
        objective=[SERVICE, MISSION],
        unit="ปี",
        geo="จังหวัด",
        source="กรมการปกครอง",
        format=["CSV"],
        lang=["ไทย", "อังกฤษ"],
        upload=dict(
            file="province_mapping.csv",
            name="ตารางจับคู่ชื่อจังหวัด ไทย-อังกฤษ (province_mapping.csv)",
            description="ชื่อจังหวัดภาษาอังกฤษและภาษาไทย ประชากร พ.ศ. 2562 พื้นที่ รหัส ISO 3166-2 "
            "และชื่อสะกดแบบอื่นที่พบในเอกสาร (รวมคำที่เพี้ยนจากการแปลง PDF) "
            "จัดทำโดยโครงการ covidthailand มี 79 แถว รวม 'ไม่ระบุ' และ 'เรือนจำฯ'",
        ),
    ),
    # เกษตรกรรม และชลประทาน
    dict(
        id="cb5d392d-2824-4ac4-a171-2c4796ce81c2",
        title="ข้อมูลสัตว์น้ำของไทย กรมประมง",
        name="thai-aquatic-animal-species",
        org=MOAC,
        groups=["environment"],
        tags=["สัตว์น้ำ", "ประมง", "ความหลากหลายทางชีวภาพ"],
        notes="รายชื่อชนิดสัตว์น้ำของไทย พร้อมชื่อไทย ชื่อสามัญ และชื่อวิทยาศาสตร์ รวบรวมโดยกรมประมง",
        type=RECORD,
        objective=[MISSION],
        unit="ปี",
        geo="ประเทศ",
        source="กรมประมง",
        format=["CSV"],
        lang=["ไทย", "อังกฤษ"],
        maintainer="กรมประมง",
        email_domain="fisheries.go.th",
    ),
    dict(
        id="1844191c-bd21-45d7-b09a-9d5fac0c0b8f",
        title="พืชเศรษฐิจที่สำคัญปี 2557",
        name=None,
        org=MOAC,
        groups=["economy"],
        tags=["พืชเศรษฐกิจ", "เกษตรกรรม", "ผลผลิต"],
        notes="ข้อมูลพืชเศรษฐกิจที่สำคัญของประเทศไทย ประจำปี 2557 ใช้ประกอบการวางแผนการผลิตและการตลาดสินค้าเกษตร",
        type=STAT,
        objective=[MISSION],
        unit="ปี",
        geo="ประเทศ",
        source="สำนักงานเศรษฐกิจการเกษตร",
        format=["XLS"],
        maintainer="สำนักงานเศรษฐกิจการเกษตร",
        email_domain="oae.go.th",
    ),
    dict(
        id="0acdbb7b-f210-4f25-900e-a695a6ae0cb0",
        title="สถิติการดำเนินงานและฐานะการเงินสหกรณ์ในภาคการเกษตร ในรอบ 10 ปี (2548 – 2557)",
        name="agricultural-cooperatives-operations-2005-2014",
        org=MOAC,
        groups=["economy"],
        tags=["สหกรณ์", "สหกรณ์การเกษตร", "ฐานะการเงิน"],
        notes="สถิติผลการดำเนินงานและฐานะการเงินของสหกรณ์ในภาคการเกษตรในรอบ 10 ปี ตั้งแต่ พ.ศ. 2548 ถึง 2557",
        type=STAT,
        objective=[MISSION],
        unit="ปี",
        geo="ประเทศ",
        source="กรมตรวจบัญชีสหกรณ์",
        format=["XLS"],
        maintainer="กรมตรวจบัญชีสหกรณ์",
        email_domain="cad.go.th",
    ),
    # ศาสนา ศิลปะ และวัฒนธรรม
    dict(
        id="832fc277-f7ed-4025-8eaa-83c756589bc4",
        title="ข้อมูลมัสยิดในพื้นที่ 5 จังหวัดชายแดนภาคใต้.",
        name=None,
        org=MOC,
        groups=["population"],
        tags=["มัสยิด", "ศาสนาอิสลาม", "จังหวัดชายแดนภาคใต้"],
        notes="รายชื่อและที่ตั้งมัสยิดในพื้นที่ 5 จังหวัดชายแดนภาคใต้ ได้แก่ ปัตตานี ยะลา นราธิวาส สงขลา และสตูล",
        type=RECORD,
        objective=[SERVICE],
        unit="ปี",
        geo="จังหวัด",
        source="กรมการศาสนา",
        format=["XLS"],
        maintainer="กรมการศาสนา",
        email_domain="dra.go.th",
    ),
    dict(
        id="05498f2b-9f89-4de6-b95d-5d5d5bcd1748",
        title="ทำเนียบนามสำนักงานวัฒนธรรมจังหวัด",
        name="provincial-culture-offices-directory",
        org=MOC,
        groups=["government", "population"],
        tags=["สำนักงานวัฒนธรรมจังหวัด", "ทำเนียบ", "ที่อยู่ติดต่อ"],
        notes="ทำเนียบนามสำนักงานวัฒนธรรมจังหวัดทั่วประเทศ พร้อมที่อยู่และหมายเลขโทรศัพท์สำหรับติดต่อ",
        type=RECORD,
        objective=[SERVICE],
        unit="ปี",
        geo="จังหวัด",
        source="สำนักงานปลัดกระทรวงวัฒนธรรม",
        format=["XLS"],
        maintainer="สำนักงานปลัดกระทรวงวัฒนธรรม",
    ),
]

# The ICU-beds CSV (djay/covidthailand icu/n_icu_bed_2553.csv, cleaned from the Ministry of Public
# Health's health-resources report for BE 2553 = 2010, table 9) gets a dataset of its own.
ICU_DATASET: dict[str, Any] = dict(
    name="icu-beds-by-province-2010",
    title="จำนวนโรงพยาบาลและเตียงผู้ป่วยวิกฤต (ICU) รายจังหวัด พ.ศ. 2553",
    org=MOPH,
    groups=["health"],
    tags=["เตียงไอซียู", "โรงพยาบาล", "ทรัพยากรสาธารณสุข", "จังหวัด"],
    notes="จำนวนโรงพยาบาลและเตียงผู้ป่วยวิกฤต (ICU) รายจังหวัด พ.ศ. 2553 จำแนกตามสังกัด ได้แก่ "
    "กระทรวงสาธารณสุข กระทรวงอื่น รัฐวิสาหกิจ องค์กรอิสระ องค์กรปกครองส่วนท้องถิ่น และเอกชน "
    "จากรายงานทรัพยากรสาธารณสุข พ.ศ. 2553 ตารางนี้มี 75 จังหวัด ไม่มีบึงกาฬและปัตตานี",
    url="http://hrm.moph.go.th/res53/res-rep2553.html",
    type=STAT,
    objective=[MISSION],
    unit=NO_UPDATE,
    geo="จังหวัด",
    source="รายงานทรัพยากรสาธารณสุข พ.ศ. 2553 กระทรวงสาธารณสุข (ตารางที่ 9)",
    format=["CSV", "XLS"],
    maintainer="สำนักนโยบายและยุทธศาสตร์ กระทรวงสาธารณสุข",
    resources=[
        {
            "name": "จำนวนโรงพยาบาลและเตียง ICU รายจังหวัด (n_icu_bed_2553.csv)",
            "description": "ตารางที่ทำความสะอาดแล้วโดยโครงการ covidthailand จากตารางที่ 9 ของรายงานทรัพยากร"
            "สาธารณสุข พ.ศ. 2553 ชื่อจังหวัดมีช่องว่างต่อท้าย",
            "format": "CSV",
            "upload": "files/n_icu_bed_2553.csv",
        },
        {
            "name": "ตารางที่ 9 ต้นฉบับ (XLS)",
            "description": "ไฟล์ Excel ต้นฉบับของรายงานทรัพยากรสาธารณสุข พ.ศ. 2553",
            "format": "XLS",
            "url": "http://hrm.moph.go.th/res53/report53/res53-tb09.xls",
        },
    ],
)

# ---------------------------------------------------------------------------------------------
# Singapore datasets from the data.gov.sg v2 collections
# ---------------------------------------------------------------------------------------------
# collectionId -> groups, tags, GDC data_type, objective, data_format, extra resources, upload
SG_PICKS: list[dict[str, Any]] = [
    dict(
        cid="1150",
        groups=["population"],
        tags=["population", "residents", "dwelling", "subzone"],
        type=STAT,
        upload=dict(
            file="populationsg.csv",
            name="Singapore residents by age group and type of dwelling, 2000-2019",
            description="Tidy table (agegroup, dwelling, value, year): residents by five-year age group and "
            "type of dwelling, 2000 to 2019, compiled from data.gov.sg by hxchua/datadoubleconfirm.",
        ),
    ),
    dict(
        cid="1197",
        groups=["population"],
        tags=["population", "age group", "ethnic group", "gender"],
        type=STAT,
    ),
    dict(cid="1346", groups=["population", "health"], tags=["births", "fertility", "population"], type=STAT),
    dict(cid="827", groups=["economy"], tags=["gdp", "national accounts", "expenditure"], type=STAT),
    dict(cid="944", groups=["economy"], tags=["gdp", "gni", "per capita", "national accounts"], type=STAT),
    dict(
        cid="1422",
        groups=["environment"],
        tags=["waste", "recycling", "solid waste"],
        type=STAT,
        upload=dict(
            file="wastestats.csv",
            name="Waste statistics by waste type, 2003-2017",
            description=(
                "Waste disposed of, recycled and generated (tonnes) and recycling rate by waste type "
                "and year, compiled by hxchua/datadoubleconfirm. Header cells contain line breaks, "
                "numbers have thousands separators, and most years are written '2,016'."
            ),
        ),
    ),
    dict(cid="1399", groups=["environment"], tags=["rainfall", "weather", "climate"], type=STAT),
    dict(cid="1369", groups=["environment", "health"], tags=["air quality", "pm2.5", "pollution"], type=STAT),
    dict(
        cid="1445",
        groups=["maps", "health"],
        tags=["hawker centres", "food", "locations"],
        type=GEO,
        format=["JSON"],
    ),
    dict(
        cid="1441",
        groups=["health", "maps"],
        tags=["dengue", "clusters", "vector control"],
        type=GEO,
        format=["JSON"],
    ),
    dict(
        cid="335", groups=["transport"], tags=["vehicles", "motor vehicles", "vehicle population"], type=STAT
    ),
    dict(
        cid="352",
        groups=["transport", "maps"],
        tags=["taxi", "real-time", "api"],
        type=GEO,
        format=["JSON"],
        objective=[SERVICE],
        extra=[
            {
                "name": "Taxi Availability API",
                "description": "Real-time locations of available taxis (GeoJSON).",
                "format": "JSON",
                "url": "https://api.data.gov.sg/v1/transport/taxi-availability",
            }
        ],
    ),
    dict(
        cid="327",
        groups=["transport", "maps"],
        tags=["bus", "taxi", "commuter facilities"],
        type=GEO,
        format=["JSON"],
        objective=[SERVICE],
    ),
    dict(
        cid="457",
        groups=["education"],
        tags=["schools", "education", "directory"],
        type=RECORD,
        objective=[SERVICE],
        upload=dict(
            file="primaryschoolsg.csv",
            name="Primary schools with location and Phase 2B places taken",
            description=(
                "190 primary schools with type, gender mix, area, zone, postal code, latitude, "
                "longitude and places taken up to Phase 2B of the P1 registration exercise, "
                "compiled by hxchua/datadoubleconfirm."
            ),
        ),
    ),
    dict(cid="454", groups=["education"], tags=["schools", "education", "school types"], type=STAT),
    dict(cid="447", groups=["education"], tags=["teachers", "pupils", "education"], type=STAT),
    dict(cid="512", groups=["health"], tags=["hospital admissions", "outpatients", "healthcare"], type=STAT),
    dict(cid="509", groups=["health"], tags=["dengue", "infectious disease", "weekly"], type=STAT),
    dict(cid="189", groups=["economy", "population"], tags=["hdb", "resale", "housing prices"], type=RECORD),
    dict(cid="152", groups=["economy"], tags=["hdb", "price index", "housing"], type=STAT),
    dict(cid="2119", groups=["economy"], tags=["unemployment", "labour market", "manpower"], type=STAT),
    dict(cid="651", groups=["economy"], tags=["job vacancies", "unemployment", "labour market"], type=STAT),
    dict(
        cid="2104",
        groups=["maps", "government"],
        tags=["planning area", "boundary", "master plan"],
        type=GEO,
        format=["JSON"],
    ),
    dict(cid="1707", groups=["maps"], tags=["subzone", "boundary", "master plan"], type=GEO, format=["JSON"]),
    dict(cid="1605", groups=["economy"], tags=["tourism", "visitor arrivals", "nationality"], type=STAT),
    dict(
        cid="1621",
        groups=["maps"],
        tags=["tourism", "attractions", "locations"],
        type=GEO,
        format=["JSON"],
        objective=[SERVICE],
    ),
    dict(cid="591", groups=["government"], tags=["crime", "public safety", "police"], type=STAT),
    dict(cid="75", groups=["environment", "economy"], tags=["electricity", "tariffs", "energy"], type=STAT),
    dict(cid="1543", groups=["environment"], tags=["water", "newater", "water reuse"], type=STAT),
    dict(
        cid="85",
        groups=["transport"],
        tags=["carpark", "parking", "real-time", "api"],
        type=RECORD,
        format=["JSON"],
        objective=[SERVICE],
        extra=[
            {
                "name": "Carpark Availability API",
                "description": "Available lots in HDB car parks, every minute.",
                "format": "JSON",
                "url": "https://api.data.gov.sg/v1/transport/carpark-availability",
            }
        ],
    ),
]

MAX_CHILD_LINKS = 3
SG_FREQUENCY = {
    "annual": "ปี",
    "half_year": "ครึ่งปี",
    "quarterly": "ไตรมาส",
    "monthly": "เดือน",
    "weekly": "สัปดาห์",
    "daily": "วัน",
    "realtime": "ตามเวลาจริง",
    "ad-hoc": "อื่นๆ",
    "other": "อื่นๆ",
}

THAI_MONTHS = {
    "มกราคม": 1,
    "กุมภาพันธ์": 2,
    "มีนาคม": 3,
    "เมษายน": 4,
    "พฤษภาคม": 5,
    "มิถุนายน": 6,
    "กรกฎาคม": 7,
    "สิงหาคม": 8,
    "กันยายน": 9,
    "ตุลาคม": 10,
    "พฤศจิกายน": 11,
    "ธันวาคม": 12,
}
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def thai_date_to_iso(text: str) -> str:
    """'... 31 ธันวาคม 2558' -> '2015-12-31' (Buddhist-era year minus 543); raise if none is found."""
    text = text.translate(THAI_DIGITS)
    months = "|".join(THAI_MONTHS)
    match = re.search(rf"(\d{{1,2}})\s*({months})\s*(\d{{4}})", text)
    if not match:
        raise ValueError(f"no Thai date in {text!r}")
    day, month, year_be = int(match.group(1)), THAI_MONTHS[match.group(2)], int(match.group(3))
    return f"{year_be - 543:04d}-{month:02d}-{day:02d}"


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:100].rstrip("-")


def gdc_fields(spec: dict[str, Any], language: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "data_type": spec["type"],
        "objective": spec.get("objective") or [MISSION],
        "update_frequency_unit": spec["unit"],
    }
    if spec["unit"] not in NO_INTERVAL_UNITS:
        fields["update_frequency_interval"] = spec.get("interval", "1")
    fields.update(
        {
            "geo_coverage": spec["geo"],
            "data_source": spec["source"],
            "data_format": spec.get("format") or ["CSV"],
            "data_category": "ข้อมูลสาธารณะ",
            "data_classification": "เปิดเผย",
            "data_language": spec.get("lang") or language,
        }
    )
    return fields


def build_organizations() -> list[dict[str, str]]:
    orgs = [
        {"name": name, "title": title, "description": description}
        for name, (title, description, _domain) in TH_ORGS.items()
    ]
    orgs += [
        {"name": slug, "title": agency, "description": description}
        for agency, (slug, description, _domain) in SG_ORGS.items()
    ]
    return orgs


def legacy_link(url: str) -> dict[str, str]:
    return {
        "name": "หน้าชุดข้อมูลใน data.go.th (แคตตาล็อกเดิม พ.ศ. 2559)",
        "description": "หน้ารายละเอียดชุดข้อมูลในระบบ data.go.th รุ่นเดิม ซึ่งเป็นที่มาของรายการนี้",
        "format": "HTML",
        "url": url,
    }


def thai_dataset(
    spec: dict[str, Any], title: str, url: str, resources: list[dict[str, str]]
) -> dict[str, Any]:
    org_title, _description, org_domain = TH_ORGS[spec["org"]]
    dataset: dict[str, Any] = {}
    if spec.get("name"):
        dataset["name"] = spec["name"]
    dataset.update(
        {
            "title": title,
            "notes": spec["notes"],
            "owner_org": spec["org"],
            "groups": [{"name": g} for g in spec["groups"]],
            "tags": [{"name": t} for t in spec["tags"]],
            "license_id": "cc-by",
            "url": url,
            "maintainer": spec.get("maintainer") or org_title,
            "maintainer_email": f"opendata@{spec.get('email_domain') or org_domain}",
        }
    )
    dataset.update(gdc_fields(spec, ["ไทย"]))
    dataset["resources"] = resources
    return dataset


def build_thai(shared: Path) -> list[dict[str, Any]]:
    with (shared / LEGACY_CSV).open(encoding="utf-8", newline="") as f:
        legacy = {row["url"].split("id=", 1)[1]: row for row in csv.DictReader(f)}
    datasets = []
    for spec in THAI_PICKS:
        row = legacy[spec["id"]]
        if row["title"] != spec["title"]:
            raise SystemExit(f"title changed for {spec['id']}: {row['title']!r}")
        resources = [legacy_link(row["url"])]
        if "upload" in spec:
            up = spec["upload"]
            resources.append(
                {
                    "name": up["name"],
                    "description": up["description"],
                    "format": "CSV",
                    "upload": f"files/{up['file']}",
                }
            )
        dataset = thai_dataset(spec, row["title"], row["url"], resources)
        if spec.get("last_updated_from_title"):
            dataset["last_updated_date"] = thai_date_to_iso(row["title"])
        datasets.append(dataset)
    icu = ICU_DATASET
    datasets.append(thai_dataset(icu, icu["title"], icu["url"], icu["resources"]))
    datasets.append(build_covid(shared))
    return datasets


def build_covid(shared: Path) -> dict[str, Any]:
    """The real data.go.th record, with its own GDC values; only the licence label becomes an id."""
    record = json.loads((shared / COVID_JSON).read_text(encoding="utf-8"))["result"]["results"][0]
    # 7 of its 14 resources: the latest and the first period as CSV and XLSX, the two APIs and the data
    # dictionary (the ZIP of everything and the three middle periods are left out)
    keep = (
        "/confirmed-cases-since-120465.csv",
        "/confirmed-cases-since-120465.xlsx",
        "/confirmed-cases.csv",
        "/confirmed-cases.xlsx",
        "/covid-19-daily_data_dictionary.xlsx",
    )
    resources = []
    for res in record["resources"]:
        if res["format"] != "API" and not res["url"].endswith(keep):
            continue
        fmt = "JSON" if res["format"] == "API" else res["format"]  # the API answers JSON
        resources.append(
            {"name": res["name"], "description": res["description"], "format": fmt, "url": res["url"]}
        )
    notes = "\n".join(line.rstrip() for line in record["notes"].replace("\r\n", "\n").split("\n")).strip()
    return {
        "name": record["name"],
        "title": record["title"],
        "notes": notes,
        "owner_org": MOPH,
        "groups": [{"name": "health"}],
        "tags": [{"name": t["name"]} for t in record["tags"]],
        "license_id": "cc-by",  # published as "Creative Commons Attributions"
        "url": f"https://data.go.th/dataset/{record['name']}",
        "maintainer": record["maintainer"],
        "maintainer_email": record["maintainer_email"],
        "data_type": record["data_type"],
        "objective": record["objective"],
        "update_frequency_unit": record["update_frequency_unit"],
        "update_frequency_interval": record["update_frequency_interval"],
        "geo_coverage": record["geo_coverage"],
        "data_source": record["data_source"],
        "data_format": record["data_format"],
        "data_category": record["data_category"],
        "data_classification": "เปิดเผย",
        "data_language": record["data_language"],
        "created_date": record["metadata_created"][:10],
        "last_updated_date": record["metadata_modified"][:10],
        "resources": resources,
    }


def clean_text(text: str) -> str:
    lines = [line.rstrip(" \t") for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def build_sg(shared: Path) -> list[dict[str, Any]]:
    collections = {c["collectionId"]: c for c in json.loads((shared / SG_COLLECTIONS).read_text("utf-8"))}
    singstat = {d["datasetId"]: d for d in json.loads((shared / SG_SINGSTAT).read_text("utf-8"))}
    datasets = []
    for spec in SG_PICKS:
        coll = collections[spec["cid"]]
        agency = coll["managedByAgencyName"]
        slug, _description, domain = SG_ORGS[agency]
        title = coll["name"].strip()
        children = coll["childDatasets"]
        collection_url = f"https://data.gov.sg/collections/{coll['collectionId']}/view"
        resources: list[dict[str, str]] = []
        if len(children) > MAX_CHILD_LINKS:  # one link to the collection rather than many "part n" links
            resources.append(
                {
                    "name": f"{title} ({len(children)} datasets)",
                    "description": "The collection's page on data.gov.sg, listing all its datasets.",
                    "format": "HTML",
                    "url": collection_url,
                }
            )
            children = []
        for i, child in enumerate(children, start=1):
            known = singstat.get(child)
            name = known["name"] if known else (title if len(children) == 1 else f"{title} (part {i})")
            resources.append(
                {
                    "name": name,
                    "description": f"data.gov.sg dataset {child}",
                    "format": "HTML",
                    "url": f"https://data.gov.sg/datasets/{child}/view",
                }
            )
        resources += spec.get("extra", [])
        if "upload" in spec:
            up = spec["upload"]
            resources.append(
                {
                    "name": up["name"],
                    "description": up["description"],
                    "format": "CSV",
                    "upload": f"files/{up['file']}",
                }
            )
        gdc_spec = dict(
            spec,
            unit=SG_FREQUENCY[coll["frequency"]],
            geo="ประเทศ",
            source="data.gov.sg: " + ", ".join(coll["sources"]),
        )
        dataset: dict[str, Any] = {
            "name": slugify(title),
            "title": title,
            "notes": clean_text(coll["description"]) or f"{title}, published on data.gov.sg by {agency}.",
            "owner_org": slug,
            "groups": [{"name": g} for g in spec["groups"]],
            "tags": [{"name": t} for t in spec["tags"]],
            "license_id": "sg-odl",
            "url": collection_url,
            "maintainer": agency,
            "maintainer_email": f"opendata@{domain}",
        }
        dataset.update(gdc_fields(gdc_spec, ["อังกฤษ"]))
        dataset["created_date"] = coll["createdAt"][:10]
        dataset["last_updated_date"] = coll["lastUpdatedAt"][:10]
        dataset["resources"] = resources
        datasets.append(dataset)
    return datasets


def gdc_choices(shared: Path) -> dict[str, set[str]]:
    schema = json.loads((shared / GDC_SCHEMA).read_text(encoding="utf-8"))
    return {
        f["field_name"]: {c["value"] for c in f["choices"]}
        for f in schema["dataset_fields"]
        if f.get("choices")
    }


def check(catalog: dict[str, Any], choices: dict[str, set[str]], out: Path) -> list[str]:
    """Return a list of problems (empty when the catalogue is consistent)."""
    problems: list[str] = []
    orgs = {o["name"] for o in catalog["organizations"]}
    groups = {g["name"] for g in catalog["groups"]}
    for name in [o["name"] for o in catalog["organizations"]] + [g["name"] for g in catalog["groups"]]:
        if not NAME_RE.match(name):
            problems.append(f"bad org/group name {name!r}")
    seen: set[str] = set()
    for ds in catalog["datasets"]:
        label = ds.get("name") or ds["title"]
        if "name" in ds:
            if not NAME_RE.match(ds["name"]):
                problems.append(f"bad dataset name {ds['name']!r}")
            if ds["name"] in seen:
                problems.append(f"duplicate dataset name {ds['name']!r}")
            seen.add(ds["name"])
        if ds["owner_org"] not in orgs:
            problems.append(f"{label}: unknown org {ds['owner_org']}")
        problems += [f"{label}: unknown group {g['name']}" for g in ds["groups"] if g["name"] not in groups]
        if ds["license_id"] not in LICENSES:
            problems.append(f"{label}: licence {ds['license_id']}")
        for field in GDC_CHOICE_FIELDS:
            values = ds[field] if isinstance(ds[field], list) else [ds[field]]
            problems += [
                f"{label}: {field}={v!r} not a GDC choice" for v in values if v not in choices[field]
            ]
        for key in ("created_date", "last_updated_date"):
            if key in ds and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", ds[key]):
                problems.append(f"{label}: {key}={ds[key]!r}")
        for res in ds["resources"]:
            if "upload" in res and not (out / res["upload"]).is_file():
                problems.append(f"{label}: missing upload {res['upload']}")
            if "upload" not in res and not res.get("url", "").startswith(("http://", "https://")):
                problems.append(f"{label}: resource without url or upload")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=HERE, help="where catalog.json and files/ go")
    args = parser.parse_args(argv)
    shared: Path = args.shared
    out: Path = args.out

    (out / "files").mkdir(parents=True, exist_ok=True)
    for source, target in UPLOADS.items():
        shutil.copyfile(shared / source, out / "files" / target)

    catalog = {
        "organizations": build_organizations(),
        "groups": GROUPS,
        "datasets": build_thai(shared) + build_sg(shared),
    }
    problems = check(catalog, gdc_choices(shared), out)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    text = json.dumps(catalog, ensure_ascii=False, indent=1) + "\n"
    (out / "catalog.json").write_text(text, encoding="utf-8")
    thai = sum(1 for d in catalog["datasets"] if d["license_id"] != "sg-odl")
    print(
        f"{len(catalog['organizations'])} organizations, {len(catalog['groups'])} groups, "
        f"{len(catalog['datasets'])} datasets ({thai} Thai, {len(catalog['datasets']) - thai} Singapore)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
