"""Federation: the DCAT-AP and Data Package exports of the catalogue (harvesting comes later)."""
