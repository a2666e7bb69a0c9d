"""``/api/v1/network``: consumer-end monitoring flags, smuggling networks, and the
payment-company report, for risk analysts and investigators."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/network", tags=["network"])
