"""Rough distances between French postcodes, from the département of each.

Good enough to rank by proximity and to say "same postcode", "same département" or
"about 120 km"; no street-level geocoding (that would need a data source we do not have).
Coordinates are the prefectures', rounded to 0.01°.
"""

import math

DEPARTEMENTS: dict[str, tuple[float, float]] = {
    "01": (46.21, 5.23),
    "02": (49.56, 3.62),
    "03": (46.57, 3.33),
    "04": (44.09, 6.24),
    "05": (44.56, 6.08),
    "06": (43.70, 7.27),
    "07": (44.74, 4.60),
    "08": (49.77, 4.72),
    "09": (42.97, 1.61),
    "10": (48.30, 4.08),
    "11": (43.21, 2.35),
    "12": (44.35, 2.57),
    "13": (43.30, 5.37),
    "14": (49.18, -0.37),
    "15": (44.93, 2.44),
    "16": (45.65, 0.16),
    "17": (46.16, -1.15),
    "18": (47.08, 2.40),
    "19": (45.27, 1.77),
    "21": (47.32, 5.04),
    "22": (48.51, -2.76),
    "23": (46.17, 1.87),
    "24": (45.18, 0.72),
    "25": (47.24, 6.02),
    "26": (44.93, 4.89),
    "27": (49.02, 1.15),
    "28": (48.45, 1.49),
    "29": (48.00, -4.10),
    "2A": (41.93, 8.74),
    "2B": (42.70, 9.45),
    "30": (43.84, 4.36),
    "31": (43.60, 1.44),
    "32": (43.65, 0.59),
    "33": (44.84, -0.58),
    "34": (43.61, 3.88),
    "35": (48.11, -1.68),
    "36": (46.81, 1.69),
    "37": (47.39, 0.69),
    "38": (45.19, 5.72),
    "39": (46.67, 5.55),
    "40": (43.89, -0.50),
    "41": (47.59, 1.33),
    "42": (45.44, 4.39),
    "43": (45.04, 3.89),
    "44": (47.22, -1.55),
    "45": (47.90, 1.91),
    "46": (44.45, 1.44),
    "47": (44.20, 0.62),
    "48": (44.52, 3.50),
    "49": (47.47, -0.55),
    "50": (49.12, -1.09),
    "51": (48.96, 4.36),
    "52": (48.11, 5.14),
    "53": (48.07, -0.77),
    "54": (48.69, 6.18),
    "55": (48.77, 5.16),
    "56": (47.66, -2.76),
    "57": (49.12, 6.18),
    "58": (46.99, 3.16),
    "59": (50.63, 3.06),
    "60": (49.43, 2.08),
    "61": (48.43, 0.09),
    "62": (50.29, 2.78),
    "63": (45.78, 3.08),
    "64": (43.30, -0.37),
    "65": (43.23, 0.08),
    "66": (42.70, 2.90),
    "67": (48.57, 7.75),
    "68": (48.08, 7.36),
    "69": (45.76, 4.84),
    "70": (47.62, 6.15),
    "71": (46.31, 4.83),
    "72": (48.00, 0.20),
    "73": (45.57, 5.92),
    "74": (45.90, 6.13),
    "75": (48.86, 2.35),
    "76": (49.44, 1.10),
    "77": (48.54, 2.66),
    "78": (48.80, 2.13),
    "79": (46.32, -0.46),
    "80": (49.89, 2.30),
    "81": (43.93, 2.15),
    "82": (44.02, 1.35),
    "83": (43.12, 5.93),
    "84": (43.95, 4.81),
    "85": (46.67, -1.43),
    "86": (46.58, 0.34),
    "87": (45.83, 1.26),
    "88": (48.17, 6.45),
    "89": (47.80, 3.57),
    "90": (47.64, 6.86),
    "91": (48.63, 2.44),
    "92": (48.89, 2.21),
    "93": (48.91, 2.44),
    "94": (48.79, 2.46),
    "95": (49.04, 2.08),
    "971": (16.00, -61.73),
    "972": (14.60, -61.07),
    "973": (4.94, -52.33),
    "974": (20.88, 55.45),
    "976": (-12.78, 45.23),
}


def departement(postcode: str) -> str | None:
    """The département of a French postcode ("69003" → "69", "20200" → "2B")."""
    code = postcode.strip().replace(" ", "")
    if len(code) != 5 or not code.isdigit():
        return None
    if code.startswith("97"):
        key = code[:3]
    elif code.startswith("20"):
        key = "2A" if int(code) < 20200 else "2B"
    else:
        key = code[:2]
    return key if key in DEPARTEMENTS else None


def distance_km(first: str, second: str) -> float | None:
    """Great-circle distance between the départements of two postcodes, or None."""
    a, b = departement(first), departement(second)
    if a is None or b is None:
        return None
    if a == b:
        return 0.0
    (lat1, lon1), (lat2, lon2) = DEPARTEMENTS[a], DEPARTEMENTS[b]
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def proximity(first: str, second: str) -> tuple[float, str] | None:
    """(score 0–1, kind) where kind is "postcode", "departement" or "distance"."""
    if not first or not second:
        return None
    if first.strip() == second.strip():
        return 1.0, "postcode"
    km = distance_km(first, second)
    if km is None:
        return None
    if km == 0:
        return 0.8, "departement"
    return max(0.0, 0.6 * math.exp(-km / 150)), "distance"


