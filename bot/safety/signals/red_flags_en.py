"""How people say, in English, each sign the red-flag rules (bot.safety.red_flags) look for: a data table.

Each signal is a list of patterns in the notation of bot.safety.matching, one readable line per way of
saying it, so a clinician can review them and a missed emergency is fixed by adding a line and a test message.
"""

from __future__ import annotations

from bot.safety.matching import IS, NOT

PERSON = "i|he|she|they|we|it|my|his|her|their|our|son|daughter|mum|mom|mam|dad|wife|husband|boy|girl|child|kid|baby"
INTENSE = "very|really|so|too|extremely|super|terribly|incredibly|unusually|abnormally"

# Signal name -> patterns (notation in bot/safety/matching.py). Terms from content/terminology.yml are `@id`.
# The Spanish ways of saying each sign are in red_flags_es.py; bot.safety.red_flags merges both (SIGNALS).
ENGLISH_SIGNALS: dict[str, list[str]] = {
    # -- how the message is framed
    "question": [
        "what|whats|wat|wot [is|'s|s|are|r] [a|an|the] @withdrawal|@overdose|@autonomic-dysreflexia|@pump-alarm",
        "what|whats|wat|wot is|'s|s|are|r|does|do|would|might|could|can|happens|causes",
        "how do|does|would|can|could|will|should|to i|you|we|one|people|someone know|tell|recognise|recognize|spot",
        "how would|will|do|does i|you|we|one know",
        "how long|often|soon|quickly",
        "why",
        "can|could|does|do|will|would|might|may ...5 cause|causes|make|makes|affect|affects|lead|trigger|give",
        "is|are|was|s it|that|this|they|dysreflexia|withdrawal|spasticity|it|there ...2 same|normal|common|dangerous"
        "|serious|safe|possible|bad|usual|likely|related|emergency|different",
        "signs?|symptoms? of",
        "warning signs?",
        "mean|means|meaning|difference|definition|define|explain|describe",
        "tell me about",
        "what|how|does|do ...4 sound|sounds|look|looks like",
        "ever",
        "how loud|big|bad|serious|common|dangerous|likely|fast|far|much|many",
        "can|could|do|does|will|would|might you|people|someone|anyone|one|kids|children|adults ...2 get|have|develop"
        "|cause|make|happen|die|overdose|od",
        "when should|do|would|can|must i|we|you",
        "is|could|can|might that|this|it [be] @CONDITION|@SYMPTOM|@THERAPY",
        "normally|normal|usual|usually|typical|typically|common",
    ],
    # A hypothetical: "what should I do if the pump alarms", "how many can I take before it's an overdose".
    "conditional": ["if|whether|incase|ever|before|until|unless", "in case"],
    "if_clause": ["if|whether|incase", "in case"],
    # Something is happening to someone now: a person with a state, a time, or a call for help.
    "happening_now": [
        "now|rn|currently|tonight|today|yesterday|suddenly|sudden|since|started|starting|keeps|again|anymore|still",
        "this|last morning|afternoon|evening|night|week|weekend",
        "all of a sudden",
        "right now",
        "at the moment",
        "help|hurry|scared|frightened|terrified|panicking|worried|worry|please|urgent",
        f"wo|will {NOT} stop",
        "i think|reckon",
        "pretty|quite sure",
        "what do|should|can i|we do",
    ],
    "person_state": [
        f"{PERSON} ...2 {IS}|has|have|had|got|took|takes|ca|can|could|wo|feel|feels|felt|says|said",
        f"{PERSON} [just] {IS}",
        f"{PERSON} ...2 having|doing|making|keeps|keep",
    ],
    # -- the baclofen pump and its alarms
    # A catheter is a pump part only beside a pump word: most catheters people mention drain the bladder, and a
    # blocked bladder catheter with a pounding headache is autonomic dysreflexia, not pump withdrawal.
    "pump": [
        "@baclofen-pump",
        "pump|pumps|itb|intrathecal|spinal|spine|back ...4 catheter|cathater|cath|tube|tubing",
        "catheter|cathater|cath|tube ...3 pump|itb|intrathecal",
        "refill|refilled|refil",
    ],
    "pump_device": ["@baclofen-pump", "pump|pumps|pumpe|pummp"],
    "no_pump": ["no|without|not|n't|nt|never ...2 @baclofen-pump", "no|without|not|n't|nt|never ...2 pump|pumps"],
    "alarm_sounding": [
        "@pump-alarm",
        "alarm\\w*|alarn\\w*|alrm\\w*|beep\\w*|bleep\\w*|beap\\w*|screaming|screeching|shrieking|siren|chirp\\w*"
        "|chiming|ringing|buzzing|squealing|whistling",
        # Not "tone": here it usually means muscle tone ("I use my tone to walk").
        "noise|noises|sound|sounds|sounding|tune",
    ],
    "alarm_active": [
        "alarming|alarmin|beeping|beepin|bleeping|screaming|screeching|shrieking|chirping|ringing|buzzing|squealing"
        "|whistling|sounding|beeps|beeped|bleeps|alarms|alarmed",
        "alarm|alarms|beep|beeps|noise|sound ...3 going|goes|went|gone|keeps|wont|won't|on|started|keeps|again",
        "making|makes|made|doing|does|did|giving|gives ...3 noise|noises|sound|sounds|alarm|alarms|beep|beeps",
        f"wo|will|does {NOT} stop",
        "do|does|doing alarm|beep|noise|sound|alarms|beeps",
    ],
    "two_tone": [
        "two|2|double|different tones?|notes?|pitch|pitches|beeps?|sounds?",
        "two|2 [-] tone|note|pitch",
        "high [-] low",
        "up and down",
        "critical|urgent alarm",
        "alarm clock",
    ],
    # "not sure which alarm": the person cannot tell the warning beep from the critical alarm, so it is treated
    # as the critical one (carers often cannot tell a one-second single tone from the two-tone alarm).
    "unsure_alarm": [
        f"{NOT} sure|certain ...4 which|what|if|whether|kind|type|one",
        "unsure|dunno ...4 which|what|if|whether|kind|type|one",
        f"do|does|did {NOT} know|tell ...4 which|what|if|whether|kind|type",
        "dont|don't|didnt|didn't know|tell ...4 which|what|if|whether|kind|type",
        f"ca|can|could|cannot {NOT} tell ...4 which|what|if|whether|kind|type",
        "cant|cannot tell ...4 which|what|if|whether|kind|type",
        "no idea ...4 which|what|if|whether|kind|type",
        "which alarm|one|beep ...3 is it|it is|this is|is this",
    ],
    # "not the two-tone one": a person telling the alarms apart, not hearing the critical one.
    "not_two_tone": [
        "not|n't|nt|no|isnt|isn't ...3 two|2|double [-] tone|tones|note|notes",
    ],
    "single_beep": [
        "single|one beep|tone|alarm",
        "beeped|beeps|beep once",
        "low|empty reservoir|refill|refil|volume|battery",
        "low [-] refill|reservoir",
        "refill|reservoir reminder|date",
        "alarm date",
    ],
    "pump_failed": [
        "ran|run|running|gone|went|been|is|'s|s empty|dry|out",
        "stopped|stop|quit working|workin|pumping|going",
        "broken|broke|disconnected|kinked|cracked|blocked|late|missed|overdue",
    ],
    # -- withdrawal, overdose
    "withdrawal_sign": [
        "@fever|@confusion|@itching|@rigidity|@hallucinations|@seizures",
        "burning|boiling up",
        "hot|temp|temperature|feverish|fevers?|sweating|sweaty|shaking|shivering|shakes|fits?|fitting",
        "confused|confusion|delirious|agitated|disoriented|disorientated",
        "out of it",
        "not|n't|nt making sense",
        "acting strange|weird|odd|funny|crazy",
        "rigid|rigidity|stiffer|seized",
        "stiff as",
        "rock hard",
        "itchy|itching|itches|itch|scratch\\w*",
        "off the charts|scale|roof",
        "spasms|spasm|spasticity|stiffness|tone|legs ...3 back|worse|crazy|terrible|awful|horrible|bad|mad|wild|rigid"
        "|hard",
        "worse than ever",
        "seeing|see|hearing|hear things|voices|people|bugs|spiders",
        "not there",
    ],
    "stopped_med": [
        "ran|run|running out|low",
        "stopped|stop|stopping|quit|quitting|forgot|forget|forgotten|missed|miss|skipped|cold|couldnt|couldn't",
        "came|come|coming off",
        "no more",
        "prescription|pharmacy",
    ],
    "took_too_much": [
        "took|taken|swallowed|had|given|gave|ate ...3 double|twice|extra|whole|all|lot|handful|bottle|pack|strip|box",
        "took|taken|take|takes|swallowed|swallows|had|has|given|gave|gives|ate|eats|taking ...3 too many|much",
        "too many|much ...3 baclofen|pills|tablets|tabs|meds|doses?",
        "too many|much ...3 @THERAPY",
        "by accident|mistake",
        "accidentally|accidently|mistakenly",
        "@overdose",
        "double|twice|extra dose|doses",
    ],
    "depressed": [
        f"ca|can|could|cannot {NOT} wake|waken|rouse",
        f"ca|can|could|cannot {NOT} keep ...3 awake|up",
        f"wo|will|does|did|is|'s|s|was|are|'re|re {NOT} wake|waking|respond|responding|moving",
        "cannot|cant wake|rouse",
        f"{NOT} responding|responsive|reacting|waking|rousable",
        "unresponsive|unrousable|unconscious|comatose|coma",
        "barely|hardly ...2 wake|rouse",
        "barely|hardly|not|n't|nt|stopped breathing|breathe|breath",
        "breathing ...2 slow|shallow|weird|funny|strange|noisy",
        "slow|shallow breathing|breaths",
        "blue lips",
        "lips|lip ...3 blue|purple|grey|gray",
    ],
    "very_sleepy": [
        f"{INTENSE} sleepy|drowsy|drowsey|dopey|groggy|lethargic|sedated|floppy|limp",
        "out of it",
        "nodding off",
        "hardly|barely keep ...3 eyes|awake",
        "stay|keep ...2 awake",
        "falling asleep",
    ],
    # "What to do in an overdose", "what if someone takes too much": asking what to do in a medicine emergency
    # gets the emergency and poison-help steps however it is framed (never a dosing refusal alone).
    "overdose_help": [
        "what|how ...4 do|to ...6 overdose|overdoses|overdosed|od",
        "what|how ...4 do|to ...6 @overdose",
        "in|incase case of ...3 overdose|overdoses",
        "in|incase case of ...3 @overdose",
        "what if ...5 too much|many",
        "what if|when ...5 overdose|overdoses|overdosed|ods",
        "what if|when ...5 @overdose",
        "what happens|happen if|when ...5 too much|many|overdose|overdoses|overdosed",
        "what happens|happen if|when ...5 @overdose",
        "if ...4 took|takes|take|taken|swallowed|had ...3 too much|many",
    ],
    # A child who swallowed someone's medicine: poison help now, even before any sign (HRSA, NHS).
    "child": [
        "toddler|toddlers|baby|child|children|kid|kids|grandson|granddaughter|grandchild|grandkid|grandkids|little",
        "\\d+ year|yr|yo [old]",
        "son|daughter|boy|girl",
    ],
    "ingested": [
        "swallowed|ate|eaten|chewed|drank|drunk|into ...1 some|my|his|her|your|the|mums|mum|dads|dad|nans"
        "|grandmas|all|few|couple|handful|bottle|pack|packet|box ...2 @THERAPY",
        "swallowed|ate|eaten|chewed|drank|drunk|into ...1 some|my|his|her|your|the|mums|mum|dads|dad|nans|grandmas"
        "|all|few|couple|handful ...2 pills|tablets|tabs|meds|medicine|medicines|capsules|liquid",
    ],
    # Sudden confusion (delirium) needs help at once (NHS); in an older person on a medicine it may also be a
    # side effect, so the reply escalates and then answers the question (see BotService.emergency).
    "new_confusion": [
        "sudden|suddenly|new|newly ...2 confusion|confused|muddle|muddled|muddly|disorientated|disoriented|delirium"
        "|delirious",
        "confusion|confused|muddled|muddle|disorientated|disoriented|delirious ...3 suddenly|overnight",
        "all of a sudden ...3 confused|muddled|disorientated|disoriented",
        # Hallucinations that start now are delirium too (and a sign of baclofen withdrawal or overdose).
        "hallucinating|hallucinates|hallucinated|hallucinations",
        "seeing|sees|saw|hearing|hears|heard ...2 things|people|voices|stuff ...3 not|nt|n't|nobody",
    ],
    "dose_increased": [
        "turned|turn|put|set ...3 up|higher",
        "increased|increase|raised|upped|bumped ...3 dose|pump|rate",
        "increased|increase|raised|upped|bumped ...3 @baclofen-pump",
    ],
    "baclofen": ["@baclofen", "@baclofen-pump"],
    "medicine": ["@THERAPY", "pills?|tablets?|tabs|meds|medicines?|medication|capsules?"],
    "opioid": [
        "oxycodone|oxy|oxycontin|morphine|tramadol|codeine|co-codamol|cocodamol|fentanyl|opioids?|opiates?|methadone"
        "|hydrocodone|buprenorphine|painkillers?|percocet|vicodin|dihydrocodeine|oramorph",
        "pain killers?",
    ],
    "sedative": ["@gabapentin|@benzodiazepines", "pregabalin|lyrica"],
    "tizanidine": ["@tizanidine"],
    "fainting": [
        "@low-blood-pressure",
        "faint|fainted|fainting|fainting|blacked|blackout|collapsed|collapse|keeled",
        "pass|passed|passing|pased out",
        "black out",
        "blood pressure|bp ...3 low|dropped|crashed",
    ],
    # -- botulinum toxin spreading
    "botulinum": ["@botulinum-toxin"],
    "pill_swallowing": [
        "swallow\\w*|swalow\\w*|swollow\\w* ...3 tablets|tablet|pills|pill|tabs|capsules|meds|medicine|medicines",
        "tablets|tablet|pills|pill|tabs|capsules ...4 hard|difficult|trouble|struggle|struggles ...2 swallow\\w*",
    ],
    "swallow_trouble": [
        "@swallowing-problems",
        f"cannot|hard|trouble|struggling|struggle|difficult|difficulty|problems?|unable|barely|hardly|{NOT} ...5"
        " swallow\\w*|swalow\\w*|swollow\\w*|eat|drink|eating|drinking",
        "drooling|dribbling|drools|dribbles",
        "food|tablets|pills|drink|water ...3 stuck|sticking|sticks",
        "cough\\w* ...4 eat|eats|eating|drink|drinks|drinking|swallow\\w*|food|meals?",
        "chok\\w*|gagging|gags|coughing on",
        "going|goes|went down ...2 wrong",
    ],
    "breath_trouble": [
        "@breathing-problems",
        f"cannot|hard|trouble|struggling|struggle|difficult|difficulty|problems?|unable|barely|hardly|{NOT} ...5 "
        "breathe|breath|breathing|breth|brethe",
        "breathing|breath|breaths ...3 tight|weird|funny|strange|hard|difficult|laboured|labored|wheezy|noisy|rattly"
        "|rattling|slow|shallow|fast|odd|off|wrong",
        "short|out of breath",
        "breathless|gasping|wheezing|wheezy|suffocating",
    ],
    "speech_trouble": [
        f"cannot|hard|trouble|struggling|struggle|difficult|difficulty|problems?|unable|barely|hardly|{NOT} ...3 "
        "talk|speak|talking|speaking|words",
        "talking|talks|speaking|saying gibberish|nonsense|rubbish",
        "slurr\\w*|slured|garbled|jumbled|muddled|mumbling",
        "sound|sounds|sounding ...2 drunk|slurred|funny|weird|strange|different",
        "voice|speech ...3 funny|weird|changed|gone|hoarse|different|strange|odd|wrong|slurred|quiet|weak|faint"
        "|croaky|breathy",
        f"words ...3 {NOT}|wont|won't|wrong|jumbled|muddled|mixed",
    ],
    "weak_all_over": [
        "weak|weakness|floppy ...2 all|everywhere|whole|spreading",
        f"{NOT}|cannot ...2 hold|lift|raise ...2 head",
        "eyelids?|lids ...3 droop\\w*|heavy|closing",
        "double vision",
    ],
    # -- infection or spinal fluid leak at the pump or wound
    "wound": [
        "wound|incision|scar|stitches|staples|site|cut|bump|lump|dressing",
        "where ...3 pump|catheter|cath|went|operation|surgery",
        "pump|operation|surgery|op ...2 site|wound|incision|scar|area|pocket",
    ],
    "wound_sign": [
        "red|redness|reddish|swollen|swelling|swelled|puffy|inflamed|hot|warm|oozing|oozes|ooze|weeping|weeps"
        "|pus|infected|infection|discharge|leaking|leaks|leak|leaky|dripping|seeping|wet|open|opened|gunk|goo"
        "|gunky|yellow|green|smelly|smells|crusty|bleeding|bulge|bulging|lump|lumpy|fluid|squishy|soggy|boggy|sore",
        "clear fluid|liquid|water|stuff",
        "fluid|liquid ...3 coming|leaking|out|dripping",
    ],
    "pump_swelling": [
        "bulge|bulging|swelling|swollen|lump|fluid|puffy|squishy|soggy|boggy|liquid|water|leak\\w* ...4 around|near"
        "|under|over|by|round|behind|from ...2 @baclofen-pump",
        "bulge|bulging|swelling|swollen|lump|fluid|puffy|squishy|soggy|boggy|liquid|water|leak\\w* ...4 around|near"
        "|under|over|by|round|behind|from ...2 pump|catheter",
    ],
    "meningitis_sign": [
        "stiff|sore neck",
        "neck ...2 stiff|sore|hurts|rigid",
        "bad|severe|terrible|awful|worst|pounding|splitting|throbbing headache|head",
        "light hurts",
        "head|headache ...3 killing|pounding|splitting|hurts|hurting|exploding|bursting|unbearable",
        "headache|head ...6 sit|sitting|stand|standing|upright",
    ],
    # -- autonomic dysreflexia
    "sci": [
        "@spinal-cord-injury",
        "quad|quadriplegic|tetra|tetraplegic|paraplegic|paralysed|paralyzed",
        # "para" only where it names the person ("im a para", "T4 para"): in Spanish it is "for".
        "a|im|'m|m|am|is|as|being|complete|incomplete|t\\d+|c\\d+ para",
        "[my|his|her] t[1-6]|c[1-8]",
        "above ...2 injury|level",
    ],
    # The headache or the blood pressure: with a spinal cord injury these mean dysreflexia even with a pump.
    "ad_headache": [
        "pounding|banging|throbbing|splitting|thumping|bursting|bad|severe|terrible|worst|awful|killer headache|head",
        "head ...3 pounding|banging|throbbing|splitting|thumping|bursting|hurts|hurting|killing|exploding",
        "blood pressure|bp ...3 high|up|sky|through|roof|massive|huge|crazy|\\d{3}",
        "\\d{3}/\\d{2,3}",
    ],
    "ad_sign": [
        "sweating|sweaty|sweats|flushed|flushing|blotchy|goosebumps|goose",
        "face ...2 red|flushed|blotchy",
        "stuffy nose",
    ],
    "ad_term": ["@autonomic-dysreflexia"],
    # -- chest pain and stroke
    "chest_pain": [
        "chest ...3 pain|pains|hurts|hurt|hurting|tight|tightness|pressure|crushing|heavy|heaviness|ache|aching|achy"
        "|squeez\\w*|burning|sore|agony",
        "pain|pains|ache|pressure|tightness|tight|heaviness|crushing|squeezing ...3 chest",
        "clutching|holding|grabbing ...2 chest",
        "elephant|weight|band|vice|vise|sitting|pressing|pushing|squeezing|crushed ...4 chest",
        "heart attack",
    ],
    "face_droop": [
        "face|mouth|smile|lip|eye|cheek ...3 droop\\w*|dropped|dropping|drooping|lopsided|crooked|sagging|fallen"
        "|wonky|numb|uneven|slanted|twisted",
        "half|one ...2 face ...3 numb|droop\\w*|dropped|fallen|frozen|dead",
        "droop\\w* ...3 face|mouth|side",
        f"{NOT}|cannot ...2 smile|grin ...3 side|properly|right",
    ],
    "sudden_weakness": [
        "suddenly|sudden ...4 weak|numb|limp|floppy|heavy|dead",
        f"suddenly|sudden ...4 {NOT} ...1 lift|move|feel|use",
        f"ca|can|cannot|could {NOT} ...2 lift|move|raise ...3 arm|arms|leg|hand|side",
        "arm|leg|side ...3 suddenly|just ...3 went|gone|weak|numb|dead|limp",
        f"ca|can|cannot {NOT} see properly|straight|anything",
        "lost ...2 vision|sight",
    ],
    "stroke_now": [
        f"{IS} having|had ...2 [a|another|mini] stroke|strokes|tia",
        "another stroke|tia",
        "think|worried|scared|afraid|maybe|might|could ...4 stroke",
    ],
    # -- suicidal thoughts and self-harm
    # "Hurt myself" is self-harm unless it tells of an accident ("I fell and hurt myself", "didn't think I'd hurt
    # myself when I fell"): then the fall and the injury are what the person asks about.
    "self_hurt": ["hurt|hurting ...2 myself|himself|herself|self"],
    "accident": [
        "fall|falls|fell|fallen|falling|tripped|trip|slipped|slip|knocked|bumped|banged|crash|crashed|accident",
    ],
    "suicidal": [
        "kill|killing ...2 myself|himself|herself|themselves|self",
        "end|ending ...2 my|his|her|their|own ...1 life|lives",
        "end|ending it",
        "take|taking ...2 my|his|her|their|own ...1 life|lives",
        "end it all",
        "suicid\\w*|suicde|sucide|suiside",
        f"{NOT}|dont|don't want ...2 live|living|alive|here|wake|go|exist|be",
        "wants?|wanted|wanna|wish\\w*|rather ...3 die|dead|disappear",
        # "want to be gone", but not "doesn't want my tone gone".
        "wants?|wanted|wanna|wish\\w*|rather [to] be gone",
        "better ...2 off ...2 without me|dead",
        "point in|of living|life|going",
        "what's|whats|no point",
        "harm|harming|cut|cutting|burn|burning|starve|starving ...2 myself|himself|herself|self",
        "want|wants|wanted|wanna|going|gonna|urge|urges|feel|feeling|keep|keeps ...3 hurt|hurting ...2 myself|himself"
        "|herself",
        "self [-] harm\\w*",
        "save|saved|saving|stockpil\\w*|hoard\\w* ...3 pills|tablets|meds",
        "save|saved|saving|stockpil\\w*|hoard\\w* ...3 @THERAPY",
        "take|taking|swallow|swallowing ...1 all|every ...2 pills|tablets|meds|medication|medicines|tabs",
        "take|swallow ...3 them|all ...2 at once",
        "take|swallow ...3 them|all ...2 together",
        "give up on life|living",
        "no reason to live",
        "miss me",
        "no one|nobody|noone ...2 care|notice|miss",
        "if i was|were|wasnt|werent ...1 gone|dead|here|around",
        "jump|jumping|jumped ...2 off|from",
        "jump|jumping|jumped ...2 in front",
        "hang|hanging|hanged ...1 myself|himself|herself",
        "on purpose",
        "not|never wake up",
    ],
    # -- anything else that needs an ambulance
    "general_emergency": [
        f"{IS} having|had ...2 seizure|seizures|fit|fits|convulsion|convulsions",
        "fitting|seizing|convulsing",
        "unconscious|unresponsive|collapsed",
        f"{NOT}|stopped breathing",
        "need|call|get|send ...2 ambulance|911|999|112|paramedics",
        "ambulance",
        "this|it [is|'s|s] an emergency",
        "blue lips",
        "lips ...3 blue|purple|grey",
        "ca|can|cannot n't|nt|not breathe|breath",
    ],
}
