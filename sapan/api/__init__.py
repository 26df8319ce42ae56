"""HTTP adapters: the CKAN Action API v3 and file downloads. Thin: parse, call a domain, answer."""
