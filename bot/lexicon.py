"""Multilingual words customers use to answer, skip, stop or ask for their data to go.

This is plain data, kept apart from the parsing code in `bot.answers`, because the people
who know that Thai says "ห้า" for five or that a Spanish customer unsubscribes with "BAJA"
are rarely the people who change parsers. Add a word here and the parser picks it up.

Conventions:

* Words are written casefolded, the way customers type them. Look-ups normalize both
  sides (NFKC, casefold, emoji variation selectors, Arabic hamza/ta marbuta/harakat
  variants, Turkish dotless i), but Latin accents are NOT stripped automatically: an
  accent-free spelling is listed explicitly where people really type it and it means
  nothing else ("tres", "fuenf", "nao", "arret"). Folding Vietnamese "bốn" to "bon"
  would read a French "bon" (good) as a 4, so Vietnamese words keep their diacritics.
* Every list only holds words that are unambiguous as a whole message in context. "no" is
  a skip, never a stop; "alto" (stop in Spanish, but "high" in es/pt/it) is not a stop
  word; Vietnamese "không" (zero, but also "no") is a skip, not a number.
* The opt-out sentences, delete verbs and choice readings further down are compared with
  Latin accents folded (see the note above them); that is why Vietnamese keywords whose
  accents carry the meaning are kept apart (ACCENT_SENSITIVE_STOP_WORDS).
* Languages are ISO 639-1 codes. The per-language tables are merged into the flat sets
  the parser uses; tests check every language keeps its entries.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# -- numbers ------------------------------------------------------------------------

_NUMBERS_BY_LANGUAGE: dict[str, dict[str, int]] = {
    "en": {
        "zero": 0,
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
    },
    "de": {
        "null": 0,
        "eins": 1,
        "ein": 1,
        "eine": 1,
        "zwei": 2,
        "zwo": 2,
        "drei": 3,
        "vier": 4,
        "fünf": 5,
        "fuenf": 5,
        "funf": 5,
        "sechs": 6,
        "sieben": 7,
        "acht": 8,
        "neun": 9,
        "zehn": 10,
    },
    "es": {
        "cero": 0,
        "uno": 1,
        "una": 1,
        "un": 1,
        "dos": 2,
        "tres": 3,
        "cuatro": 4,
        "cinco": 5,
        "seis": 6,
        "siete": 7,
        "ocho": 8,
        "nueve": 9,
        "diez": 10,
    },
    "pt": {
        "zero": 0,
        "um": 1,
        "uma": 1,
        "dois": 2,
        "duas": 2,
        "três": 3,
        "tres": 3,
        "quatro": 4,
        "cinco": 5,
        "seis": 6,
        "sete": 7,
        "oito": 8,
        "nove": 9,
        "dez": 10,
    },
    "fr": {
        "zéro": 0,
        "zero": 0,
        "un": 1,
        "une": 1,
        "deux": 2,
        "trois": 3,
        "quatre": 4,
        "cinq": 5,
        "six": 6,
        "sept": 7,
        "huit": 8,
        "neuf": 9,
        "dix": 10,
    },
    "id": {
        "nol": 0,
        "satu": 1,
        "dua": 2,
        "tiga": 3,
        "empat": 4,
        "lima": 5,
        "enam": 6,
        "tujuh": 7,
        "delapan": 8,
        "lapan": 8,
        "sembilan": 9,
        "sepuluh": 10,
    },
    "th": {
        "ศูนย์": 0,
        "หนึ่ง": 1,
        "นึง": 1,
        "สอง": 2,
        "สาม": 3,
        "สี่": 4,
        "ห้า": 5,
        "หก": 6,
        "เจ็ด": 7,
        "แปด": 8,
        "เก้า": 9,
        "สิบ": 10,
    },
    # "không" (0) is left out: as a whole message it means "no".
    "vi": {
        "một": 1,
        "hai": 2,
        "ba": 3,
        "bốn": 4,
        "năm": 5,
        "sáu": 6,
        "bảy": 7,
        "bẩy": 7,
        "tám": 8,
        "chín": 9,
        "mười": 10,
    },
    "ar": {
        "صفر": 0,
        "واحد": 1,
        "واحده": 1,
        "اثنان": 2,
        "اثنين": 2,
        "اثنتان": 2,
        "ثلاثة": 3,
        "ثلاث": 3,
        "أربعة": 4,
        "أربع": 4,
        "خمسة": 5,
        "خمس": 5,
        "ستة": 6,
        "ست": 6,
        "سبعة": 7,
        "سبع": 7,
        "ثمانية": 8,
        "ثماني": 8,
        "ثمان": 8,
        "تسعة": 9,
        "تسع": 9,
        "عشرة": 10,
        "عشر": 10,
    },
    "zh": {
        "零": 0,
        "〇": 0,
        "一": 1,
        "幺": 1,
        "壹": 1,
        "二": 2,
        "两": 2,
        "兩": 2,
        "贰": 2,
        "貳": 2,
        "三": 3,
        "叁": 3,
        "參": 3,
        "四": 4,
        "肆": 4,
        "五": 5,
        "伍": 5,
        "六": 6,
        "陆": 6,
        "陸": 6,
        "七": 7,
        "柒": 7,
        "八": 8,
        "捌": 8,
        "九": 9,
        "玖": 9,
        "十": 10,
        "拾": 10,
    },
    # Kanji are shared with zh. Counting words with つ ("五つ") are read by dropping つ.
    "ja": {
        "ぜろ": 0,
        "れい": 0,
        "ゼロ": 0,
        "いち": 1,
        "ひとつ": 1,
        "イチ": 1,
        "に": 2,
        "ふたつ": 2,
        "ニ": 2,
        "さん": 3,
        "みっつ": 3,
        "サン": 3,
        "よん": 4,
        "し": 4,
        "よっつ": 4,
        "ヨン": 4,
        "ご": 5,
        "いつつ": 5,
        "ゴ": 5,
        "ろく": 6,
        "むっつ": 6,
        "ロク": 6,
        "なな": 7,
        "しち": 7,
        "ななつ": 7,
        "ナナ": 7,
        "はち": 8,
        "やっつ": 8,
        "ハチ": 8,
        "きゅう": 9,
        "く": 9,
        "ここのつ": 9,
        "キュウ": 9,
        "じゅう": 10,
        "とお": 10,
        "ジュウ": 10,
    },
    # Korean: native numbers ("다섯") and Sino-Korean ones ("오 점"); "네" (yes) and the
    # other short forms before a counter ("한", "두", "세") are left out.
    "ko": {
        "영": 0, "하나": 1, "둘": 2, "셋": 3, "넷": 4,
        "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
        "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9, "십": 10,
    },
    "tr": {
        "sıfır": 0, "sifir": 0, "bir": 1, "iki": 2, "üç": 3, "uc": 3, "dört": 4, "dort": 4,
        "beş": 5, "bes": 5, "altı": 6, "alti": 6, "yedi": 7, "sekiz": 8, "dokuz": 9, "on": 10,
    },
    "it": {
        "zero": 0, "uno": 1, "una": 1, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6,
        "sette": 7, "otto": 8, "nove": 9, "dieci": 10,
    },
    "pl": {
        "zero": 0, "jeden": 1, "jedna": 1, "dwa": 2, "dwie": 2, "trzy": 3, "cztery": 4,
        "pięć": 5, "piec": 5, "sześć": 6, "szesc": 6, "siedem": 7, "osiem": 8, "dziewięć": 9,
        "dziewiec": 9, "dziesięć": 10, "dziesiec": 10, "pięciu": 5, "pieciu": 5,
        "dziesięciu": 10, "dziesieciu": 10,
    },
    "nl": {
        "nul": 0, "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6,
        "zeven": 7, "acht": 8, "negen": 9, "tien": 10,
    },
    "ru": {
        "ноль": 0, "один": 1, "одна": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5,
        "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10,
        "единица": 1, "двойка": 2, "тройка": 3, "четвёрка": 4, "четверка": 4, "пятёрка": 5,
        "пятерка": 5,
    },
    # Romanized Hindi "do" (2) and "teen" (3) are English words: left out.
    "hi": {
        "शून्य": 0, "एक": 1, "दो": 2, "तीन": 3, "चार": 4, "पांच": 5, "पाँच": 5, "छह": 6, "छः": 6,
        "सात": 7, "आठ": 8, "नौ": 9, "दस": 10, "ek": 1, "chaar": 4, "paanch": 5,
        "panch": 5,
    },
    "tl": {
        "isa": 1, "dalawa": 2, "tatlo": 3, "apat": 4, "lima": 5, "anim": 6, "pito": 7,
        "walo": 8, "siyam": 9, "sampu": 10,
    },
    # Ukrainian apostrophe typed ', ’ or ʼ (all read as '), or left out. Five and ten also
    # in the genitive, as the scale of "чотири з п'яти" (four out of five); so in cs, pl.
    "uk": {
        "нуль": 0, "один": 1, "одна": 1, "два": 2, "дві": 2, "три": 3, "чотири": 4,
        "п'ять": 5, "пʼять": 5, "шість": 6, "сім": 7, "вісім": 8, "дев'ять": 9, "девять": 9,
        "десять": 10, "п'яти": 5, "пяти": 5, "десяти": 10, "одиниця": 1, "двійка": 2,
        "трійка": 3, "четвірка": 4, "п'ятірка": 5, "пятірка": 5,
    },
    # Swedish "en" (one) is left out: it is a word of other languages as a whole message.
    "sv": {
        "noll": 0, "ett": 1, "två": 2, "tva": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6,
        "sju": 7, "åtta": 8, "atta": 8, "nio": 9, "tio": 10, "femma": 5, "fyra av fem": 4,
    },
    "cs": {
        "nula": 0, "jedna": 1, "jeden": 1, "dva": 2, "dvě": 2, "dve": 2, "tři": 3, "tri": 3,
        "čtyři": 4, "ctyri": 4, "pět": 5, "pet": 5, "šest": 6, "sest": 6, "sedm": 7,
        "osm": 8, "devět": 9, "devet": 9, "deset": 10,
        "pěti": 5, "peti": 5, "deseti": 10,
    },
    # Romanian s and t are read the same with a comma or a cedilla (bot.textkeys).
    "ro": {
        "zero": 0, "unu": 1, "una": 1, "doi": 2, "două": 2, "doua": 2, "trei": 3, "patru": 4,
        "cinci": 5, "șase": 6, "sase": 6, "șapte": 7, "sapte": 7, "opt": 8, "nouă": 9,
        "noua": 9, "zece": 10,
    },
    # Greek is read without its stress marks (bot.textkeys), as customers type it.
    "el": {
        "μηδέν": 0, "ένα": 1, "ένας": 1, "μία": 1, "μια": 1, "δύο": 2, "δυο": 2, "τρία": 3,
        "τρεις": 3, "τέσσερα": 4, "τέσσερις": 4, "πέντε": 5, "έξι": 6, "επτά": 7, "εφτά": 7,
        "οκτώ": 8, "οχτώ": 8, "εννέα": 9, "εννιά": 9, "δέκα": 10,
    },
    # Hebrew numbers in their feminine (counting) and masculine forms.
    "he": {
        "אפס": 0, "אחת": 1, "אחד": 1, "שתיים": 2, "שתים": 2, "שניים": 2, "שלוש": 3,
        "שלושה": 3, "ארבע": 4, "ארבעה": 4, "חמש": 5, "חמישה": 5, "שש": 6, "שישה": 6,
        "שבע": 7, "שבעה": 7, "שמונה": 8, "תשע": 9, "תשעה": 9, "עשר": 10, "עשרה": 10,
    },
}

#: Number words 0..10 in en, de, es, pt, fr, id, th, vi, ar, zh, ja, ko, tr, it, pl, nl,
#: ru, hi, tl, uk, sv, cs, ro, el, he (ms shares the Indonesian ones).
NUMBER_WORDS: Mapping[str, int] = MappingProxyType(
    {word: value for table in _NUMBERS_BY_LANGUAGE.values() for word, value in table.items()}
)
NUMBER_LANGUAGES: frozenset[str] = frozenset(_NUMBERS_BY_LANGUAGE)

#: Number words that mean something else as a whole message in a language: Indonesian
#: and Malay "hai" is "hi", not Vietnamese two.
NOT_A_NUMBER_IN: Mapping[str, frozenset[str]] = MappingProxyType(
    {"id": frozenset({"hai"}), "ms": frozenset({"hai"})}
)

#: Words around a number that only name the scale: "4 stars", "cinco estrellas", "五つ星".
SCALE_UNITS: frozenset[str] = frozenset(
    {
        "star",
        "stars",
        "estrella",
        "estrellas",
        "estrela",
        "estrelas",
        "stern",
        "sterne",
        "sternen",
        "étoile",
        "étoiles",
        "etoile",
        "etoiles",
        "bintang",
        "ดาว",
        "sao",
        "ngôi sao",
        "نجمة",
        "نجوم",
        "نجمات",
        "星",
        "颗星",
        "顆星",
        "つ星",
        "つ",
        "個",
        "point",
        "points",
        "pts",
        "punto",
        "puntos",
        "ponto",
        "pontos",
        "punkt",
        "punkte",
        "poin",
        "nilai",
        "คะแนน",
        "điểm",
        "分",
        "点",
        "نقاط",
        "نقطة",
        "درجة",
        "nota",
        "score",
        "stella", "stelle", "gwiazdka", "gwiazdki", "gwiazdek", "ster", "sterren",
        "звезда", "звезды", "звёзд", "звезд", "балл", "балла", "баллов", "yıldız", "yildiz",
        "puan", "सितारे", "स्टार", "bituin", "粒星", "粒", "점", "별", "개",
        "punti", "punten", "punkty",
        "зірка", "зірки", "зірок", "бали", "балів", "stjärna", "stjärnor", "stjarnor",
        "poäng", "hvězdička", "hvězdičky", "hvězdiček", "hvězdy", "hvezdicka", "hvezdicky",
        "hvezdicek", "hvezdy", "bodů", "body", "stea", "stele", "puncte", "αστέρι",
        "αστέρια", "αστεράκια", "βαθμοί", "כוכב", "כוכבים", "נקודות",
    }
)

#: "4 out of 5", "4 de 5", "٤ من ٥": the word between a number and its scale.
OUT_OF: frozenset[str] = frozenset(
    {
        "out of",
        "of",
        "de",
        "von",
        "sur",
        "su",
        "dari",
        "trên",
        "จาก",
        "من",
        "из",
        "van",
        "z",
        "na",
        "з",
        "av",
        "din",
        "στα",
        "στο",
        "מתוך",
    }
)

#: Characters that count as one star each; empty stars (☆ ✩) do not count.
STAR_CHARS: frozenset[str] = frozenset({"⭐", "★", "🌟"})

#: An emoji-only answer to a 1-5 rating. Several emoji must all agree.
RATING_EMOJI: Mapping[str, int] = MappingProxyType(
    {
        "😡": 1,
        "🤬": 1,
        "😠": 1,
        "👎": 1,
        "💩": 1,
        "🤮": 1,
        "🤢": 1,
        "😞": 2,
        "☹️": 2,
        "🙁": 2,
        "😢": 2,
        "😕": 2,
        "😟": 2,
        "😣": 2,
        "😖": 2,
        "😒": 2,
        "😐": 3,
        "😶": 3,
        "😑": 3,
        "🤷": 3,
        "🙂": 4,
        "😊": 4,
        "👌": 4,
        "😀": 4,
        "😃": 4,
        "☺️": 4,
        "😍": 5,
        "🤩": 5,
        "🥰": 5,
        "😁": 5,
        "😄": 5,
        "❤️": 5,
        "♥️": 5,
        "💖": 5,
        "💕": 5,
        "💗": 5,
        "💓": 5,
        "😻": 5,
        "😘": 5,
        "🤗": 5,
        "👍": 5,
        "💯": 5,
        "🔥": 5,
        "🥳": 5,
        "👏": 5,
        "🙌": 5,
    }
)

# -- stop, skip, delete -------------------------------------------------------------

_STOP_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": (
        "stop",
        "stopall",
        "stop all",
        "unsubscribe",
        "unsub",
        "cancel",
        "end",
        "quit",
        "opt out",
        "optout",
        "opt-out",
        "revoke",
        "stop messaging me",
        "stop messages",
        "stop texting me",
        "leave me alone",
        "do not contact me",
        "don't contact me",
        "dont contact me",
        "no more messages",
        "remove me",
    ),
    "de": (
        "stopp",
        "stop",
        "abmelden",
        "abbestellen",
        "austragen",
        "abmeldung",
        "beenden",
        "aufhören",
        "aufhoeren",
        "keine nachrichten mehr",
    ),
    # "alto" is left out: it is "high"/"tall" in es, pt and it.
    "es": (
        "parar",
        "pare",
        "detener",
        "detente",
        "baja",
        "dar de baja",
        "darme de baja",
        "cancelar",
        "cancelar suscripción",
        "cancelar suscripcion",
        "desuscribir",
        "desuscribirme",
        "no más mensajes",
        "no mas mensajes",
        "basta",
    ),
    "pt": (
        "parar",
        "pare",
        "sair",
        "cancelar",
        "descadastrar",
        "descadastre",
        "descadastrar-me",
        "cancelar inscrição",
        "cancelar inscricao",
        "não quero mais mensagens",
        "nao quero mais mensagens",
        "basta",
    ),
    "fr": (
        "stop",
        "arrêt",
        "arret",
        "arrêter",
        "arreter",
        "arrête",
        "arrete",
        "désabonner",
        "desabonner",
        "me désabonner",
        "me desabonner",
        "désinscrire",
        "desinscrire",
        "désabonnement",
        "désinscription",
        "annuler l'abonnement",
    ),
    "it": (
        "stop",
        "basta",
        "fermati",
        "disiscriviti",
        "disiscrivimi",
        "cancellami",
        "annulla iscrizione",
        "non scrivermi più",
        "non scrivermi piu",
    ),
    "ja": (
        "停止",
        "配信停止",
        "配信解除",
        "登録解除",
        "購読解除",
        "解除",
        "ストップ",
        "やめて",
        "止めて",
        "配信不要",
        "送らないで",
        "もう送らないで",
    ),
    "zh": (
        "停止",
        "退订",
        "退訂",
        "取消订阅",
        "取消訂閱",
        "别再发了",
        "別再發了",
        "不要再发了",
        "停止发送",
        "td",
    ),
    "ko": (
        "중지",
        "정지",
        "수신거부",
        "수신 거부",
        "구독취소",
        "구독 취소",
        "그만",
        "그만 보내",
        "멈춰",
    ),
    "ru": (
        "стоп",
        "отписаться",
        "отписка",
        "отпишите",
        "отпишите меня",
        "хватит",
        "прекратить",
        "не пишите",
    ),
    "tr": ("dur", "durdur", "ret", "iptal", "abonelikten çık", "abonelikten cik",
           "aboneliği iptal et"),
    "nl": ("stop", "stoppen", "afmelden", "uitschrijven", "opzeggen", "geen berichten meer"),
    "pl": (
        "stop",
        "wypisz",
        "wypisz mnie",
        "rezygnuję",
        "rezygnuje",
        "rezygnacja",
        "koniec",
        "anuluj",
    ),
    "hi": (
        "रोको",
        "रुको",
        "रोकें",
        "बंद",
        "बंद करो",
        "बंद करें",
        "सदस्यता रद्द करें",
        "stop karo",
        "band karo",
    ),
    "id": (
        "berhenti",
        "stop",
        "henti",
        "berhenti berlangganan",
        "batal langganan",
        "jangan kirim lagi",
    ),
    "ms": ("berhenti", "henti", "hentikan", "berhenti langganan", "batal langganan", "nyahlanggan"),
    "tl": ("itigil", "tigil", "ihinto", "tumigil na", "tigilan"),
    "th": ("หยุด", "หยุดส่ง", "ยกเลิก", "ยกเลิกการสมัคร", "ยกเลิกรับข่าวสาร", "เลิกส่ง", "ไม่ต้องส่งมาอีก"),
    "vi": (
        "dừng",
        "dừng lại",
        "hủy",
        "huỷ",
        "hủy đăng ký",
        "huỷ đăng ký",
        "ngừng",
        "ngưng",
        "đừng nhắn nữa",
        "huy dang ky",
    ),
    "ar": ("إيقاف", "ايقاف", "توقف", "أوقف", "إلغاء", "الغاء", "إلغاء الاشتراك", "الغاء الاشتراك"),
    "uk": ("стоп", "відписатися", "відписка", "відпишіть", "відпишіть мене", "досить",
           "припиніть", "не пишіть"),
    "sv": ("stopp", "stop", "sluta", "avregistrera", "avregistrera mig", "avsluta",
           "avprenumerera", "avanmäl", "avanmäl mig", "avanmälan"),
    "cs": ("stop", "odhlásit", "odhlasit", "odhlásit se", "odhlasit se", "odhlaste mě",
           "odhlaste me", "přestaňte", "prestante", "zrušit odběr", "zrusit odber"),
    "ro": ("stop", "dezabonare", "dezabonează-mă", "dezabonati-ma", "dezabonează",
           "opriți", "opriti", "încetați", "incetati"),
    # Greek SMS lists say "ΔΙΑΓΡΑΦΗ" (removal) for unsubscribe; "στοπ" is STOP typed in Greek.
    "el": ("στοπ", "σταματήστε", "σταμάτα", "σταματα", "διαγραφή", "διαγραφη", "απεγγραφή"),
    # Israeli law makes "הסר" (remove) the opt-out word of marketing messages.
    "he": ("עצור", "הסר", "הסירו", "הסרה", "הפסק", "הפסיקו", "תפסיקו", "די", "ביטול"),
}

#: Whole messages that mean "stop messaging me" (WhatsApp/SMS opt-out keywords and kin).
STOP_WORDS: frozenset[str] = frozenset(w for words in _STOP_BY_LANGUAGE.values() for w in words)
STOP_LANGUAGES: frozenset[str] = frozenset(_STOP_BY_LANGUAGE)
#: Stop words whose accents carry the meaning: folded, Vietnamese "dừng" (stop) would
#: read "đúng" (right) and "hủy" (cancel) "huy"; these are compared as typed.
ACCENT_SENSITIVE_STOP_WORDS: frozenset[str] = frozenset(_STOP_BY_LANGUAGE["vi"]) - {
    "huy dang ky"
}

_SKIP_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": (
        "skip",
        "no",
        "nope",
        "nah",
        "nothing",
        "none",
        "pass",
        "next",
        "n/a",
        "na",
        "-",
        "--",
        "—",
        ".",
        "...",
        "no comment",
        "no comments",
        "no thanks",
        "nothing else",
        "nothing to add",
        "nothing to say",
        "not really",
    ),
    "es": (
        "saltar",
        "omitir",
        "siguiente",
        "paso",
        "nada",
        "no",
        "ninguno",
        "ninguna",
        "no gracias",
        "sin comentarios",
        "nada más",
        "nada mas",
    ),
    "pt": (
        "pular",
        "não",
        "nao",
        "nada",
        "nenhum",
        "nenhuma",
        "passar",
        "próximo",
        "proximo",
        "próxima",
        "proxima",
        "sem comentários",
        "sem comentarios",
        "não obrigado",
        "nao obrigado",
    ),
    "de": (
        "nein",
        "nichts",
        "überspringen",
        "ueberspringen",
        "weiter",
        "kein",
        "keine",
        "keine angabe",
        "nö",
        "ne",
    ),
    "fr": (
        "non",
        "rien",
        "passer",
        "suivant",
        "aucun",
        "aucune",
        "sans commentaire",
        "non merci",
        "rien à dire",
        "rien a dire",
    ),
    "it": ("no", "niente", "salta", "nessuno", "passa"),
    "ja": (
        "いいえ",
        "なし",
        "無し",
        "ない",
        "スキップ",
        "特になし",
        "特にない",
        "パス",
        "次",
        "いや",
        "ありません",
        "特にありません",
    ),
    "zh": (
        "跳过",
        "跳過",
        "没有",
        "沒有",
        "无",
        "無",
        "不",
        "没",
        "不用",
        "不用了",
        "略过",
        "下一个",
        "无意见",
    ),
    "ko": ("아니요", "아니오", "없음", "없어요", "건너뛰기", "패스"),
    "ru": ("нет", "пропустить", "ничего", "пас", "далее"),
    "tr": ("hayır", "hayir", "geç", "gec", "yok", "atla"),
    "nl": ("nee", "niets", "overslaan", "geen"),
    "pl": ("nie", "nic", "pomiń", "pomin", "dalej"),
    "hi": ("नहीं", "कुछ नहीं", "छोड़ें", "nahi", "nahin", "kuch nahi"),
    "id": (
        "tidak",
        "tidak ada",
        "lewati",
        "lewat",
        "skip",
        "gak",
        "nggak",
        "ga",
        "enggak",
        "tdk",
        "ga ada",
        "gak ada",
        "nggak ada",
        "tak ada",
        "nihil",
    ),
    "ms": ("tidak", "tiada", "langkau", "tak", "takde"),
    "tl": ("wala", "wala na", "hindi", "laktawan"),
    "th": ("ไม่", "ไม่มี", "ข้าม", "ผ่าน", "ไม่ค่ะ", "ไม่ครับ", "ไม่มีค่ะ", "ไม่มีครับ"),
    "vi": (
        "không",
        "khong",
        "ko",
        "không có",
        "khong co",
        "không có gì",
        "khong co gi",
        "bỏ qua",
        "bo qua",
        "thôi",
    ),
    "ar": ("لا", "لا شيء", "لا شي", "لا يوجد", "تخطي", "تخطى", "تجاوز", "التالي"),
    "uk": ("ні", "нічого", "пропустити", "далі", "немає"),
    "sv": ("nej", "nä", "inget", "ingenting", "hoppa över", "nästa", "nej tack"),
    "cs": ("ne", "nic", "přeskočit", "preskocit", "dál", "ne díky"),
    "ro": ("nu", "nimic", "sari", "sări peste", "următoarea", "nu mulțumesc"),
    "el": ("όχι", "οχι", "τίποτα", "τιποτα", "παράλειψη", "επόμενο"),
    "he": ("לא", "כלום", "אין", "דלג", "הבא", "לא תודה"),
}

#: Whole messages that skip an optional question ("no", "nada", "なし", "-").
SKIP_WORDS: frozenset[str] = frozenset(w for words in _SKIP_BY_LANGUAGE.values() for w in words)
SKIP_LANGUAGES: frozenset[str] = frozenset(_SKIP_BY_LANGUAGE)

_DELETE_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": (
        "delete my data",
        "delete my information",
        "delete my info",
        "delete my details",
        "delete my account",
        "delete my number",
        "erase my data",
        "remove my data",
        "forget me",
        "right to be forgotten",
    ),
    "es": (
        "borrar mis datos",
        "borra mis datos",
        "borren mis datos",
        "eliminar mis datos",
        "elimina mis datos",
        "eliminen mis datos",
        "olvídame",
        "olvidame",
    ),
    "pt": (
        "apagar meus dados",
        "apague meus dados",
        "apagar os meus dados",
        "excluir meus dados",
        "exclua meus dados",
        "deletar meus dados",
        "delete meus dados",
        "remover meus dados",
    ),
    "de": (
        "meine daten löschen",
        "lösche meine daten",
        "löschen sie meine daten",
        "löscht meine daten",
        "daten löschen",
        "vergiss mich",
    ),
    "fr": (
        "supprimer mes données",
        "supprimez mes données",
        "supprime mes données",
        "effacer mes données",
        "effacez mes données",
        "oubliez-moi",
        "oubliez moi",
    ),
    "it": ("cancella i miei dati", "cancellate i miei dati", "elimina i miei dati"),
    "ja": ("データを削除", "データ削除", "私のデータを削除", "個人情報を削除", "個人情報削除"),
    "zh": (
        "删除我的数据",
        "删除数据",
        "删除我的信息",
        "删除我的资料",
        "刪除我的資料",
        "刪除資料",
        "刪除我的數據",
    ),
    "ko": ("내 데이터 삭제", "데이터 삭제", "개인정보 삭제", "내 정보 삭제"),
    "ru": ("удалить мои данные", "удалите мои данные"),
    "tr": ("verilerimi sil", "verilerimi silin"),
    "nl": ("verwijder mijn gegevens", "mijn gegevens verwijderen"),
    "pl": ("usuń moje dane", "usun moje dane"),
    "hi": ("मेरा डेटा हटाएं", "मेरा डेटा डिलीट करें"),
    "id": ("hapus data saya", "hapus data pribadi saya", "hapus data"),
    "ms": ("padam data saya",),
    "tl": ("burahin ang aking data", "burahin ang data ko"),
    "th": ("ลบข้อมูลของฉัน", "ลบข้อมูล"),
    "vi": ("xóa dữ liệu của tôi", "xoá dữ liệu của tôi", "xóa dữ liệu", "xoá dữ liệu"),
    "ar": ("احذف بياناتي", "حذف بياناتي", "امسح بياناتي", "احذفوا بياناتي"),
    "uk": ("видаліть мої дані", "видалити мої дані"),
    "sv": ("radera mina uppgifter", "radera min data"),
    "cs": ("smažte moje údaje", "smazat moje údaje"),
    "ro": ("ștergeți datele mele", "șterge datele mele"),
    "el": ("διαγράψτε τα δεδομένα μου", "διαγραφή δεδομένων"),
    "he": ("מחקו את הפרטים שלי", "מחיקת הפרטים שלי"),
}

#: Phrases that ask us to delete the customer's data, found anywhere in a short message.
DELETE_WORDS: frozenset[str] = frozenset(w for words in _DELETE_BY_LANGUAGE.values() for w in words)
DELETE_LANGUAGES: frozenset[str] = frozenset(_DELETE_BY_LANGUAGE)

#: Courtesy around a command that does not change it: "stop please", "หยุดค่ะ".
POLITE_WORDS: frozenset[str] = frozenset(
    {
        "please",
        "pls",
        "plz",
        "thanks",
        "thank you",
        "por favor",
        "gracias",
        "obrigado",
        "obrigada",
        "bitte",
        "danke",
        "s'il vous plaît",
        "s'il vous plait",
        "svp",
        "merci",
        "per favore",
        "grazie",
        "tolong",
        "terima kasih",
        "makasih",
        "กรุณา",
        "ค่ะ",
        "ครับ",
        "คะ",
        "vui lòng",
        "cảm ơn",
        "من فضلك",
        "لو سمحت",
        "شكرا",
        "请",
        "谢谢",
        "謝謝",
        "ください",
        "お願いします",
        "пожалуйста",
        "lütfen",
        "alstublieft",
        "proszę",
        "prosze",
        "po",
        "будь ласка",
        "дякую",
        "tack",
        "snälla",
        "prosím",
        "děkuji",
        "vă rog",
        "va rog",
        "mulțumesc",
        "multumesc",
        "παρακαλώ",
        "ευχαριστώ",
        "בבקשה",
        "תודה",
    }
)

#: Words joining several picks in a multiple-choice answer: "late and damaged", "1 y 3".
AND_WORDS: frozenset[str] = frozenset(
    {
        "and",
        "&",
        "+",
        "y",
        "e",
        "et",
        "und",
        "dan",
        "và",
        "va",
        "i",
        "и",
        "ve",
        "en",
        "و",
        "和",
        "与",
        "與",
        "跟",
        "及",
        "と",
        "や",
        "และ",
        "กับ",
        "і",
        "та",
        "й",
        "och",
        "a",
        "și",
        "si",
        "και",
        "κ",
        "וגם",
    }
)

#: "And" words that are other words in other languages: Czech "a" is Romanian "has" and
#: Spanish "to" ("nu a ajuns la timp": did not arrive on time), Romanian "si" is Spanish
#: and French "if". They join picks only in a reply of their own language.
AND_WORDS_ONLY_IN: Mapping[str, frozenset[str]] = MappingProxyType(
    {"a": frozenset({"cs", "sk"}), "si": frozenset({"ro"}), "și": frozenset({"ro"})}
)

#: "And" written as a one-letter prefix of the next word: Arabic "و", Hebrew "ו"
#: ("שבור וחסר חלק": broken and missing a part).
AND_PREFIXES: tuple[str, ...] = ("و", "ו")

#: Words that turn a choice around ("No problems", "没有问题", "ไม่มีปัญหา"). A choice text
#: holding one is matched whole or from its start only, never by a word inside it, so a
#: customer typing "problems" is not read as "No problems".
NEGATIONS: frozenset[str] = frozenset(
    {
        "no",
        "not",
        "none",
        "never",
        "without",
        "nein",
        "nicht",
        "kein",
        "keine",
        "keinen",
        "ohne",
        "non",
        "pas",
        "aucun",
        "aucune",
        "sans",
        "ningún",
        "ninguno",
        "ninguna",
        "nada",
        "nunca",
        "sin",
        "não",
        "nao",
        "nenhum",
        "nenhuma",
        "sem",
        "tidak",
        "tak",
        "nggak",
        "gak",
        "ga",
        "bukan",
        "kurang",
        "tanpa",
        "không",
        "chẳng",
        "chưa",
        "لا",
        "ليس",
        "ليست",
        "بدون",
        "غير",
        "ไม่",
        "ไม่มี",
        "ไร้",
        "不",
        "没",
        "沒",
        "没有",
        "沒有",
        "无",
        "無",
        "未",
        "非",
        "ない",
        "なし",
        "無し",
        "ず",
        "ません",
        "не",
        "ні",
        "без",
        "немає",
        "inte",
        "inga",
        "ingen",
        "inget",
        "utan",
        "ne",
        "žádné",
        "žádný",
        "nu",
        "nicio",
        "niciun",
        "fără",
        "fara",
        "δεν",
        "μη",
        "μην",
        "χωρίς",
        "κανένα",
        "לא",
        "אין",
        "בלי",
        "ללא",
    }
)

# -- opt-out and erasure in sentences -------------------------------------------------
#
# Customers rarely type the keyword alone: "BERHENTI kak", "tigil na po", "Stop sending me
# messages", "ya no me manden mensajes", "别发了". `bot.optout` reads a message in three
# steps, all on keys with Latin accents folded ("arrêtez" -> "arretez", "dừng" -> "dung")
# and apostrophes and hyphens read as spaces ("don't" -> "don t", "mag-message" ->
# "mag message"); Chinese is compared in simplified characters.
#
# 1. Courtesy, forms of address and fillers (FILLER_WORDS, POLITE_SUFFIXES) are dropped
#    and repeats collapsed ("STOP STOP", "stop pls kak"): what remains is compared with
#    STOP_WORDS as a whole message.
# 2. STOP_PHRASES are found anywhere in a short message, unless a negation (NEGATORS)
#    comes just before without a condition (CONDITIONALS) before it: "don't stop sending"
#    is not a stop, "if you don't stop sending I'll report you" is.
# 3. A delete request is a verb of DELETE_VERBS (a word start: "delet" covers "delete",
#    "deleting") near an object of DELETE_OBJECTS ("my data", "mis datos", "個人情報"),
#    in either order, not negated ("please don't delete my data" is not a request).

#: Words that only soften or address: dropped around and inside an opt-out.
FILLER_WORDS: frozenset[str] = frozenset(
    {
        # en
        "please", "pls", "plz", "plss", "pleaseee", "thanks", "thank you", "thx", "ty",
        "now", "right now", "already", "ok", "okay", "just", "asap", "guys", "sir",
        "maam", "ma am", "really", "honestly", "kinda",
        # es, pt
        "por favor", "porfa", "porfavor", "porfis", "xfa", "gracias", "ya", "ahora",
        "obrigado", "obrigada", "obg", "agora", "ja", "pfv", "se faz favor", "pf",
        # fr, de, it, nl
        "s il vous plait", "s il te plait", "svp", "stp", "merci", "bitte", "danke",
        "jetzt", "sofort", "per favore", "grazie", "subito", "alstublieft", "alsjeblieft",
        "aub", "hoor",
        "graag", "dank je", "bedankt",
        # pl, ru, tr
        "prosze", "dziekuje", "juz", "пожалуйста", "спасибо", "уже", "lutfen",
        "tesekkurler", "artik",
        # id, ms, tl
        "kak", "kakak", "ka", "sis", "gan", "min", "admin", "yaa", "yah", "dong",
        "deh", "aja", "saja", "sekarang", "tolong", "mohon", "terima kasih", "makasih",
        "lah", "la", "ye", "po", "opo", "na", "nga", "salamat",
        # vi, hi
        "a", "ạ", "ơi", "thôi", "nha", "nhe", "nhen", "nghen", "nhé", "shop", "tbh", "lol",
        "haha", "kkkk",
        "ji", "जी", "कृपया",
        "धन्यवाद", "plz yaar", "yaar", "bhai",
        # uk, sv, cs, ro, el, he
        "будь ласка", "будь-ласка", "дякую", "вже", "tack", "snalla", "vanligen", "tack sa mycket",
        "prosim", "dekuji", "diky", "uz", "va rog", "te rog", "multumesc", "mersi", "acum",
        "παρακαλω", "σας παρακαλω", "ευχαριστω", "πλιζ", "πια", "πλεον", "επιτελους",
        "επιτελος", "нарешті",
        "בבקשה", "תודה", "כבר", "עכשיו",
        # ar, th
        "من فضلك", "من فضلكم", "لو سمحت", "لو سمحتم", "شكرا", "رجاء", "الرجاء", "ارجو",
        "กรุณา", "ค่ะ", "ครับ", "คะ", "นะคะ", "นะครับ", "นะ", "จ้า",
    }
)

#: Courtesy glued to the end of a word in scripts without spaces, or verb endings that
#: only make a command polite: "停止してください", "หยุดค่ะ", "중지해 주세요", "别发了谢谢".
POLITE_SUFFIXES: frozenset[str] = frozenset(
    {
        "してください", "して下さい", "してほしい", "してほしいです", "して", "お願いします",
        "でお願いします", "をお願いします", "お願い", "ください", "下さい", "です", "ます",
        "ค่ะ", "ครับ", "คะ", "นะคะ", "นะครับ", "นะ", "จ้า", "ด้วย", "ด้วยค่ะ", "ด้วยครับ",
        "해 주세요", "해주세요", "주세요", "해요", "해줘", "해 줘", "요", "하세요", "합니다",
        "이요", "이에요", "입니다", "でした", "ました", "ครับผม", "จ้ะ",
        "了", "吧", "啊", "呀", "谢谢", "请", "拜托", "唔该",
    }
)

#: Whole-message opt-outs beyond the keywords (after fillers are dropped).
MORE_STOP_WORDS: frozenset[str] = frozenset(
    {
        "arretez", "arrete", "stoppen", "hort auf", "horen sie auf", "stopp stopp",
        "tigil", "tigil na", "itigil na", "hentikan", "durdurun", "iptal et", "dur artik",
        "ストップ", "やめて", "止めて", "送らないで", "中止", "停止", "别发了", "别发",
        "그만", "그만해", "중지", "stop it", "unsubscribe me",
        "desuscribirme", "desinscribirme", "desabonnez moi", "desinscrivez moi",
        "wypisz", "wypiszcie mnie", "afmelden", "uitschrijven", "dung lai",
        "ngung lai", "bas karo", "बस करो", "стоп стоп", "stop nu", "stoppen nu", "sluta nu",
        "zadne dalsi zpravy", "avsluta prenumerationen", "inga fler sms",
        "inga fler meddelanden", "στοπ πια",
        "dezabonati ma", "dezaboneaza ma", "σταματηστε τα μηνυματα", "הסירו אותי",
    }
)

_STOP_PHRASES_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": (
        "unsubscribe", "opt out", "optout", "stop messaging", "stop message me", "stop msg*",
        "stop text*", "stop send*+", "stop contact*", "don t want any more*",
        "dont want any more*", "do not want any more*", "no more texts", "don t text*",
        "dont text*", "don t msg*",
        "stop texting", "stop contacting", "stop spamming", "stop writing to me",
        "stop the messages", "stop these messages", "stop your messages", "remove me from",
        "take me off", "don t message me", "don t text me", "don t contact me",
        "dont message me", "dont text me", "dont contact me", "do not message me",
        "do not text me", "do not contact me", "never message me", "no more messages",
        "leave me alone", "don t want these messages", "dont want these messages",
        "don t want your messages", "don t want any more messages", "don t want any messages",
        "don t want to receive", "dont want to receive", "do not want to receive",
        "if you don t stop", "if you dont stop", "if you do not stop", "i ll report you",
        "ill report you", "report you", "reporting you", "report this number",
        "who gave you my number", "how did you get my number",
    ),
    "es": (
        "no me manden+", "no me mandes+", "no me envien+", "no me envies+", "no me escriban",
        "no me escribais", "no me escribas", "no me molesten", "dejen de mandar*+",
        "dejen de enviar*+", "dejen de escribir*", "deja de mandar*+", "deja de enviar*+",
        "deja de escribir*", "dejad de enviar*+", "dejad de mandar*+", "dejad de escribir*",
        "no quiero recibir mas", "no quiero mas mensajes", "no quiero recibir mensajes",
        "darme de baja", "dar de baja", "dame de baja", "denme de baja", "paren de",
        "parad de", "parad ya", "paren ya", "si no dejan de", "si no paran",
        "los voy a reportar", "los voy a denunciar", "sacame de la lista",
        "saquenme de la lista", "borrame de la lista", "basta de mensajes",
    ),
    "pt": (
        "para de mandar*+", "pare de mandar*+", "parem de mandar*+", "para de me mandar+",
        "pare de me mandar+", "parem de me mandar+", "parem de enviar*+", "parem de me enviar+",
        "para de enviar*+", "pare de enviar*+", "nao quero mais receber", "nao quero receber mais",
        "nao quero mais mensagens", "nao me mandem+", "nao me mande mais", "nao me enviem+",
        "me tira dessa lista", "me tira da lista", "me tirem da lista", "tirem me da lista",
        "me remove da lista", "cancelar subscricao", "cancelar inscricao", "descadastrar",
        "vou denunciar", "se nao parar", "se nao pararem", "deixem me em paz",
    ),
    "fr": (
        "arretez de m envoyer", "arrete de m envoyer", "arretez les messages",
        "arretez de m ecrire", "arretez de me contacter", "ne m envoyez plus",
        "ne m ecrivez plus", "ne me contactez plus", "ne plus m envoyer", "ne plus me contacter",
        "ne plus m ecrire", "je ne veux plus recevoir",
        "je veux plus recevoir", "plus de messages", "desabonnez moi", "desinscrivez moi",
        "desabonner", "desinscrire", "laissez moi tranquille", "si vous n arretez pas",
        "je vais vous signaler",
    ),
    "de": (
        "horen sie auf", "hort auf", "hor auf", "keine nachrichten mehr",
        "schreiben sie mir nicht mehr", "schreibt mir nicht mehr", "schreib mir nicht mehr",
        "abmelden", "austragen", "abbestellen", "melden sie mich ab", "tragen sie mich aus",
        "lasst mich in ruhe", "lassen sie mich in ruhe", "wenn sie nicht aufhoren",
    ),
    "it": (
        "non scrivetemi piu", "non scrivermi piu", "non mandatemi piu", "non mandatemi+",
        "smettete di mandar*+", "smettete di scriver*", "smettetela di", "smettila di",
        "basta messaggi", "basta con i messaggi", "cancellami dalla lista",
        "toglietemi dalla lista", "disiscrivimi", "disiscrivetemi",
        "non voglio piu messaggi", "non voglio piu ricevere", "non voglio ricevere",
    ),
    "nl": (
        "stuur me geen berichten", "stuur geen berichten", "geen berichten meer",
        "wil geen berichten", "afmelden", "uitschrijven", "meld me af", "schrijf me uit",
        "meld me nu af", "schrijf me nu uit",
        "stop met sturen", "stop met berichten",
    ),
    "pl": (
        "przestancie do mnie pisac", "przestancie pisac", "przestan pisac",
        "przestancie wysylac", "nie piszcie do mnie", "nie pisz do mnie",
        "nie pisac do mnie",
        "nie chce wiecej wiadomosci", "nie chce dostawac", "nie chce otrzymywac",
        "wypisz mnie", "wypiszcie mnie",
    ),
    "ru": (
        "не пишите", "не присылайте", "не отправляйте", "хватит присылать", "хватит писать",
        "хватит слать", "отпишите", "отписаться", "прекратите присылать",
        "прекратите писать", "удалите меня из рассылки", "не хочу получать",
    ),
    "tr": (
        "mesaj atmayin", "mesaj gondermeyin", "mesaj gondermeyi birakin",
        "mesaj atmayi birakin", "abonelikten cik*", "beni listeden cikarin",
        "rahatsiz etmeyin", "mesaj istemiyorum",
    ),
    "ar": (
        "لا ترسلوا", "لا ترسل لي", "لا تراسلني", "لا تراسلوني", "توقفوا عن", "توقف عن ارسال",
        "اوقفوا الرسائل", "ايقاف الرسائل", "الغاء الاشتراك", "عدم ارسال", "لا اريد رسائل",
        "لا اريد استلام", "لا اريد تلقي", "ما ابي رسايل", "ما ابغى رسايل",
    ),
    "hi": (
        "मैसेज मत भेजो", "मैसेज मत भेजिए", "मत भेजो", "मत भेजिए", "मैसेज भेजना बंद",
        "बंद करो", "बंद करें", "message mat bhejo", "msg mat bhejo", "mat bhejo",
        "message band karo", "band karo", "messages band karo", "stop karo",
    ),
    "id": (
        "jangan kirim*+", "jangan dikirim", "jangan chat lagi", "ga usah chat", "gak usah chat",
        "nggak usah chat", "ga usah kirim+", "gak usah kirim+", "nggak usah kirim+",
        "stop kirim+", "berhenti kirim+", "berhenti mengirim", "berhenti langganan",
        "berhenti berlangganan", "jangan hubungi", "jangan spam", "kalau tidak berhenti",
        "kalau ga berhenti", "kalau gak berhenti",
    ),
    "ms": (
        "jangan hantar+", "berhenti hantar+", "henti hantar+", "tak payah hantar+",
        "jangan mesej", "nyahlanggan",
    ),
    "tl": (
        "wag na kayo mag", "huwag na kayo mag", "wag nang mag", "huwag nang mag",
        "itigil nyo na", "itigil niyo na", "tigilan nyo na", "tigilan niyo na",
        "ayoko na ng message", "ayoko na ng text",
    ),
    "th": ("ไม่ต้องส่ง", "เลิกส่ง", "หยุดส่ง", "อย่าส่ง", "ไม่ต้องทัก", "ไม่อยากได้รับข้อความ", "ยกเลิกรับ"),
    "vi": (
        "dung nhan", "dung gui", "dung lai", "khong nhan nua", "ko nhan nua", "k nhan nua",
        "khong can nhan", "ngung gui", "ngung nhan", "huy dang ky", "dung lien lac",
    ),
    "ja": (
        "もう送らないで", "メッセージを送らないで", "メッセージ送らないで", "送信しないで",
        "送ってこないで", "配信停止", "配信解除", "停止して", "送るのやめて", "送るのをやめて",
        "連絡しないで", "メッセージ不要", "もう送らない",
    ),
    "ko": (
        "그만 보내", "그만보내", "보내지 마", "보내지마", "연락하지 마", "연락하지마",
        "메시지 그만", "문자 그만", "중지해", "정지해", "수신거부", "수신 거부",
        "구독 취소", "구독취소",
    ),
    "uk": (
        "припиніть надсилати", "припиніть писати", "припиніть слати", "припини надсилати",
        "не пишіть мені", "не надсилайте+", "не присилайте+", "не шліть+", "досить писати",
        "досить надсилати", "відпишіть", "відписатися", "видаліть мене з розсилки",
        "приберіть мене зі списку", "не хочу отримувати", "не хочу більше повідомлень",
        "більше не пишіть", "дайте спокій", "перестаньте надсилати", "перестаньте писати",
        "перестань писати", "перестаньте слати", "досить спам*", "не спамте", "припиніть спам*",
        "не турбуйте", "не треба писати", "не треба надсилати", "відпишіть мене",
    ),
    # Swedish puts "inte" after the verb ("sluta inte"), so no phrase here holds it there.
    "sv": (
        "sluta skicka*", "sluta skriva*", "sluta messa*", "sluta sms*", "sluta kontakta*",
        "slutar skicka*+", "slutar skriva till mig", "slutar messa*", "slutar sms*",
        "skicka inga fler", "skicka inte fler", "skicka inte mer", "vill inte ha fler",
        "vill inte ha nagra fler", "vill inte fa fler", "vill inte fa nagra", "vill inte ha sms",
        "vill inte ha meddelanden", "avregistrera", "avanmal", "ta bort mig fran",
        "lat mig vara", "skriv inte till mig", "avsluta prenumeration*",
        "avsluta min prenumeration",
        "sag upp prenumeration*", "inga fler meddelanden", "inga fler sms", "inga mer sms",
        "sluta spamma*", "vill inte ha mer sms", "vill inte ha mer meddelanden",
    ),
    # Czech negates with a prefix ("nepřestávejte", do not stop): a stop verb is matched
    # from a word start, so the negated verb is never read as the request.
    "cs": (
        "prestante mi posilat", "prestante posilat", "prestan mi posilat", "prestan posilat",
        "prestante mi psat", "prestante psat", "prestante mi volat", "mi nepiste", "nepiste mi",
        "neposilejte mi", "neposilejte+", "uz nic neposilejte", "nechci dalsi zpravy",
        "nechci zadne zpravy", "nechci dostavat", "nechci zpravy", "odhlaste me", "odhlasit",
        "vyradte me", "nechte me byt", "nic neposilejte", "neposilejte mi nic", "nespamujte",
        "prestante spamovat", "prestante otravovat", "zruste odber", "zrusit odber",
        "nechci uz dostavat", "nechci nic dostavat",
    ),
    # Romanian "nu mai" is "no more": these requests begin with their own negation.
    "ro": (
        "nu mai trimite*", "nu mi mai trimite*", "nu imi mai trimite*", "nu mai scrie*",
        "nu mi mai scrie*", "nu mai vreau mesaje", "nu mai vreau sa primesc",
        "nu vreau mesaje", "nu vreau sa mai primesc", "opriti mesajele", "incetati sa mi",
        "incetati sa trimite*", "nu ma mai contacta*", "dezabona*", "scoateti ma din",
        "stergeti ma din", "nu ma mai deranjati", "lasati ma in pace", "gata cu mesajele",
        "opriti spam*", "nu mai vreau sa imi scrie*",
    ),
    "el": (
        "σταματηστε να μου στελνετε", "σταματηστε να στελνετε", "σταματα να μου στελνεις",
        "σταματηστε τα μηνυματα", "σταματηστε τα sms", "μη μου στελνετε", "μην μου στελνετε",
        "μη στελνετε+", "μην στελνετε+", "δεν θελω αλλα μηνυματα", "δε θελω αλλα μηνυματα",
        "δεν θελω μηνυματα", "δεν θελω να λαμβανω", "δεν θελω αλλα sms", "διαγραφη απο τη λιστα",
        "βγαλτε με απο", "διαγραψτε με απο", "αφηστε με ησυχ*", "φτανει με τα μηνυματα",
        "φτανει πια", "μη με ενοχλειτε", "μην με ενοχλειτε", "αφαιρεστε με απο",
        "δεν θελω να μου στελνετε",
    ),
    # Hebrew glues prefixes to a word ("ו" and, "ש" that, "ה" the): see bot.optout.
    "he": (
        "תפסיקו לשלוח", "תפסיק לשלוח", "הפסיקו לשלוח", "תפסיקו לכתוב", "תפסיקו להציק",
        "אל תשלחו לי", "אל תשלח לי", "אל תשלחו יותר", "לא לשלוח לי", "אל תכתבו לי",
        "די עם ההודעות", "די לשלוח", "תסירו אותי", "תוריד אותי", "תורידו אותי", "הסירו אותי",
        "הסר אותי", "להסיר אותי", "לא רוצה לקבל", "לא רוצה יותר הודעות", "לא רוצה הודעות",
        "עזבו אותי", "די להציק", "תפסיקו לשלוח הודעות", "לא רוצה לקבל יותר",
        # the same requests in the infinitive and the singular imperative
        "להפסיק לשלוח", "הפסק לשלוח", "להפסיק לכתוב", "להפסיק עם ההודעות",
        "תפסיקו עם ההודעות",
    ),
    "zh": (
        "别发了", "别再发", "不要再发", "别给我发", "不要给我发", "不要再给我发",
        "停止发送", "取消订阅", "退订", "不要再传", "不要传", "别传", "唔好再send",
        "唔好再发", "唔好send", "唔好再传", "别烦我", "不要打扰",
    ),
}

#: Opt-out phrases found anywhere in a short message, unless negated. "*" ends a stem;
#: "+" asks for a word of MESSAGE_WORDS within the next three words, or the end of the
#: message: "stop sending me messages" opts out, "stop sending the wrong size" does not.
STOP_PHRASES: frozenset[str] = frozenset(
    p for phrases in _STOP_PHRASES_BY_LANGUAGE.values() for p in phrases
)
#: The same phrases by language, so that a negation of one language ("nu") is read only
#: around a request of that language.
STOP_PHRASES_BY_LANGUAGE: Mapping[str, tuple[str, ...]] = MappingProxyType(
    _STOP_PHRASES_BY_LANGUAGE
)

#: What a "+" opt-out phrase must be about: messages, not parcels.
MESSAGE_WORDS: frozenset[str] = frozenset(
    {
        "message*", "msg*", "text*", "sms", "whatsapp*", "wa", "notification*", "spam",
        "survey*", "this", "these", "stuff", "anything", "lagi", "again", "anymore",
        "mensaje*", "msj", "nada", "esto", "encuesta*", "mas", "mensage*", "mensagem",
        "isso", "pesquisa*", "zap", "mais", "messaggi*", "piu", "nachricht*", "bericht*",
        "pesan", "chat", "mesej", "mesaj*", "повідомлен*", "смс", "сообщени*", "meddelande*",
        "mer", "fler", "zprav*", "nic", "mesaje", "μηνυμα*", "αλλα", "הודעות", "הודעה", "יותר",
    }
)

#: Words that turn a request around when they come just before it ("don't", "no", "不").
NEGATORS: frozenset[str] = frozenset(
    {
        "don t", "dont", "do not", "never", "not", "didn t", "no need to", "no", "nunca",
        "nao", "ne", "n", "jamais", "nicht", "nie", "non", "mai", "niet", "nooit", "не",
        "никогда", "jangan", "tidak", "gak", "ga", "nggak", "tak", "wag", "huwag", "hindi",
        "मत", "नहीं", "mat", "nahi", "لا", "لن", "ما",
        # scripts without spaces: right before the request
        "inte", "aldrig", "ej", "nu", "μη", "μην", "δεν", "δε", "ποτε", "אל", "לעולם",
        "שלא",
        "不", "别", "不要", "没", "唔", "อย่า", "ไม่", "안",
    }
)

#: Negations that are other words in other languages: Romanian "nu" (not) is Dutch and
#: Swedish "now" ("ik wil me nu afmelden"). They turn around a request of their own
#: language only; where the language is not known they count (nothing is acted on).
NEGATORS_ONLY_IN: Mapping[str, frozenset[str]] = MappingProxyType({"nu": frozenset({"ro"})})

#: A negation after one of these is a condition, not a refusal: "if you don't stop...".
CONDITIONALS: frozenset[str] = frozenset(
    {"if", "unless", "si", "se", "wenn", "falls", "als", "kalau", "kalo", "klo", "jika",
     "kung", "если", "jesli", "jezeli", "якщо", "om", "ifall", "jestli", "pokud", "kdyz",
     "daca", "αν", "εαν", "אם"}
)

#: Negations written after the verb: "削除しないで", "삭제하지 마", "nicht löschen" is
#: caught by NEGATORS between object and verb.
NEGATED_ENDINGS: frozenset[str] = frozenset(
    {"しないで", "しなくて", "しないでください", "하지 마", "하지마", "하지 말", "지 마"}
)

_DELETE_VERBS_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": ("delete", "erase", "remove", "wipe", "wipe out", "purge", "get rid of"),
    "es": ("borr*", "elimin*", "supri*", "quit*"),
    "pt": ("apag*", "exclu*", "delet*", "remov*", "elimin*"),
    "fr": ("supprim*", "effac*", "retir*", "enlev*"),
    "de": ("lösch*", "entfern*"),
    "it": ("cancell*", "elimin*", "rimuov*"),
    "nl": ("verwijder*", "wis*"),
    "pl": ("usun*", "skasuj*", "wymaz*"),
    "ru": ("удал*", "сотр*"),
    "tr": ("sil*", "kaldır*"),
    "ar": ("احذف*", "حذف*", "امسح*", "مسح*", "ازال*", "ازيل*"),
    "hi": ("हटा*", "डिलीट*", "मिटा*", "delete*", "hatao*", "hata*", "mita*"),
    "id": ("hapus*", "dihapus*", "hilangkan*"),
    "ms": ("padam*", "hapus*", "buang*"),
    "tl": ("burahin*", "tanggalin*", "idelete*", "delete*"),
    "th": ("ลบ",),
    "vi": ("xoa*",),
    "ja": ("削除", "消して", "消去", "消す"),
    "ko": ("삭제", "지워"),
    "zh": ("删除", "删掉", "删了", "清除", "移除", "删"),
    "uk": ("видал*", "стер*", "зітр*", "знищ*"),
    "sv": ("radera*", "ta bort", "tabort", "rensa*", "glom*"),
    "cs": ("smaz*", "vymaz*", "odstran*", "zlikvid*"),
    "ro": ("sterge*", "stergeti*", "elimina*", "eliminati*"),
    "el": ("διαγραψ*", "διαγραφ*", "σβηστ*", "σβησ*"),
    "he": ("מחק*", "תמחק*", "למחוק*", "תמחוק*", "מחיקת*"),
}

_DELETE_OBJECTS_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": (
        "my data", "my personal data", "my information", "my personal information", "my info",
        "my details", "my personal details", "my number", "my phone number", "my account",
        "my contact", "my records", "my email",
    ),
    "es": ("mis datos", "mi informacion", "mi info", "mi numero", "mi cuenta"),
    "pt": ("meus dados", "minhas informacoes", "meu numero", "minha conta"),
    "fr": ("mes donnees", "mes informations", "mes infos", "mon numero", "mon compte",
           "mes coordonnees"),
    "de": ("meine daten", "meine personlichen daten", "meine nummer", "mein konto",
           "meine informationen", "meine angaben"),
    "it": ("miei dati", "il mio numero", "mio account"),
    "nl": ("mijn gegevens", "mijn data", "mijn nummer"),
    "pl": ("moje dane", "moich danych", "moj numer"),
    "ru": ("мои данные", "мою информацию", "мой номер", "персональные данные"),
    "tr": ("verilerimi", "bilgilerimi", "numarami"),
    "ar": ("بياناتي", "معلوماتي", "رقمي", "حسابي"),
    "hi": ("मेरा डेटा", "मेरी जानकारी", "मेरा नंबर", "mera data", "meri jankari", "mera number"),
    "id": ("data saya", "data pribadi", "data aku", "dataku", "nomor saya", "akun saya"),
    "ms": ("data saya", "maklumat saya", "nombor saya"),
    "tl": ("data ko", "aking data", "impormasyon ko", "number ko"),
    "th": ("ข้อมูล",),
    "vi": ("du lieu", "thong tin ca nhan", "thong tin cua toi"),
    "ja": ("データ", "個人情報", "情報"),
    "ko": ("정보", "데이터", "개인정보"),
    "zh": ("数据", "资料", "信息", "个人信息"),
    "uk": ("мої дані", "мої персональні дані", "персональні дані", "мою інформацію",
           "інформацію про мене", "всю інформацію", "дані про мене", "мій номер",
           "мій номер телефону", "мій акаунт", "акаунт", "мій профіль", "мої контакти"),
    "sv": ("mina uppgifter", "mina personuppgifter", "personuppgifter", "min data", "mina data",
           "min information", "mitt nummer", "mitt konto", "info om mig", "information om mig",
           "uppgifter om mig", "allt om mig", "mina kontaktuppgifter", "kontot"),
    "cs": ("moje udaje", "moje osobni udaje", "me udaje", "me osobni udaje", "svoje udaje",
           "sve udaje", "osobni udaje", "moje data", "sva data", "moje cislo", "muj ucet",
           "moje informace", "ucet", "vsechny udaje", "udaje o me", "informace o me",
           "me cislo"),
    "ro": ("datele mele", "datelor mele", "datele personale", "datelor personale", "datele",
           "datelor", "informatiile mele", "informatiile personale", "numarul meu",
           "numarul de telefon", "contul meu", "contul"),
    "el": ("τα δεδομενα μου", "τα στοιχεια μου", "τα προσωπικα μου δεδομενα",
           "τα προσωπικα μου στοιχεια", "προσωπικα δεδομενα", "τον αριθμο μου",
           "τον λογαριασμο μου", "το νουμερο μου", "το τηλεφωνο μου", "ολα τα στοιχεια μου"),
    "he": ("הפרטים שלי", "המידע שלי", "הנתונים שלי", "המידע עליי", "המידע עלי", "המספר שלי",
           "החשבון שלי", "הפרטים האישיים", "המידע האישי"),
}

#: Objects that name how we reach the customer, not data about them: "remove my number
#: from your list" asks to leave a messaging list (an opt-out), not to be erased.
CONTACT_OBJECTS: frozenset[str] = frozenset(
    {
        "my number", "my phone number", "my contact", "my email", "my whatsapp", "mi numero",
        "meu numero", "mon numero", "meine nummer", "il mio numero", "mijn nummer",
        "moj numer", "мой номер", "numarami", "رقمي", "मेरा नंबर", "mera number", "nomor saya",
        "nombor saya", "number ko", "mitt nummer", "мій номер", "moje cislo", "numarul meu",
        "τον αριθμο μου", "το νουμερο μου", "το τηλεφωνο μου", "המספר שלי",
    }
)

#: A messaging list, per language: a removal verb of the same language (DELETE_VERBS,
#: LIST_REMOVE_VERBS) a few words before one asks to stop messages ("remove me from your
#: list", "quítame de la lista"). Paired by language, so that a stem of one language
#: ("sil*", Turkish delete) never meets a list of another ("silver ... list").
LIST_WORDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "en": ("list", "lists", "mailing list", "contact list", "contacts", "broadcast"),
        "es": ("lista", "listas", "difusion"),
        "pt": ("lista", "listas"),
        "fr": ("liste", "listes"),
        "de": ("liste", "verteiler"),
        "it": ("lista", "elenco"),
        "nl": ("lijst",),
        "pl": ("listy", "lista", "liscie"),
        "ru": ("списка", "список", "рассылки"),
        "tr": ("listeden", "listesinden"),
        "ar": ("القائمة", "قائمة"),
        "id": ("daftar", "list"),
        "ms": ("senarai",),
        "tl": ("listahan", "list"),
        "uk": ("списку", "розсилки"),
        "sv": ("listan", "listor", "utskick", "utskicket"),
        "cs": ("seznamu", "seznam"),
        "ro": ("lista", "listă", "liste"),
        "el": ("λιστα",),
        "he": ("רשימה", "הרשימה", "רשימת התפוצה"),
        "zh": ("名单",),
        "ja": ("リスト",),
        "ko": ("목록", "명단"),
        "th": ("รายชื่อ",),
        "vi": ("danh sach",),
    }
)

#: Verbs that take someone off a list without erasing anything ("quítame", "scoateți-mă").
LIST_REMOVE_VERBS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "es": ("quita*", "saca*"),
        "de": ("streich*",),
        "it": ("togli*",),
        "pl": ("wypisz*",),
        "ru": ("убер*", "исключ*"),
        "tr": ("çıkar*", "cikar*"),
        "id": ("keluarkan*",),
        "tl": ("alisin*",),
        "uk": ("приберіть*", "виключ*"),
        "ro": ("scoate*",),
        "el": ("βγαλ*",),
        "he": ("תוריד*", "תסיר*", "הסיר*", "להסיר*", "הוצא*", "תוציא*"),
    }
)

#: Whole requests to be forgotten, found anywhere in a short message.
FORGET_PHRASES: frozenset[str] = frozenset(
    {
        "forget me", "right to be forgotten", "olvídame", "olvidame", "olvídenme", "olvidenme",
        "oubliez-moi", "oubliez moi", "droit à l'oubli", "vergiss mich", "vergessen sie mich",
        "recht auf vergessenwerden", "esqueçam-me", "esquecam me", "me esqueçam",
        "dimenticatemi", "diritto all'oblio",
    }
)

#: Verbs that erase, per language; "*" marks a stem ("borr*": "borren", "borrad").
DELETE_VERBS: Mapping[str, tuple[str, ...]] = MappingProxyType(_DELETE_VERBS_BY_LANGUAGE)
#: What the customer asks to erase, with its possessive ("my data", "mis datos").
DELETE_OBJECTS: Mapping[str, tuple[str, ...]] = MappingProxyType(_DELETE_OBJECTS_BY_LANGUAGE)

#: Traditional characters of the lexicon's and the flows' words, with their simplified
#: form, so that "非常喜歡" meets "非常喜欢" and "別再發了" meets "别再发了".
TRADITIONAL_TO_SIMPLIFIED: Mapping[str, str] = MappingProxyType(
    dict(
        zip(
            "歡題問沒與貨損壞顏碼數資訂閱發別刪訊傳給個顆樣裡裏預適於說話請謝們這點還東來時間"
            "爛錯誤過實際長遲達較錢鍾訊號滿價質難對產品無買賣應該麼為隻條雙張種類寬緊"
            "運遞郵慢寄單號壓碎髒舊褲鞋襪帶鏈鈕釦紅綠藍黃顏偏嗎臺灣專頁網絡讓標準與參貳陸兩",
            "欢题问没与货损坏颜码数资订阅发别删讯传给个颗样里里预适于说话请谢们这点还东来时间"
            "烂错误过实际长迟达较钱钟讯号满价质难对产品无买卖应该么为只条双张种类宽紧"
            "运递邮慢寄单号压碎脏旧裤鞋袜带链钮扣红绿蓝黄颜偏吗台湾专页网络让标准与参贰陆两",
            strict=True,
        )
    )
)

# -- tolerant reading -----------------------------------------------------------------

#: A bare "no" to a question like "Did you have any problems?": it picks the choice that
#: says nothing applies (a flow marks it `exclusive`), in every language.
NO_ANSWERS: frozenset[str] = frozenset(
    {
        "no", "nope", "nah", "nop", "nothing", "none", "all good", "all fine", "everything fine",
        "everything was fine", "everything ok", "all ok", "no issues", "no problem",
        "nein", "nichts", "alles gut", "alles ok", "alles in ordnung", "keine",
        "non", "rien", "aucun", "aucune", "tout va bien", "tout est ok",
        "nada", "ninguno", "ninguna", "todo bien", "todo ok", "todo perfecto",
        "não", "nao", "nenhum", "nenhuma", "tudo bem", "tudo certo", "tudo ok",
        "niente", "nessuno", "tutto bene", "tutto ok", "nee", "niets", "alles goed",
        "nie", "nic", "wszystko ok", "wszystko w porządku", "нет", "ничего", "всё хорошо",
        "все хорошо", "всё ок", "hayır", "hayir", "yok", "her şey yolunda",
        "لا", "لا شيء", "لا يوجد", "كل شيء تمام", "تمام", "नहीं", "nahi", "nahin", "kuch nahi",
        "सब ठीक", "sab theek", "sab thik", "tidak", "tidak ada", "gak", "ga", "nggak", "enggak",
        "gak ada", "ga ada", "nggak ada", "aman", "aman semua", "tiada", "takde",
        "tak ada", "semua ok", "wala", "hindi", "wala naman", "ok lahat", "ไม่", "ไม่มี",
        "ไม่มีเลย", "เรียบร้อยดี", "không", "khong", "ko", "không có", "không có gì",
        "ổn", "ổn hết", "いいえ", "ない", "なし", "特にない", "特になし", "大丈夫", "大丈夫です",
        "아니요", "아니오", "없어요", "없음", "괜찮아요", "没有", "沒有", "无", "無", "冇",
        "都好", "都很好", "一切都好", "没问题", "沒問題", "一切正常",
        "ні", "нi", "ні дякую", "нічого", "немає", "нема", "все добре", "все ок", "все гаразд",
        "nej", "nä", "nej tack", "inga", "inget", "allt bra", "allt ok", "allt gick bra",
        "ne", "žádné", "vse ok", "vše ok", "vše v pořádku", "v pořádku", "v poradku",
        "nu", "nimic", "nicio", "totul ok", "totul bine", "totul e ok",
        "όχι", "οχι", "τίποτα", "κανένα", "όλα καλά", "ολα καλα", "όλα τέλεια",
        "לא", "כלום", "אין", "הכל טוב", "הכל בסדר", "הכול טוב", "הכול בסדר", "תקין",
        "הכל תקין", "v pohodě", "vše v pohodě", "všechno v pohodě",
        "všechno ok",
    }
)

#: Nouns that make a number a count, not a rating: "took 5 days", "1 item was missing".
COUNT_NOUNS: frozenset[str] = frozenset(
    {
        "day", "days", "week", "weeks", "hour", "hours", "item", "items", "piece", "pieces",
        "pcs", "pc", "times", "dia", "dias", "días", "semana", "semanas", "horas",
        "artículo", "artículos", "piezas", "pieza", "prendas", "itens", "peças", "pecas",
        "jour", "jours", "semaines", "heures", "articles", "pièces", "tag", "tage", "tagen",
        "wochen", "stunden", "teile", "artikel", "giorno", "giorni", "settimane", "ore",
        "pezzi", "dag", "dagen", "weken", "uur", "dni", "dzień", "tygodnie", "godzin",
        "sztuki", "дней", "дня", "день", "недели", "часов", "штуки", "gün", "günde",
        "gunde", "hafta", "saat", "adet", "hari", "minggu", "jam", "biji", "araw",
        "linggo", "oras", "piraso", "din", "दिन", "hafte", "ngày", "tuần", "giờ", "món",
        "cái", "วัน", "สัปดาห์", "ชิ้น", "ชั่วโมง", "يوم", "ايام", "أيام", "أسابيع", "قطع",
        "天", "日", "周", "週", "个", "個", "件", "小时", "時間", "일", "주", "시간", "개",
        "днів", "дні", "тижні", "тижнів", "годин", "штук", "dagar", "veckor", "timmar", "st",
        "plagg", "dny", "dní", "týdny",
        "tydny", "hodin", "kusy", "kusů", "kusu", "zile", "zi", "săptămâni", "saptamani",
        "bucăți", "bucati", "μέρες", "ημέρες", "μερες", "εβδομάδες", "ώρες", "κομμάτια",
        "ימים", "יום", "שבועות", "שעות", "פריטים", "יחידות",
    }
)
