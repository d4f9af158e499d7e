#!/usr/bin/python3
"""Writes a synthetic stream of public posts for the benchmarks.

    make_corpus.py --posts N --seed S [--threat-share 0.001] --out FILE

N newline-delimited posts in the input format (topics/posts.schema.json),
alternately Dutch and English, about 350 bytes a line on average, the same
for the same seed. Harmless posts are everyday and political chatter built
from word lists and templates; many name ministers, judges, mayors and other
protected roles, and some use threat words in their harmless sense ("die
deadline maakt me af"), so the target and threat expressions of the shipped
set hit without a rule firing: the hard negatives a real stream is full of.
Threat posts (--threat-share of them, spread evenly over the file) come from
templates the shipped pattern set alerts on. A summary goes to stderr.
Standard library only: it runs on Debian's /usr/bin/python3.
"""

import argparse
import json
import random
import sys

# ---------------------------------------------------------------- word lists

NL_CITIES = ["Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Groningen", "Zwolle", "Leeuwarden", "Maastricht",
             "Eindhoven", "Nijmegen", "Arnhem", "Tilburg", "Breda", "Delft", "Haarlem", "Leiden", "Gent",
             "Antwerpen", "Brugge", "Leuven", "Alkmaar", "Deventer", "Vlissingen", "Assen"]
EN_CITIES = ["Leeds", "Bristol", "Manchester", "Cardiff", "Glasgow", "Cork", "Galway", "York", "Norwich", "Brighton",
             "Newcastle", "Sheffield", "Belfast", "Dundee", "Exeter", "Oxford", "Bath", "Derby", "Hull", "Limerick"]
NL_ROLES = ["minister", "premier", "staatssecretaris", "rechter", "kantonrechter", "burgemeester", "wethouder",
            "officier van justitie", "journalist", "journaliste", "advocaat", "Kamerlid", "kamerleden",
            "raadsleden", "politici", "verslaggever", "columnist", "landbouwminister", "lijsttrekker"]
EN_ROLES = ["minister", "prime minister", "judge", "mayor", "councillor", "prosecutor", "journalist", "reporter",
            "lawyer", "MP", "MPs", "senator", "politicians", "home secretary", "barrister", "party leader",
            "magistrate", "columnist"]
NL_TOPICS = ["de begroting", "stikstof", "de woningmarkt", "het onderwijs", "de zorgpremie", "de asielwet",
             "het klimaatakkoord", "de energierekening", "de huurprijzen", "het openbaar vervoer", "de pensioenen",
             "de jeugdzorg", "de landbouw", "de defensie-uitgaven", "de toeslagen", "de privacywet",
             "de nieuwe fietsbrug", "het parkeerbeleid", "de verkiezingen", "de coalitie"]
EN_TOPICS = ["the budget", "housing", "the NHS", "school funding", "energy bills", "rail fares", "the new bypass",
             "council tax", "the climate bill", "immigration", "pensions", "childcare costs", "the planning reform",
             "bin collections", "the by-election", "free school meals", "the bus network", "the cost of living",
             "the sentencing review", "the trade deal"]
NL_WEATHER = ["Mist op de A12", "Regen de hele dag", "Eindelijk zon", "Storm langs de kust", "Gladheid op de fietspaden",
              "Windkracht 7 op de Afsluitdijk", "Hittegolf op komst", "Hagelbuien in de middag", "Lekker fris weer"]
EN_WEATHER = ["Fog on the M62", "Rain all day", "Finally some sun", "Gales along the coast", "Black ice on the paths",
              "Heatwave on the way", "Hail showers this afternoon", "Crisp autumn morning", "Drizzle again"]
NL_FOOD = ["een broodje kroket", "stamppot", "bitterballen", "een appeltaart", "friet speciaal", "pannenkoeken",
           "een tosti", "poffertjes", "haring", "erwtensoep", "een stroopwafel", "kibbeling"]
EN_FOOD = ["fish and chips", "a bacon roll", "a full English", "a Sunday roast", "a curry", "scones", "a pie",
           "beans on toast", "a flat white", "a toastie", "porridge", "a pasty"]
NL_TEAMS = ["Ajax", "PSV", "Feyenoord", "AZ", "FC Utrecht", "FC Twente", "Heerenveen", "Go Ahead", "Vitesse",
            "NEC", "Club Brugge", "Anderlecht"]
EN_TEAMS = ["Leeds", "City", "United", "Rovers", "Celtic", "Rangers", "Villa", "Forest", "the Blades", "Spurs",
            "Wolves", "Shamrock Rovers"]
