"""Hand-written sentiment lexicon, English and French, written for this project.

Keys are in `tokenize.fold` form (lower case, no accents). Scores run from -3 (very negative)
to +3 (very positive). The lexicon is a prior that generalises beyond the training data (brand
care vocabulary, French): the trained model learns how much to trust it and corrects it where
the data disagrees. Negators flip and damp a score; intensifiers scale the next sentiment word.
"""

from __future__ import annotations

_EN = """
good:2 great:3 excellent:3 amazing:3 awesome:3 love:3 loved:3 loving:2 loves:3 lovely:3 like:1
liked:1 best:3 better:1 nice:2 happy:2 glad:2 thanks:2 thank:2 thx:2 ty:1 appreciate:2
appreciated:2 fantastic:3 wonderful:3 brilliant:3 perfect:3 superb:3 cool:2 fun:2 enjoy:2
enjoyed:2 enjoying:2 beautiful:3 gorgeous:3 cute:2 sweet:2 win:2 won:2 winning:2 wow:2 yay:2
congrats:3 congratulations:3 excited:3 exciting:2 proud:2 smooth:1 fast:1 quick:1 helpful:2
friendly:2 kind:2 impressed:2 impressive:2 recommend:2 recommended:2 favourite:2 favorite:2
fave:2 legend:2 lol:1 haha:1 hahaha:1 lmao:1 blessed:2 grateful:2 pleased:2 delighted:3
incredible:3 outstanding:3 solid:1 hope:1 hopefully:1 ready:1 easy:1 free:1 safe:1 fixed:1
resolved:1 sorted:1 works:1 worked:1 working:1 support:1 wins:2 success:2 successful:2 fine:1
okay:0.5 ok:0.5 yes:0.5 yeah:0.5 interesting:1 fresh:1 delicious:3 tasty:2 yummy:2 stunning:3
heroes:2 hero:2 champion:2 joy:2 fab:2 fabulous:3 stoked:3 thrilled:3 magic:2 magical:2
worth:1 finally:0.5 lucky:2 luck:1 birthday:1 welcome:1 peace:1 smile:2 smiling:2 laugh:1
bad:-2 worse:-3 worst:-3 terrible:-3 awful:-3 horrible:-3 hate:-3 hated:-3 hates:-3 sucks:-2
suck:-2 sucked:-2 poor:-2 disappointed:-2 disappointing:-2 disappointment:-2 angry:-3 mad:-2
annoyed:-2 annoying:-2 frustrated:-2 frustrating:-2 useless:-3 broken:-2 broke:-1 fail:-2
failed:-2 fails:-2 failing:-2 failure:-2 problem:-1 problems:-1 issue:-1 issues:-1 error:-1
errors:-1 wrong:-2 slow:-1 late:-1 delayed:-1 delay:-1 cancelled:-2 canceled:-2 rude:-2
ridiculous:-2 pathetic:-3 joke:-1 scam:-3 fraud:-3 stolen:-2 steal:-2 lost:-1 lose:-1 losing:-1
missing:-1 refund:-1 never:-1 nobody:-1 unacceptable:-3 shame:-2 shameful:-3 disgusting:-3
disgrace:-3 sad:-2 sadly:-1 sorry:-1 unfortunately:-1 crap:-2 shit:-2 shitty:-3 damn:-1
dead:-2 die:-2 died:-2 kill:-2 killed:-2 killing:-2 death:-2 war:-2 attack:-2 attacks:-2
crash:-2 crashed:-2 crashes:-2 dumb:-2 stupid:-2 idiot:-3 idiots:-3 fuck:-2 fucking:-1 wtf:-2
ugh:-2 smh:-2 sick:-2 ill:-1 pain:-2 hurt:-2 hurts:-2 worried:-2 worry:-1 scared:-2 afraid:-2
fear:-2 crazy:-1 insane:-1 mess:-2 messed:-2 nightmare:-3 hell:-2 evil:-3 racist:-3 sexist:-3
liar:-3 lies:-2 lying:-2 lie:-2 cheated:-3 ripped:-2 overcharged:-2 charged:-1 waiting:-1
wait:-0.5 waited:-1 hours:-0.5 again:-0.5 still:-0.5 bored:-1 boring:-2 tired:-1 hard:-1
difficult:-1 unhappy:-2 upset:-2 miss:-1 missed:-1 cry:-2 crying:-2 tears:-1 ruined:-3 ruin:-2
lame:-2 garbage:-3 trash:-2 rubbish:-2 hopeless:-2 outage:-2 down:-1 unable:-1 cant:-1
cannot:-1 won't:-1 wont:-1 doesn't:-0.5 didn't:-0.5 isn't:-0.5 blocked:-1 banned:-2 threat:-2
dangerous:-3 danger:-2 unsafe:-3 toxic:-3 poisoning:-3 injured:-3 fire:-1 leak:-2 leaked:-2
hacked:-3 breach:-3 fraudulent:-3 complaint:-1 complain:-1 horrendous:-3 appalling:-3 incompetent:-3
furious:-3 livid:-3 outraged:-3 outrageous:-3 sue:-2 lawsuit:-2 lawyer:-1 worthless:-3 hostage:-2
unreliable:-2 expensive:-1 overpriced:-2 cold:-0.5 soggy:-2 stale:-2 dirty:-2 filthy:-3
"""

