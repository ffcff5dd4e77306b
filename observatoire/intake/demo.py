"""Demo captions: a deterministic generator of provider-shaped caption chunks, in French.

The demo source lets anyone run the whole pipeline without a provider account. It writes its own
caption-style text (lowercase, no punctuation, `l' eau`, numbers in words, fillers, `<unk>`), with
per-word timings, only during each channel's programme-grid slots, and it reproduces the
irregularities of a real feed so that their handling is visible: a missing quarter hour, a
duplicated chunk, a chunk without word timings and one malformed record per day.

Output depends only on (seed, day, channel): a run restricted to some channels produces, for each of
them, the very chunks a full run produces. Sentences are tokenised once into pools; a chunk is a
slice of a pre-built word stream, so a year of 18 channels takes seconds, not minutes.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from observatoire.intake.records import CAPTION_SCHEMA, PARIS, SRT_TYPE, SRT_WORD_TYPE, chunk_id

CHUNK_SECONDS = 120

DEMO_SOURCE = "demo"


class _ChannelLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def radio(self) -> bool: ...


class _GridLike(Protocol):
    @property
    def channels(self) -> Sequence[str]: ...

    def slots_on(self, channel: str, day: date) -> Sequence[Any]: ...


# --------------------------------------------------------------------------- numbers in words

_UNITS = (
    *("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix"),
    *("onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf"),
)
_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def _below_hundred(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    if n < 70:
        tens, unit = divmod(n, 10)
        if unit == 0:
            return _TENS[tens]
        if unit == 1:
            return f"{_TENS[tens]} et un"
        return f"{_TENS[tens]}-{_UNITS[unit]}"
    if n < 80:
        return "soixante et onze" if n == 71 else f"soixante-{_UNITS[n - 60]}"
    if n == 80:
        return "quatre-vingts"
    return f"quatre-vingt-{_UNITS[n - 80]}"


def number_in_words(n: int) -> str:
    """French words for 0 ≤ n < 1,000,000 as speech-to-text writes them (`deux mille dix-neuf`)."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number out of range: {n}")
    if n < 100:
        return _below_hundred(n)
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "cent" if hundreds == 1 else f"{_UNITS[hundreds]} cent"
        if rest == 0:
            return head if hundreds == 1 else head + "s"
        return f"{head} {_below_hundred(rest)}"
    thousands, rest = divmod(n, 1000)
    head = "mille" if thousands == 1 else f"{number_in_words(thousands)} mille"
    return head if rest == 0 else f"{head} {number_in_words(rest)}"


# --------------------------------------------------------------------------- sentence templates
# Written with ordinary apostrophes; tokenisation splits `l'eau` into `l'` + `eau` as captions do.

_FILL: dict[str, tuple[str, ...]] = {
    "ville": (
        "marseille",
        "lyon",
        "toulouse",
        "bordeaux",
        "lille",
        "nantes",
        "rennes",
        "strasbourg",
        "montpellier",
        "grenoble",
        "perpignan",
        "brest",
        "dijon",
        "clermont-ferrand",
        "nice",
        "rouen",
        "metz",
        "limoges",
        "poitiers",
        "bayonne",
        "ajaccio",
        "saint-étienne",
    ),
    "region": (
        "l'occitanie",
        "la bretagne",
        "la normandie",
        "les hauts-de-france",
        "la nouvelle-aquitaine",
        "le grand est",
        "la provence",
        "l'auvergne",
        "les pyrénées-orientales",
        "la corse",
        "les alpes",
        "la vallée du rhône",
        "le var",
        "la gironde",
    ),
    "pays": (
        "l'allemagne",
        "l'italie",
        "l'espagne",
        "les états-unis",
        "la chine",
        "le brésil",
        "l'inde",
        "le royaume-uni",
        "l'ukraine",
        "le maroc",
        "le canada",
        "le japon",
    ),
    "personne": (
        "le premier ministre",
        "la ministre de la santé",
        "le président de la république",
        "le maire de la ville",
        "la présidente de la région",
        "le porte-parole du gouvernement",
        "le ministre de l'économie",
        "la secrétaire générale du syndicat",
        "le préfet",
        "la ministre du travail",
        "le chef de l'opposition",
    ),
    "equipe": (
        "le psg",
        "l'olympique de marseille",
        "lyon",
        "lens",
        "le stade toulousain",
        "l'équipe de france",
        "les bleus",
        "monaco",
        "rennes",
        "la rochelle",
    ),
    "jour": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "mois": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "filler": ("euh", "euh", "ben", "voilà", "alors", "bon", "hein"),
}
_NUMBER_RANGES = {
    "chiffre": (1, 9),
    "petit": (2, 19),
    "nombre": (20, 99),
    "centaine": (100, 999),
    "millier": (1000, 90000),
    "annee": (2026, 2060),
    "pourcent": (2, 60),
    "degres": (28, 44),
}

