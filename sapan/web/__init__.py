"""The portal (server-rendered). For now a home page and dataset pages; the portal issue grows it."""
