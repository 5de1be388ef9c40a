"""The HTTP edge: JSON API under /api/v1 and the server-rendered dashboard (FastAPI)."""
