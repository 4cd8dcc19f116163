"""The feature dictionary (model.md §4.9): the single source of truth of the model's inputs.

Each input has exactly one base variable, each base variable exactly one theme; explanations are
summed along this explicit map, never by name prefix.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

THEMES = (
    "sante_financiere",
    "dette_urssaf",
    "retards_paiement",
    "activite_partielle",
    "effectif_contexte",
)
THEME_LABELS = {
    "sante_financiere": "Santé financière",
    "dette_urssaf": "Dette sociale (URSSAF)",
    "retards_paiement": "Retards de paiement fournisseurs",
    "activite_partielle": "Recours à l'activité partielle",
    "effectif_contexte": "Effectif et contexte de l'entreprise",
}
MISSING_CATEGORY = "INCONNU"


class DictionaryError(ValueError):
    pass


@dataclass(frozen=True)
class FeatureSpec:
    feature: str
    base_variable: str
    theme: str
    is_categorical: bool
    label_fr: str
    reason_template_fr: str
    reason_when_null: str
    confidentiel: bool
    unit: str


@dataclass(frozen=True)
class FeatureDictionary:
    specs: tuple[FeatureSpec, ...]
    digest: str

    @property
    def features(self) -> list[str]:
        return [s.feature for s in self.specs]

    @property
    def categorical(self) -> list[str]:
        return [s.feature for s in self.specs if s.is_categorical]

    @property
    def base_variables(self) -> list[str]:
        return list(dict.fromkeys(s.base_variable for s in self.specs))

    def base_of(self, feature: str) -> str:
        return self._by_feature()[feature].base_variable

    def theme_of_base(self, base_variable: str) -> str:
        return next(s.theme for s in self.specs if s.base_variable == base_variable)

    def primary_spec(self, base_variable: str) -> FeatureSpec:
        """The input whose value a reason quotes: the one holding the reason template."""
        specs = [s for s in self.specs if s.base_variable == base_variable]
        return next((s for s in specs if s.reason_template_fr), specs[0])

    def _by_feature(self) -> dict[str, FeatureSpec]:
        return {s.feature: s for s in self.specs}


def _flag(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "oui", "yes")


def load_dictionary(path: Path) -> FeatureDictionary:
    raw = path.read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    specs = tuple(
        FeatureSpec(
            feature=r["feature"],
            base_variable=r["base_variable"],
            theme=r["theme"],
            is_categorical=_flag(r["is_categorical"]),
            label_fr=r["label_fr"],
            reason_template_fr=r.get("reason_template_fr") or "",
            reason_when_null=r.get("reason_when_null") or "",
            confidentiel=_flag(r.get("confidentiel") or "false"),
            unit=r.get("unit") or "",
        )
        for r in rows
    )
    validate(specs, path)
    return FeatureDictionary(specs, hashlib.sha256(raw).hexdigest())


def validate(specs: tuple[FeatureSpec, ...], path: Path) -> None:
    seen: set[str] = set()
    theme_of: dict[str, str] = {}
    for spec in specs:
        if spec.feature in seen:
            raise DictionaryError(f"{path}: feature {spec.feature} listed twice")
        seen.add(spec.feature)
        if spec.theme not in THEMES:
            raise DictionaryError(f"{path}: feature {spec.feature}: unknown theme {spec.theme!r}")
        previous = theme_of.setdefault(spec.base_variable, spec.theme)
        if previous != spec.theme:
            raise DictionaryError(
                f"{path}: base variable {spec.base_variable} has two themes ({previous}, {spec.theme})"
            )
