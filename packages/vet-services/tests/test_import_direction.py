"""vet-services sits on vet-core only: it never imports an application."""

from pathlib import Path

import vet_services
from vet_core.testing import imported_platform_packages


def test_vet_services_imports_only_vet_core():
    source = Path(vet_services.__file__).parent
    allowed = {"vet_core", "vet_services"}
    offenders = {
        module: packages - allowed
        for module, packages in imported_platform_packages(source).items()
        if packages - allowed
    }
    assert offenders == {}


def test_version_comes_from_the_distribution_metadata():
    assert vet_services.__version__ == "0.1.0"
