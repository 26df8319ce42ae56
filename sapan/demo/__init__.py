"""The bilingual demo catalogue: real Thai (data.go.th) and Singapore (data.gov.sg) datasets."""
