"""The offline triage bot: a table of owners' messages and the urgency each must get, and the
emergency answer that lists the nearest emergency clinics open now."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from vet_core.models import ClinicClosure
from vet_core.utils.geo import haversine_km
from vet_services.messaging.chatbot.base import (
    ActionKind,
    ChatContext,
    PetRecord,
    Urgency,
    VaccinationFact,
)
from vet_services.messaging.chatbot.triage import (
    TriageProvider,
    assess,
    find_open_emergency_clinics,
    session_clinic_finder,
)

E, U, R, INFO = Urgency.EMERGENCY, Urgency.URGENT, Urgency.ROUTINE, Urgency.INFORMATION


def pet(species: str, sex: str = "unknown", name: str = "Rex") -> PetRecord:
    return PetRecord(
        name=name, species=species, breed=None, sex=sex, age="3y 0m", weight_kg=None, allergies=None
    )


# (message, the pet the conversation is about or None, expected urgency, expected finding)
TRIAGE_TABLE = [
    # breathing, and its negations
    ("My dog is not breathing!", None, E, "not_breathing"),
    ("He's not breathing hard, he's just sleepy after the walk", None, INFO, None),
    ("my cat is breathing hard with her mouth open", None, E, "breathing_difficulty"),
    ("She's struggling to breathe and her gums look blue", None, E, "breathing_difficulty"),
    ("No trouble breathing, but she sneezes a lot", None, R, "minor_symptom"),
    # poisoning: what was eaten, by whom, and whether it was eaten at all
    ("my dog ate a whole bar of dark chocolate", None, E, "toxin:chocolate"),
    ("Luna got into my sugar-free gum", pet("dog"), E, "toxin:xylitol"),
    ("I'm not sure if he ate the raisins on the table", None, E, "toxin:grapes"),
    ("She didn't eat any of the chocolate, I took it away in time", None, INFO, None),
    ("Can dogs eat grapes?", None, INFO, "toxin_question:grapes"),
    ("We have lilies in the house, is that a problem for our cat?", None, INFO, None),
    ("my dog eats grapes every day", None, E, "toxin:grapes"),
    ("my cat chewed on a lily leaf", None, E, "toxin:lily"),
    ("Rex chewed a lily in the garden", pet("dog"), U, "toxin:lily"),
    ("Mimi licked some pollen off the lilies", pet("cat"), E, "toxin:lily"),
    ("my dog licked antifreeze off the driveway", None, E, "toxin:antifreeze"),
    ("he got into the rat poison in the shed", None, E, "toxin:rodenticide"),
    ("I think he might have been poisoned", None, E, "toxin:unknown"),
    # seizures, bloat, bleeding, trauma, collapse
    ("he is having a seizure right now", None, E, "seizure"),
    ("He isn't having any seizures anymore since the new food", None, INFO, None),
    (
        "his belly is swollen and he keeps trying to vomit but nothing comes up",
        pet("dog"),
        E,
        "bloat",
    ),
    ("she's bleeding heavily from a cut on her paw", None, E, "heavy_bleeding"),
    ("small cut on the paw, not bleeding a lot", None, INFO, None),
    ("he was hit by a car an hour ago but seems fine", None, E, "trauma"),
    ("she collapsed in the garden and won't get up", None, E, "collapse"),
    # urinary blockage depends on species and sex
    ("he is straining to pee and nothing comes out", pet("cat", "male"), E, "urinary_blockage"),
    ("my cat keeps going in and out of the litter box", None, E, "urinary_blockage"),
    ("she is straining to pee", pet("cat", "female"), U, "urinary_blockage"),
    ("my dog is straining to pee", None, U, "urinary_blockage"),
    ("He's peeing normally, no straining at all", pet("cat", "male"), INFO, None),
    # heat and birth
    ("left in a hot car and now panting heavily", None, E, "heatstroke"),
    ("my dog has been in labour for 3 hours and no puppy yet", None, E, "difficult_birth"),
    # giving is swallowing too; objects and appetite
    ("I gave him Tylenol for the pain", None, E, "toxin:human_medication"),
    ("my puppy swallowed a sock", None, U, "foreign_body"),
    ("my cat hasn't peed since yesterday", None, E, "urinary_blockage"),
    ("my cat isn't eating her food", None, U, "not_eating"),
    # not emergencies
    ("vomited 5 times since this morning", None, U, "repeated_vomiting_or_blood"),
    ("my rabbit has not eaten since yesterday", None, E, "not_eating"),
    ("he's limping a bit on his back leg", None, R, "minor_symptom"),
    ("What are your opening hours on Saturday?", None, INFO, "topic:hours"),
    ("When is Rex's rabies booster due?", pet("dog"), INFO, "topic:vaccines"),
    ("How long should she fast before surgery?", None, INFO, "topic:fasting"),
    ("Does he need to fast before his neuter?", None, INFO, "topic:fasting"),
    ("I'd like to book an appointment for a check-up", None, INFO, "topic:booking"),
]


def test_the_table_covers_enough_cases():
    assert len(TRIAGE_TABLE) >= 25
    assert {row[2] for row in TRIAGE_TABLE} == {E, U, R, INFO}


@pytest.mark.parametrize(("message", "record", "urgency", "finding"), TRIAGE_TABLE)
async def test_triage_urgency(message, record, urgency, finding):
    reply = await TriageProvider().reply(
        ChatContext(message=message, now=datetime(2031, 3, 3, 12, tzinfo=UTC), pet=record)
    )

    assert reply.urgency is urgency, (message, reply.findings)
    if finding is not None:
        assert finding in reply.findings, (message, reply.findings)
    else:
        assert not [f for f in reply.findings if not f.startswith(("topic:", "toxin_question:"))]


def test_emergencies_outrank_milder_findings_of_the_same_message():
    assessment = assess("He is limping and now he collapsed")
    assert assessment.urgency is E
    assert [f.key for f in assessment.findings] == ["collapse"]


async def test_a_question_about_a_toxin_is_answered_without_alarm():
    reply = await TriageProvider().reply(
        ChatContext(message="Is chocolate dangerous for dogs?", now=datetime.now(UTC))
    )
    assert reply.urgency is INFO
    assert "theobromine" in reply.text
    assert "toxin_question:chocolate" in reply.findings


async def test_vaccine_answers_come_from_the_pets_own_record():
    record = PetRecord(
        name="Rex",
        species="dog",
        breed=None,
        sex="male",
        age="3y 0m",
        weight_kg=None,
        allergies=None,
        vaccinations=(VaccinationFact("Rabies", date(2030, 2, 1), date(2031, 2, 1)),),
    )
    reply = await TriageProvider().reply(
        ChatContext(
            message="Is Rex due for vaccines?", now=datetime(2031, 3, 3, tzinfo=UTC), pet=record
        )
    )
    assert "Rabies: given 2030-02-01, overdue since 2031-02-01" in reply.text
    assert reply.actions[0].kind is ActionKind.BOOK


# --- the nearest open emergency clinics -------------------------------------------------------

#: Monday 3 March 2031, 23:00 in Lisbon (UTC+0 in winter): ordinary practices are closed.
MONDAY_NIGHT = datetime(2031, 3, 3, 23, 0, tzinfo=UTC)
OWNER_AT = (38.7223, -9.1393)  # Baixa, Lisbon


@pytest.fixture
async def emergency_map(world, db_session):
    """Clinics around the owner: some open tonight, some closed, one far away."""
    clinics = {
        # 24-hour hospital about 6 km north-west
        "24h_benfica": await world.clinic(
            "Hospital 24h Benfica",
            latitude=38.7510,
            longitude=-9.2000,
            accepts_emergencies=True,
            open_24h=True,
        ),
        # emergency clinic open until 02:00, 1.1 km away
        "late_chiado": await world.clinic(
            "Urgências Chiado",
            latitude=38.7110,
            longitude=-9.1420,
            accepts_emergencies=True,
            weekdays=(1, 2, 3, 4, 5, 6, 7),
            opens=time(18),
            closes=time(23, 59),
        ),
        # nearest of all, but an ordinary day practice: closed at night
        "day_baixa": await world.clinic(
            "Clínica Baixa",
            latitude=38.7230,
            longitude=-9.1400,
            accepts_emergencies=True,
        ),
        # close, open all night, but does not take emergencies
        "no_emergencies": await world.clinic(
            "Gatos & Cia", latitude=38.7250, longitude=-9.1450, open_24h=True
        ),
        # open 24 h with emergencies, closed tonight for a holiday closure
        "holiday": await world.clinic(
            "Hospital Alvalade",
            latitude=38.7540,
            longitude=-9.1440,
            accepts_emergencies=True,
            weekdays=(1, 2, 3, 4, 5, 6, 7),
            opens=time(0),
            closes=time(23, 59),
        ),
        # open, emergencies, but in Porto (about 275 km)
        "porto": await world.clinic(
            "Hospital Porto",
            latitude=41.1579,
            longitude=-8.6291,
            accepts_emergencies=True,
            open_24h=True,
        ),
    }
    await world.add(
        ClinicClosure(
            clinic_id=clinics["holiday"].id,
            starts_on=date(2031, 3, 3),
            ends_on=date(2031, 3, 3),
            reason="Holiday",
        )
    )
    return clinics


async def test_nearest_open_emergency_clinics_in_order_of_distance(emergency_map, db_session):
    found = await find_open_emergency_clinics(db_session, *OWNER_AT, at=MONDAY_NIGHT)

    assert [c.name for c in found] == ["Urgências Chiado", "Hospital 24h Benfica"]
    for clinic, key in zip(found, ("late_chiado", "24h_benfica"), strict=True):
        row = emergency_map[key]
        expected = haversine_km(*OWNER_AT, row.latitude, row.longitude)
        assert clinic.distance_km == pytest.approx(expected, abs=0.1)
    assert found[0].distance_km < found[1].distance_km


async def test_in_the_day_the_day_practice_is_the_nearest(emergency_map, db_session):
    monday_noon = datetime(2031, 3, 3, 12, 0, tzinfo=UTC)
    found = await find_open_emergency_clinics(db_session, *OWNER_AT, at=monday_noon)
    assert [c.name for c in found] == ["Clínica Baixa", "Hospital 24h Benfica"]


async def test_an_emergency_answer_lists_the_open_clinics_nearest_first(emergency_map, db_session):
    provider = TriageProvider(clinic_finder=session_clinic_finder(db_session))

    reply = await provider.reply(
        ChatContext(
            message="Help, my dog ate rat poison",
            now=MONDAY_NIGHT,
            latitude=OWNER_AT[0],
            longitude=OWNER_AT[1],
        )
    )

    assert reply.urgency is E
    assert [c.name for c in reply.emergency_clinics] == [
        "Urgências Chiado",
        "Hospital 24h Benfica",
    ]
    listing = reply.text.split("nearest first:\n", 1)[1].splitlines()
    first, second = reply.emergency_clinics
    assert listing[0].startswith(f"1. Urgências Chiado, {first.distance_km:.1f} km")
    assert listing[1].startswith(f"2. Hospital 24h Benfica, {second.distance_km:.1f} km")
    assert "(open 24 hours)" in listing[1]
    for closed_or_far in ("Clínica Baixa", "Gatos & Cia", "Hospital Alvalade", "Porto"):
        assert closed_or_far not in reply.text
    go = [a for a in reply.actions if a.kind is ActionKind.GO_TO_EMERGENCY]
    assert [a.clinic_id for a in go] == [
        emergency_map["late_chiado"].id,
        emergency_map["24h_benfica"].id,
    ]


async def test_without_a_location_the_emergency_answer_asks_for_it():
    reply = await TriageProvider().reply(
        ChatContext(message="She is having a seizure", now=MONDAY_NIGHT)
    )
    assert reply.urgency is E
    assert "Share your location" in reply.text
    assert reply.emergency_clinics == ()