_ORDINARY: dict[str, tuple[str, ...]] = {
    "politique": (
        "{personne} a présenté ce matin le projet de loi sur le budget de l'état",
        "les députés examinent à partir de {jour} le texte en première lecture à l'assemblée",
        "l'opposition dénonce un passage en force et promet de déposer une motion de censure",
        "selon un sondage publié ce {jour} {pourcent} pour cent des français sont favorables "
        "à la réforme",
        "{personne} était l'invité de notre matinale et il a répondu à vos questions",
        "le conseil des ministres s'est réuni ce matin à l'élysée autour du chef de l'état",
        "les négociations reprennent {jour} entre les partenaires sociaux et le gouvernement",
        "au sénat la commission des finances a rejeté l'amendement par {nombre} voix contre "
        "{petit}",
        "les élections municipales approchent et les listes se constituent à {ville}",
        "{personne} a annoncé qu'il ne se représenterait pas aux prochaines élections",
        "c'est un remaniement attendu depuis plusieurs semaines qui se précise",
        "la réforme des retraites revient dans le débat avec une nouvelle proposition",
        "le gouvernement veut réduire le déficit public de {petit} milliards d'euros l'an prochain",
        "les syndicats appellent à une journée de mobilisation le {petit} {mois}",
        "{filler} il faut il faut bien comprendre que le texte va encore évoluer",
        "dans l'hémicycle le ton est monté entre la majorité et les oppositions",
    ),
    "economie": (
        "l'inflation a ralenti en {mois} à {petit} virgule {chiffre} pour cent sur un an",
        "le chômage est resté stable au dernier trimestre à {petit} virgule {chiffre} pour cent",
        "le prix du pétrole est reparti à la hausse sur les marchés ce {jour}",
        "à la pompe le prix du gazole dépasse à nouveau un euro {nombre} le litre",
        "la bourse de paris a terminé la séance en hausse de {petit} virgule {chiffre} pour cent",
        "le constructeur automobile annonce {centaine} suppressions de postes dans son usine "
        "de {ville}",
        "les ventes de voitures neuves ont reculé de {pourcent} pour cent le mois dernier",
        "la banque centrale européenne a décidé de maintenir ses taux directeurs",
        "les factures d'électricité vont augmenter au premier {mois} pour les ménages",
        "les commerçants de {ville} attendent beaucoup des soldes qui commencent {jour}",
        "le prix de l'immobilier continue de baisser dans la plupart des grandes villes",
        "les agriculteurs manifestent pour réclamer de meilleurs prix pour leur production",
        "la croissance française devrait atteindre {petit} virgule {chiffre} pour cent cette année",
        "le groupe pétrolier a publié des bénéfices records de {nombre} milliards de dollars",
        "{filler} c'est une bonne nouvelle pour le pouvoir d'achat des français",
        "les compagnies aériennes profitent d'une forte reprise du trafic cet été",
        "le marché de l'énergie reste très tendu en europe selon les analystes",
    ),
    "international": (
        "en {pays} le gouvernement a annoncé de nouvelles mesures après les manifestations",
        "les discussions se poursuivent à bruxelles entre les vingt-sept sur le budget européen",
        "le secrétaire général de l'onu appelle à un cessez-le-feu immédiat",
        "le président américain reçoit ce {jour} son homologue à la maison blanche",
        "les élections en {pays} ont été marquées par une forte participation",
        "un sommet du g vingt s'ouvre {jour} avec au menu le commerce mondial",
        "l'union européenne prépare un nouveau paquet de sanctions",
        "{nombre} personnes ont été évacuées après un séisme de magnitude {petit} en asie",
        "notre envoyé spécial est sur place il nous raconte la situation",
        "les frappes se sont poursuivies toute la nuit selon les autorités locales",
        "le chef de la diplomatie française est attendu {jour} à {pays}",
        "{filler} la tension reste très vive à la frontière",
    ),
    "faits_divers": (
        "un incendie s'est déclaré cette nuit dans un immeuble de {ville} sans faire de victime",
        "les pompiers sont intervenus vers {petit} heures du matin pour un feu d'appartement",
        "un accident de la route a fait {petit} blessés sur l'autoroute près de {ville}",
        "le procès s'ouvre {jour} devant la cour d'assises de {ville}",
        "un homme a été interpellé après une course-poursuite dans le centre de {ville}",
        "une canalisation a cédé et le sous-sol de l'école a été inondé",
        "les enquêteurs privilégient la piste criminelle selon le parquet",
        "une adolescente portée disparue depuis {jour} a été retrouvée saine et sauve",
        "un violent orage de grêle a endommagé plusieurs voitures sur un parking",
        "la gendarmerie lance un appel à témoins",
        "{filler} les circonstances du drame restent encore floues",
    ),
    "sport": (
        "en ligue un {equipe} s'est imposé {petit} à {petit} face à {equipe}",
        "les bleus affrontent {pays} {jour} soir en match amical",
        "le tour de france arrive ce {jour} au sommet du tourmalet",
        "en rugby {equipe} a décroché sa qualification pour les demi-finales",
        "à roland-garros le français s'est qualifié pour le deuxième tour en trois sets",
        "le sélectionneur a dévoilé une liste de {nombre} joueurs avec une surprise",
        "une ambiance de feu et une chaleur incroyable dans les tribunes du stade",
        "le marathon de {ville} a réuni {millier} coureurs ce {jour}",
        "la navigatrice a profité d'un vent favorable pour prendre la tête de la course",
        "{filler} un match un match fou avec un but dans les arrêts de jeu",
        "les jeux olympiques d'hiver se préparent et les athlètes sont à l'entraînement",
        "le club annonce l'arrivée d'un nouvel entraîneur pour la fin de saison",
    ),
    "sante": (
        "l'épidémie de grippe progresse dans {region} selon santé publique france",
        "les urgences de l'hôpital de {ville} sont saturées depuis plusieurs jours",
        "les médecins généralistes seront en grève {jour} pour réclamer une revalorisation",
        "une nouvelle campagne de vaccination commence le {petit} {mois}",
        "le manque de soignants inquiète dans les déserts médicaux",
        "une étude montre les bienfaits de la marche quotidienne sur le cœur",
        "{filler} il faut consulter dès les premiers symptômes",
        "le prix de certains médicaments va baisser au premier {mois}",
    ),
    "culture": (
        "le festival de {ville} a accueilli plus de {millier} spectateurs cette année",
        "le film est en tête du box-office avec {centaine} mille entrées en première semaine",
        "une grande exposition consacrée aux impressionnistes ouvre ses portes {jour}",
        "l'écrivaine a reçu le prix goncourt pour son nouveau roman",
        "le chanteur sera en concert à {ville} le {petit} {mois}",
        "les musées nationaux seront gratuits le premier dimanche du mois",
        "{filler} c'est un spectacle pour toute la famille",
        "la série française a été récompensée lors d'un festival international",
    ),
    "societe": (
        "la rentrée scolaire concerne cette année {petit} millions d'élèves",
        "le prix des loyers continue de grimper à {ville} et les étudiants peinent à se loger",
        "une grève perturbe le trafic ferroviaire ce {jour} dans {region}",
        "les contrôleurs aériens annoncent un mouvement social pour le week-end",
        "le nombre de naissances a encore baissé l'an dernier selon l'insee",
        "de plus en plus de français choisissent le covoiturage pour aller au travail",
        "à {ville} une association aide les familles à faire leurs démarches",
        "le gouvernement veut simplifier le permis de conduire",
        "{filler} on a rencontré des habitants qui nous ont raconté leur quotidien",
        "les associations alertent sur la hausse de la pauvreté",
    ),
    "meteo": (
        "place à la météo avec du soleil sur la moitié sud et des nuages au nord",
        "des averses sont attendues en fin de journée sur {region}",
        "les températures seront de saison avec {petit} degrés le matin et {nombre} l'après-midi",
        "attention au vent qui soufflera fort sur les côtes avec des rafales à {nombre} kilomètres "
        "heure",
        "un temps doux et sec pour ce week-end sur l'ensemble du pays",
        "quelques orages pourraient éclater en soirée sur les reliefs",
        "la météo de demain des éclaircies et une douceur agréable",
        "de la neige au-dessus de {centaine} mètres dans les alpes",
    ),
    "pub": (
        "vous écoutez la matinale et il est {petit} heures {nombre}",
        "restez avec nous la suite de l'information c'est juste après la publicité",
        "retrouvez tous nos programmes en replay sur notre application",
        "les titres de l'actualité dans un instant",
        "merci de nous avoir suivis bonne soirée à tous",
        "tout de suite le journal présenté par notre journaliste",
    ),
}

_ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "climat_constat": (
        "le réchauffement climatique s'accélère selon le dernier rapport du giec",
        "l'année a été la plus chaude jamais enregistrée en france depuis le début des relevés",
        "la température moyenne de la planète a déjà augmenté de un virgule deux degré",
        "les scientifiques alertent sur le changement climatique et ses effets visibles partout",
        "le climat change plus vite que prévu estime la climatologue que nous avons interrogée",
        "les glaciers des alpes ont perdu {pourcent} pour cent de leur volume depuis le siècle "
        "dernier",
        "{filler} on voit bien que le dérèglement climatique n'est plus une projection",
        "les records de chaleur se multiplient sur tous les continents",
    ),
    "climat_causes": (
        "les émissions de gaz à effet de serre de la france ont baissé de {petit} pour cent",
        "le transport routier reste le premier secteur émetteur de co deux dans le pays",
        "les énergies fossiles charbon pétrole et gaz causent l'essentiel des émissions",
        "la combustion du charbon fait encore grimper les émissions mondiales",
        "les vols en avion pèsent lourd dans l'empreinte carbone des ménages les plus aisés",
        "la déforestation en amazonie libère des millions de tonnes de carbone",
        "le méthane issu de l'élevage contribue aussi au réchauffement",
        "{filler} c'est l'utilisation massive des énergies fossiles qui est en cause",
    ),
    "climat_consequences": (
        "la canicule frappe {region} avec des températures jusqu'à {degres} degrés",
        "la sécheresse s'aggrave et les agriculteurs de {region} s'inquiètent pour leurs récoltes",
        "de violentes inondations ont touché {region} après des pluies diluviennes",
        "les incendies de forêt ont déjà ravagé {millier} hectares cet été",
        "la montée du niveau de la mer menace le littoral et l'érosion côtière s'accélère",
        "la vague de chaleur fait craindre une surmortalité chez les personnes âgées",
        "les vendanges sont de plus en plus précoces à cause de la hausse des températures",
        "la fonte des glaces au groenland s'accélère selon une nouvelle étude",
        "{filler} les canicules à répétition mettent les villes sous tension",
        "les phénomènes météorologiques extrêmes vont se multiplier avec le réchauffement",
    ),
    "climat_solutions": (
        "le parc éolien en mer au large de {ville} produira l'équivalent de la consommation de "
        "{centaine} mille foyers",
        "les énergies renouvelables représentent désormais {pourcent} pour cent de la production "
        "d'électricité",
        "la rénovation thermique des logements doit permettre de réduire la consommation d'énergie",
        "les panneaux solaires se multiplient sur les toits des entreprises de {region}",
        "la ville de {ville} développe les pistes cyclables et les transports en commun",
        "l'objectif reste la neutralité carbone en deux mille cinquante",
        "le plan de sobriété énergétique demande de baisser le chauffage à dix-neuf degrés",
        "les pompes à chaleur remplacent peu à peu les chaudières au fioul",
        "la ville plante des arbres pour créer des îlots de fraîcheur face aux canicules",
        "le plan d'adaptation au changement climatique prépare le pays à plus quatre degrés",
        "{filler} la transition énergétique ça passe aussi par nos gestes du quotidien",
        "les négociateurs de la cop cherchent un accord sur la sortie des énergies fossiles",
    ),
    "biodiversite": (
        "la biodiversité s'effondre un million d'espèces sont menacées d'extinction",
        "les populations d'insectes pollinisateurs ont chuté de {pourcent} pour cent en trente ans",
        "l'utilisation des pesticides est mise en cause dans le déclin des abeilles",
        "l'artificialisation des sols grignote chaque année des milliers d'hectares de terres "
        "agricoles",
        "les zones humides disparaissent et avec elles de nombreuses espèces d'oiseaux",
        "une nouvelle aire marine protégée a été créée au large de {ville}",
        "le loup est de retour dans {region} et la cohabitation avec les éleveurs reste difficile",
        "les récifs coralliens blanchissent à cause de la hausse de la température de l'océan",
        "la pollution plastique menace la faune marine en méditerranée",
        "des bénévoles replantent des haies pour protéger la biodiversité dans les campagnes",
        "{filler} la perte de biodiversité c'est aussi une menace pour notre alimentation",
        "la déforestation détruit l'habitat des grands singes",
    ),
    "ressources": (
        "les nappes phréatiques sont à un niveau bas dans {petit} départements",
        "des restrictions d'eau sont en vigueur dans {region} à cause de la sécheresse",
        "la ressource en eau devient un enjeu majeur pour les agriculteurs",
        "les métaux rares nécessaires aux batteries font l'objet d'une course mondiale",
        "le recyclage des déchets progresse mais reste insuffisant selon l'ademe",
        "le gaspillage alimentaire représente {nombre} kilos par an et par habitant",
        "les mégabassines divisent les agriculteurs et les défenseurs de l'environnement",
        "{filler} l'eau potable va devenir un bien de plus en plus rare",
        "la sobriété dans l'usage de l'eau est encouragée par les pouvoirs publics",
    ),
}

