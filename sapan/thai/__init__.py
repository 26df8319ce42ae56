"""Thai text: segmentation, romanized slugs (more to come: digits, Buddhist-era dates, encodings)."""
