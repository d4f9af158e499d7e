#!/usr/bin/python3
"""Writes a synthetic but valid rule folder of N rules, for the engine benchmark.

    make_rules.py --rules N --seed S --out DIR

DIR/nl/*.yaml and DIR/en/*.yaml: one targets.yaml per language with role
terms like the shipped ones, and the rules in files of at most 500. Each rule
has one distinct threat phrase of two or three words drawn from word lists
("morgen persoonlijk neersteken", "will personally strangle"), two positive
and two negative examples, so `wachtpost patterns lint DIR` and
`wachtpost patterns test DIR` pass. The same seed always writes the same
folder. Standard library only: it runs on Debian's /usr/bin/python3.
"""

import argparse
import os
import random
import sys

CATEGORIES = ["death_threat", "violence", "arson_or_explosive", "home_or_doxxing", "family", "incitement"]
SEVERITIES = ["critical", "high", "medium", "low"]
ROLES = ["minister", "mp", "politician", "judge", "prosecutor", "journalist", "lawyer", "mayor"]

# Role terms as written in a targets file, and the plain words the examples
# use for them (each matched by one of the terms). Modelled on the shipped
# patterns/*/targets.yaml, with their mix of plain words and small regexes.
TARGETS = {
    "nl": {
        "minister": (["ministers?", "premier", "staatssecretaris(sen)?", "[a-z]{3}[a-z]*ministers?"],
                     ["minister", "premier", "staatssecretaris", "justitieminister"]),
        "mp": (["(tweede |eerste )?kamerleden", "(tweede |eerste )?kamerlid", "volksvertegenwoordigers?",
                "parlementariers?"],
               ["kamerlid", "volksvertegenwoordiger", "parlementarier"]),
        "politician": (["politici|politicus", "wethouders?", "raadsleden|raadslid", "lijsttrekkers?"],
                       ["politicus", "wethouder", "raadslid", "lijsttrekker"]),
        "judge": (["rechters?", "kantonrechters?|strafrechters?", "edelachtbare", "raadsheer|raadsheren"],
                  ["rechter", "kantonrechter", "raadsheer"]),
        "prosecutor": (["officier van justitie", "officieren van justitie", "aanklagers?"],
                       ["officier van justitie", "aanklager"]),
        "journalist": (["journalisten|journaliste?", "verslaggevers?", "columnisten|columnist"],
                       ["journalist", "journaliste", "verslaggever", "columnist"]),
        "lawyer": (["advocaten|advocaat", "strafpleiters?", "raadsman|raadsvrouw"],
                   ["advocaat", "strafpleiter", "raadsman"]),
        "mayor": (["burgemeesters?", "burgervaders?", "loco-burgemeester"],
                  ["burgemeester", "burgervader"]),
    },
    "en": {
        "minister": (["ministers?", "prime minister", "home secretary|foreign secretary", "secretary of state"],
                     ["minister", "prime minister", "home secretary"]),
        "mp": (["mps?", "members? of parliament", "senators?", "lawmakers?"],
               ["mp", "senator", "lawmaker"]),
        "politician": (["politicians?", "councill?ors?", "party leaders?", "governors?"],
                       ["politician", "councillor", "party leader", "governor"]),
        "judge": (["judges?", "magistrates?", "justices? of the peace"],
                  ["judge", "magistrate"]),
        "prosecutor": (["prosecutors?", "district attorneys?", "crown prosecutors?"],
                       ["prosecutor", "district attorney"]),
        "journalist": (["journalists?", "reporters?", "columnists?", "news anchors?"],
                       ["journalist", "reporter", "columnist"]),
        "lawyer": (["lawyers?", "attorneys?", "barristers?", "solicitors?"],
                   ["lawyer", "attorney", "barrister"]),
        "mayor": (["mayors?", "deputy mayors?", "lord mayors?"],
                  ["mayor", "deputy mayor"]),
    },
}