NL_DAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag", "vanavond", "morgen"]
EN_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "tonight", "tomorrow"]
NL_PLACES = ["de bibliotheek", "het station", "het zwembad", "de markt", "het buurthuis", "de sporthal",
             "het stadhuis", "de nieuwe school", "het park", "de haven", "het museum", "de fietsenstalling"]
EN_PLACES = ["the library", "the station", "the leisure centre", "the market", "the community hall", "the new school",
             "the town hall", "the park", "the harbour", "the museum", "the bus depot", "the high street"]
SURNAMES = ["De Vries", "Van den Berg", "Smit", "Mulder", "De Boer", "Peeters", "Janssens", "Hendriks", "Claes",
            "Wouters", "Meijer", "Kok", "Dekker", "Brouwer", "Murphy", "Walsh", "Evans", "Hughes", "Patel", "Khan",
            "Okafor", "Nowak", "Fernandes", "Lindqvist"]
HANDLES = ["bikebell", "dijkwerker", "herringhero", "northsea_nick", "bramvdb", "pixel_pim", "kaasboer88",
           "zuidwester", "quietkettle", "tealeaf", "moorland_mo", "canalboat", "grachtengast", "polderpiet",
           "rainy_reader", "tramspotter", "oud_gracht", "leedslass", "dublin_dan", "bakfiets_bo"]
# No smiley: "🙂" after a threat is a menace cue of the shipped set, so near a role word it alerts.
EMOJI = ["", "", "", " 😂", " ☕", " 🚲", " ⚽", " 🌧️", " 👍", " 🎉", " 📚", " 🌷"]
PLATFORMS = [("x", "https://x.example/i/web/status/{n}"), ("mastodon", "https://mastodon.example/statuses/{n}"),
             ("bluesky", "https://bsky.example/statuses/{n}"), ("facebook", "https://facebook.example/statuses/{n}")]