_FR = """
bien:1 bon:2 bonne:2 super:3 genial:3 excellent:3 excellente:3 parfait:3 parfaite:3 top:2 merci:2
bravo:3 felicitations:3 aime:2 adore:3 j'adore:3 adorer:3 aimer:2 content:2 contente:2 heureux:2
heureuse:2 ravi:3 ravie:3 magnifique:3 beau:2 belle:2 sympa:2 cool:2 rapide:1 efficace:2
agreable:2 formidable:3 incroyable:2 chouette:2 trop:0.5 top:2 meilleur:2 meilleure:2 mieux:1
satisfait:2 satisfaite:2 reactif:2 reactive:2 professionnel:2 gentil:2 gentille:2 aimable:2
impeccable:3 nickel:2 delicieux:3 delicieuse:3 bonheur:3 joie:2 plaisir:2 recommande:2 merveille:3
merveilleux:3 fier:2 fiere:2 reussi:2 reussite:2 gagne:1 espoir:1 espere:1 chapeau:2 respect:1
mdr:1 ptdr:1 lol:1 hate:1 vive:2 fan:2 genialissime:3 enfin:0.5 regle:1 resolu:1 fonctionne:1
marche:0.5 rembourse:1 solution:1 aide:0.5 utile:2 durable:1 ecologique:1 protege:1 protection:1
mauvais:-2 mauvaise:-2 nul:-3 nulle:-3 naze:-2 horrible:-3 affreux:-3 catastrophe:-3
catastrophique:-3 honte:-3 honteux:-3 scandale:-3 scandaleux:-3 inadmissible:-3 inacceptable:-3
decu:-2 decue:-2 decevant:-2 deception:-2 colere:-3 enerve:-2 enervee:-2 agace:-2 marre:-2 ras:-1
bol:-1 pire:-3 probleme:-1 problemes:-1 souci:-1 soucis:-1 panne:-2 bug:-2 bugs:-2 bugue:-2
plante:-2 lent:-1 lente:-1 retard:-2 retarde:-2 annule:-2 annulee:-2 annulation:-2 perdu:-2
perdue:-2 vole:-2 arnaque:-3 arnaqueur:-3 escroc:-3 escroquerie:-3 voleur:-3 voleurs:-3 inutile:-2
incompetent:-3 incompetents:-3 incompetence:-3 mensonge:-3 menteur:-3 mepris:-3 triste:-2
malheureusement:-1 desole:-1 desolee:-1 pourri:-3 merde:-3 putain:-2 bordel:-2 chiant:-2 galere:-2
galerer:-2 attente:-1 attendre:-1 attends:-1 toujours:-0.5 encore:-0.5 jamais:-1 rien:-1
personne:-1 impossible:-2 bloque:-2 bloquee:-2 coupe:-1 coupure:-2 danger:-3 dangereux:-3
dangereuse:-3 intoxication:-3 malade:-2 blesse:-3 blessee:-3 brulure:-3 feu:-1 fuite:-2 pirate:-2
piratage:-3 fraude:-3 plainte:-2 avocat:-1 tribunal:-2 proces:-2 raciste:-3 sexiste:-3
discrimination:-3 menace:-3 mort:-3 mourir:-3 tue:-3 peur:-2 inquiet:-2 inquiete:-2 grave:-2
gravement:-2 cher:-1 chere:-1 trop:-0.5 sale:-2 degueulasse:-3 degoutant:-3 degoute:-3 froid:-1
rembourser:-0.5 remboursement:-1 reclamation:-1 ridicule:-2 lamentable:-3 minable:-3 pitoyable:-3
abusé:-2 abuse:-2 abusent:-2 relou:-2 chier:-2 fache:-2 furieux:-3 furieuse:-3 excede:-3
pollution:-2 pollue:-2 rechauffement:-1 crise:-2 destruction:-3 detruit:-3 menaces:-3
disparition:-2 extinction:-2 toxique:-3 pesticides:-1 secheresse:-2 canicule:-2 inondations:-2
"""

