"""vet-core is the bottom of the stack: it imports no other package of the platform."""

from pathlib import Path

import vet_core
from vet_core.testing import imported_platform_packages


def test_vet_core_imports_no_other_platform_package():
    source = Path(vet_core.__file__).parent
    offenders = {
        module: packages - {"vet_core"}
        for module, packages in imported_platform_packages(source).items()
        if packages - {"vet_core"}
    }
    assert offenders == {}


def test_the_scan_sees_absolute_imports_only(tmp_path):
    (tmp_path / "a.py").write_text("import vet_services.x\nfrom vet_clinic_api import y\n")
    (tmp_path / "b.py").write_text("from . import sibling\nimport os\n")
    assert imported_platform_packages(tmp_path) == {"a.py": {"vet_services", "vet_clinic_api"}}