# Harmless sentences. {role} names a protected role, {topic} a policy topic;
# the rest are everyday slots. "role" sentences name a protected role, "idiom"
# ones use threat words in their harmless sense; a post takes one of the two
# kinds (plus "plain" sentences), never both: an idiom within a rule's window
# of a role word is a false alert of the shipped set (see bench/README.md),
# and the corpus is to carry the threats it was given, not new ones.
NL_HARMLESS = {
    "role": [
        "Het debat over {topic} begint om {hour}:00. Ik ben benieuwd.",
        "Wat een onzin weer van dat kabinet. Die {role} moet gewoon aftreden.",
        "De {role} gaf vandaag een persconferentie over {topic}.",
        "Burgemeester {surname} opent {day} {place} in {city}.",
        "Wat vinden jullie van het plan van de {role} over {topic}?",
        "De rechtbank in {city} doet {day} uitspraak in de zaak over {topic}.",
        "Interessant interview met een {role} over {topic} op de radio.",
        "Ik ben het totaal oneens met die {role}, maar dat lossen we op bij de verkiezingen.",
        "De {role} van {city} was {day} te gast bij de opening van {place}.",
        "Mijn buurman is {role} en hij bakt de beste appeltaart van de straat.",
        "Nieuwe podcast-aflevering: een {role} over werkdruk en {topic}.",
        "Knap hoe de {role} in het debat over {topic} alle vragen netjes beantwoordde.",
        "Ik heb mijn stem al bepaald, de {role} heeft me overtuigd met het plan voor {topic}.",
        "De {role} liep {day} de sponsorloop voor het goede doel.",
        "Kijk {day} naar het debat over {topic}, de {role} en de oppositie gaan los.",
        "Boekenclub leest deze maand een thriller over een {role} in {city}. Aanrader!",
        "Petitie over {topic} aangeboden aan de {role}, 40.000 handtekeningen.",
        "Vergadering van de gemeenteraad over {topic} duurde tot middernacht, zucht.",
    ],
    "idiom": [
        "ik schiet me dood van het lachen om die video van die dansende kat",
        "Die deadline van {day} maakt me echt af, nog drie hoofdstukken te gaan.",
        "Vanavond maak ik dat puzzelboek eindelijk af.",
        "Onze hond sloopt elke dag een nieuw speeltje, die maakt alles kapot.",
        "Die nieuwe serie is echt moordend spannend, ik kijk alles in één ruk uit.",
    ],
    "plain": [
        "Goedemorgen! {weather} in {city}, neem de trein als het kan.",
        "Net {food} gegeten in {city}, echt een aanrader.",
        "{team} - {team2} {day}, ik heb nog twee kaartjes over.",
        "Lange rij bij {place} vandaag, iedereen wil naar binnen.",
        "{weather}. Fietsen naar {place} was vandaag een avontuur.",
        "Eindelijk weer een mooie wandeling door het park in {city}.",
        "Heeft iemand een tip voor een goede loodgieter in {city}?",
        "Column van de week: waarom {topic} geen links of rechts onderwerp is.",
        "Café De Zwaan in {city} heeft de lekkerste koffie, één keer proberen en je bent verkocht.",
    ],
}
EN_HARMLESS = {
    "role": [
        "The debate on {topic} starts at {hour}pm. Should be interesting.",
        "What a load of rubbish from the government again. That {role} should just resign.",
        "The {role} gave a press conference about {topic} today.",
        "Mayor {surname} opens {place} in {city} on {day}.",
        "Curious what people think of the {role}'s plan for {topic}.",
        "The court in {city} gives its ruling on {day} in the case about {topic}.",
        "Interesting interview with a {role} about {topic} on the radio this morning.",
        "I completely disagree with that {role}, but that's what elections are for.",
        "The {role} from {city} turned up at the opening of {place} on {day}.",
        "My neighbour is a {role} and she bakes the best scones on the street.",
        "New podcast episode: a {role} on burnout and {topic}.",
        "Impressive how the {role} dodges every question about {topic}.",
        "I've made up my mind, the {role} won me over with the plan for {topic}.",
        "The {role} ran the charity 10k on Sunday, fair play.",
        "Watching the debate on {topic} on {day}, the {role} and the opposition are going at it.",
        "Book club is reading a thriller about a {role} in {city} this month. Recommended!",
        "Petition on {topic} handed to the {role}, 40,000 signatures.",
        "Council meeting on {topic} went on till midnight, sigh.",
    ],
    "idiom": [
        "That video of the dancing cat absolutely killed me, I can't stop laughing.",
        "This deadline on {day} is killing me, three chapters to go.",
        "Finally finishing off that jigsaw tonight.",
        "Our dog destroys a new toy every day, he smashes everything.",
        "That new series is killer, binged the lot in one go.",
    ],
    "plain": [
        "Morning all! {weather} in {city}, take the train if you can.",
        "Just had {food} in {city}, proper lovely.",
        "{team} v {team2} on {day}, who's coming to the match?",
        "Huge queue at {place} today, everyone wants in.",
        "{weather}. Cycling to {place} was an adventure today.",
        "Lovely long walk through the park in {city} this afternoon.",
        "Anyone know a good plumber in {city}?",
        "Column of the week: why {topic} is not a left or right issue.",
        "The café on the corner in {city} does the best coffee, one try and you're hooked.",
    ],
}

# Threats the shipped set alerts on (checked with `wachtpost scan`). {role} is
# filled from the roles below, which every template reads naturally with.
NL_THREAT_ROLES = ["rechter", "burgemeester", "minister", "wethouder", "officier van justitie", "journalist"]
EN_THREAT_ROLES = ["judge", "mayor", "minister", "councillor", "prosecutor", "journalist"]
NL_THREATS = [
    "iemand moet die {role} afmaken",
    "ik sla die {role} in elkaar",
    "Die {role} gaat nog rake klappen vangen, reken maar.",
    "Ik ga die {role} kapotmaken, echt waar.",
    "ik weet waar die {role} woont",
    "Het huis van die {role} mag wel platbranden.",
    "die {role} moet dood",
    "Molotovje door het raam bij die {role}.",
    "Die {role} krijgt een gebroken kaak als ik hem tegenkom.",
    "Rij met je auto over die {role} heen.",
]
EN_THREATS = [
    "Someone ought to knife the {role}.",
    "we know where that {role} lives",
    "That {role} wants hanging.",
    "{role_cap}, count your days.",
    "{role_cap}, show your face round here again and I'll break it for you.",
    "Someone needs to shoot that {role} already.",
    "we will find your children, {role}",
    "$5k to whoever makes the {role} disappear. Serious offer.",
    "That {role} will be eating through a straw by Christmas, mark my words.",
    "{role_cap}, you are dead. Not politically dead. Actually dead.",
]