# General French polarity words (inflected forms included: the lexicon matches tokens, not
# lemmas). VADER covers English only, so without these a French mention's lexicon sums rest on
# the brand-care words above. Words that are also common English words with another sense
# ("rate", "laid", "simple") are left out.
_FR_GENERAL = """
aimes:2 aiment:2 aimons:2 aimez:2 aimais:2 aimerais:1 adores:3 adorent:3 adorable:3 kiffe:2
kiffer:2 geniale:3 geniaux:3 geniales:3 excellents:3 excellentes:3 parfaits:3 parfaites:3
parfaitement:2 superbe:3 superbes:3 splendide:3 sublime:3 fantastique:3 extraordinaire:3
exceptionnel:3 exceptionnelle:3 remarquable:2 admirable:3 epatant:3 magique:3 fabuleux:3
fabuleuse:3 bons:2 bonnes:2 meilleurs:2 meilleures:2 beaux:2 belles:2 joli:2 jolie:2 jolis:2
jolies:2 mignon:2 mignonne:2 heureusement:1 joyeux:2 joyeuse:2 enchante:2 enchantee:2 contents:2
contentes:2 satisfaits:2 ravis:3 ravies:3 fiers:2 fieres:2 mercii:2 remercie:2 remercier:2
remerciements:2 felicite:3 felicitation:3 encourageant:2 encourageante:2 prometteur:2
prometteuse:2 positif:2 positifs:2 positive:2 progres:1 amelioration:1 ameliorer:1 ameliore:1
innovant:2 innovante:2 innovation:1 reussir:2 reussie:2 succes:2 victoire:2 gagner:1 gagnant:2
soutien:1 soutenir:1 solidarite:1 sauver:1 espoirs:1 esperons:1 esperer:1 confiance:1 fiable:2
facile:1 pratique:1 sain:1 saine:1 amour:3 amoureux:2 coeur:1 bisous:2 bisou:2 rire:1 drole:2
marrant:2 hilarant:2 ahah:1 mdrr:1 ptdrr:1 classe:2 bienvenue:1 vivement:1 merveilleuse:3
enthousiasme:2 passionnant:2 interessant:1 interessante:1 efficaces:2 agreablement:2 felicitons:3
nuls:-3 nulles:-3 mauvaises:-2 horribles:-3 affreuse:-3 atroce:-3 terribles:-3
epouvantable:-3 abominable:-3 effroyable:-3 desastre:-3 desastreux:-3 tragedie:-3 tragique:-3
drame:-2 dramatique:-2 honteuse:-3 scandaleuse:-3 decus:-2 decues:-2 decoit:-2 decevante:-2
enerver:-2 enervant:-2 agacant:-2 saoule:-2 deteste:-3 detester:-3 haine:-3 hais:-3 tristes:-2
tristesse:-2 deprime:-2 deprimant:-2 malheur:-3 malheureux:-2 pleurer:-2 pleure:-2 larmes:-2
effrayant:-2 inquietant:-2 inquietante:-2 inquietude:-2 inquietudes:-2 angoisse:-2 echec:-2
echoue:-2 mensonges:-3 menteurs:-3 mentir:-2 corrompu:-3 corruption:-3 hypocrite:-2
hypocrisie:-2 stupide:-2 con:-2 conne:-2 connard:-3 connards:-3 idiote:-2 debile:-3 debiles:-3
abruti:-3 imbecile:-3 cretin:-3 bidon:-2 injuste:-2 injustice:-2 violence:-2 violente:-2
victime:-2 victimes:-2 attentat:-3 attentats:-3 guerre:-2 tuer:-3 morts:-3 meurtre:-3
terroriste:-3 terrorisme:-3 pauvrete:-2 inutiles:-2 lamentables:-3 dommage:-1 helas:-1
regrettable:-2 regrette:-1 arnaques:-3 pires:-3 moche:-2 ennuyeux:-2 chiante:-2 ridicules:-2
pathetique:-3 absurde:-2 inadmissibles:-3 scandales:-3 catastrophes:-3 degueu:-3 craint:-1
"""

