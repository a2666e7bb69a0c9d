"""``cbec sim --sign``: every enterprise files a key, every message is signed by its sender,
and intake under the policy ``enforce`` accepts the whole day and refuses a tampered copy."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from cbec.intake.prepare import prepare_many
from cbec.intake.service import Intake
from cbec.registry.service import import_registry
from cbec.sim.output import write
from cbec.sim.simulation import Options, generate


def test_signed_day_passes_enforced_intake(tmp_path: Path, db: sessionmaker[Session]) -> None:
    day = generate(Options(orders=40, seed=5))
    summary = write(day, tmp_path, as_zip=False, sign=True)
    registry = json.loads((tmp_path / "registry.json").read_text(encoding="utf-8"))
    algorithms = {e["signatureKeys"][0]["algorithm"] for e in registry["enterprises"]}
    assert algorithms == {"sm2-sm3", "rsa-sha256", "ecdsa-sha256"}
    assert all(e["signaturePolicy"] == "enforce" for e in registry["enterprises"])
    assert summary.signing_keys is not None
    private = json.loads(summary.signing_keys.read_text(encoding="utf-8"))["keys"]
    assert set(private) == {e["customsCode"] for e in registry["enterprises"]}

    files = sorted((tmp_path / "messages").glob("*.xml"))
    items = [(p.name, p.read_bytes()) for p in files]
    assert all(b"<ds:SignatureValue>" in data for _, data in items)
    with db() as s:
        import_registry(s, registry)
        s.commit()
        outcomes = Intake(s, []).submit(prepare_many(items))
        s.commit()
    refused = [o for o in outcomes if not o.accepted and not o.duplicate]
    assert [o.return_info for o in refused if "signature" in o.return_info] == []
    assert sum(o.accepted for o in outcomes) > 150

    name, data = items[0]
    tampered = data.replace(b"<ceb:appTime>2026", b"<ceb:appTime>2025", 1)
    assert tampered != data
    with db() as s:
        [outcome] = Intake(s, []).submit(prepare_many([(name, tampered)]))
    assert not outcome.accepted
    assert outcome.fields[0].rule == "signature.digest"