_ENVIRONMENT_WEIGHTS = {
    "climat_constat": 3,
    "climat_causes": 2,
    "climat_consequences": 4,
    "climat_solutions": 4,
    "biodiversite": 3,
    "ressources": 3,
}
_ORDINARY_WEIGHTS = {
    "politique": 5,
    "economie": 5,
    "international": 5,
    "faits_divers": 4,
    "sport": 4,
    "sante": 3,
    "culture": 2,
    "societe": 4,
    "meteo": 1,
}

_VARIANTS_PER_TEMPLATE = 6
_UNK_RATE = 0.012
_FILLER_RATE = 0.05
_PUB_RATE = 0.08


def _fill(template: str, rng: random.Random) -> str:
    out = template
    while "{" in out:
        before, rest = out.split("{", 1)
        name, after = rest.split("}", 1)
        if name in _NUMBER_RANGES:
            low, high = _NUMBER_RANGES[name]
            value = number_in_words(rng.randint(low, high))
        else:
            value = rng.choice(_FILL[name])
        out = before + value + after
    return out


def caption_tokens(text: str) -> list[str]:
    """Split as speech-to-text writes: elided words apart (`l'eau` -> `l'`, `eau`)."""
    tokens: list[str] = []
    for word in text.lower().split():
        while "'" in word[:-1]:
            elided, word = word.split("'", 1)
            tokens.append(elided + "'")
        tokens.append(word)
    return tokens


