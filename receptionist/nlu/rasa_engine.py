"""NLU through a Rasa server's /model/parse, falling back to the embedded engine mid-call.

Rasa classifies the intent and finds the domain entities; spaCy adds names, dates, times and
phone numbers; one normalised entity list comes out whichever engine classified the intent.
"""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.parse
from datetime import datetime
from typing import Any

from receptionist.core.events import Entity, NluResult
from receptionist.nlu.spacy_engine import SpacyNlu, _dedupe

log = logging.getLogger("receptionist.nlu.rasa")
SPACY_ENTITIES = {"person_name", "datetime", "phone"}


class RasaNlu:
    """Parse through Rasa; if it is slow or down, answer from the embedded engine instead."""

    name = "rasa"

    def __init__(self, url: str, embedded: SpacyNlu, timeout: float = 0.5) -> None:
        self.url, self.embedded, self.timeout = url.rstrip("/"), embedded, timeout
        self.last_error: str | None = None
        self.last_ok: float | None = None

    def parse(self, text: str, now: datetime | None = None) -> NluResult:
        """Classify with Rasa and merge entities; on failure, the embedded result, marked."""
        try:
            raw = self._post(text)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("Rasa parse failed (%s); using the embedded engine", self.last_error)
            fallback = self.embedded.parse(text, now)
            return fallback.model_copy(update={"engine": "spacy",
                                               "fallback": f"rasa: {self.last_error}"})
        self.last_ok, self.last_error = time.time(), None
        return self._merge(text, raw, now)

    def _post(self, text: str) -> dict[str, Any]:
        return self._request("POST", "/model/parse", json.dumps({"text": text}).encode())

    def _request(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        """One HTTP exchange with Rasa; the connection is closed even on a timeout."""
        parts = urllib.parse.urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                          timeout=self.timeout)
        try:
            conn.request(method, parts.path.rstrip("/") + path, body=body,
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                raise ValueError(f"Rasa answered {resp.status}")
            return json.loads(data)
        finally:
            conn.close()

    def _merge(self, text: str, raw: dict[str, Any], now: datetime | None) -> NluResult:
        intent = raw.get("intent") or {}
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
        if name == "nlu_fallback":
            ranked = [r for r in raw.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
            name = ranked[0]["name"] if ranked else None
        synonyms = self.embedded.synonyms
        domain = [Entity(entity=e["entity"], text=text[e["start"]:e["end"]],
                         value=synonyms.get(str(e["value"]).lower(), e["value"]),
                         start=e["start"], end=e["end"], extractor="rasa")
                  for e in raw.get("entities", [])]
        spacy_side = [e for e in self.embedded.entities(self.embedded.base(text), now)
                      if e.entity in SPACY_ENTITIES]
        merged = sorted(_dedupe(domain + spacy_side),
                        key=lambda e: e.start if e.start is not None else 10**6)
        ranking = tuple((r["name"], round(float(r["confidence"]), 4))
                        for r in raw.get("intent_ranking", [])[:5])
        return NluResult(text=text, intent=name if text.strip() else None,
                         confidence=round(confidence, 4), entities=tuple(merged),
                         ranking=ranking, engine="rasa")

    def health(self) -> dict[str, Any]:
        """Rasa's state for the health endpoint: reachable or not, and the last error."""
        try:
            status = self._request("GET", "/status")
            return {"engine": "rasa", "url": self.url, "up": True,
                    "model": status.get("model_file"), "last_error": self.last_error}
        except (OSError, ValueError, http.client.HTTPException) as exc:
            return {"engine": "rasa", "url": self.url, "up": False, "error": str(exc),
                    "fallback": "spacy"}
