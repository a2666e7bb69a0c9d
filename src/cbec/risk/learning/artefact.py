"""A trained model as a versioned folder: ``<models dir>/<name>/<version>/`` holding

* ``model.txt``: the LightGBM model text;
* ``mapping.json``: the column mapping it reads;
* ``features.json``: the fitted feature engineering (category codes, risk tables, HS
  medians);
* ``metrics.json``: how it was trained and what it scored.

Versions are 1, 2, 3... in the order they were saved; a folder is written under a
temporary name and renamed when complete, so a half-written model is never loaded.
Loading one back scores rows exactly as the model did when it was saved.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb

from cbec.errors import BadRequest, FieldError, NotFound
from cbec.risk.learning.features import FeatureState
from cbec.risk.learning.model import RiskModel

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
FILES = ("model.txt", "mapping.json", "features.json", "metrics.json")


class ModelNotFound(NotFound):
    kind = "model_not_found"


@dataclass(frozen=True, slots=True)
class Stored:
    """A model read back from its folder, with its metrics."""

    name: str
    version: int
    path: Path
    model: RiskModel
    metrics: dict[str, Any]


def check_name(name: str, path: str = "name") -> str:
    """A model name: letters, digits, ``.``, ``_`` and ``-`` (it becomes a folder);
    ``path`` names where it was given."""
    if not _NAME.fullmatch(name):
        message = (
            f"model name {name!r} must be 1-64 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit"
        )
        raise BadRequest(message, fields=[FieldError(path, f"pattern={_NAME.pattern}", message)])
    return name


def versions(models_dir: Path, name: str) -> list[int]:
    """The saved versions of model ``name``, oldest first."""
    folder = models_dir / check_name(name)
    if not folder.is_dir():
        return []
    return sorted(int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit())


def save(model: RiskModel, metrics: dict[str, Any], models_dir: Path, name: str) -> Stored:
    """Write ``model`` as the next version of ``name``; returns where it went."""
    folder = models_dir / check_name(name)
    folder.mkdir(parents=True, exist_ok=True)
    version = (versions(models_dir, name) or [0])[-1] + 1
    body = {**metrics, "name": name, "version": version}
    scratch = folder / f".{version}.partial-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    (scratch / "model.txt").write_text(model.booster.model_to_string(), encoding="utf-8")
    state = model.state.to_json()
    _write_json(scratch / "mapping.json", state.pop("mapping"))
    _write_json(scratch / "features.json", state)
    _write_json(scratch / "metrics.json", body)
    target = folder / str(version)
    scratch.rename(target)
    return Stored(name, version, target, model, body)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load(models_dir: Path, reference: str) -> Stored:
    """The model ``name`` (its latest version) or ``name/version``."""
    name, _, wanted = reference.partition("/")
    known = versions(models_dir, name)
    if not known:
        raise ModelNotFound(f"no model named {name!r} in {models_dir}")
    if wanted:
        if not wanted.isdigit() or int(wanted) not in known:
            listed = ", ".join(map(str, known))
            raise ModelNotFound(f"model {name!r} has no version {wanted!r} (it has {listed})")
        version = int(wanted)
    else:
        version = known[-1]
    path = models_dir / name / str(version)
    missing = [f for f in FILES if not (path / f).is_file()]
    if missing:
        raise ModelNotFound(f"model folder {path} lacks {', '.join(missing)}")
    state_data = json.loads((path / "features.json").read_text(encoding="utf-8"))
    state_data["mapping"] = json.loads((path / "mapping.json").read_text(encoding="utf-8"))
    booster = lgb.Booster(model_str=(path / "model.txt").read_text(encoding="utf-8"))
    model = RiskModel(booster, FeatureState.from_json(state_data))
    metrics = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
    return Stored(name, version, path, model, metrics)
