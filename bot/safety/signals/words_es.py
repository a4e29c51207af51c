"""The Spanish words the safety net's Spanish lines are made of, and the Spanish names of terms (issue 13).

Why Spanish lines and not a Spanish detector: the safety net must not depend on knowing the message's language
(a misdetected, short or Spanglish message is still caught), so the Spanish lines (red_flags_es.py, dosing_es.py)
are added to the English signals of the same name (`bot.safety.red_flags.SIGNALS`,
`bot.safety.dosing.SIGNAL_LINES`) and run in the same single pass over every message. Every red-flag category
and dosing kind is therefore decided by the one rule a clinician has already reviewed; only the ways of saying
each sign are Spanish.

How the lines are written, for a reviewer:

- accents are optional (bot.safety.matching folds message and pattern): "después" also matches "despues";
- words, never lemmas: the Spanish lookup lemmatizer is POS-blind (bomba -> bombo, alarma -> alarmar);
- Spanish drops the subject, so "someone is in this state now" comes from verb forms ("está", "no respira",
  "se le cayó") rather than from pronouns; object pronouns stick to the verb ("quitarme la vida",
  "tomármelas", "subirle"), so those forms are spelt out;
- words from Spain, Mexico, the US and the Caribbean ("ictus", "derrame", "embolia"; "tieso", "engarrotado";
  "calentura"; "pitar", "chillar"; "nene"; "chueca") and common misspellings ("vomba", "kiero", "pexo");
- the terminology (content/terminology.yml) is English, so Spanish names of its terms are spelt here; a line
  under `@<term id>` (SPANISH_TERMS) counts as that term in the rules ("abstinencia" is `@withdrawal`).

A message framed as a general question ("¿qué es la abstinencia de baclofeno?") is answered, not flagged,
exactly as in English; Spanish questions often lack the "¿" and start with "que", so QUESTION_OPENING
reads how the message opens.
"""

from __future__ import annotations

import re

# -- words the lines are made of ------------------------------------------------------------------------

# Someone the writer cares for, or the writer (the subject is often dropped: see person_state).
PERSON = (
    "yo|mi|mis|su|sus|hijo|hija|hijito|hijita|mamá|mami|madre|papá|papi|padre|esposo|esposa|marido|mujer|pareja"
    "|novio|novia|niño|niña|nene|nena|bebé|abuelo|abuela|hermano|hermana|nieto|nieta|mijo|mija|mom|dad"
)
# A state someone is in now: "está", "anda", "sigue" (folded, "esta" also reads "this", as in "esta noche").
NOW_STATE = "estoy|está|están|estamos|anda|ando|andan|sigue|sigo|siguen"
# What happened to someone's body, with the pronoun that says to whom: "se le cayó", "me duele", "le late".
BODY_VERB = (
    "duele|duelen|dolió|pica|pican|late|cuesta|costó|falta|faltó|sale|salen|salió|puso|pusieron|pone|quedó"
    "|quedaron|cayó|cae|durmió|fue|va|acabó|acabaron|olvidó|tapó|rompió|desmayó|torció|subieron|dio|dieron"
)
# Spanish spellings and Spanish-speaking countries' brands; the English names ("baclofen", "valium", "dysport")
# are terms of the terminology already, and "baclofen" must stay part of the term "baclofen pump".
MEDICINE_NAMES = (
    "baclofeno|baclofenos|vaclofeno|vaclofen|tizanidina|tisanidina|dantroleno|diacepam|clonacepam|orfidal"
    "|alprazolam|gabapentina|pregabalina|marihuana|clonidina|carbamazepina|oxcarbazepina|bottox|toxina|ibuprofeno"
    "|acetaminofén|aspirina|naproxeno|metamizol|nolotil|melatonina|codeína|oxicodona|morfina|fentanilo"
    "|ciprofloxacino|ciprofloxacina|fluvoxamina|antidepresivo|antidepresivos|sertralina|amitriptilina|duloxetina"
    "|fluoxetina|antibiótico|antibióticos|analgésico|analgésicos|calmante|calmantes|antihistamínico"
    "|antihistamínicos|zopiclona|oxibutinina|prednisona|prednisolona|insulina|warfarina|relajante|relajantes"
)
MEDICINE_FORMS = (
    "medicina|medicinas|medicamento|medicamentos|medicación|pastilla|pastillas|pastillita|pastillitas|tableta"
    "|tabletas|cápsula|cápsulas|píldora|píldoras|jarabe|remedio|remedios|comprimido|comprimidos|inyección"
    "|inyecciones|parche|parches"
)
MEDICINE = f"{MEDICINE_NAMES}|{MEDICINE_FORMS}"
DOSE_WORDS = (
    "dosis|miligramos|miligramo|mililitros|mililitro|microgramos|unidades|gotas|cucharada|cucharadas|cucharadita"
    "|cucharaditas|jeringa|jeringas|velocidad"
)
PUMP_WORDS = "bomba|bombas|vomba|vonba|bonba|bombita"
CLINICIAN_WORDS = (
    "médico|médica|doctor|doctora|neurólogo|neuróloga|fisio|fisioterapeuta|enfermera|enfermero|especialista"
    "|terapeuta|equipo|clínica|fisiatra|rehabilitador"
)
# Units and numbers of a dose amount ("2,5 ml", "tres pastillas"). "Una" and "media" are not here: "una
# dosis" and "media hora" are not amounts; "media pastilla" is a change of dose (see change_dose).
UNIT = (
    "miligramos?|mililitros?|microgramos?|unidades|pastillas?|pastillitas?|tabletas?|cápsulas?|píldoras?|gotas?"
    "|sprays?|disparos|aplicaciones|cucharadas?|cucharaditas?|gramos?"
)
NUMBER = "\\d+(?:[.,]\\d+)?|dos|tres|cuatro|cinco|seis|siete|ocho|diez|doce|quince|veinte|treinta"
# Someone other than the writer, who may have taken a medicine ("mi papá tomó el doble").
THIRD_PERSON = (
    "papá|mamá|papi|mami|padre|madre|hijo|hija|esposo|esposa|marido|mujer|pareja|abuelo|abuela|abuelito|abuelita"
    "|niño|niña|nene|nena|bebé|hermano|hermana|nieto|nieta|ella"
)
# Taking or giving in the past, in forms that cannot be read as the present once accents are gone ("tomó" is
# left out: it folds to "tomo", I take), each followed by the rest of a line; "se tomó" is the past too.
PAST_TAKE = "tomé|tomaste|tomaron|tragué|tragaron|comió|comí|comieron|bebió|di|dio|dieron|dimos|diste"