# Threat phrases: Dutch [when] [how] verb, English intent [how] verb. Verbs
# with a separable particle are written with an optional space ("neer ?steken")
# the way the shipped rules write them, so some phrases are small regexes
# rather than literals.
NL_WHEN = ["morgen", "vannacht", "vanavond", "straks", "binnenkort", "zaterdag", "zondag", "maandag", "vrijdag",
           "overmorgen", "vanmiddag", "thuis", "buiten", "ooit", "gauw", "meteen", "snel", "vroeg", "laat",
           "daar"]
NL_HOW = ["persoonlijk", "eigenhandig", "keihard", "langzaam", "stilletjes", "zonder pardon", "met plezier",
          "gewoon", "echt", "eindelijk", "zelf", "samen", "rustig", "grondig", "helemaal", "publiekelijk",
          "koelbloedig", "vakkundig", "eventjes", "voorgoed", "genadeloos", "openlijk", "ongemerkt",
          "hoogstpersoonlijk", "allemaal"]
NL_VERBS = ["afmaken", "neer ?steken", "neer ?schieten", "dood ?schieten", "dood ?steken", "opknopen", "ophangen",
            "afslachten", "kapot ?slaan", "kapot ?maken", "wurgen", "verzuipen", "vergiftigen", "onthoofden",
            "opblazen", "afrossen", "aftuigen", "afranselen", "mollen", "koud ?maken", "uitschakelen", "liquideren",
            "executeren", "lynchen", "martelen", "opwachten", "afschieten", "neer ?knallen", "af ?knallen",
            "dood ?trappen", "elimineren", "verminken", "kelen", "afvoeren", "vierendelen"]
EN_INTENT = ["will", "gonna", "wanna", "shall", "should", "must", "would", "could", "might"]
EN_HOW = ["personally", "slowly", "happily", "gladly", "finally", "quietly", "brutally", "publicly", "gently",
          "properly", "eagerly", "soon", "tonight", "tomorrow", "calmly", "openly", "silently", "literally",
          "really", "absolutely", "definitely", "gleefully", "swiftly", "secretly", "methodically"]
EN_VERBS = ["strangle", "stab", "shoot", "hang", "behead", "gut", "butcher", "slaughter", "torch", "bury",
            "drown", "poison", "lynch", "execute", "torture", "maim", "crush", "smash", "choke", "skin",
            "string up", "gun down", "take out", "wipe out", "beat up", "run over", "blow up", "burn down",
            "hunt down", "knock out", "cut up", "strangulate", "put down", "finish off", "kneecap"]

# Plain words of a written expression, for the examples: "neer ?steken" is
# written "neersteken" in one example and "neer steken" in the other.
def spell(expression, joined):
    return expression.replace(" ?", "" if joined else " ")


def phrases(lang, rng):
    """Every phrase of a language, shuffled by the seed: 2 or 3 words."""
    out = []
    if lang == "nl":
        for verb in NL_VERBS:
            for how in NL_HOW:
                out.append(how + " " + verb)
                for when in NL_WHEN:
                    out.append(when + " " + how + " " + verb)
            for when in NL_WHEN:
                out.append(when + " " + verb)
    else:
        for verb in EN_VERBS:
            for intent in EN_INTENT:
                out.append(intent + " " + verb)
                for how in EN_HOW:
                    out.append(intent + " " + how + " " + verb)
    out = sorted(set(out))
    rng.shuffle(out)
    return out


def escape_yaml(text):
    return "'" + text.replace("'", "''") + "'"


def examples(lang, phrase, roles, rng):
    """Two posts the rule alerts on, and two it must not: the phrase with no
    protected target near it, and a target with no threat."""
    words = [w for role in roles for w in TARGETS[lang][role][1]]
    first, second = rng.choice(words), rng.choice(words)
    if lang == "nl":
        positive = [f"ik ga die {first} {spell(phrase, True)}",
                    f"die {second} moeten we {spell(phrase, False)}, let maar op"]
        negative = [f"ik ga dat onkruid in de tuin {spell(phrase, True)}",
                    f"de {first} sprak gisteren op het congres over de begroting"]
    else:
        positive = [f"i {phrase} that {first}", f"someone {phrase} the {second} and nobody will care"]
        negative = [f"i {phrase} the weeds in my garden this weekend",
                    f"the {first} spoke at the conference about the budget yesterday"]
    return positive, negative


