"""The development stack's demo data loads once and covers every role."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from vet_clinic_api.demo_data import demo_people, load_demo_data
from vet_clinic_api.devkeys import DEV_ISSUER, load_or_create_key, mint_dev_token, public_pem
from vet_core.models.clinics import Clinic, ClinicOperatingHours
from vet_core.models.enums import UserRole
from vet_core.models.scheduling import Appointment
from vet_core.models.veterinarians import VeterinarianAvailability


async def test_demo_data_loads_once_with_every_role(db_session):
    assert await load_demo_data(db_session, today=date(2026, 3, 9))
    assert not await load_demo_data(db_session)
    people = await demo_people(db_session)
    assert set(people.by_role) == {role.value for role in UserRole}
    zones = set(await db_session.scalars(select(Clinic.timezone)))
    assert len(zones) == 3
    assert await db_session.scalar(select(func.count()).select_from(Appointment)) > 20
    # The emergency clinic is open overnight, and one of its vets works night shifts.
    overnight = select(func.count()).where(
        ClinicOperatingHours.closes_at < ClinicOperatingHours.opens_at
    )
    assert await db_session.scalar(overnight) == 7
    night_shifts = select(func.count()).where(
        VeterinarianAvailability.ends_at_local < VeterinarianAvailability.starts_at_local
    )
    assert await db_session.scalar(night_shifts) == 5


async def test_dev_tokens_verify_with_the_dev_key_only(tmp_path):
    from vet_services.auth.clerk import ClerkSettings, ClerkTokenVerifier

    key = load_or_create_key(tmp_path)
    assert load_or_create_key(tmp_path).private_numbers() == key.private_numbers()
    assert oct((tmp_path / "dev-signing-key.pem").stat().st_mode)[-3:] == "600"
    verifier = ClerkTokenVerifier(ClerkSettings(issuer=DEV_ISSUER, jwt_key=public_pem(key)))
    claims = await verifier.verify(mint_dev_token(key, "dev_owner_0", "o@demo.vet"))
    assert claims.email == "o@demo.vet"