def past_take(rest: str) -> list[str]:
    """The lines for "took/gave, then `rest`": "tomé el doble", "se tomó el doble", "le dieron dos veces"."""
    return [f"{PAST_TAKE} {rest}", f"se tomó|tragó|comió {rest}"]


EXCESS = (
    "doble|extra|tira|caja|frasco|bote|puño|puñado|montón|bastantes|muchas|muchísimas|blíster|paquete|entera|entero"
)
# How chest pain is told, before or after "pecho": "me oprime el pecho", "el pecho me arde".
CHEST_FEELING = (
    "dolor|duele|duelen|doliendo|dolía|presión|opresión|oprime|oprimen|oprimido|oprimida|oprimiendo|aprieta"
    "|aprietan|apretado|apretada|apretando|apretón|pesado|pesada|peso|ardor|arde|quema|quemazón|punzada|punzadas"
    "|piquete|piquetes|molestia|molestias"
)
# Verbs that ask to take or give a medicine, in the forms people ask with (not "toma"/"tomando", which describe
# what someone takes: "mi mamá toma tizanidina y tiene la boca seca").
TAKE = (
    "tomar|tomo|tomé|tomarme|tomarle|tomarse|tomamos|tomármela|tomármelas|tomármelo|tomármelos|tomarla|tomarlas"
    "|tomarlo|tomarlos|dar|darle|darles|doy|damos|dárselo|dárselas|dársela|usar|uso|echarme|echo|ponerme|ponerle"
    "|aplicarme|aplico"
)
# Verbs that change a dose when their object is a medicine or a dose ("doblar la dosis", "partir las pastillas").
CHANGE_VERB = (
    "doblar|doblo|doblarle|duplicar|duplico|triplicar|partir|parto|partirla|partirlas|cortar|corto|dividir"
    "|aumentar|aumento|aumentarle|aumentarme|subir|subo|subirle|subirme|bajar|bajo|bajarle|bajarme|reducir"
    "|reduzco|reducirle|reducirme|disminuir|disminuyo|ajustar|ajusto|cambiar|cambio|cambiarle|cambiarme|saltar"
    "|saltarme|salto|saltarle|brincarme|omitir|omito|espaciar|adelantar|adelanto|atrasar|atraso|retrasar"
    "|modificar|modifico|sustituir|reemplazar"
)
STOP_VERB = (
    "dejar|dejo|dejarle|dejarlo|dejarla|dejarlas|suspender|suspendo|suspenderle|suspenderlo|suspenderla|parar"
    "|paro|quitar|quitarme|quitarle|quito|retirar|retirarme|retirarle|retiro|abandonar|interrumpir|descontinuar"
)
OPENING_INTERROGATIVES = "que|q|cual|cuales|como|cuanto|cuanta|cuantos|cuantas|donde|cuando|quien|por que"

# A sentence opens like a question: "que es la abstinencia", "¿como se rellena la bomba?" (read folded). Any
# sentence, not only the first: the conversation reads a message again as "<treatment>: <message>". Only at the
# very start is "porque" read as "por qué" (mid-message it is "because").
QUESTION_OPENING = re.compile(
    rf"(?:^[¿¡\s]*(?:{OPENING_INTERROGATIVES}|porque)|[.:;!?¿¡]\s*(?:{OPENING_INTERROGATIVES}))\b"
)
# "¿Por qué...?" asks for a reason (the dosing detector's "explanation"); "¿por qué no...?" may be a request.
EXPLANATION_OPENING = re.compile(r"^[¿\s]*(?:por que|porque|por q)\b(?! no\b)")

# Spanish names of terminology terms: a match counts as the term itself in the rules (`signals.has("@id")`).
SPANISH_TERMS: dict[str, list[str]] = {
    "@baclofen": ["baclofeno|baclofenos|vaclofeno|vaclofen|baclofén"],
    "@baclofen-pump": [PUMP_WORDS],
    "@tizanidine": ["tizanidina|tisanidina"],
    "@dantrolene": ["dantroleno"],
    "@gabapentin": ["gabapentina"],
    "@botulinum-toxin": ["toxina botulínica|botulinica", "bótox|bottox"],
    "@withdrawal": ["abstinencia|abstinencias"],
    "@overdose": ["sobredosis|sobredosificación|intoxicación|intoxicado|intoxicada"],
    "@drowsiness": ["somnolencia|somnoliento|somnolienta|modorra"],
}

# The Spanish term names that name a therapy (the dosing refusal picks its general passage by therapy).
THERAPY_TERMS: frozenset[str] = frozenset(
    {"@baclofen", "@baclofen-pump", "@tizanidine", "@dantrolene", "@gabapentin", "@botulinum-toxin"}
)