def targets_file(lang):
    lines = [f"# Synthetic role targets ({lang}), shaped like patterns/{lang}/targets.yaml.", f"lang: {lang}",
             "targets:"]
    for role in ROLES:
        lines.append(f"  - role: {role}")
        lines.append("    terms:")
        for term in TARGETS[lang][role][0]:
            lines.append(f"      - {escape_yaml(term)}")
    return "\n".join(lines) + "\n"


def rule_lines(lang, number, phrase, rng):
    category = rng.choice(CATEGORIES)
    # A third of the rules name the roles they protect, as many shipped ones do.
    roles = sorted(rng.sample(ROLES, rng.randint(2, 4))) if rng.random() < 1 / 3 else ROLES
    positive, negative = examples(lang, phrase, roles, rng)
    lines = [
        f"  - id: {lang}.synthetic.{category}.{number:05d}",
        "    rev: 1",
        f"    description: {escape_yaml('Synthetic threat ' + repr(spell(phrase, False)) + ' against a protected person')}",
        "    author: bench/tools/make_rules.py",
        f"    category: {category}",
        f"    severity: {rng.choice(SEVERITIES)}",
        f"    window: {rng.randint(6, 12)}",
    ]
    if roles is not ROLES:
        lines.append(f"    targets: [{', '.join(roles)}]")
    lines.append(f"    threat: [{escape_yaml(phrase)}]")
    lines.append("    examples:")
    lines.append(f"      positive: [{', '.join(escape_yaml(p) for p in positive)}]")
    lines.append(f"      negative: [{', '.join(escape_yaml(n) for n in negative)}]")
    return lines


RULES_PER_FILE = 500


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, required=True, help="number of rules (Dutch get the odd one)")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", required=True, help="rule folder to write (created; its nl/ and en/ are replaced)")
    args = parser.parse_args()
    if args.rules < 2:
        parser.error("--rules must be at least 2 (one per language)")

    rng = random.Random(args.seed)
    counts = {"nl": (args.rules + 1) // 2, "en": args.rules // 2}
    written = 0
    for lang in ("nl", "en"):
        pool = phrases(lang, rng)
        if counts[lang] > len(pool):
            sys.exit(f"make_rules.py: only {len(pool)} distinct {lang} phrases, {counts[lang]} asked")
        folder = os.path.join(args.out, lang)
        os.makedirs(folder, exist_ok=True)
        # A smaller earlier run must not leave rule files behind.
        for name in os.listdir(folder):
            if name.startswith("rules-") and name.endswith(".yaml"):
                os.remove(os.path.join(folder, name))
        with open(os.path.join(folder, "targets.yaml"), "w", encoding="utf-8") as out:
            out.write(targets_file(lang))
        for start in range(0, counts[lang], RULES_PER_FILE):
            lines = [f"# Synthetic rules {start + 1}-{min(counts[lang], start + RULES_PER_FILE)} ({lang}), "
                     f"written by bench/tools/make_rules.py --seed {args.seed}.", f"lang: {lang}", "rules:"]
            for number in range(start, min(counts[lang], start + RULES_PER_FILE)):
                lines.extend(rule_lines(lang, number + 1, pool[number], rng))
            with open(os.path.join(folder, f"rules-{start // RULES_PER_FILE + 1:03d}.yaml"), "w",
                      encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")
            written += min(counts[lang], start + RULES_PER_FILE) - start
    print(f"make_rules.py: {written} rules ({counts['nl']} nl, {counts['en']} en) in {args.out}, seed {args.seed}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
