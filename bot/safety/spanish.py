"""Spanish red flags and dosing requests, written from how Spanish speakers describe them (issue 13).

Why here and not in a Spanish detector: the safety net must not depend on knowing the message's language (a
misdetected, short or Spanglish message is still caught), so these lines are added to the English signals of
the same name (`bot.safety.red_flags.SIGNALS`, `bot.safety.dosing.SIGNAL_LINES`) and run in the same single
pass over every message. Every red-flag category and dosing kind is therefore decided by the one rule a
clinician has already reviewed; only the ways of saying each sign are Spanish.

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

# -- red flags: Spanish lines for the signals of bot.safety.red_flags ----------------------------------------

RED_FLAG_SIGNALS: dict[str, list[str]] = {
    # -- how the message is framed
    "question": [
        # an interrogative after the opening mark: "..., ¿qué significa?"
        "¿ qué|cuál|cuáles|cómo|cuánto|cuánta|cuántos|cuántas|dónde|cuándo|quién|por",
        "qué|q significa|significan|causa|causan|provoca|provocan",
        "quiere|quieren decir",
        "cómo ...1 sé|sabría|sabré|saber|sabes|sabemos|reconozco|reconocer|distingo|distinguir|identifico"
        "|identificar|detecto|detectar|noto",
        "cómo|qué ...1 suena|suenan|sonido",
        "cómo se oye|escucha|ve|siente",
        "cuánto ...1 tiempo|dura|duran|tarda|tardan",
        "cada cuánto",
        "qué tan",
        "con qué frecuencia",
        "por qué",
        "puede|pueden|podría|podrían|suele|suelen|llega|llegan ...5 causar|provocar|dar|producir|afectar"
        "|empeorar|generar|ocasionar|pasar",
        "es|son|será|sería ...3 normal|común|peligroso|peligrosa|grave|seguro|segura|posible|igual|frecuente"
        "|habitual|típico|típica|malo|mala|urgente|emergencia|diferente|relacionado|relacionada",
        "lo mismo",
        "señales|señal|síntomas|síntoma|signos|signo de|que",
        "significa|significado|diferencia|diferencias|definición|explícame|explica|explique|describir",
        "háblame|cuéntame|infórmame|información|info ...2 de|sobre|acerca",
        "alguna vez",
        "algún día",
        "se puede|pueden ...2 tener|dar|pasar|morir|sufrir|desarrollar|presentar",
        "gente|personas|pacientes|alguien|niños|adultos ...3 puede|pueden|tiene|tienen|suele|suelen|sufre|sufren",
        "cuándo debo|debería|tengo|tenemos|hay|llamo|llamar|ir",
        "normalmente|habitualmente|típicamente|usualmente|seguido|frecuentemente",
        "ayudaría|ayuda|sirve|serviría|funciona|funcionaría|conviene ...3 @THERAPY",
        "qué riesgo|riesgos|probabilidad|posibilidad",
        "afecta|afectan|afectaría",
        "qué le|les ...1 digo|decimos|explico|cuento",
        "qué ...2 vigilar|llevar|saber|esperar",
        "saber|entender|conocer|aprender|información ...2 qué|cómo|cuál|cuáles|sobre|acerca|más",
        # how an alarm sounds in general: "¿la alarma de la bomba suena fuerte?", "¿suena cuando se acaba?"
        "suena|suenan|pita|pitan ...2 fuerte|cuando",
        # whom or when a condition affects: "¿la disreflexia solo pasa con lesiones altas?"
        "solo|siempre|también ...1 pasa|pasan|ocurre|ocurren|sucede|suceden|da|dan",
        "pasa|ocurre|sucede ...1 con|en|a ...1 lesiones|personas|gente|pacientes|niños|adultos|todos|quienes",
    ],
    "conditional": [
        "si|antes|hasta|mientras",
        "siempre que",
        "en caso",
        "a menos",
        "por si",
        "alguna vez",
        "algún día",
    ],
    "if_clause": ["si", "en caso", "por si"],
    # Something is happening to someone now: a time, a call for help, someone in some state.
    "happening_now": [
        "ahora|ahorita|hoy|anoche|ayer|actualmente|desde|empezó|empezaron|comenzó|todavía|aún|nuevamente|sigue",
        "otra vez",
        "de nuevo",
        "de repente|golpe|pronto",
        "derepente|repentinamente|súbitamente",
        "en este|estos momento|momentos",
        "esta|este mañana|tarde|noche|semana|madrugada",
        "hace ...2 hora|horas|rato|minutos|días|día",
        "ayúdenme|ayúdame|ayudenme|auxilio|socorro|urgente|urgencia|rápido|porfa|porfavor|xfa|asustada|asustado"
        "|preocupada|preocupado|desesperada|desesperado|angustiada|angustiado",
        "por favor",
        "necesito ayuda",
        "no para",
        "deja|dejan de",
        "creo|pienso|parece ...1 que",
        "qué|q hago|hacemos|hacer",
        "qué|q debo|tengo|puedo ...1 hacer",
        "llevo|lleva|llevamos ...2 días|horas|rato",
        # the progressive is now: "está haciendo", "está sonando", "sigue convulsionando"
        "está|están|estoy|estamos|sigue|sigo|anda|ando \\w+ando|\\w+iendo|\\w+yendo",
    ],
    "person_state": [
        NOW_STATE,
        f"me|le|les|nos|se ...1 {BODY_VERB}",
        # not "tiene": "mi hijo tiene problemas para hablar" tells of a lasting state, not of now
        f"{PERSON} ...2 {NOW_STATE}|no",
    ],
    # -- the baclofen pump and its alarms
    "pump": [
        PUMP_WORDS,
        "intratecal",
        "catéter|cateter|tubo|tubito ...3 bomba|intratecal|espalda|columna",
        "recarga|recargar|recargaron|rellenar|relleno|rellenaron",
    ],
    "pump_device": [PUMP_WORDS],
    "no_pump": ["no ...1 tiene|tengo|tenemos|tienen|lleva|llevo|usa|uso ...1 bomba|bombas", "sin|ni bomba|bombas"],
    "alarm_sounding": [
        "alarma|alarmas|alarmando|alarmó|pitido|pitidos|pitando|pita|pitan|pitó|pitar|pitazo|piteando|bip|bips"
        "|bipea|bipeando|sonando|suena|suenan|sonó|sonar|sonaba|ruido|ruidos|ruidito|sonido|sonidos|chillando|chilla"
        "|chillido|chillidos|sirena|zumbando|zumba|zumbido|timbre|beeping",
        "pi+ pi+",
    ],
    "alarm_active": [
        "pitando|sonando|chillando|zumbando|alarmando|piteando|bipeando|suena|suenan|sonó|pita|pitan|pitó|chilla"
        "|zumba|bipea",
        "hace|haciendo|hizo ...3 ruido|ruidos|alarma|pitido|pitidos|sonido|sonidos|bip|bips|beep|beeps|pi",
        "no para|deja|dejaba ...2 de ...1 sonar|pitar|chillar",
        "no para",
        "no se calla|apaga",
        "empezó|comenzó ...1 a sonar|pitar|chillar",
        "se oye|escucha ...3 alarma|pitido|pitidos|sonido|ruido|bip",
    ],
    "two_tone": [
        "dos|2 tonos|sonidos|pitidos|notas|bips|tipos|timbres|ruidos",
        "tono|sonido|pitido ...1 doble|diferente|distinto",
        "sonidos|tonos|pitidos distintos|diferentes",
        "alto ...2 bajo",
        "agudo ...2 grave",
        "sube y baja",
        "alarma crítica|urgente|roja",
        "despertador",
    ],
    # Not sure which alarm it is: treated as the critical one, as in English.
    "unsure_alarm": [
        "no ...1 sé|sabe|sabemos|entiendo|distingo ...4 qué|cuál|cuáles|si|tipo",
        "ni idea ...4 qué|cuál|si|tipo",
        "cuál alarma|tono|pitido ...2 es|será",
    ],
    "not_two_tone": ["no|ni|nada ...3 dos|2 tonos|sonidos|pitidos"],
    "single_beep": [
        "un|1 solo|único pitido|bip|tono|sonido|pitazo",
        "pitó|sonó|pita|suena ...2 una vez",
        "nivel bajo",
        "poco ...1 medicamento|medicina|medicación|baclofeno|líquido",
        "batería|pila",
        "recordatorio|aviso ...3 recarga|relleno",
        "fecha de ...1 recarga|relleno",
    ],
    "pump_failed": [
        "quedó|está|va ...1 vacía|seca|sin",
        "se ...1 acabó|vació|terminó",
        "dejó de ...1 funcionar|servir|bombear|trabajar",
        "no funciona|sirve|bombea",
        "rompió|roto|rota|descompuso|descompuesta|desconectó|desconectado|desconectada|doblado|tapado|tapada"
        "|bloqueado|bloqueada|falló|fallando",
        "retrasó|atrasó|atrasada|retrasada|perdió|perdí|faltó|pasó ...4 recarga|cita|relleno",
    ],
    # -- withdrawal, overdose
    "withdrawal_sign": [
        "fiebre|calentura|fiebres|febril|afiebrado|afiebrada|temperatura|hirviendo|ardiendo|caliente",
        "sudando|sudor|sudores|suda|temblando|tiembla|tiemblo|temblores|temblor|escalofríos|tiritando",
        "convulsiones|convulsión|convulsionando|convulsiona|convulsionó|ataques",
        "confundido|confundida|confusión|confuso|desorientado|desorientada|delirando|delira|delirio|agitado|agitada"
        "|alucinando|alucina|alucinaciones",
        "no habla ...1 con sentido",
        "cosas sin sentido",
        "muy|bien|súper|super ...1 raro|rara|extraño|extraña",
        "no es|está ...1 él|ella ...1 mismo|misma",
        "rígido|rígida|rígidos|rígidas|rigidez|tieso|tiesa|tiesos|tiesas|engarrotado|engarrotada|engarrotados"
        "|engarrotadas|agarrotado|agarrotada|agarrotados|agarrotadas",
        "duro|dura|duros|duras como",
        "pica|pican|picazón|comezón|picor|picores|rasca|rascarme|rascando|rascarse|rascándose",
        "por las nubes",
        "peor que nunca",
        "espasmos|espasmo|espasticidad|rigidez|tono|piernas ...3 volvieron|volvió|regresaron|peor|peores|fatal"
        "|horribles|terribles|locos|brutales|tremendos|descontrolados",
        "volvió|regresó ...3 golpe|fuerte|todo",
        "ve|veo|vio|ven|viendo|escucha|escucho|escuchando|oye|oigo|oyendo ...3 cosas|voces|gente|bichos|arañas"
        "|animales|personas",
        "que no ...1 están|existen|hay",
    ],
    "stopped_med": [
        "se ...1 me|le|nos ...1 acabó|acabaron|terminó|terminaron",
        "dejé|dejó|dejamos|dejaron|dejado|suspendí|suspendió|paré|paró|quité|quitó|quitaron",
        "olvidé|olvidó|olvidaron|olvidamos|olvidado",
        "sin tomar|tomarlo|tomarla",
        "llevo|lleva|llevamos ...3 sin",
        "quedé|quedó|quedamos|quedaron sin",
        "hace ...3 que no",
        "receta|farmacia|surtir",
        "no ...1 pude|pudo|pudimos ...1 conseguir|comprar|surtir",
        "no había|habia|hay|hubo",
    ],
    "took_too_much": [
        # Without accents "tomó" (took) is "tomo" (I take: "¿me tomo una extra?", "tomo baclofeno dos veces al
        # día", "me tomo todas mis pastillas en la mañana"), so a past taking is read from forms that cannot be
        # present ("tomé", "se tomó", "le di") or from the person who took it ("mi papá tomó el doble").
        *past_take(f"...3 {EXCESS}"),
        f"{THIRD_PERSON} ...2 tomó|tragó ...3 {EXCESS}",
        *past_take("...3 dos|2 veces"),
        *past_take(
            "...2 como|unas|unos|casi|varias|varios ...1 \\d+|cinco|seis|siete|ocho|nueve|diez|quince|veinte|treinta"
        ),
        *past_take(f"...1 todo|toda|todas|todos ...2 {MEDICINE}|frasco|caja"),
        "demasiado|demasiada|demasiados|demasiadas|demás",
        "de más",
        "por error|equivocación|accidente|descuido",
        "sin querer",
        "sin ...1 darme|darse|darnos cuenta",
        "pasó|pasé|pasaron de ...1 dosis|pastillas",
        "empastilló|empastillé|empastillado|empastillada",
        "sobredosis|sobredosificación|intoxicación|intoxicado|intoxicada|envenenamiento",
    ],
    "depressed": [
        "no|apenas ...3 despierta|despiertan|despierto|despertar|despertarlo|despertarla|despertarle|reacciona"
        "|reaccionar|responde|responder|respira|respirar|respirando",
        "casi no ...2 despierta|despertar|reacciona|responde|respira|respirando|mueve",
        # not "desmayada": fainting is its own sign (a faint on tizanidine is not an overdose)
        "inconsciente|desvanecido|desvanecida|comatoso|privado|privada",
        "en coma",
        "sin conocimiento|reaccionar|respirar",
        "respira|respirando|respiración ...3 lento|lenta|lentito|despacio|despacito|poquito|poco|superficial|débil"
        "|entrecortada|ruidosa",
        "labios|labio|boca|uñas ...3 morados|morado|morada|moradas|azules|azul|grises|gris|amoratados",
    ],
    "very_sleepy": [
        "muy|súper|super|demasiado|tan|bien|re ...1 dormido|dormida|adormilado|adormilada|somnoliento|somnolienta"
        "|atontado|atontada|grogui|sedado|sedada|aletargado|aletargada|flojo|floja|zombi",
        "tanto|mucho|muchísimo sueño",
        "no ...2 abrir ...1 los ojos",
        "quedando dormido|dormida",
        "cabeceando|cabecea",
        "mantener|mantenerla|mantenerlo|mantenerme ...2 despierto|despierta",
    ],
    # Asking what to do in an overdose gets the emergency and poison-help steps however it is framed.
    "overdose_help": [
        "qué|cómo ...4 hacer|hago|hacemos|ayudo|ayudar|actuar ...6 sobredosis|intoxicación",
        "en caso de ...3 sobredosis|intoxicación",
        "qué pasa|pasaría|sucede|hago|hacer|hacemos ...1 si|cuando ...5 demasiado|demasiada|demasiadas|demasiados"
        "|sobredosis|doble",
        "si ...4 toma|tomó|toman|tomara|traga|tragó|come|comió ...3 demasiado|demasiada|demasiadas|demasiados",
    ],
    # A child who swallowed someone's medicine: poison help now, even before any sign.
    "child": [
        "niño|niña|niños|bebé|bebito|bebita|nene|nena|chiquito|chiquita|hijo|hija|nieto|nieta|crío|cría|chamaco"
        "|chamaca|chamaquito|peque|pequeño|pequeña|mijo|mija|escuincle",
        "\\d+ año|años",
    ],
    "ingested": [
        f"tragó|comió|comieron|bebió|agarró|chupó|mordió ...3 {MEDICINE}|frasco",
        f"se tomó|tragó ...3 {MEDICINE}|frasco",
    ],
    "new_confusion": [
        "de repente|golpe|pronto ...3 confundido|confundida|desorientado|desorientada|perdido|perdida|confusión",
        "repentinamente ...3 confundido|confundida|desorientado|desorientada",
        "confundido|confundida|desorientado|desorientada ...4 de repente|golpe|pronto",
        "no sabe|reconoce ...2 dónde|quién|nadie",
        "no me|nos|lo|la reconoce",
        "alucinando|alucina|alucinaciones|alucinó|alucinaba|delirando",
        "ve|veo|vio|viendo|oye|oigo|oyendo|escucha|escucho|escuchando ...2 cosas|voces|gente|personas|bichos|arañas"
        " ...3 no|nadie",
    ],
    "dose_increased": [
        "subieron|subió|aumentaron|aumentó|subimos|subí|incrementaron ...3 dosis|bomba|tizanidina|baclofeno"
        "|pastillas|medicina",
    ],
    "medicine": [MEDICINE],
    "opioid": [
        "oxicodona|oxycodona|oxycodone|morfina|tramadol|codeína|fentanilo|fentanil|opioides|opioide|opiáceos|opiáceo"
        "|metadona|hidrocodona|buprenorfina|analgésicos|calmantes|percocet|vicodin|tapentadol",
        "pastillas|medicina|medicinas ...1 para|del ...1 dolor",
    ],
    "sedative": [
        "gabapentina|pregabalina|lyrica|diazepam|diacepam|valium|clonazepam|clonacepam|rivotril|lorazepam|orfidal"
        "|alprazolam|xanax|benzodiacepinas|benzodiazepinas|benzos",
    ],
    "tizanidine": ["tizanidina|tisanidina|sirdalud"],
    "fainting": [
        "desmay\\w*|desvanec\\w*",
        "perdí|perdió|perdio ...1 el ...1 conocimiento|sentido",
        "presión|tensión ...3 baja|bajó|bajísima|bajón|suelos",
        "bajón|bajada de ...1 presión|tensión",
    ],
    # -- botulinum toxin spreading
    "botulinum": ["bótox|bottox|botx|toxina|botulínica|dysport|xeomin|myobloc"],
    "pill_swallowing": [
        "tragar|tragarse|tragarme|pasar|pasarse ...3 pastillas|pastilla|tabletas|tableta|cápsulas|cápsula",
        "pastillas|pastilla|tabletas|cápsulas ...4 tragar|tragarlas|pasar",
    ],
    "swallow_trouble": [
        "no|apenas|dificultad|problemas|problema|cuesta|costando|trabajo ...4 tragar|tragando|traga|comer|beber",
        "atraganta|atragantando|atragantó|atraganto|atragantarse",
        "ahoga|ahogo|atraganta|atraganto ...4 bebo|bebe|come|comer|beber|tragar|comida|agua|líquidos",
        "babea|babeando|babeo|babas",
        "comida|pastillas|agua ...3 atora|atoró|atorada|atasca|atascada|atora",
        "tos|tose|tosiendo|toser ...4 comer|come|beber|bebe|tragar|comida",
        "se le|me va ...2 por otro lado|camino",
    ],
    "breath_trouble": [
        "no|apenas|cuesta|costando|dificultad|problemas|trabajo ...4 respirar|respira|respiro|respirando",
        "falta|faltaba|faltando ...2 aire|aliento",
        "sin aire",
        "me ahogo",
        "se ahoga",
        "ahogando|ahogándose|asfixia|asfixiando|sofoca|sofocando|jadeando|jadea",
        "respiración|respirar ...3 rara|raro|apretada|difícil|lenta|rápida|agitada|extraña|mal|pesada|corta"
        "|entrecortada|ruidosa",
    ],
    "speech_trouble": [
        "no|apenas|cuesta|costando|dificultad|problemas|trabajo ...4 hablar|hablando|pronunciar",
        "arrastra|arrastrando|arrastro|arrastrar ...2 palabras|lengua",
        "habla|hablando ...2 raro|rara|enredado|enredada|trabado|trabada|borracho|borracha|arrastrado|gangoso"
        "|incoherente",
        "no se le|les entiende",
        "no le|les entiendo|entendemos",
        "voz ...3 rara|raro|ronca|débil|cambiada|diferente|apagada|bajita|extraña|gangosa",
        "no me|le|les ...1 salen ...2 palabras",
        "palabras ...3 revueltas|enredadas|mezcladas",
        "dice|diciendo|habla|hablando ...3 sin sentido",
        "dice|diciendo|habla|hablando ...3 incoherencias|tonterías|disparates",
        "traba|trabó ...1 la lengua",
        "lengua trabada",
        "balbucea|balbuceando",
    ],
    "weak_all_over": [
        "débil|débiles|floja|flojo ...3 todo|toda|todos|entero|entera|completo|completa",
        "sin fuerza|fuerzas ...3 todo|toda|todos|entero|entera",
        "no|apenas ...2 sostiene|sostener|aguanta|levanta|levantar|mantiene ...2 la|su ...1 cabeza|cuello",
        "párpados|ojos ...3 caídos|pesados",
        "visión|vista doble",
        "veo|ve doble",
    ],
    # -- infection or spinal fluid leak at the pump or wound
    "wound": [
        "herida|incisión|cicatriz|puntos|grapas|sitio|zona|corte|bulto|vendaje|parche|apósito|piel|costura",
        "donde ...3 bomba|catéter|operaron|operación|cirugía|pusieron|metieron",
        "operación|cirugía|operaron ...3 bomba",
    ],
    "wound_sign": [
        "roja|rojo|rojiza|enrojecida|enrojecido|colorada|colorado|hinchada|hinchado|hinchazón|inflamada|inflamado"
        "|caliente|supura|supurando|pus|infectada|infectado|infección|gotea|goteando|mojada|mojado|húmeda|abierta"
        "|abierto|abrió|amarilla|amarillo|verde|huele|apesta|sangra|sangrando|bulto|líquido|agua|agüita|secreción"
        "|bola|chichón",
        # something coming out is a leak when it is a liquid or the like, not "una alarma que sale de la barriga"
        "sale|salen|saliendo|brota|brotando|escurre ...3 líquido|agua|agüita|pus|sangre|cosa|algo|liquidito",
    ],
    "pump_swelling": [
        "bulto|hinchazón|hinchado|hinchada|bolsa|bola|chichón|líquido|agua|inflamación ...4 alrededor|cerca|debajo"
        "|abajo|encima|arriba|junto|lado|sobre ...3 bomba|catéter",
    ],
    "meningitis_sign": [
        "cuello ...2 rígido|tieso|duro|trabado|engarrotado|agarrotado",
        "dolor de cabeza ...2 horrible|fuerte|terrible|tremendo|insoportable|espantoso|fuertísimo",
        "me|le duele|duelen ...2 la cabeza ...3 mucho|muchísimo|horrible|cuando|al",
        "me|le duele|duelen ...1 mucho|muchísimo|horrible|horrores ...1 la cabeza",
        "cabeza ...4 sentarme|siento|sienta|pararme|paro|levanto|levantarme|sentarse|pararse",
        "luz ...2 molesta|duele|lastima",
    ],
    # -- autonomic dysreflexia
    "sci": [
        "lesión|lesionado|lesionada ...2 medular|médula|espinal|columna",
        "médula espinal",
        "cuadripléjico|cuadripléjica|tetrapléjico|tetrapléjica|parapléjico|parapléjica|cuadriplejia|tetraplejia"
        "|paraplejia|cuadri",
    ],
    "ad_headache": [
        "dolor de cabeza ...2 punzante|palpitante|pulsátil|fuerte|fuertísimo|horrible|terrible|tremendo"
        "|insoportable|espantoso|brutal",
        "peor dolor de cabeza",
        "dolor de cabeza que ...1 late",
        "cabeza ...3 late|latiendo|palpita|palpitando|retumba|explotar|explota|estalla|revienta|reventar|estallar"
        "|martillando|punzadas",
        "me|le ...1 late|palpita|retumba|explota|estalla ...1 la cabeza",
        "me|le duele|duelen ...2 la cabeza ...2 mucho|muchísimo|horrible|horrores",
        "me|le duele|duelen ...1 mucho|muchísimo|horrible|horrores ...1 la cabeza",
        "presión|tensión ...3 alta|altísima|nubes|disparada|subida|\\d{3}",
        "\\d{3} sobre|con \\d{2,3}",
    ],
    "ad_sign": [
        "sudando|sudor|sudada|sudado|sudoroso|sudorosa|suda|sudores|colorado|colorada|enrojecido|enrojecida|manchas",
        "piel de gallina",
        "cara ...2 roja|rojo|colorada|enrojecida|sudada",
        "nariz ...1 tapada|congestionada",
    ],
    "ad_term": ["disreflexia|disrreflexia|hiperreflexia"],
    # -- chest pain and stroke
    "chest_pain": [
        f"pecho|pexo|pechito|tórax ...3 {CHEST_FEELING}",
        f"{CHEST_FEELING} ...4 pecho|pexo|pechito|tórax",
        "agarrando|agarra|agarrándose|sujetando|tocándose|apretándose ...2 pecho",
        "dando|teniendo|creo|parece ...3 infarto|preinfarto",
        "ataque al|del corazón",
        "ataque cardiaco|cardíaco",
    ],
    "face_droop": [
        "cara|boca|labio|labios|ojo|sonrisa|mejilla|rostro|párpado ...3 caída|caído|torcida|torcido|chueca|chueco"
        "|ladeada|ladeado|colgando|colgada|dormida|dormido|adormecida|entumida|entumecida|desviada|paralizada|floja",
        "cayó|cae|cayendo|durmió|adormeció|entumió|torció|paralizó ...3 cara|boca|labio|mitad|lado|medio|media",
        "no puede|puedo ...2 sonreír",
    ],
    "sudden_weakness": [
        "de repente|golpe|pronto ...4 débil|dormido|dormida|fuerza|flojo|floja|entumido|paralizado|pesado|muerto"
        "|puede|puedo|mueve",
        "repentinamente ...4 débil|dormido|dormida|fuerza|flojo|floja",
        "no puede|puedo|podía ...2 levantar|mover|alzar ...3 brazo|pierna|lado|mano|piernas|brazos",
        "brazo|pierna|lado|mano ...3 quedó|puso|fue|durmió ...2 débil|flojo|floja|fuerza|dormido|dormida|muerto"
        "|muerta|colgando|inmóvil",
        "brazo|pierna|lado|mano ...2 sin fuerza",
        "brazo|pierna|lado|mano ...2 dormido|dormida|entumido|entumida|paralizado|paralizada",
        "no veo|ve ...1 bien|nada",
        "no siento|siente ...3 brazo|pierna|lado|cara|mano|mitad",
        "perdí|perdió ...2 vista|visión",
    ],
    "stroke_now": [
        "está|estar ...1 teniendo|dando ...2 derrame|ictus|embolia|acv|trombosis",
        "otro derrame|ictus|embolia|acv",
        "creo|parece|miedo|preocupa|quizás|quizá ...4 derrame|ictus|embolia|acv",
    ],
    # -- suicidal thoughts and self-harm
    "self_hurt": ["lastimarme|lastimarse|autolesionarme", "me|se ...1 lastimé|lastimó|lastimado|lastimada|lastimo"],
    "accident": [
        "caí|caída|caer|cayó|caigo|resbalé|resbaló|tropecé|tropezó|golpeé|golpe|golpeó|pegué|pegó|choqué|accidente",
    ],
    "suicidal": [
        "matarme|matarse|suicid\\w*|suisid\\w*|sucid\\w*|autolesion\\w*",
        "me mato",
        "me|se ...1 voy|va|quiero|quiere ...2 matar",
        "quitarme|quitarse|kitarme|kitarse|quitarle|quitar ...1 la vida",
        "me|se ...1 quito|quita ...1 la vida",
        "no ...1 quiero|kiero|quiere|queremos ...2 vivir|existir|despertar|despertarme",
        "no quiero|kiero|quiere seguir viviendo|aquí",
        "quiero|kiero|quiere|quisiera|ganas|deseo|ojalá ...3 morir|morirme|morirse|muerto|muerta|desaparecer",
        "acabar|terminar con ...1 mi|su|la ...1 vida",
        "acabar|terminar con todo",
        "no vale|merece ...2 la pena ...2 vivir|seguir",
        "no tiene ...1 sentido ...2 vivir|seguir|viviendo",
        "qué|q sentido tiene ...2 vivir|seguir|vida",
        "para qué|q ...1 vivir|viviendo",
        "no tengo|hay ...2 razón|razones|motivo|motivos ...2 para vivir|seguir",
        "mejor|mejores ...2 sin mí",
        "mejor ...2 muerto|muerta|morirme|morir",
        "cansado|cansada|harto|harta ...1 de ...1 vivir|vida",
        "ganas|quiero|quiere|quisiera|voy|va|pienso|pensando|impulso|tentación ...3 hacerme|hacerse daño",
        "ganas|quiero|quiere|quisiera|voy|va|pienso|pensando|impulso|tentación ...3 lastimarme|lastimarse|lastimar"
        "|cortarme|cortarse|quemarme|quemarse",
        "he|hemos estado haciendo|haciéndome daño",
        "haciéndome|haciéndose daño",
        "volví|vuelvo|vuelto|vuelve|volvió a ...1 cortar|cortarme|lastimar|lastimarme|hacerme",
        "tirarme|aventarme|lanzarme|botarme|tirarse|aventarse ...3 puente|edificio|ventana|metro|tren|balcón|azotea"
        "|vías|carro|coche",
        "ahorcarme|colgarme|ahorcarse|colgarse",
        f"guardando|guardado|juntando|juntado|ahorrando|acumulando ...3 {MEDICINE}",
        "tomármelas|tomármelos|tomarme|tragarme|tomar ...2 todas|todos|todo ...2 juntas|juntos|vez|golpe",
        "nadie ...3 extrañaría|extrañara|notaría|importo|importa",
        "si me ...1 muero|muriera|desaparezco|desapareciera",
        "si no ...1 estuviera|existiera",
        "a propósito",
        "no despertar|despertarme ...1 nunca|jamás|más",
        "dormir|dormirme|dormirse ...1 para siempre",
        "quisiera|quiero|quiere|ojalá|ganas|prefiero|prefería ...2 no ...1 despertar|despertarme|despierte|existir"
        "|vivir|estar",
        "dormir|dormirme|dormirse ...3 no ...1 despertar|despertarme|despierte",
        "no quiero|quiere|queremos estar ...1 aquí|vivo|viva",
        "no tiene ...1 caso ...2 vivir|seguir|viviendo|vida",
        "irme|irse ...1 de ...1 este ...1 mundo",
        "ojalá ...3 muera|muriera|muerto|muerta",
        "me|se ...1 hago|hace|hice|hizo|hacía ...1 cortes|cortadas|cortaditas|heridas|quemaduras",
        "he|ha ...1 hecho ...1 cortes|cortadas|cortaditas|heridas|quemaduras",
        "cortes|cortadas|cortaditas ...2 en ...2 brazos|brazo|piernas|pierna|muñecas|muñeca|piel",
        "no ...3 sentido ...3 vida|vivir|viviendo",
        "mejor ...1 me ...1 muero|moriría|muriera",
        "soy|seré|sería ...1 una carga",
        "pienso|pensando|pensé|quiero|voy|ganas ...3 tomarme|tragarme|tomar ...2 todas|todos|todo ...1 las|los|mis"
        f" ...1 {MEDICINE}",
    ],
    # Cutting oneself is self-harm, unless what is cut is a tablet, nails or hair (see CUT_OBJECT).
    "self_cut": [
        "me|se ...1 corto|corté|corta|cortó|cortando|cortaba",
        "cortarme|cortarse ...2 los|las|el|la ...1 brazos|brazo|piernas|pierna|muñecas|muñeca|venas|piel",
        "me he ...1 cortado",
    ],
    "cut_object": [f"{MEDICINE}|{DOSE_WORDS}|uñas|uña|pelo|cabello|mitad|dedo|papel|cuchillo|comida|carne"],
    # -- anything else that needs an ambulance
    "general_emergency": [
        "convulsionando|convulsiona|convulsionó",
        "teniendo|tiene|tuvo|da|dio|dan|dando ...2 convulsiones|convulsión|crisis",
        "ataque epiléptico",
        "crisis convulsiva|epiléptica",
        "inconsciente|desplomó|desplomado|desplomada",
        "no respira|respirando",
        "dejó de respirar",
        "necesito|necesitamos|llamen|llamar|llama|manden|mande|pidan ...2 ambulancia|paramédicos|emergencias|urgencias",
        # "llamen al ...", "llamo al ...": a three-digit number to call is an emergency number (the numbers
        # themselves are written once, in bot/replies.py)
        "necesito|necesitamos|llamen|llamar|llama|llamo|marquen|marcar ...2 \\d{3}",
        "ambulancia",
        "es una emergencia|urgencia",
        "labios|cara|boca|uñas ...3 morados|morado|morada|azules|azul|grises|gris",
        "poniendo|puso|pone|volvió|está ...2 morado|morada|azul|gris|grises",
    ],
}

# -- dosing: Spanish lines for the signals of bot.safety.dosing (placeholders as there) -------------------

DOSING_SIGNAL_LINES: dict[str, list[str]] = {
    # The pump is spelt out here ({PUMP} is the English pump): a Spanish request about "la bomba" acts on it.
    "drug": [PUMP_WORDS],
    "unit_amount": [f"\\d+(?:[.,]\\d+)? {UNIT}"],
    # The person asking, or someone they care for; Spanish drops the subject, so a first-person verb counts.
    "person": [
        PERSON,
        "me|mí|conmigo|nosotros|nosotras|nos|nuestro|nuestra|le|les|ella",
        "debo|debería|puedo|podría|podemos|debemos|necesito|quiero|tomo|doy|dejo|subo|salto|parto|vuelvo"
        "|retomo|reinicio|empiezo|cambio|aumento|reduzco|mezclo|combino|estoy|tengo|llevo|tomé|dejé",
        # "le subo", "le bajo" (not "bajo" alone, which is also "low": "nivel bajo")
        "me|le|les ...1 subo|bajo",
        "bien|vale|permitido|recomiendas|recomienda|recomiendan|aconsejas|aconseja|sugieres|sugiere",
        "hoy|ahora|ahorita|mañana",
        "para ...1 un|una ...2 adulto|niño|niña|persona|mujer|hombre|\\d+",
        "de \\d+ años",
        "\\d+ kilos|kg",
    ],
    # -- asking for an amount ---------------------------------------------------------------------------
    "how_much": [
        "cuánto|cuánta|cuántos|cuántas|kanto|kuanto ...2 {OBJ}",
        "{MED} ...2 cuánto|cuánta|cuántos|cuántas",
        f"cuánto|cuánta|cuántos|cuántas|kanto ...4 {TAKE}|debo|puedo|pongo|poner|toma|tome",
    ],
    "how_much_take": [f"cuánto|cuánta|cuántos|cuántas|kanto ...4 {TAKE}|toma|tome"],
    "not_amount": [
        # how often, not how much: "¿cada cuánto ponen el botox?"
        "cada cuánto|cuánta|cuántos|cuántas",
        "cuánto|cuánta|cuántos|cuántas ...4 cuesta|cuestan|costar|vale|valen|precio|pagar|pesa|pesan|pesar|veces|años"
        "|meses|semanas|días|horas|minutos|tiempo|tarda|tardan|dura|duran|inyecciones|recargas|operaciones|sesiones"
        "|citas|pacientes|personas|gente|kilos|agua|líquidos|café|alcohol|leche|mide|miden|baja|bajan|sube|ayuda"
        "|sirve|mejora|fisio|fisioterapia|terapia|estiramientos|ejercicio|ejercicios|férula|férulas|yeso|yesos",
        "decide|deciden|decidir|calcula|calculan|calcular|elige|eligen|escoge|determina|determinan ...3 cuánto"
        "|cuánta|cuántos|cuántas|qué|cuál",
    ],
    "dose_of": [
        "qué|cuál|cuáles dosis|cantidad|concentración|miligramos|mg",
        "cuál|cuáles es|son ...1 la|las ...1 dosis|cantidad",
    ],
    "which_dose": [
        "qué|cuál|correcta|adecuada|mejor|ideal|buena|indicada ...3 dosis|cantidad|mg|miligramos",
    ],
    "amount_adjective": [
        "dosis|cantidad|mg ...2 máxima|máximo|mínima|correcta|adecuada|normal|habitual|recomendada|segura|inicial"
        "|usual|ideal|mejor|tope|límite|estándar|infantil|pediátrica|adulta",
        "máximo|máxima|tope|límite ...2 de ...1 {MED}",
    ],
    "capacity": ["cabe|caben|capacidad|contiene|reservorio|depósito|tanque"],
    "dose_for_person": [
        "dosis|cantidad|mg|miligramos ...4 para ...1 mí|ella|nosotros|un|una|alguien|adulto|adultos|niño|niña"
        "|niños|mujer|hombre|persona|\\d+",
        "dosis|cantidad|mg|miligramos ...4 para mi ...1 hijo|hija|mamá|papá|esposo|esposa|marido|mujer|niño|niña"
        "|abuelo|abuela|bebé|edad|peso",
        "mi|su|sus|nuestra dosis|cantidad",
        "{MED} ...1 es|son|será|sería ...1 suficiente|bastante|mucho|demasiado|poco",
        "{MED} suficiente|bastante|demasiado",
        "dosis|cantidad ...3 es|está|sería ...1 bien|correcta|segura|suficiente|mucha|poca|demasiada|alta|baja",
    ],
    "explicit": [
        "dime|dígame|dame|deme|ponme|escríbeme|mándame|decime ...3 la|el|los|las|cuántos|cuánto|cuántas|cuánta"
        " ...2 mg|miligramos|dosis|número|cantidad|cuánto|cuántos|ml|unidades",
        "dime|dígame|dame|deme|decime ...2 cuánto|cuántos|cuántas|cuánta",
        "dime|dígame|dame|deme|decime ...2 qué|cuál dosis|cantidad",
        "solo|nomás ...3 el|la|un ...1 número|dosis|mg|cantidad",
        "cuántos|cuántas|kuantos miligramos|mg|ml|mililitros|unidades|mcg|gotas|cucharadas|cucharaditas|sprays"
        "|disparos|aplicaciones",
    ],
    "amount": [
        f"\\d+(?:[.,]\\d+)? {UNIT}",
        f"{NUMBER} {{OBJ}}",
        f"{NUMBER} de [mis|sus|las|los|estas|esas] {{OBJ}}",
        "\\d+ veces",
        "cada \\d+|pocas|dos|tres|cuatro|seis|ocho|doce ...1 horas|días",
    ],
    "daily_amount": ["\\d+|dos|tres|cuatro|cinco|seis|ocho al|por|cada día|noche|semana"],
    # -- acting on a medicine or its dose -------------------------------------------------------------------
    "change_dose": [
        # a change verb whose object is the medicine or its dose: "doblar la dosis", "partir las pastillas"
        f"{CHANGE_VERB} ...2 {{OBJ}}",
        f"{CHANGE_VERB} ...2 cantidad|número ...2 {{OBJ}}",
        # more, less, another, double, half: "¿me tomo otra?", "¿le doy una pastilla más?", "tomo menos"
        f"{TAKE} ...3 más|menos|extra|otra|otro|doble|mitad|media|medio|adicional",
        # adjacent: "¿me tomo dos?", not "tomo baclofeno dos veces al día"
        f"{TAKE} dos|tres|cuatro|\\d+|ambas|ambos",
        "{OBJ} ...1 más|extra|adicional",
        "media|medio|mitad ...1 de|del ...1 {OBJ}",
        "media|medio {OBJ}",
        "{OBJ} ...2 a|por|en ...1 la ...1 mitad",
        # when: "más temprano", "ahora", "esta noche", "con la comida", "¿a qué hora?", "¿cada cuánto?"
        f"{TAKE} ...4 temprano|ahora|ahorita|ya|juntas|juntos",
        f"{TAKE} ...4 más temprano|tarde",
        "{OBJ} ...4 más temprano|tarde",
        f"{TAKE} ...4 otra vez",
        f"{TAKE} ...4 esta noche",
        f"{TAKE} ...4 con|sin|antes|después ...3 comer|comida|comidas|desayunar|desayuno|cenar|cena|dormir|acostarme",
        f"qué hora ...3 {TAKE}",
        f"cada cuánto ...3 {TAKE}",
        f"cuántas veces ...4 {TAKE}",
        # someone else's medicine: "¿le puedo dar de mis pastillas a mi hijo?"
        "prestar|prestarle|presto|compartir|comparto|pedirle ...3 {OBJ}",
        f"{TAKE} ...1 de ...1 mis|sus|tus ...1 {{OBJ}}",
        # the pump: "¿puedo subirle a la bomba?", "ajustar la bomba"
        "subirle|subir|bajarle|bajar|ajustar|ajusto|ajustarle|aumentar|aumentarle|reducir|reducirle|programar"
        f"|reprogramar ...3 {PUMP_WORDS}",
        f"le|me subo|bajo ...3 {PUMP_WORDS}",
    ],
    "stop_dose": [
        f"{STOP_VERB} ...2 {{OBJ}}",
        f"apagar|apago|apagarle|desconectar|desconecto|parar|paro|detener ...2 {PUMP_WORDS}",
        f"dejar|dejo|dejé|dejaré ...1 de ...1 {TAKE}",
        "estar|quedarme|quedarse|aguantar|vivir|intentar|probar|pasar ...3 sin ...2 {OBJ}",
        "ya no ...2 necesito|necesita|quiero|quiere|tomar|tomo ...2 {OBJ}",
        "poco a poco",
        "de a poco",
        "gradualmente",
        "ir bajando|quitando|dejando",
        "de golpe|sopetón|jalón",
        "en seco",
        "o ...2 lo|la|las|los ...1 dejo|suspendo|paro|quito",
        "seguir|sigo|continuar|continúo ...2 tomando|dándole|con ...2 {OBJ}",
    ],
    "restart_dose": [
        "volver|vuelvo|volvemos|regresar|regreso ...1 a ...1 tomar|tomarme|tomarlo|tomarla|tomarlas|darle|usar"
        "|empezar|ponerme|ponerle|iniciar",
        "reiniciar|reinicio|retomar|retomo|reanudar|reanudo|recomenzar ...3 {OBJ}",
        "empezar|empiezo|comenzar|comienzo|iniciar|inicio ...3 otra vez",
        "empezar|empiezo|comenzar|comienzo|iniciar|inicio ...3 de nuevo",
        "empezar|empiezo|comenzar|comienzo|iniciar|inicio ...3 nuevamente",
        "donde lo|la|las|los ...1 dejé|dejamos",
        f"retomar|reiniciar|reanudar ...3 {PUMP_WORDS}",
    ],
    "take_request": [
        f"debo|debería|puedo|podría|podemos|debemos|puede|seguro|bien|conviene|recomiendas|recomiendan ...3 {TAKE}"
        " ...2 {OBJ}",
        # a question that opens with taking or giving it: "¿le doy el baclofeno antes o después de comer?"
        "¿ me|le|les ...1 doy|tomo|damos|pongo ...2 {OBJ}",
    ],
    "circumstance": [
        "mientras|cuando|si ...1 tomo|estoy|estando|tomando",
        "manejar|manejando|conducir|conduciendo|viajar|viajando|viaje|avión|vuelo|aeropuerto|extranjero|vacaciones"
        "|maleta|aduana|escuela|colegio|guardería|trabajo|hospital",
    ],
    "advice_change": [
        "debería|deberían|habría|tendría|tendrían|conviene ...3 subir|bajar|aumentar|reducir|cambiar|ajustar ...2"
        " {OBJ}",
    ],
    "implied_dose": [
        f"{TAKE} ...1 doble|mitad|otra|otro|dos|extra",
        "tomármela|tomármelas|tomármelo|tomármelos|tomarla|tomarlas|tomarlo|tomarlos|dársela|dárselas|dárselo"
        "|partirla|partirlas|doblarla|dejarla|dejarlas|dejarlo|suspenderla|suspenderlo|quitármela|retomarla"
        "|retomarlo",
        "de golpe",
        "en seco",
        "dejar|dejo ...1 de ...1 tomar|tomarla|tomarlas|darle",
        "las|los mías|suyas|suyos",
    ],
    "two_together": [
        # not "más": "una pastilla más de baclofeno" is one more tablet, not a second medicine
        "{MED} ...3 con|y|e|junto|juntos|juntas|además ...3 {MED}",
        f"{TAKE} ...1 también|además ...3 {{MED}}",
    ],
    "mix_verb": [
        "mezclar|mezclo|mezclarlo|mezclarla|mezclarlos|combinar|combino|combinarlo|juntos|juntas|junto|juntar"
        "|interactúa|interactuar|interactúan|interacción|interacciones",
        "a la vez",
        "al mismo tiempo",
    ],
    # Mixing two medicines is taking them together: "¿se puede mezclar la tizanidina con el cipro?"
    "take": [TAKE, "mezclar|mezclarlos|mezclarlas|mezclo|combinar|combinarlos|combinarlas|combino|juntar"],
    "asks_self": [
        "debo|debería|puedo|podría|podemos|debemos|tomo|doy|dejo|retomo|reinicio|vuelvo|salto|subo|quito"
        "|parto|cambio|aumento|reduzco|suspendo|mezclo|combino",
    ],
    "owned": ["mi|mis|su|sus|nuestro|nuestra|nuestros|nuestras ...2 {OBJ}", f"mi|su ...2 {PUMP_WORDS}"],
    "general_only": [
        "qué pasa|pasaría|sucede|ocurre",
        "es|sería ...2 peligroso|peligrosa|malo|mala|riesgoso|riesgosa|arriesgado|dañino|grave",
        "uno|alguien|gente|personas|pacientes ...2 deja|dejan|empieza|empiezan|para|paran|suspende|suspenden",
        "no se ...1 debe|puede ...1 dejar|suspender|parar",
        "{CLINICIAN} ...2 quiere|quieren|dijo|dice|dicen|va|van|decidió|sugirió|planea|piensa ...1 a|que|cambiarme"
        "|subirme|bajarme|quitarme|cambiar|subir|bajar",
    ],
}