#: Cities a need may name ("près de Saint-Étienne"), by folded name: (name, main postcode).
#: The prefectures and the largest towns; the members' own cities are looked up too.
CITIES: dict[str, tuple[str, str]] = {
    "aix en provence": ("Aix-en-Provence", "13100"),
    "ajaccio": ("Ajaccio", "20000"),
    "albi": ("Albi", "81000"),
    "amiens": ("Amiens", "80000"),
    "angers": ("Angers", "49000"),
    "angouleme": ("Angoulême", "16000"),
    "annecy": ("Annecy", "74000"),
    "annemasse": ("Annemasse", "74100"),
    "arras": ("Arras", "62000"),
    "aurillac": ("Aurillac", "15000"),
    "auxerre": ("Auxerre", "89000"),
    "avignon": ("Avignon", "84000"),
    "bastia": ("Bastia", "20200"),
    "bayonne": ("Bayonne", "64100"),
    "beauvais": ("Beauvais", "60000"),
    "belfort": ("Belfort", "90000"),
    "besancon": ("Besançon", "25000"),
    "beziers": ("Béziers", "34500"),
    "blois": ("Blois", "41000"),
    "bordeaux": ("Bordeaux", "33000"),
    "bourg en bresse": ("Bourg-en-Bresse", "01000"),
    "bourges": ("Bourges", "18000"),
    "brest": ("Brest", "29200"),
    "brive": ("Brive-la-Gaillarde", "19100"),
    "brive la gaillarde": ("Brive-la-Gaillarde", "19100"),
    "caen": ("Caen", "14000"),
    "cahors": ("Cahors", "46000"),
    "carcassonne": ("Carcassonne", "11000"),
    "chambery": ("Chambéry", "73000"),
    "chartres": ("Chartres", "28000"),
    "chateauroux": ("Châteauroux", "36000"),
    "cherbourg": ("Cherbourg-en-Cotentin", "50100"),
    "clermont ferrand": ("Clermont-Ferrand", "63000"),
    "colmar": ("Colmar", "68000"),
    "dijon": ("Dijon", "21000"),
    "dunkerque": ("Dunkerque", "59140"),
    "evry": ("Évry-Courcouronnes", "91000"),
    "gap": ("Gap", "05000"),
    "grenoble": ("Grenoble", "38000"),
    "la rochelle": ("La Rochelle", "17000"),
    "le havre": ("Le Havre", "76600"),
    "le mans": ("Le Mans", "72000"),
    "le puy en velay": ("Le Puy-en-Velay", "43000"),
    "lille": ("Lille", "59000"),
    "limoges": ("Limoges", "87000"),
    "lorient": ("Lorient", "56100"),
    "lyon": ("Lyon", "69001"),
    "macon": ("Mâcon", "71000"),
    "marseille": ("Marseille", "13001"),
    "metz": ("Metz", "57000"),
    "montauban": ("Montauban", "82000"),
    "montpellier": ("Montpellier", "34000"),
    "mulhouse": ("Mulhouse", "68100"),
    "nancy": ("Nancy", "54000"),
    "nantes": ("Nantes", "44000"),
    "nevers": ("Nevers", "58000"),
    "nice": ("Nice", "06000"),
    "nimes": ("Nîmes", "30000"),
    "niort": ("Niort", "79000"),
    "orleans": ("Orléans", "45000"),
    "paris": ("Paris", "75001"),
    "pau": ("Pau", "64000"),
    "perigueux": ("Périgueux", "24000"),
    "perpignan": ("Perpignan", "66000"),
    "poitiers": ("Poitiers", "86000"),
    "quimper": ("Quimper", "29000"),
    "reims": ("Reims", "51100"),
    "rennes": ("Rennes", "35000"),
    "roanne": ("Roanne", "42300"),
    "rodez": ("Rodez", "12000"),
    "rouen": ("Rouen", "76000"),
    "saint brieuc": ("Saint-Brieuc", "22000"),
    "saint etienne": ("Saint-Étienne", "42000"),
    "st etienne": ("Saint-Étienne", "42000"),
    "saint nazaire": ("Saint-Nazaire", "44600"),
    "strasbourg": ("Strasbourg", "67000"),
    "tarbes": ("Tarbes", "65000"),
    "toulon": ("Toulon", "83000"),
    "toulouse": ("Toulouse", "31000"),
    "tours": ("Tours", "37000"),
    "troyes": ("Troyes", "10000"),
    "valence": ("Valence", "26000"),
    "vannes": ("Vannes", "56000"),
    "versailles": ("Versailles", "78000"),
    "vienne": ("Vienne", "38200"),
    "villeurbanne": ("Villeurbanne", "69100"),
}
#: Town names that are also everyday words: a place only after "près de", "à"…
AMBIGUOUS = {"nice", "tours", "vienne", "gap", "pau", "valence"}
#: Folded words that announce a place, longest first ("près de", "à", "near"…).
PLACE_MARKERS: tuple[tuple[str, ...], ...] = (
    ("dans", "la", "region", "de"),
    ("du", "cote", "de"),
    ("aux", "alentours", "de"),
    ("pas", "loin", "de"),
    ("proche", "de"),
    ("pres", "de"),
    ("pres", "d"),
    ("autour", "de"),
    ("autour", "d"),
    ("region", "de"),
    ("close", "to"),
    ("vers",),
    ("a",),
    ("au",),
    ("sur",),
    ("en",),
    ("near",),
    ("around",),
    ("in",),
)
