"""The offline chatbot: rule-based triage first, then the everyday questions of a clinic.

It runs with no network and no model, so every clinic has a bot that is *safe* from day one:

* It recognises the emergencies a triage nurse asks about on the phone (breathing, poisoning,
  seizures, bloat, heavy bleeding, trauma, collapse, a blocked male cat, heatstroke, a difficult
  birth) and answers them with the nearest emergency clinics that are open *now*, nearest first.
* Negations are respected ("not breathing hard" is not an emergency, "not breathing" is), and
  the species matters: lilies kill cats but hardly trouble dogs; a male cat that cannot pass
  urine dies within days, a dog straining needs a visit today.
* It errs towards caution: "I'm not sure if he ate the chocolate" still counts as eating it.
* Otherwise it answers opening hours, vaccination schedules (with the pet's own due dates),
  fasting before surgery and booking, and offers to book.

It never states anything about the pet that is not in the pet's record it was given.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Float, and_, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from vet_core.models import Clinic
from vet_core.models.enums import ClinicStatus
from vet_core.utils.clinic_hours import business_hours_from_records
from vet_core.utils.geo import validate_coordinates
from vet_core.utils.time import to_utc
from vet_services.messaging.chatbot.base import (
    ActionKind,
    BotReply,
    ChatContext,
    ClinicInfo,
    NearbyClinic,
    PetRecord,
    SuggestedAction,
    Urgency,
    most_urgent,
)

PROVIDER_NAME = "triage"

# --- finding symptoms in text -----------------------------------------------------------------

#: Words that negate what follows them within the same clause ("no seizures", "hasn't eaten").
_NEGATION = re.compile(
    r"\b(no|not|never|without|none|nor|neither|denies|negative for)\b|n't\b|\bnot?\s*longer\b"
)
#: Doubt is not denial: "not sure if he ate it" must still count as eating it.
_UNCERTAINTY = re.compile(
    r"\b(not sure|unsure|no idea|don't know|do not know|doesn't know|can't tell|cannot tell|wonder)\b"
)
#: Clause boundaries: a negation does not reach across them.
_CLAUSE_BREAK = re.compile(
    r"[.;:!?,()\n]|\b(but|and|however|although|though|yet|then|now|so|because|except)\b"
)
#: How many words before a finding a negation may stand ("she has not had any seizures").
_NEGATION_WINDOW_WORDS = 4


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, single spaces: what the patterns are written for."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return re.sub(r"\s+", " ", text).strip()


def is_negated(text: str, start: int) -> bool:
    """Whether the words just before ``text[start:]`` negate it, within its clause."""
    clause_start = 0
    for boundary in _CLAUSE_BREAK.finditer(text, 0, start):
        clause_start = boundary.end()
    before = text[clause_start:start]
    if _UNCERTAINTY.search(before):
        return False
    words = before.split()[-_NEGATION_WINDOW_WORDS:]
    return bool(_NEGATION.search(" ".join(words)))


def _sentence_of(text: str, start: int) -> str:
    """The sentence holding ``start``, with its closing punctuation."""
    begin = max(text.rfind(mark, 0, start) for mark in ".!?") + 1
    ends = [pos for pos in (text.find(mark, start) for mark in ".!?") if pos != -1]
    end = min(ends) + 1 if ends else len(text)
    return text[begin:end].strip()


_QUESTION_OPENING = re.compile(
    r"^(can|could|should|may|might|is|are|do|does|will|would|how much|how many|what)\b"
)


def is_general_question(text: str, start: int) -> bool:
    """ "Can dogs eat grapes?" asks about a food; it does not report that the dog ate some."""
    sentence = _sentence_of(text, start)
    return sentence.endswith("?") and bool(_QUESTION_OPENING.match(sentence))


def _compile(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in patterns)


@dataclass(frozen=True, slots=True)
class Subject:
    """What the bot knows of the animal: species and sex from the record, else from the text."""

    species: str | None
    sex: str | None


_SPECIES_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("dog", re.compile(r"\b(dogs?|pupp(y|ies)|pups?|doggo)\b")),
    ("cat", re.compile(r"\b(cats?|kittens?|kitty|tomcat|tom cat)\b")),
    ("rabbit", re.compile(r"\b(rabbits?|bunn(y|ies))\b")),
    ("bird", re.compile(r"\b(birds?|parrots?|budgies?|parakeets?|cockatiels?)\b")),
    ("ferret", re.compile(r"\bferrets?\b")),
)
_MALE_WORDS = re.compile(r"\b(he|him|his|boy|male|tom|tomcat)\b")
_FEMALE_WORDS = re.compile(r"\b(she|her|hers|girl|female|queen)\b")


def subject_of(text: str, pet: PetRecord | None) -> Subject:
    """Species and sex of the animal the message is about (the record wins over guesses)."""
    species = pet.species if pet is not None and pet.species not in ("", "other") else None
    if species is None:
        species = next((name for name, words in _SPECIES_WORDS if words.search(text)), None)
    sex = pet.sex if pet is not None and pet.sex in ("male", "female") else None
    if sex is None:
        male, female = bool(_MALE_WORDS.search(text)), bool(_FEMALE_WORDS.search(text))
        sex = "male" if male and not female else "female" if female and not male else None
    return Subject(species, sex)


@dataclass(frozen=True, slots=True)
class Finding:
    """A recognised symptom or toxin, how urgent it is for this animal and what to do."""

    key: str
    label: str
    urgency: Urgency
    advice: str


UrgencyPolicy = Callable[[Subject], Urgency]


def _always(urgency: Urgency) -> UrgencyPolicy:
    return lambda _subject: urgency


def _by_species(
    default: Urgency, *, unknown: Urgency | None = None, **species: Urgency
) -> UrgencyPolicy:
    def policy(subject: Subject) -> Urgency:
        if subject.species is None:
            return unknown if unknown is not None else default
        return species.get(subject.species, default)

    return policy


def _urinary_policy(subject: Subject) -> Urgency:
    """A blocked male cat is an emergency (its kidneys fail within a day or two)."""
    if subject.species == "cat":
        return Urgency.URGENT if subject.sex == "female" else Urgency.EMERGENCY
    return Urgency.URGENT


@dataclass(frozen=True, slots=True)
class SymptomRule:
    """Patterns of one presentation and the urgency it carries for a given animal."""

    key: str
    label: str
    patterns: tuple[re.Pattern[str], ...]
    policy: UrgencyPolicy
    advice: str

    def find(self, text: str, subject: Subject) -> Finding | None:
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                if not is_negated(text, match.start()):
                    return Finding(self.key, self.label, self.policy(subject), self.advice)
        return None


SYMPTOM_RULES: tuple[SymptomRule, ...] = (
    SymptomRule(
        "not_breathing",
        "not breathing",
        _compile(
            r"\b(not|isn't|is not|stopped|no longer|hasn't been|wasn't) breathing\b"
            r"(?! (hard|heavily|heavy|fast|quickly|rapidly|much|normally|properly|right|well|funny|loudly))",
            r"\bno (breath|breathing|heartbeat|pulse)\b",
        ),
        _always(Urgency.EMERGENCY),
        "If there is no breathing, clear the mouth of anything blocking it and go now.",
    ),
    SymptomRule(
        "breathing_difficulty",
        "difficulty breathing",
        _compile(
            r"\b(difficulty|trouble|problems?|struggling|struggles|labou?red|laboring|labouring) "
            r"(with )?(breathing|to breathe|breathe)\b",
            r"\b(can't|cannot|can not|unable to) (breathe|catch (his|her|its) breath)\b",
            r"\b(gasping|choking|suffocating)\b",
            r"\bbreathing (really |very |so )?(hard|heavily|heavy|fast|rapidly|noisily|with (his|her|its) mouth open)\b",
            r"\bnot breathing (normally|properly|right|well)\b",
            r"\bopen[- ]mouth(ed)? breathing\b",
            r"\b(blue|purple|gr[ae]y|white) (gums|tongue|lips)\b",
            r"\b(gums|tongue) (are |is |look |looks |turned |turning )?(blue|purple|gr[ae]y)\b",
        ),
        _always(Urgency.EMERGENCY),
        "Keep the pet calm and cool, do not put anything in its mouth, and travel now.",
    ),
    SymptomRule(
        "seizure",
        "seizures",
        _compile(
            r"\bseiz(ure|ures|ing|ed)\b",
            r"\bconvuls(ion|ions|ing|ed|es)?\b",
            r"\b(having|had|has) (a |an )?(fit|fits)\b",
            r"\bfitting\b",
            r"\bepileptic\b",
        ),
        _always(Urgency.EMERGENCY),
        "Move objects away, do not hold the mouth, keep the room dark and quiet, time the seizure.",
    ),
    SymptomRule(
        "bloat",
        "bloat (swollen abdomen, unproductive retching)",
        _compile(
            r"\bbloat(ed|ing)?\b",
            r"\b(swollen|distended|hard|tight|enlarged|bloated|huge|big|swelling) "
            r"(belly|abdomen|stomach|tummy)\b",
            r"\b(belly|abdomen|stomach|tummy) (is |looks |seems |feels |getting |got )?"
            r"(really |very )?(swollen|distended|hard|tight|bloated|huge|enlarged|swelling)\b",
            r"\b(trying|tries|tried|keeps trying|keeps) (to )?(vomit|throw up|be sick|retch)\w*"
            r"[^.!?]{0,20}\b(nothing|no (vomit|food)|but can't|but cannot)\b",
            r"\bretch(ing|es|ed)?\b[^.!?]{0,20}\b(nothing|no(thing)? (comes|coming) up)\b",
            r"\b(unproductive|non-?productive) (retching|vomiting|vomit)\b",
            r"\bdry[- ]heav(ing|es|ed)\b",
        ),
        _by_species(Urgency.EMERGENCY, cat=Urgency.URGENT),
        "Do not give food or water; a twisted stomach can kill within hours.",
    ),
    SymptomRule(
        "heavy_bleeding",
        "heavy bleeding",
        _compile(
            r"\bbleeding (really |very )?(heavily|a lot|badly|profusely|everywhere|non-?stop|"
            r"so much|constantly|like crazy|heavy)\b",
            r"\b(won't|will not|doesn't|does not|can't|cannot|isn't) stop(ping)? bleeding\b",
            r"\bblood (is )?(everywhere|all over|pouring|gushing|spurting|pumping)\b",
            r"\b(pouring|gushing|spurting) blood\b",
            r"\b(lots|a lot|loads) of blood\b",
            r"\bpool of blood\b",
            r"\b(vomiting|throwing up|coughing up|coughing) blood\b",
            r"\bbleeding from (the |his |her |its )?(mouth|nose|ears?|eyes?|anus|bottom|rectum)\b",
        ),
        _always(Urgency.EMERGENCY),
        "Press a clean cloth firmly on the wound and keep pressing on the way.",
    ),
    SymptomRule(
        "trauma",
        "trauma (hit by a car, fall or attack)",
        _compile(
            r"\b(hit|struck|knocked (down|over)) by (a |the )?"
            r"(car|vehicle|truck|lorry|van|bus|bike|bicycle|motorbike|motorcycle|train)\b",
            r"\b(run|ran) over\b",
            r"\bfell (from|off|out of) (a |the |our |my )?"
            r"(balcony|window|roof|building|second floor|third floor|tree|height|cliff)\b",
            r"\b(attacked|mauled) by\b",
            r"\bdog ?fight\b",
            r"\bbone (is )?sticking out\b",
            r"\b(stabbed|impaled)\b",
        ),
        _always(Urgency.EMERGENCY),
        "Even if the pet seems fine, internal bleeding shows late: move it on a flat board.",
    ),
    SymptomRule(
        "collapse",
        "collapse or unresponsiveness",
        _compile(
            r"\bcollaps(e|ed|es|ing)\b",
            r"\b(unresponsive|unconscious|comatose)\b",
            r"\b(won't|will not|can't|cannot|doesn't|does not) (wake up|be woken|stand up|get up|stand)\b",
            r"\b(passed out|fainted|fainting|blacked out)\b",
            r"\bnot (responding|moving|waking up)\b",
            r"\b(lost|losing) consciousness\b",
        ),
        _always(Urgency.EMERGENCY),
        "Keep the airway clear and the pet warm; carry it rather than making it walk.",
    ),
    SymptomRule(
        "urinary_blockage",
        "unable to pass urine",
        _compile(
            r"\b(straining|strains|strained|trying|tries|tried|struggling) (hard )?to "
            r"(pee|urinate|wee|pass urine)\b",
            r"\b(can't|cannot|unable to|isn't able to|not able to) (pee|urinate|wee|pass urine)\b",
            r"\b(not|hasn't been|hasn't|isn't|no) (peeing|urinating|weeing|passed urine|pee)\b",
            r"\b(hasn't|has not|didn't|did not|hasn't been able to) (peed|urinated|weed|pee|urinate)\b",
            r"\b(no|only drops of|tiny amounts of|only a few drops of) urine\b",
            r"\b(in and out of|keeps going back to|keeps going to|sitting in|squatting in) "
            r"(the |his |her )?litter ?(box|tray)\b",
            r"\bblocked (cat|bladder|urethra)\b",
            r"\b(urinary|bladder) (blockage|obstruction)\b",
            r"\b(crying|yowling|howling) (in|while using|when using) (the |his |her )?litter ?(box|tray)\b",
        ),
        _urinary_policy,
        "A blocked bladder in a male cat is fatal within a day or two without treatment.",
    ),
    SymptomRule(
        "heatstroke",
        "heatstroke",
        _compile(
            r"\bheat ?stroke\b",
            r"\bheat exhaustion\b",
            r"\boverheat(ed|ing)\b",
            r"\bleft in (a |the |my |our )?(hot )?car\b",
            r"\b(panting|drooling) (heavily|excessively|a lot|hard)\b[^.!?]{0,40}\b(heat|hot|sun|sunny)\b",
            r"\b(heat|hot|sun)\b[^.!?]{0,40}\b(panting|drooling) (heavily|excessively|a lot|hard)\b",
        ),
        _always(Urgency.EMERGENCY),
        "Cool with room-temperature (not ice-cold) water and a fan on the way; do not cover it.",
    ),
    SymptomRule(
        "difficult_birth",
        "difficulty giving birth",
        _compile(
            r"\b(difficult|difficulty|trouble|problems?|struggling|complications?) "
            r"(with |in )?(giving birth|birthing|delivering|labou?r|whelping|kittening|the birth)\b",
            r"\b(in labou?r|pushing|straining|contractions|whelping|kittening)\b[^.!?]{0,40}"
            r"\b(\d+|an|one|two|three|several|over an|more than an?) (hours?|hrs?)\b",
            r"\b(puppy|kitten|baby|fo?etus) (is |seems |looks )?(stuck|half out)\b",
            r"\b(stuck|half out) (puppy|kitten)\b",
            r"\bno (puppy|puppies|kitten|kittens) (yet|has come|have come|after)\b",
        ),
        _always(Urgency.EMERGENCY),
        "More than 30 minutes of strong pushing without a birth needs a vet now.",
    ),
    SymptomRule(
        "repeated_vomiting_or_blood",
        "repeated vomiting or blood in stool",
        _compile(
            r"\b(vomit(ing|ed)?|throwing up|threw up|being sick)\b[^.!?]{0,30}"
            r"\b(\d+|several|many|multiple|five|four|three|six) times\b",
            r"\b(vomit(ing|ed)?|throwing up|being sick) (repeatedly|all (day|night)|non-?stop)\b",
            r"\b(keeps|kept) (vomiting|throwing up|being sick)\b",
            r"\bblood(y)? (in )?(the )?(stool|poop|poo|diarrh(o)?ea|faeces|feces)\b",
        ),
        _always(Urgency.URGENT),
        "Take away food for now, offer small sips of water, and call the clinic today.",
    ),
    SymptomRule(
        "not_eating",
        "not eating",
        _compile(
            r"\b(not|isn't|is not|hasn't|has not|hasn't been|won't|will not|doesn't|does not|"
            r"refus(es|ing)( to)?|stopped) (eating|eaten|eat|drinking|drunk|drink)\b",
            r"\b(no|lost (his|her|its)?) appetite\b",
        ),
        _by_species(Urgency.ROUTINE, rabbit=Urgency.EMERGENCY, cat=Urgency.URGENT),
        "Rabbits that stop eating can die of gut stasis within a day; cats within days.",
    ),
    SymptomRule(
        "facial_swelling",
        "facial swelling or allergic reaction",
        _compile(
            r"\b(swollen|swelling)\b[^.!?]{0,20}\b(face|muzzle|eyes?|lips?|throat)\b",
            r"\b(face|muzzle|lips?) (is |are )?(swollen|swelling|puffy)\b",
            r"\bhives\b",
            r"\b(bee|wasp|hornet) sting\b",
            r"\bstung\b",
        ),
        _always(Urgency.URGENT),
        "If breathing becomes noisy or difficult, this becomes an emergency.",
    ),
    SymptomRule(
        "eye_injury",
        "eye injury",
        _compile(
            r"\beyes? (is |are )?(injured|scratched|bulging|popped out|out of (the |its )?socket)\b",
            r"\b(injured|scratched|bulging|red and swollen) eyes?\b",
        ),
        _always(Urgency.URGENT),
        "Stop the pet rubbing the eye; eye injuries worsen within hours.",
    ),
    SymptomRule(
        "foreign_body",
        "swallowed an object",
        _compile(
            r"\b(ate|eaten|swallowed|gulped down|chewed up and swallowed) (a |an |the |his |her |"
            r"my |some |part of (a |the |his |her )?|half (a |the )?)?(sock|socks|toy|ball|bone|"
            r"bones|stick|string|thread|needle|hair ?tie|rubber band|fish ?hook|battery|batteries|"
            r"magnets?|coins?|corn ?cob|cob|underwear|stone|stones|rock|peach (pit|stone)|tampon|"
            r"plastic|glass|ribbon|tinsel)\b",
        ),
        _always(Urgency.URGENT),
        "Do not make the pet vomit; an object can block or cut the gut. Bring any packaging.",
    ),
    SymptomRule(
        "minor_symptom",
        "a health concern",
        _compile(
            r"\blimp(ing|s)?\b",
            r"\b(trouble|difficulty) (walking|standing|jumping)\b|\bwobbly\b",
            r"\b(vomit(ed|ing)?|threw up|throwing up|diarrh(o)?ea|loose stool)\b",
            r"\b(itch(ing|y)?|scratching|hair loss|rash|hot spot)\b",
            r"\b(cough(s|ed|ing)?|sneez(e|es|ed|ing)|runny nose)\b",
            r"\b(ear infection|shaking (his|her|its) head|smelly ears?)\b",
            r"\b(lump|bump|growth)\b",
            r"\b(lethargic|tired|sleeping a lot|low energy)\b",
        ),
        _always(Urgency.ROUTINE),
        "Watch for changes; book a visit so the vet can examine the pet.",
    ),
)


# --- toxins -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Toxin:
    """A substance that poisons pets, and how dangerous it is for the animal in question."""

    key: str
    label: str
    pattern: re.Pattern[str]
    policy: UrgencyPolicy
    advice: str


TOXINS: tuple[Toxin, ...] = (
    Toxin(
        "chocolate",
        "chocolate",
        re.compile(r"\b(chocolates?|cocoa|brownies?)\b"),
        _always(Urgency.EMERGENCY),
        "Chocolate (theobromine) is toxic; dark and baking chocolate most of all.",
    ),
    Toxin(
        "xylitol",
        "xylitol (sugar-free sweetener)",
        re.compile(
            r"\b(xylitol|birch sugar|sugar[- ]free (gum|candy|sweets|mints))\b|\bchewing gum\b"
        ),
        _always(Urgency.EMERGENCY),
        "Xylitol crashes blood sugar within an hour and can destroy the liver.",
    ),
    Toxin(
        "grapes",
        "grapes or raisins",
        re.compile(r"\b(grapes?|raisins?|sultanas?|currants?)\b"),
        _always(Urgency.EMERGENCY),
        "Grapes and raisins can cause sudden kidney failure, even in small amounts.",
    ),
    Toxin(
        "lily",
        "lilies",
        re.compile(r"\b(lil(y|ies)|daylil(y|ies)|lily pollen)\b"),
        _by_species(Urgency.URGENT, cat=Urgency.EMERGENCY, unknown=Urgency.EMERGENCY),
        "Every part of a lily, even pollen or vase water, causes kidney failure in cats.",
    ),
    Toxin(
        "antifreeze",
        "antifreeze",
        re.compile(r"\b(anti-?freeze|ethylene glycol|coolant|de-?icer)\b"),
        _always(Urgency.EMERGENCY),
        "Antifreeze causes kidney failure; the antidote works only in the first hours.",
    ),
    Toxin(
        "rodenticide",
        "rat or mouse poison",
        re.compile(r"\b((rat|mouse|rodent) (poison|bait|pellets|killer)|rodenticide|d-con)\b"),
        _always(Urgency.EMERGENCY),
        "Bring the packaging: the treatment depends on the poison in it.",
    ),
    Toxin(
        "slug_bait",
        "slug or snail bait",
        re.compile(r"\b((slug|snail) (pellets|bait|killer)|metaldehyde)\b"),
        _always(Urgency.EMERGENCY),
        "Slug bait causes tremors and seizures within hours.",
    ),
    Toxin(
        "human_medication",
        "human medication",
        re.compile(
            r"\b(ibuprofen|advil|motrin|nurofen|paracetamol|acetaminophen|tylenol|aspirin|"
            r"naproxen|aleve|antidepressants?|adderall|sleeping pills?|"
            r"(my|some|his|her|the|our) (pills|tablets|medication|medicine|meds))\b"
        ),
        _always(Urgency.EMERGENCY),
        "Bring the box; painkillers such as ibuprofen and paracetamol are poisonous to pets.",
    ),
    Toxin(
        "permethrin",
        "permethrin (dog flea treatment)",
        re.compile(r"\b(permethrin|dog flea (treatment|spot-on|drops|medicine))\b"),
        _by_species(Urgency.URGENT, cat=Urgency.EMERGENCY, unknown=Urgency.EMERGENCY),
        "Dog flea products with permethrin cause tremors and seizures in cats.",
    ),
    Toxin(
        "onion_garlic",
        "onions or garlic",
        re.compile(r"\b(onions?|garlic|leeks?|chives)\b"),
        _always(Urgency.URGENT),
        "Onions and garlic damage red blood cells over days; the amount eaten matters.",
    ),
)

#: Verbs of having swallowed something, in the past: these report an event.
_INGESTED = (
    r"ate|eaten|swallowed|chewed|chewed up|licked|ingested|consumed|drank|drunk|got into|"
    r"gotten into|stole|scoffed|gobbled|munched|had some|has had|helped (him|her|it)self to|"
    r"found and ate|been eating|was eating|is eating|eating|gave (him|her|it|them)|"
    r"(was|been) given|fed (him|her|it|them)"
)
#: Present forms; in a general question ("can dogs eat …?") they ask rather than report.
_MAY_INGEST = r"eats|eat|swallows|swallow|chews|chew|licks|lick|drinks|drink"
_INGESTION = re.compile(rf"\b(?P<verb>{_INGESTED}|{_MAY_INGEST})\b")
_POISONED = re.compile(
    r"\b(been|was|got|is|may have been|might have been|could have been|think (he|she|it)'s been) "
    r"poisoned\b|\bpoisoning\b|\b(ate|swallowed|ingested|drank|licked|eaten) "
    r"(some |a |the )?(poison|something poisonous|something toxic)\b"
)
_INGESTION_REACH = 60  # characters between the verb and the substance, within one sentence


def find_toxins(text: str, subject: Subject) -> tuple[list[Finding], list[Toxin]]:
    """Toxins the pet (probably) swallowed, and toxins only asked about.

    A toxin counts as swallowed when a verb of eating precedes it in the same sentence and is not
    negated, or when the sentence says the pet was poisoned. "Can dogs eat grapes?" only asks.
    """
    findings: list[Finding] = []
    mentioned: list[Toxin] = []
    for toxin in TOXINS:
        for match in toxin.pattern.finditer(text):
            sentence_start = max(text.rfind(mark, 0, match.start()) for mark in ".!?\n") + 1
            window_start = max(sentence_start, match.start() - _INGESTION_REACH)
            verbs = list(_INGESTION.finditer(text, window_start, match.start()))
            swallowed = False
            for verb in verbs:
                past = verb.group("verb") not in _MAY_INGEST.split("|")
                if is_negated(text, verb.start()):
                    continue
                if past or not is_general_question(text, verb.start()):
                    swallowed = True
                    break
            after = text[match.end() : match.end() + 30]
            if not verbs and re.match(
                r"^[^.!?]{0,15}\b(was|were|got|has been|have been) (eaten|swallowed)\b", after
            ):
                swallowed = not is_negated(text, match.start())
            if swallowed:
                findings.append(
                    Finding(f"toxin:{toxin.key}", toxin.label, toxin.policy(subject), toxin.advice)
                )
                break
        else:
            if toxin.pattern.search(text):
                mentioned.append(toxin)
    for match in _POISONED.finditer(text):
        if not is_negated(text, match.start()):
            findings.append(
                Finding(
                    "toxin:unknown",
                    "suspected poisoning",
                    Urgency.EMERGENCY,
                    "Bring the packaging or a sample of what was eaten.",
                )
            )
            break
    return findings, mentioned


# --- everyday questions -----------------------------------------------------------------------

TOPICS: Mapping[str, re.Pattern[str]] = {
    "hours": re.compile(
        r"\b(opening|closing|business) (hours|times)\b|\b(are|is) (you|the clinic) (open|closed)\b|"
        r"\bwhen (do|does|are|is) (you|the clinic|it) (open|close)\b|\bwhat time (do|does|are|is)\b|"
        r"\b(your|the|clinic's|clinic) hours\b|"
        r"\bopen (today|tomorrow|now|on)\b"
    ),
    "vaccines": re.compile(
        r"\bvaccin\w*|\bshots\b|\b(rabies|booster|vaccine|annual|yearly|puppy|kitten|flu) shot\b|\bboosters?\b|\bjabs?\b|\brabies\b|\bparvo\b|\bdistemper\b|"
        r"\bdhpp\b|\bfvrcp\b|\bkennel cough\b|\bbordetella\b|\blepto\w*"
    ),
    "fasting": re.compile(
        r"\bfasting\b|\b(to|should|must|need|needs|can) fast\b|\bfast(ed)? (before|for|prior|overnight)\b|\b(eat|food|feed|drink|water|breakfast|dinner)\b[^.?!]{0,40}"
        r"\b(before|prior to|night before)\b[^.?!]{0,30}\b(surgery|operation|an(a)?esthe\w*|spay\w*|"
        r"neuter\w*|castrat\w*|dental|procedure)|\b(surgery|operation|spay|neuter|dental)\b"
        r"[^.?!]{0,40}\b(eat|food|feed|fast)\b"
    ),
    "booking": re.compile(
        r"\bbook\w*|\bappointments?\b|\bschedul\w*|\breserv\w*|\bcheck-?up\b|"
        r"\b(see|visit) (a|the) (vet|doctor)\b|\bcome in\b"
    ),
}

VACCINE_SCHEDULE = (
    "Puppies and kittens usually get their first vaccines at 6-8 weeks, boosters every 3-4 "
    "weeks until about 16 weeks, and another booster at one year; adults are then revaccinated "
    "every 1 to 3 years depending on the vaccine and local rules. The vet confirms the plan for "
    "your pet at the visit."
)
FASTING_GUIDANCE = (
    "Before an anaesthetic most adult dogs and cats should have no food for 8-12 hours "
    "(usually nothing after the evening meal) and may drink water until the morning. Puppies, "
    "kittens, diabetic pets and rabbits have different rules (rabbits must not be fasted), so "
    "always follow the instructions the clinic gave you for your appointment."
)


# --- the emergency clinics near the owner -----------------------------------------------------

#: Search radius for emergency clinics, and how many candidates are checked for opening hours.
EMERGENCY_RADIUS_KM = 100.0
EMERGENCY_CANDIDATES = 25
EMERGENCY_RESULTS = 3

ClinicFinder = Callable[[float, float, datetime], Awaitable[Sequence[NearbyClinic]]]


async def find_open_emergency_clinics(
    session: AsyncSession,
    latitude: float,
    longitude: float,
    *,
    at: datetime,
    radius_km: float = EMERGENCY_RADIUS_KM,
    limit: int = EMERGENCY_RESULTS,
) -> list[NearbyClinic]:
    """Active clinics accepting emergencies, open at ``at``, within ``radius_km``, nearest first.

    The earthdistance GiST index (``ll_to_earth``) finds the nearest candidates; whether each is
    open is then decided in Python from its hours and closures in its own timezone (DST-safe),
    which SQL cannot do for clinics spread over several zones.
    """
    latitude, longitude = validate_coordinates(latitude, longitude)
    at = to_utc(at)
    origin = func.ll_to_earth(literal(latitude, Float), literal(longitude, Float))
    position = func.ll_to_earth(Clinic.latitude, Clinic.longitude)
    distance_m = cast(func.earth_distance(origin, position), Float)
    radius_m = radius_km * 1000.0
    rows = await session.execute(
        select(Clinic, distance_m)
        .options(selectinload(Clinic.operating_hours), selectinload(Clinic.closures))
        .where(
            and_(
                Clinic.accepts_emergencies.is_(True),
                Clinic.status == ClinicStatus.ACTIVE,
                Clinic.not_deleted(),
                func.earth_box(origin, literal(radius_m, Float)).op("@>")(position),
                distance_m <= radius_m,
            )
        )
        .order_by(distance_m, Clinic.id)
        .limit(EMERGENCY_CANDIDATES)
    )
    found: list[NearbyClinic] = []
    for clinic, meters in rows.all():
        if not clinic.is_open_24h:
            hours = business_hours_from_records(
                clinic.timezone, clinic.operating_hours, clinic.closures
            )
            if not hours.is_open(at):
                continue
        found.append(
            NearbyClinic(
                clinic_id=clinic.id,
                name=clinic.name,
                distance_km=round(float(meters) / 1000.0, 1),
                phone=clinic.phone,
                address=", ".join(part for part in (clinic.address_line1, clinic.city) if part),
                is_open_24h=clinic.is_open_24h,
            )
        )
        if len(found) >= limit:
            break
    return found


# --- the provider -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assessment:
    """What triage made of a message: the findings, the overall urgency, the topics asked."""

    urgency: Urgency
    findings: tuple[Finding, ...]
    toxins_asked: tuple[Toxin, ...]
    topics: tuple[str, ...]
    subject: Subject


def assess(message: str, pet: PetRecord | None = None) -> Assessment:
    """Triage one message (pure: no database, no clock)."""
    text = normalise(message)
    subject = subject_of(text, pet)
    findings = [finding for rule in SYMPTOM_RULES if (finding := rule.find(text, subject))]
    toxin_findings, toxins_asked = find_toxins(text, subject)
    findings.extend(toxin_findings)
    topics = tuple(topic for topic, pattern in TOPICS.items() if pattern.search(text))
    urgency = most_urgent([finding.urgency for finding in findings])
    if urgency is not Urgency.INFORMATION:
        # The generic "a health concern" adds nothing next to a named, more serious finding.
        specific = [f for f in findings if f.key != "minor_symptom"]
        findings = specific or findings
    findings.sort(key=lambda f: list(Urgency).index(f.urgency))
    return Assessment(urgency, tuple(findings), tuple(toxins_asked), topics, subject)


def _pet_name(pet: PetRecord | None) -> str:
    return pet.name if pet is not None else "your pet"


def _clinic_actions(clinic: ClinicInfo | None) -> list[SuggestedAction]:
    if clinic is None or clinic.phone is None:
        return []
    return [
        SuggestedAction(
            ActionKind.CALL_CLINIC, f"Call {clinic.name}", clinic.clinic_id, clinic.phone
        )
    ]


def _book_action(clinic: ClinicInfo | None) -> SuggestedAction:
    return SuggestedAction(
        ActionKind.BOOK, "Book an appointment", clinic.clinic_id if clinic else None
    )


def _hours_answer(clinic: ClinicInfo | None) -> str:
    if clinic is None:
        return "Opening hours depend on the clinic; the clinic's page lists them."
    if clinic.is_open_now:
        status = f"{clinic.name} is open now."
    elif clinic.next_opening is not None:
        status = (
            f"{clinic.name} is closed now and opens again {clinic.next_opening:%A %d %B at %H:%M}."
        )
    else:
        status = f"{clinic.name} is closed now."
    if clinic.opening_hours:
        status += " Opening hours: " + "; ".join(clinic.opening_hours) + "."
    return status


def _vaccines_answer(pet: PetRecord | None, now: datetime) -> str:
    if pet is None or not pet.vaccinations:
        known = "" if pet is None else f" I have no vaccinations on {pet.name}'s record."
        return VACCINE_SCHEDULE + known
    today = now.date()
    lines = []
    for vaccination in pet.vaccinations:
        line = f"{vaccination.vaccine_name}: given {vaccination.administered_on.isoformat()}"
        if vaccination.next_due_on is not None:
            state = "overdue since" if vaccination.next_due_on < today else "next due"
            line += f", {state} {vaccination.next_due_on.isoformat()}"
        lines.append(line)
    return f"{pet.name}'s record shows: " + "; ".join(lines) + ". " + VACCINE_SCHEDULE


@dataclass
class TriageProvider:
    """The rule-based provider; ``clinic_finder`` looks up open emergency clinics near a point."""

    clinic_finder: ClinicFinder | None = None
    name: str = field(default=PROVIDER_NAME)

    async def reply(self, context: ChatContext) -> BotReply:
        assessment = assess(context.message, context.pet)
        if assessment.urgency is Urgency.EMERGENCY:
            return await self._emergency(context, assessment)
        if assessment.urgency in (Urgency.URGENT, Urgency.ROUTINE):
            return self._concern(context, assessment)
        return self._information(context, assessment)

    async def _emergency(self, context: ChatContext, assessment: Assessment) -> BotReply:
        emergencies = [f for f in assessment.findings if f.urgency is Urgency.EMERGENCY]
        labels = ", ".join(dict.fromkeys(f.label for f in emergencies))
        parts = [
            f"This sounds like an emergency ({labels}). Please take {_pet_name(context.pet)} "
            "to an emergency vet now, and call ahead so that they are ready.",
            *dict.fromkeys(f.advice for f in emergencies),
        ]
        clinics: Sequence[NearbyClinic] = ()
        if context.latitude is not None and context.longitude is not None:
            if self.clinic_finder is not None:
                clinics = await self.clinic_finder(context.latitude, context.longitude, context.now)
            if clinics:
                listed = [
                    f"{index}. {c.name}, {c.distance_km:.1f} km, {c.address}"
                    + (f", phone {c.phone}" if c.phone else "")
                    + (" (open 24 hours)" if c.is_open_24h else "")
                    for index, c in enumerate(clinics, start=1)
                ]
                parts.append("Emergency clinics open now, nearest first:\n" + "\n".join(listed))
            else:
                parts.append(
                    "I could not find an emergency clinic open near you right now: call your "
                    "nearest animal hospital or emergency line."
                )
        else:
            parts.append("Share your location and I will list the nearest open emergency clinics.")
        actions = [
            SuggestedAction(ActionKind.GO_TO_EMERGENCY, f"Go to {c.name}", c.clinic_id, c.phone)
            for c in clinics
        ]
        actions.extend(_clinic_actions(context.clinic))
        return BotReply(
            urgency=Urgency.EMERGENCY,
            text="\n".join(parts),
            actions=tuple(actions),
            findings=tuple(f.key for f in assessment.findings),
            emergency_clinics=tuple(clinics),
            provider=self.name,
        )

    def _concern(self, context: ChatContext, assessment: Assessment) -> BotReply:
        labels = ", ".join(dict.fromkeys(f.label for f in assessment.findings))
        name = _pet_name(context.pet)
        if assessment.urgency is Urgency.URGENT:
            opening = f"{name[0].upper()}{name[1:]} should be seen by a vet today ({labels})."
            actions = [*_clinic_actions(context.clinic), _book_action(context.clinic)]
        else:
            opening = f"That is worth a check-up ({labels}). Would you like to book a visit?"
            actions = [_book_action(context.clinic), *_clinic_actions(context.clinic)]
        advice = list(dict.fromkeys(f.advice for f in assessment.findings))
        closing = (
            "If the pet gets worse, has trouble breathing, collapses or has a seizure, "
            "go to an emergency clinic at once."
        )
        return BotReply(
            urgency=assessment.urgency,
            text=" ".join([opening, *advice, closing]),
            actions=tuple(actions),
            findings=tuple(f.key for f in assessment.findings),
            provider=self.name,
        )

    def _information(self, context: ChatContext, assessment: Assessment) -> BotReply:
        answers: list[str] = []
        for toxin in assessment.toxins_asked:
            answers.append(
                f"{toxin.label[0].upper()}{toxin.label[1:]}: {toxin.advice} If "
                f"{_pet_name(context.pet)} has eaten any, contact a vet straight away."
            )
        if "hours" in assessment.topics:
            answers.append(_hours_answer(context.clinic))
        if "vaccines" in assessment.topics:
            answers.append(_vaccines_answer(context.pet, context.now))
        if "fasting" in assessment.topics:
            answers.append(FASTING_GUIDANCE)
        if "booking" in assessment.topics or not answers:
            answers.append('I can book an appointment for you: tap "Book" to pick a time.')
        if len(answers) == 1 and not assessment.topics and not assessment.toxins_asked:
            answers.insert(
                0,
                "I can help with opening hours, vaccinations, preparing for surgery and "
                "booking. If your pet seems unwell, describe what you see.",
            )
        actions = [_book_action(context.clinic), *_clinic_actions(context.clinic)]
        actions.append(SuggestedAction(ActionKind.TALK_TO_STAFF, "Talk to the clinic team"))
        return BotReply(
            urgency=Urgency.INFORMATION,
            text=" ".join(answers),
            actions=tuple(actions),
            findings=tuple(f"topic:{topic}" for topic in assessment.topics)
            + tuple(f"toxin_question:{toxin.key}" for toxin in assessment.toxins_asked),
            provider=self.name,
        )


def session_clinic_finder(session: AsyncSession) -> ClinicFinder:
    """A :data:`ClinicFinder` over the database of ``session``."""

    async def finder(latitude: float, longitude: float, at: datetime) -> list[NearbyClinic]:
        return await find_open_emergency_clinics(session, latitude, longitude, at=at)

    return finder


__all__ = [
    "EMERGENCY_RADIUS_KM",
    "PROVIDER_NAME",
    "SYMPTOM_RULES",
    "TOXINS",
    "Assessment",
    "ClinicFinder",
    "Finding",
    "Subject",
    "SymptomRule",
    "Toxin",
    "TriageProvider",
    "assess",
    "find_open_emergency_clinics",
    "find_toxins",
    "is_negated",
    "normalise",
    "session_clinic_finder",
]
