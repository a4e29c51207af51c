"""How Spanish speakers say each sign the red-flag rules (bot.safety.red_flags) look for: a data table.

The lines are added to the English signals of the same name and run in the same single pass over every message;
how they are written (accents optional, words not lemmas, dropped subjects, regional words) is in words_es.py.
"""

from __future__ import annotations

from bot.safety.signals.words_es import (
    BODY_VERB,
    CHEST_FEELING,
    DOSE_WORDS,
    EXCESS,
    MEDICINE,
    NOW_STATE,
    PERSON,
    PUMP_WORDS,
    THIRD_PERSON,
    past_take,
)

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
        # themselves are written once, in bot/wording.py)
        "necesito|necesitamos|llamen|llamar|llama|llamo|marquen|marcar ...2 \\d{3}",
        "ambulancia",
        "es una emergencia|urgencia",
        "labios|cara|boca|uñas ...3 morados|morado|morada|azules|azul|grises|gris",
        "poniendo|puso|pone|volvió|está ...2 morado|morada|azul|gris|grises",
    ],
}