def _spoken(text: str, rng: random.Random) -> list[str]:
    words: list[str] = []
    for word in caption_tokens(text):
        if rng.random() < _FILLER_RATE:
            words.append("euh")
        words.append("<unk>" if rng.random() < _UNK_RATE else word)
    return words


@dataclass(frozen=True)
class _Pools:
    """Every sentence variant tokenised once, flattened into numpy arrays.

    Sentence s has words `word_ids[first[s]:first[s] + size[s]]`, spoken at `offsets_ms` after the
    sentence starts. Topic t owns sentences `topic_first[t]` onwards, grouped by template
    (`_VARIANTS_PER_TEMPLATE` consecutive variants each), `topic_templates[t]` templates.
    """

    vocabulary: pa.Array
    word_ids: np.ndarray
    offsets_ms: np.ndarray
    durations_ms: np.ndarray
    first: np.ndarray
    size: np.ndarray
    length_ms: np.ndarray
    topics: tuple[str, ...]
    topic_first: np.ndarray
    topic_templates: np.ndarray
    ordinary: np.ndarray
    ordinary_p: np.ndarray
    environment: np.ndarray
    environment_p: np.ndarray
    pub: int


@cache
def _pools() -> _Pools:
    rng = random.Random("observatoire-demo-pools")
    templates = {**_ORDINARY, **_ENVIRONMENT}
    vocabulary: dict[str, int] = {}
    word_ids: list[int] = []
    offsets: list[int] = []
    durations: list[int] = []
    first: list[int] = []
    size: list[int] = []
    length: list[int] = []
    topic_first: list[int] = []
    topic_templates: list[int] = []
    for items in templates.values():
        topic_first.append(len(first))
        topic_templates.append(len(items))
        for template in items:
            for _ in range(_VARIANTS_PER_TEMPLATE):
                words = _spoken(_fill(template, rng), rng)
                first.append(len(word_ids))
                size.append(len(words))
                clock = 0
                for word in words:
                    duration = 300 if word == "<unk>" else min(900, 70 + 48 * len(word))
                    duration += rng.randint(0, 40)
                    word_ids.append(vocabulary.setdefault(word, len(vocabulary)))
                    offsets.append(clock)
                    durations.append(duration)
                    clock += duration + rng.randint(15, 70)
                length.append(clock)
    topics = tuple(templates)

    def weights(table: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        index = np.array([topics.index(name) for name in table], dtype=np.int64)
        p = np.array(list(table.values()), dtype=np.float64)
        return index, p / p.sum()

    ordinary, ordinary_p = weights(_ORDINARY_WEIGHTS)
    environment, environment_p = weights(_ENVIRONMENT_WEIGHTS)
    return _Pools(
        vocabulary=pa.array(list(vocabulary), pa.string()),
        word_ids=np.array(word_ids, dtype=np.int32),
        offsets_ms=np.array(offsets, dtype=np.int64),
        durations_ms=np.array(durations, dtype=np.int32),
        first=np.array(first, dtype=np.int64),
        size=np.array(size, dtype=np.int64),
        length_ms=np.array(length, dtype=np.int64),
        topics=topics,
        topic_first=np.array(topic_first, dtype=np.int64),
        topic_templates=np.array(topic_templates, dtype=np.int64),
        ordinary=ordinary,
        ordinary_p=ordinary_p,
        environment=environment,
        environment_p=environment_p,
        pub=topics.index("pub"),
    )


# --------------------------------------------------------------------------- airtime mix


def _stable_fraction(text: str) -> float:
    """A number in [0, 1) fixed by the text (independent of PYTHONHASHSEED)."""
    return random.Random(text).random()


def environment_story_rate(day: date, channel_name: str, seed: int = 0) -> float:
    """Probability that a news story is about the environment, for a channel on a day.

    A few percent, higher on some channels than on others, higher in the summer heat and around
    the November-December climate conferences, and noisy from day to day.
    """
    channel_factor = 0.55 + 1.1 * _stable_fraction(f"{seed}:channel:{channel_name}")
    day_of_year = day.timetuple().tm_yday
    summer = 0.8 if 180 <= day_of_year <= 240 else 0.0
    conference = (day.month == 11 and day.day >= 10) or (day.month == 12 and day.day <= 12)
    noise = 0.5 + _stable_fraction(f"{seed}:day:{day.isoformat()}")
    return 0.02 * channel_factor * (1.0 + summer + 0.7 * conference) * noise


# --------------------------------------------------------------------------- speech streams


def _generator(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _speech(
    rng: np.random.Generator, start_ms: int, end_ms: int, env_rate: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Word ids, times and durations of continuous news speech over [start_ms, end_ms)."""
    pools = _pools()
    stories = max(4, int((end_ms - start_ms) / 25_000) + 4)
    sentences = np.zeros(0, dtype=np.int64)
    gaps = np.zeros(0, dtype=np.int64)
    while True:
        environmental = rng.random(stories) < env_rate
        topic = np.where(
            environmental,
            rng.choice(pools.environment, size=stories, p=pools.environment_p),
            rng.choice(pools.ordinary, size=stories, p=pools.ordinary_p),
        )
        topic = np.where(rng.random(stories) < _PUB_RATE, pools.pub, topic)
        templates = pools.topic_templates[topic]
        count = np.where(environmental, rng.integers(4, 13, stories), rng.integers(3, 11, stories))
        count = np.minimum(np.where(topic == pools.pub, 1, count), templates)
        story = np.repeat(np.arange(stories), count)
        position = np.arange(len(story)) - np.repeat(np.cumsum(count) - count, count)
        # Consecutive templates of the topic, so a story reads as one report.
        template = (rng.integers(0, 1 << 30, stories)[story] + position) % templates[story]
        variant = rng.integers(0, _VARIANTS_PER_TEMPLATE, len(story))
        chosen = (
            pools.topic_first[topic[story]] + template * _VARIANTS_PER_TEMPLATE + variant
        ).astype(np.int64)
        pause: np.ndarray = rng.integers(250, 700, len(story))
        story_end = np.zeros(len(story), dtype=bool)
        story_end[np.cumsum(count) - 1] = True
        pause = pause + story_end * rng.integers(500, 2500, len(story))
        sentences = np.concatenate([sentences, chosen])
        gaps = np.concatenate([gaps, pause])
        if (pools.length_ms[sentences] + gaps).sum() >= end_ms - start_ms:
            break
    sentence_start = start_ms + np.concatenate(
        [[0], np.cumsum(pools.length_ms[sentences] + gaps)[:-1]]
    )
    keep = sentence_start < end_ms
    sentences, sentence_start = sentences[keep], sentence_start[keep]
    sizes = pools.size[sentences]
    owner = np.repeat(np.arange(len(sentences)), sizes)
    flat = np.repeat(pools.first[sentences] - (np.cumsum(sizes) - sizes), sizes) + np.arange(
        sizes.sum()
    )
    times = sentence_start[owner] + pools.offsets_ms[flat]
    return pools.word_ids[flat], times, pools.durations_ms[flat]


def _epoch(value: Any) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp())
    return int(value)


def _chunk_starts(slots: Sequence[Any], day_start: int, day_end: int) -> list[int]:
    """Starts (epoch s, multiples of 120) of the chunks overlapping the slots, within the day."""
    starts: set[int] = set()
    for slot in slots:
        begin = max(_epoch(slot.start_utc), day_start)
        end = min(_epoch(slot.end_utc), day_end)
        first = begin - begin % CHUNK_SECONDS
        starts.update(range(first, end, CHUNK_SECONDS))
    return sorted(s for s in starts if day_start <= s < day_end)


def _runs(starts: list[int]) -> list[tuple[int, int]]:
    """Consecutive chunk starts grouped into (first, last + 120) runs of continuous speech."""
    runs: list[tuple[int, int]] = []
    for start in starts:
        if runs and runs[-1][1] == start:
            runs[-1] = (runs[-1][0], start + CHUNK_SECONDS)
        else:
            runs.append((start, start + CHUNK_SECONDS))
    return runs


@dataclass
class _ChannelSpeech:
    starts: list[int]
    word_ids: np.ndarray
    times: np.ndarray
    durations: np.ndarray
    bounds: np.ndarray
    """Chunk i holds words bounds[i]:bounds[i + 1]."""


def _channel_speech(starts: list[int], rng: np.random.Generator, env_rate: float) -> _ChannelSpeech:
    ids: list[np.ndarray] = []
    times: list[np.ndarray] = []
    durations: list[np.ndarray] = []
    bounds: list[np.ndarray] = []
    offset = 0
    for run_start, run_end in _runs(starts):
        # The provider cuts words a second or so before each chunk's start (METHODOLOGY §1).
        lead_ms = int(rng.integers(0, 1500))
        run_ids, run_times, run_durations = _speech(
            rng, run_start * 1000 - lead_ms, run_end * 1000 - lead_ms, env_rate
        )
        edges = np.arange(run_start, run_end, CHUNK_SECONDS, dtype=np.int64) * 1000 - lead_ms
        bounds.append(offset + np.searchsorted(run_times, edges))
        ids.append(run_ids)
        times.append(run_times)
        durations.append(run_durations)
        offset += len(run_ids)
    if not ids:
        empty = np.zeros(0, dtype=np.int64)
        return _ChannelSpeech([], empty.astype(np.int32), empty, empty.astype(np.int32), empty)
    return _ChannelSpeech(
        starts=starts,
        word_ids=np.concatenate(ids),
        times=np.concatenate(times),
        durations=np.concatenate(durations),
        bounds=np.concatenate([*bounds, [offset]]),
    )


# --------------------------------------------------------------------------- irregularities


def _drop_quarter_hour(starts: list[int], rng: np.random.Generator) -> list[int]:
    """Remove the chunks of one quarter hour, as when the provider's recorder was down."""
    if len(starts) < 16:
        return starts
    gap_start = starts[int(rng.integers(0, len(starts) - 8))]
    gap_start -= gap_start % 900
    return [s for s in starts if not gap_start <= s < gap_start + 900]


def _malformed(item: dict[str, Any], day: date) -> dict[str, Any]:
    """A broken copy of an item; which defect depends on the day, so each kind shows up."""
    broken = dict(item)
    kind = day.toordinal() % 3
    if kind == 0:
        broken["start"] = item["start"] * 1000  # milliseconds where seconds are expected
    elif kind == 1:
        broken["plaintext"] = None
    else:
        broken["channel"] = {"title": item["channel"]["title"], "radio": item["channel"]["radio"]}
    return broken


def _pick(names: list[str], day: date, salt: int) -> str:
    return names[(day.toordinal() * 7 + salt) % len(names)]


# --------------------------------------------------------------------------- the demo day


@dataclass(frozen=True)
class DemoDay:
    """One generated broadcast day: regular chunks as typed columns, irregular records as items.

    `chunks` (CAPTION_SCHEMA) holds every regular chunk, built column-wise so a year takes
    seconds. `items` are provider-shaped records that must go through item parsing: a chunk sent
    twice, a chunk without word timings and one malformed record; their chunk ids never collide
    with `chunks`.
    """

    chunks: pa.Table
    items: list[dict[str, Any]]

    def all_items(self) -> list[dict[str, Any]]:
        """Everything as provider items (the API shape), sorted by channel and start."""
        rows = self.chunks.to_pylist()
        items = [
            {
                "channel": {
                    "name": row["channel_name"],
                    "title": row["channel_title"],
                    "radio": row["channel_radio"],
                },
                "start": int(row["start"].timestamp()),
                "plaintext": row["plaintext"],
                "srt": row["srt"],
            }
            for row in rows
        ]
        return sorted(items + self.items, key=_item_order)


def _item_order(item: dict[str, Any]) -> tuple[str, int]:
    channel = item.get("channel") or {}
    start = item.get("start")
    return str(channel.get("name", "")), start if isinstance(start, int) else 0


def _day_bounds(day: date) -> tuple[int, int]:
    following = day + timedelta(days=1)
    begin = datetime(day.year, day.month, day.day, tzinfo=PARIS)
    end = datetime(following.year, following.month, following.day, tzinfo=PARIS)
    return int(begin.timestamp()), int(end.timestamp())


def _item(
    channel: _ChannelLike,
    start: int,
    words: list[str],
    times: Sequence[int] | np.ndarray,
    durations: Sequence[int] | np.ndarray,
) -> dict[str, Any]:
    srt = [
        {"cts_in_ms": int(t), "duration_ms": int(d), "text": w}
        for w, t, d in zip(words, times, durations, strict=True)
    ]
    head = {"name": channel.name, "title": channel.title, "radio": bool(channel.radio)}
    return {"channel": head, "start": start, "plaintext": " ".join(words), "srt": srt}


def _special_chunks(
    channel: str, starts: list[int], names: list[str], day: date, rng: np.random.Generator
) -> dict[int, str]:
    """Which chunks of a channel's day are made irregular (untimed, duplicate, malformed): each
    kind goes to one channel of the day, on a chunk drawn from the channel's generator."""
    special: dict[int, str] = {}
    if not starts:
        return special
    for kind, salt in (("untimed", 4), ("duplicate", 3), ("malformed", 5)):
        if channel == _pick(names, day, salt):
            index = int(rng.integers(0, len(starts)))
            while index in special and len(special) < len(starts):
                index = (index + 1) % len(starts)
            special.setdefault(index, kind)
    return special


def demo_day(
    day: date, channels: Sequence[_ChannelLike], grid: _GridLike, seed: int = 0
) -> DemoDay:
    """Generate one broadcast day for the given channels (see the module docstring)."""
    pools = _pools()
    day_start, day_end = _day_bounds(day)
    columns: dict[str, list[Any]] = {
        "channel": [],
        "start": [],
        "ids": [],
        "times": [],
        "durations": [],
        "sizes": [],
    }
    irregular: list[dict[str, Any]] = []
    ordered = sorted(channels, key=lambda c: c.name)
    universe = set(getattr(grid, "channels", ())) | {channel.name for channel in ordered}
    planned = {
        name: _chunk_starts(grid.slots_on(name, day), day_start, day_end) for name in universe
    }
    # Irregularities land on channels of the whole grid that broadcast something that day, so a
    # run restricted to some channels gets exactly the chunks a full run gets for them.
    names = [name for name in sorted(planned) if planned[name]] or sorted(planned)
    for channel in ordered:
        rng = _generator(seed, day.isoformat(), channel.name)
        starts = planned[channel.name]
        if channel.name == _pick(names, day, 1):
            starts = _drop_quarter_hour(starts, rng)
        speech = _channel_speech(starts, rng, environment_story_rate(day, channel.name, seed))
        special = _special_chunks(channel.name, starts, names, day, rng)
        for index, start in enumerate(speech.starts):
            low, high = int(speech.bounds[index]), int(speech.bounds[index + 1])
            kind = special.get(index)
            if kind in ("untimed", "duplicate"):
                words = pools.vocabulary.take(pa.array(speech.word_ids[low:high])).to_pylist()
                item = _item(
                    channel, start, words, speech.times[low:high], speech.durations[low:high]
                )
                if kind == "untimed":
                    del item["srt"]
                    irregular.append(item)
                else:
                    irregular.extend([item, dict(item)])
                continue
            if kind == "malformed":
                words = pools.vocabulary.take(pa.array(speech.word_ids[low:high])).to_pylist()
                item = _item(
                    channel, start, words, speech.times[low:high], speech.durations[low:high]
                )
                irregular.append(_malformed(item, day))
            columns["channel"].append(channel)
            columns["start"].append(start)
            columns["sizes"].append(high - low)
            columns["ids"].append(speech.word_ids[low:high])
            columns["times"].append(speech.times[low:high])
            columns["durations"].append(speech.durations[low:high])
    return DemoDay(chunks=_chunks_table(columns, day), items=irregular)


def _chunks_table(columns: dict[str, list[Any]], day: date) -> pa.Table:
    count = len(columns["start"])
    if count == 0:
        return CAPTION_SCHEMA.empty_table()
    pools = _pools()
    sizes = np.array(columns["sizes"], dtype=np.int64)
    offsets = pa.array(np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32))
    words = pools.vocabulary.take(pa.array(np.concatenate(columns["ids"])))
    srt_words = pa.StructArray.from_arrays(
        [
            pa.array(np.concatenate(columns["times"]), pa.int64()),
            pa.array(np.concatenate(columns["durations"]), pa.int32()),
            words,
        ],
        fields=list(SRT_WORD_TYPE),
    )
    plaintext = pc.binary_join(pa.ListArray.from_arrays(offsets, words), " ")
    channels = columns["channel"]
    starts = columns["start"]
    return pa.Table.from_arrays(
        [
            pa.array([chunk_id(c.name, s) for c, s in zip(channels, starts, strict=True)]),
            pa.array([c.name for c in channels], pa.string()),
            pa.array([c.title for c in channels], pa.string()),
            pa.array([bool(c.radio) for c in channels], pa.bool_()),
            pa.array(starts, pa.int64()).cast(pa.timestamp("s", tz="UTC")),
            pa.array([day] * count, pa.date32()),
            plaintext,
            pa.ListArray.from_arrays(offsets, srt_words, type=SRT_TYPE),
            pa.array([DEMO_SOURCE] * count, pa.string()),
        ],
        schema=CAPTION_SCHEMA,
    )


def demo_items(
    day: date, channels: Sequence[_ChannelLike], grid: _GridLike, seed: int = 0
) -> list[dict[str, Any]]:
    """Provider-shaped caption items of one broadcast day for the given channels.

    One item per channel per 2 minutes of its grid slots, in the API item shape
    (`channel`, `start`, `plaintext`, `srt`), including the day's irregular records: a missing
    quarter hour, an exact duplicate of a chunk, a chunk without word timings and one malformed
    record, each on a channel picked by the day.
    """
    return demo_day(day, channels, grid, seed).all_items()