def fill(template, lang, rng):
    if lang == "nl":
        role, city, topic, weather = rng.choice(NL_ROLES), rng.choice(NL_CITIES), rng.choice(NL_TOPICS), \
            rng.choice(NL_WEATHER)
        food, teams, day, place = rng.choice(NL_FOOD), rng.sample(NL_TEAMS, 2), rng.choice(NL_DAYS), \
            rng.choice(NL_PLACES)
    else:
        role, city, topic, weather = rng.choice(EN_ROLES), rng.choice(EN_CITIES), rng.choice(EN_TOPICS), \
            rng.choice(EN_WEATHER)
        food, teams, day, place = rng.choice(EN_FOOD), rng.sample(EN_TEAMS, 2), rng.choice(EN_DAYS), \
            rng.choice(EN_PLACES)
    return template.format(role=role, city=city, topic=topic, weather=weather, food=food, team=teams[0],
                           team2=teams[1], day=day, place=place, surname=rng.choice(SURNAMES),
                           hour=rng.randint(1, 11))


def harmless_text(lang, target_bytes, rng):
    """Sentences of one language until the text is about target_bytes long."""
    kinds = NL_HARMLESS if lang == "nl" else EN_HARMLESS
    # Most posts talk about people in office; some are idle chatter, some joke.
    kind = rng.choices(["role", "plain", "idiom"], weights=[6, 2, 2])[0]
    templates = kinds[kind] + kinds["plain"] if kind != "plain" else kinds["plain"]
    sentences = []
    size = 0
    while not sentences or size < target_bytes:
        sentence = fill(rng.choice(templates), lang, rng)
        sentences.append(sentence)
        size += len(sentence.encode("utf-8")) + 1
    text = " ".join(sentences) + rng.choice(EMOJI)
    if rng.random() < 0.15:
        text += " #" + ("politiek" if lang == "nl" else "politics")
    return text


def threat_text(lang, number):
    """The number-th threat of a language: every template and role in turn."""
    templates, roles = (NL_THREATS, NL_THREAT_ROLES) if lang == "nl" else (EN_THREATS, EN_THREAT_ROLES)
    template = templates[number % len(templates)]
    role = roles[(number // len(templates)) % len(roles)]
    return template.format(role=role, role_cap=role[0].upper() + role[1:])


def post_line(index, seed, lang, text, rng):
    platform, url = PLATFORMS[rng.randrange(len(PLATFORMS))]
    status = 1780000000 + index * 7 + rng.randrange(7)
    seconds = index * 3 + rng.randrange(3)  # about 20 posts a minute, in order
    day, rest = divmod(seconds, 86400)
    created_at = f"2026-11-{20 + day % 9:02d}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}Z"
    handle = rng.choice(HANDLES) + str(rng.randint(1, 99))
    post = {"id": f"b{seed}-{index + 1:08d}", "platform": platform, "url": url.format(n=status),
            "created_at": created_at, "lang": lang, "visibility": "public", "text": text,
            "author": {"id": f"u-{rng.randint(1000, 9999)}", "handle": handle}}
    return json.dumps(post, ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--threat-share", type=float, default=0.001, help="share of threat posts (default 0.001)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.posts < 1 or not 0.0 <= args.threat_share <= 1.0:
        parser.error("--posts must be positive and --threat-share within [0, 1]")

    rng = random.Random(args.seed)
    threats = round(args.posts * args.threat_share)
    # Evenly spread: the k-th threat sits in the middle of the k-th slice.
    threat_at = {int((k + 0.5) * args.posts / threats): k for k in range(threats)} if threats else {}
    wanted_line = 350
    surplus = 0  # bytes written above the wanted average so far: steers the next text's length
    total = 0
    by_lang = {"nl": 0, "en": 0}
    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        for index in range(args.posts):
            if index in threat_at:
                k = threat_at[index]
                lang = "nl" if k % 2 == 0 else "en"
                line = post_line(index, args.seed, lang, threat_text(lang, k // 2), rng)
            else:
                lang = "nl" if index % 2 == 0 else "en"
                overhead = len(post_line(index, args.seed, lang, "", random.Random(index)).encode("utf-8"))
                target = rng.randint(wanted_line - 120, wanted_line + 120) - overhead - max(-200, min(200, surplus))
                line = post_line(index, args.seed, lang, harmless_text(lang, target, rng), rng)
            size = len(line.encode("utf-8")) + 1
            surplus += size - wanted_line
            total += size
            by_lang[lang] += 1
            out.write(line + "\n")
    print(f"make_corpus.py: {args.posts} posts ({by_lang['nl']} nl, {by_lang['en']} en), {threats} threats, "
          f"{total} bytes ({total / args.posts:.0f} a line), seed {args.seed} -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
