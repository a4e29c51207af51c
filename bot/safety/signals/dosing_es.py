"""How Spanish speakers ask for personal dosing advice (bot.safety.dosing): a data table.

The lines may use the placeholders of dosing_en.py (`{MED}`, `{OBJ}`, `{CLINICIAN}`), whose alternatives hold the
Spanish words too; they are added to the English signals of the same name and run in the same single pass.
"""

from __future__ import annotations

from bot.safety.signals.words_es import CHANGE_VERB, NUMBER, PERSON, PUMP_WORDS, STOP_VERB, TAKE, UNIT

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
