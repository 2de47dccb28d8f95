import pytest

from vet_core import exceptions
from vet_core.exceptions import (
    ConflictException,
    ConnectionException,
    DatabaseException,
    NotFoundException,
    VetCoreException,
)

ALL = [
    getattr(exceptions, name)
    for name in exceptions.__all__
    if isinstance(getattr(exceptions, name), type)
]


def test_every_exception_has_its_own_stable_code():
    codes = [cls.code for cls in ALL]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert code.isupper()
        assert code.replace("_", "").isalnum()


@pytest.mark.parametrize("cls", ALL, ids=lambda cls: cls.__name__)
def test_every_exception_belongs_to_the_tree_and_has_an_http_status(cls):
    assert issubclass(cls, VetCoreException)
    assert 400 <= cls.http_status <= 599
    error = cls()
    assert error.message == cls.default_message
    assert error.to_dict() == {"code": cls.code, "message": cls.default_message, "details": {}}


def test_design_doc_hierarchy():
    assert issubclass(ConnectionException, DatabaseException)
    assert issubclass(exceptions.SchemaValidationException, exceptions.ValidationException)
    assert issubclass(exceptions.BusinessRuleException, exceptions.ValidationException)
    assert issubclass(exceptions.DatabaseConfigException, exceptions.ConfigurationException)
    assert issubclass(exceptions.EnvironmentException, exceptions.ConfigurationException)
    assert issubclass(exceptions.MigrationException, DatabaseException)


def test_a_narrower_code_and_details_can_be_given_per_raise():
    error = ConflictException("slot taken", code="APPOINTMENT_OVERLAP", details={"next": []})
    assert error.code == "APPOINTMENT_OVERLAP"
    assert ConflictException.code == "CONFLICT"
    assert error.to_dict()["details"] == {"next": []}
    assert str(error) == "slot taken"
    assert NotFoundException().http_status == 404
