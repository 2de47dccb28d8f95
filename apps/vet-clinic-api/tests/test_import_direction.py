"""The apps build on the libraries and never import each other."""

from pathlib import Path

import vet_clinic_api
from vet_core.testing import imported_platform_packages


def test_vet_clinic_api_never_imports_the_other_app():
    source = Path(vet_clinic_api.__file__).parent
    offenders = {
        module: packages
        for module, packages in imported_platform_packages(source).items()
        if "vet_clinic_jobs" in packages
    }
    assert offenders == {}


def test_version_comes_from_the_distribution_metadata():
    assert vet_clinic_api.__version__ == "0.1.0"
