"""The model store: `<models_dir>/<version>/` with the model file and its card, never overwritten.

The version is the SHA-256 of the model file (content-addressed), so retraining the same data with
the same seed gives the same version, and a different model can never replace an existing one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from catboost import CatBoostClassifier

MODEL_FILE = "model.cbm"
CARD_JSON = "model_card.json"
CARD_MD = "model_card.md"


class ModelStoreError(RuntimeError):
    pass


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_model(model: CatBoostClassifier, card: dict[str, Any], card_markdown: str, models_dir: Path) -> Path:
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".tmp-") as tmp:
        staging = Path(tmp)
        model.save_model(str(staging / MODEL_FILE))
        digest = file_sha256(staging / MODEL_FILE)
        version = digest[:16]
        target = models_dir / version
        if target.exists():
            if file_sha256(target / MODEL_FILE) != digest:
                raise ModelStoreError(f"{target} exists with another model file")
            return target
        card = {**card, "version": version, "model_sha256": digest}
        (staging / CARD_JSON).write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
        (staging / CARD_MD).write_text(card_markdown.replace("{version}", version))
        final = models_dir / f".tmp-{version}"
        shutil.copytree(staging, final)
        os.replace(final, target)
    return target


def load_model(version_dir: Path) -> tuple[CatBoostClassifier, dict[str, Any]]:
    model = CatBoostClassifier()
    model.load_model(str(version_dir / MODEL_FILE))
    card = json.loads((version_dir / CARD_JSON).read_text())
    return model, card