_EMOJI = """
😀:2 😃:2 😄:2 😁:2 😆:2 😂:1 🤣:1 😊:2 😍:3 🥰:3 😘:2 😎:2 👍:2 👌:2 👏:2 🙌:2 🙏:1 ❤:3 💕:3 💖:3
💯:2 🔥:1 🎉:3 ✨:1 ⭐:2 🌟:2 💪:2 🥳:3 😉:1 🙂:1 ☺:2 :):2 :-):2 ;):1 :d:2 <3:3
😠:-3 😡:-3 🤬:-3 😤:-2 😢:-2 😭:-2 😞:-2 😔:-2 😩:-2 😫:-2 😒:-2 🙄:-2 😑:-1 😐:-1 🤦:-2 👎:-2
💩:-2 😱:-2 😰:-2 😨:-2 🤮:-3 🤢:-2 💔:-2 :(:-2 :-(:-2 :/:-1
"""

NEGATORS = frozenset(
    "not no never n't dont don't doesnt doesn't didnt didn't isnt isn't wasnt wasn't cant can't "
    "cannot wont won't aint ain't nothing nobody neither nor without hardly "
    "pas jamais aucun aucune rien sans ni guere ne n'".split()
)
INTENSIFIERS = {
    **dict.fromkeys("very so really extremely totally absolutely completely super".split(), 1.5),
    **dict.fromkeys("tres vraiment trop tellement completement absolument grave".split(), 1.5),
    **dict.fromkeys("<elong>".split(), 1.3),
}
# Negation ends at punctuation: "not bad, terrible" must not flip "terrible".
# A contrast: what follows outweighs what came before ("love the clothes but the parcel is
# missing" is a complaint), so the lexicon sums so far are damped when one is met. Every
# contrast also ends a negation scope (the model's hot path relies on that).
CONTRASTS = frozenset(("but", "mais", "however", "cependant", "pourtant"))
NEGATION_STOPS = frozenset(("!", "?", "<url>", ".")) | CONTRASTS
# French "ne"/"n'" are negators: they open the reach that the "pas"/"jamais"/"rien" after them
# renews, and they are what negates "ne ... plus" ("on ne peut plus protéger"), whereas "plus"
# alone is too ambiguous to be one ("plus rapide").


def _parse(block: str) -> dict[str, float]:
    table: dict[str, float] = {}
    for item in block.split():
        word, _, score = item.rpartition(":")
        table[word] = float(score)
    return table


SENTIMENT: dict[str, float] = {**_parse(_EN), **_parse(_FR), **_parse(_FR_GENERAL), **_parse(_EMOJI)}
