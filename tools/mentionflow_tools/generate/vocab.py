"""The words the generator writes with: templates per language and category, slot fillers
per sector. All written for this project. Templates use {slot} names filled by `traffic`:
{brand} is the @handle; the other slots come from GENERIC, SECTOR or the generator itself
({ref}, {tag}, {brand2}).
"""

from __future__ import annotations

from typing import Final


def _lines(block: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in block.strip().splitlines() if line.strip())


# --------------------------------------------------------------------------- templates
TEMPLATES: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "en": {
        "question": _lines("""
            {brand} {q}?
            Hi {brand}, {q}?
            {brand} quick question: {q}?
            hey {brand} {q}? thanks in advance
            {q}? {brand}
            {brand} does anyone know {q}?
            {brand} {q}?? asking for {who}
            Hello {brand}, {q}? I couldn't find it on the website
            {brand} {q}? I've been looking everywhere
            {brand} sorry if this is a dumb question but {q}?
            Morning {brand} — {q}?
            {brand} {q}? DMs are open
            {brand} still waiting for an answer: {q}?
            {brand} any update on my ticket {ref}?
        """),
        "complaint": _lines("""
            {brand} {issue}. {anger}
            {brand} {issue} {when}. {anger} {neg}
            Seriously {brand}?? {issue}
            {brand} {dur} on hold and still {issue}
            {issue}. Thanks for nothing {brand}
            {brand} this is the third time this month: {issue}. {threat}
            {brand} {issue} #fail
            Dear {brand}, {issue}. {anger}
            {brand} {issue} and your {staff} just hung up on me
            So {issue}, {brand}. {threat} {neg}
            {brand} ref {ref}: {issue}. Nobody answers emails.
            How is it possible that {issue}? {brand} {anger}
            {brand} {issue}. {dur} later, nothing. {neg}
            worst customer service ever {brand} {issue}
        """),
        "praise": _lines("""
            {brand} {good}! {pos}
            Shoutout to {brand}: {good}
            {good}. Thank you {brand} {pos}
            {brand} you guys rock, {good}
            Have to say it, {good}. Well done {brand}
            {brand} {good}, {staff} was lovely {pos}
            Honestly impressed {brand}, {good}
            {good} — {brand} never disappoints {pos}
            big thanks to {brand}, {good}
            {brand} 10/10, {good}
        """),
        "other": _lines("""
            {brand} lol
            anyone else using {brand} {product}?
            {brand} is trending for some reason
            just switched to {brand}, we'll see how it goes
            {brand} that new ad with the dog {pos}
            {brand} follow back?
            my mum keeps talking about {brand} {product}
            {brand} who does your social media, it's hilarious
            {brand} vs {brand2}, go
            {brand} {product} memes are getting out of hand
            listening to a podcast about {brand}
            {brand} happy friday everyone
            {brand} when is the next giveaway
            saw a {brand} billboard in {place} today
        """),
        "crisis": _lines("""
            {brand} {crisis} {when}!!! {urgent}
            Is anyone else seeing this? {brand} {crisis} #{tag}
            {brand} {crisis}. People could get hurt. {urgent}
            BREAKING: {crisis} at {brand} in {place} #{tag}
            {brand} what are you doing about the {crisis}?? #{tag}
            {brand} {crisis} and total silence from you. Disgraceful. #{tag}
            Journalists should look into {brand}: {crisis} #{tag}
            {brand} {crisis}. I'm contacting my lawyer. {urgent}
            thread on the {brand} {crisis} {when} 🧵 #{tag}
        """),
    },
    "fr": {
        "question": _lines("""
            {brand} bonjour, {q} ?
            {brand} {q} ?
            Bonjour {brand}, {q} ? Merci d'avance
            {brand} petite question : {q} ?
            {q} ? {brand}
            {brand} quelqu'un sait {q} ?
            Salut {brand}, {q} ? Je ne trouve pas l'info sur le site
            {brand} {q} ?? c'est pour {who}
            {brand} bonsoir, {q} ? je vous ai écrit en MP
            {brand} toujours pas de réponse : {q} ?
            {brand} des nouvelles de mon dossier {ref} ?
            Bonjour {brand} ! {q} ?
        """),
        "complaint": _lines("""
            {brand} {issue}. {anger}
            {brand} {issue} {when}. {anger} {neg}
            Franchement {brand}, {issue}
            {brand} {dur} d'attente au téléphone et toujours {issue}
            {issue}. Merci pour rien {brand}
            {brand} c'est la troisième fois ce mois-ci : {issue}. {threat}
            {brand} {issue} #fail
            {brand} {issue} et votre {staff} m'a raccroché au nez
            Bravo {brand}, {issue}. {threat} {neg}
            {brand} dossier {ref} : {issue}. Aucune réponse à mes mails.
            Comment c'est possible que {issue} ? {brand} {anger}
            {brand} {issue}. {dur} plus tard, rien. {neg}
            service client inexistant {brand} {issue}
            {brand} c'est une blague ? {issue}
        """),
        "praise": _lines("""
            {brand} {good} ! {pos}
            Merci {brand}, {good} {pos}
            {good}. Bravo {brand} {pos}
            {brand} vous êtes au top, {good}
            Il faut le dire : {good}. Bien joué {brand}
            {brand} {good}, {staff} adorable {pos}
            Agréablement surpris par {brand}, {good}
            {good} — {brand} ne déçoit jamais {pos}
            un grand merci à {brand}, {good}
            {brand} 10/10, {good}
        """),
        "other": _lines("""
            {brand} mdr
            quelqu'un utilise {product} chez {brand} ?
            {brand} en TT je comprends pas pourquoi
            je viens de passer chez {brand}, on verra
            {brand} la nouvelle pub avec le chien {pos}
            {brand} vous suivez en retour ?
            ma mère ne parle que de {brand} en ce moment
            {brand} votre CM est trop drôle
            {brand} ou {brand2}, vous choisissez qui ?
            les memes sur {brand} c'est devenu n'importe quoi
            {brand} bon vendredi à tous
            {brand} c'est quand le prochain concours
            vu une affiche {brand} à {place} aujourd'hui
            {brand} hâte de voir la suite
        """),
        "crisis": _lines("""
            {brand} {crisis} {when} !!! {urgent}
            Vous voyez ça aussi ? {brand} {crisis} #{tag}
            {brand} {crisis}. Des gens pourraient être blessés. {urgent}
            URGENT : {crisis} chez {brand} à {place} #{tag}
            {brand} vous faites quoi pour {crisis} ?? #{tag}
            {brand} {crisis} et aucune communication. Honteux. #{tag}
            Les journalistes devraient enquêter sur {brand} : {crisis} #{tag}
            {brand} {crisis}. Je contacte mon avocat. {urgent}
            thread sur {crisis} chez {brand} {when} 🧵 #{tag}
        """),
    },
}

# --------------------------------------------------------------------------- generic slots
GENERIC: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "en": {
        "anger": _lines("""
            Unacceptable.
            Ridiculous.
            Fix it!
            Absolute joke.
            I want a refund.
            Never again.
            Sort it out.
            So done with this.
            Shameful.
            What a mess.
        """),
        "threat": _lines("""
            Cancelling my account.
            Switching to a competitor.
            See you in small claims court.
            Leaving a review everywhere.
            Reporting this to the regulator.
        """),
        "neg": ("😡", "🤬", "😤", "🙄", "👎", "😠😠", "💀", ""),
        "pos": ("😍", "🙌", "👏", "❤️", "🥳", "😊", "💯", "✨", ""),
        "urgent": _lines("""
            Answer now!
            This is serious.
            Please do something!!
            RT so they respond
            Someone needs to be held accountable.
        """),
        "when": _lines("""
            this morning
            since yesterday
            again today
            for the last 3 days
            tonight
            right now
            all weekend
        """),
        "dur": ("2 hours", "45 minutes", "3 days", "a week", "90 min", "two weeks", "an hour"),
        "who": ("a friend", "my dad", "my grandma", "my colleague", "my partner"),
        "place": _lines("""
            London
            Manchester
            Dublin
            Edinburgh
            New York
            Toronto
            Bristol
            Leeds
        """),
    },
    "fr": {
        "anger": _lines("""
            Inadmissible.
            C'est n'importe quoi.
            Réglez ça !
            Lamentable.
            Je veux être remboursé.
            Plus jamais.
            J'en ai marre.
            Honteux.
            Quelle galère.
            Scandaleux.
        """),
        "threat": _lines("""
            Je résilie.
            Je passe à la concurrence.
            Je saisis le médiateur.
            60 millions de consommateurs vont en entendre parler.
            Je laisse un avis partout.
        """),
        "neg": ("😡", "🤬", "😤", "🙄", "👎", "😠😠", "💀", ""),
        "pos": ("😍", "🙌", "👏", "❤️", "🥳", "😊", "💯", "✨", ""),
        "urgent": _lines("""
            Répondez !
            C'est grave.
            Faites quelque chose !!
            RT pour qu'ils réagissent
            Il faut des responsables.
        """),
        "when": _lines("""
            ce matin
            depuis hier
            encore aujourd'hui
            depuis 3 jours
            ce soir
            en ce moment
            tout le week-end
        """),
        "dur": ("2 heures", "45 minutes", "3 jours", "une semaine", "1h30", "deux semaines"),
        "who": ("une amie", "mon père", "ma grand-mère", "un collègue", "ma copine"),
        "place": _lines("""
            Paris
            Lyon
            Marseille
            Toulouse
            Lille
            Nantes
            Bordeaux
            Strasbourg
            Montpellier
        """),
    },
}

# --------------------------------------------------------------------------- sector slots
SECTOR: Final[dict[str, dict[str, dict[str, tuple[str, ...]]]]] = {
    "telecom": {
        "en": {
            "product": ("fibre", "broadband", "5G plan", "router", "SIM card", "TV box", "eSIM",
                        "prepaid plan"),
            "issue": _lines("""
                no internet
                no signal at all
                the connection keeps dropping
                my bill is double what it should be
                the router keeps rebooting
                I was charged twice
                my number transfer failed
                calls cut out every 5 minutes
                I get 2 Mbps instead of 1 Gbps
                the technician never showed up
                my eSIM won't activate
            """),
            "good": _lines("""
                the new fibre is blazing fast
                support fixed my line in 10 minutes
                the 5G coverage here is excellent
                the app makes changing plans so easy
                the technician was on time and super helpful
                no outage in two years
            """),
            "q": _lines("""
                how do I activate my eSIM
                is there an outage in {place}
                when will fibre be available in {place}
                how can I cancel my plan
                can I keep my number if I switch
                why did my bill go up
                does the 5G plan include roaming
                how do I reset my router
            """),
            "crisis": _lines("""
                massive network outage
                customer data leaked online
                emergency calls not going through
                hundreds of hacked accounts
                SIM swap fraud emptying bank accounts
            """),
            "staff": ("agent", "technician", "advisor", "support person"),
        },
        "fr": {
            "product": ("la fibre", "la box", "le forfait mobile", "la 5G", "le décodeur TV",
                        "la carte SIM", "l'eSIM", "le forfait 4G"),
            "issue": _lines("""
                plus d'internet
                pas de réseau du tout
                la connexion saute toutes les 5 minutes
                ma facture a doublé
                la box redémarre en boucle
                j'ai été prélevé deux fois
                la portabilité de mon numéro a échoué
                le technicien n'est jamais venu
                j'ai 2 Mo de débit au lieu de 1 Go
                mon eSIM ne s'active pas
                les appels coupent sans arrêt
            """),
            "good": _lines("""
                la nouvelle fibre est ultra rapide
                le support a réparé ma ligne en 10 minutes
                la couverture 5G ici est excellente
                l'appli permet de changer de forfait en deux clics
                le technicien était ponctuel et super sympa
                aucune panne depuis deux ans
            """),
            "q": _lines("""
                comment activer mon eSIM
                il y a une panne à {place}
                quand est-ce que la fibre arrive à {place}
                comment résilier mon forfait
                je garde mon numéro si je change d'offre
                pourquoi ma facture a augmenté
                le forfait 5G inclut l'itinérance
                comment réinitialiser ma box
            """),
            "crisis": _lines("""
                panne géante du réseau
                fuite de données clients
                impossible d'appeler les urgences
                des centaines de comptes piratés
                arnaque au changement de SIM qui vide les comptes
            """),
            "staff": ("conseiller", "technicien", "service client"),
        },
    },
    "airline": {
        "en": {
            "product": ("flight", "booking", "checked bag", "seat upgrade", "lounge", "app",
                        "miles", "carry-on"),
            "issue": _lines("""
                my flight {ref} was cancelled with no notice
                you lost my luggage
                we've been stuck at the gate for {dur}
                I got bumped from an overbooked flight
                I was charged for a bag I already paid for
                still no refund after {dur}
                the app won't load my boarding pass
                I missed my connection because of your delay
                my seat was given away
            """),
            "good": _lines("""
                the crew on {ref} was amazing
                smoothest landing ever
                got upgraded to business
                on time for once
                great legroom and decent food
                my lost bag was delivered to my door
            """),
            "q": _lines("""
                what is the baggage allowance on {ref}
                can I change my flight for free
                is flight {ref} delayed
                how do I get a refund for a cancelled flight
                do you fly to {place} in winter
                can I bring my dog in the cabin
                how early should I check in
            """),
            "crisis": _lines("""
                emergency landing
                engine fire on takeoff
                passengers stuck on the tarmac for 6 hours
                serious safety concerns on board
                passport data of passengers leaked
            """),
            "staff": ("crew", "gate agent", "pilot", "call centre"),
        },
        "fr": {
            "product": ("le vol", "la réservation", "le bagage en soute", "le surclassement",
                        "le salon", "l'appli", "les miles"),
            "issue": _lines("""
                mon vol {ref} a été annulé sans prévenir
                vous avez perdu ma valise
                on est bloqués à la porte depuis {dur}
                j'ai été débarqué d'un vol surbooké
                on m'a facturé un bagage déjà payé
                toujours pas remboursé après {dur}
                l'appli n'affiche pas ma carte d'embarquement
                j'ai raté ma correspondance à cause de votre retard
            """),
            "good": _lines("""
                l'équipage du {ref} était génial
                l'atterrissage le plus doux de ma vie
                surclassé en business
                à l'heure pour une fois
                ma valise perdue a été livrée chez moi
            """),
            "q": _lines("""
                quelle est la franchise bagage sur le {ref}
                je peux changer mon vol gratuitement
                le vol {ref} est en retard
                comment être remboursé d'un vol annulé
                vous desservez {place} cet hiver
                je peux voyager avec mon chien en cabine
            """),
            "crisis": _lines("""
                atterrissage d'urgence
                feu moteur au décollage
                passagers bloqués 6 heures sur le tarmac
                graves problèmes de sécurité à bord
                fuite des passeports des passagers
            """),
            "staff": ("équipage", "personnel au sol", "service client"),
        },
    },
    "food_delivery": {
        "en": {
            "product": ("delivery", "burger", "pizza", "sushi", "promo code", "Plus membership",
                        "app"),
            "issue": _lines("""
                order {ref} never arrived
                the food arrived cold
                wrong order again
                the driver was rude
                I was charged but the order was cancelled
                the promo code doesn't work
                waited {dur} for a pizza
                half my order is missing
                the app says delivered but nothing here
            """),
            "good": _lines("""
                delivered in 15 minutes
                the driver was super nice
                best sushi in {place}
                refund sorted in 2 minutes
                the new app update is great
                food still hot on arrival
            """),
            "q": _lines("""
                do you deliver in {place}
                how do I use my promo code
                why was I charged a service fee
                can I change my address after ordering
                where is my order {ref}
                is there a vegan option near {place}
            """),
            "crisis": _lines("""
                food poisoning after ordering
                glass found in my meal
                a delivery driver injured in an accident
                hygiene scandal at a partner restaurant
                stolen card details after ordering
            """),
            "staff": ("driver", "support agent", "chat bot"),
        },
        "fr": {
            "product": ("la livraison", "le burger", "la pizza", "les sushis", "le code promo",
                        "l'abonnement Plus", "l'appli"),
            "issue": _lines("""
                la commande {ref} n'est jamais arrivée
                repas arrivé froid
                encore une erreur de commande
                le livreur a été désagréable
                débité mais commande annulée
                le code promo ne marche pas
                {dur} d'attente pour une pizza
                la moitié de la commande manque
                l'appli dit livré mais rien reçu
            """),
            "good": _lines("""
                livré en 15 minutes
                le livreur était adorable
                meilleurs sushis de {place}
                remboursement réglé en 2 minutes
                la nouvelle version de l'appli est top
                repas encore chaud à l'arrivée
            """),
            "q": _lines("""
                vous livrez à {place}
                comment utiliser mon code promo
                pourquoi ces frais de service
                je peux changer l'adresse après la commande
                où est ma commande {ref}
                il y a des options vegan vers {place}
            """),
            "crisis": _lines("""
                intoxication alimentaire après une commande
                du verre dans mon plat
                un livreur blessé dans un accident
                scandale d'hygiène chez un restaurant partenaire
                vol de données bancaires après une commande
            """),
            "staff": ("livreur", "conseiller", "chatbot"),
        },
    },
    "generic": {
        "en": {
            "product": ("app", "account", "subscription", "website", "order", "service"),
            "issue": _lines("""
                my account is locked
                I was charged twice
                the app crashes on login
                my order {ref} never arrived
                nobody answers the phone
                the website is down
            """),
            "good": _lines("""
                support solved my problem in minutes
                the new app is great
                fast and friendly service
                delivery was early
            """),
            "q": _lines("""
                how do I reset my password
                where is my order {ref}
                how can I cancel my subscription
                do you ship to {place}
                what are your opening hours
            """),
            "crisis": _lines("""
                data breach exposing customer passwords
                dangerous product recall
                total service outage
                fraudulent charges on customer cards
            """),
            "staff": ("agent", "support team", "manager"),
        },
        "fr": {
            "product": ("l'appli", "le compte", "l'abonnement", "le site", "la commande"),
            "issue": _lines("""
                mon compte est bloqué
                j'ai été débité deux fois
                l'appli plante à la connexion
                ma commande {ref} n'est jamais arrivée
                personne ne répond au téléphone
                le site est en panne
            """),
            "good": _lines("""
                le support a réglé mon problème en quelques minutes
                la nouvelle appli est top
                service rapide et sympa
                livraison en avance
            """),
            "q": _lines("""
                comment réinitialiser mon mot de passe
                où est ma commande {ref}
                comment résilier mon abonnement
                vous livrez à {place}
                quels sont vos horaires
            """),
            "crisis": _lines("""
                fuite de données avec les mots de passe clients
                rappel d'un produit dangereux
                panne totale du service
                prélèvements frauduleux sur les cartes clients
            """),
            "staff": ("conseiller", "service client", "responsable"),
        },
    },
}

# Hashtags people add, by language and category.
HASHTAGS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "en": {"question": ("#help", "#customerservice"), "complaint": ("#fail", "#badservice",
           "#customerservice", "#neveragain"), "praise": ("#happycustomer", "#thanks", "#love"),
           "other": ("#fridayfeeling", "#mood", "#ad"), "crisis": ("#breaking", "#scandal")},
    "fr": {"question": ("#aide", "#SAV"), "complaint": ("#SAV", "#honte", "#arnaque", "#fail"),
           "praise": ("#merci", "#bravo", "#top"), "other": ("#vendredi", "#humeur"),
           "crisis": ("#urgent", "#scandale")},
}

# Author names for handles and display names.
FIRST_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "en": ("James", "Olivia", "Liam", "Emma", "Noah", "Amelia", "Jack", "Isla", "Harry", "Ava",
           "Leo", "Mia", "Oscar", "Grace", "Ethan", "Chloe", "Sam", "Zoe", "Ryan", "Priya",
           "Aisha", "Tom", "Lucy", "Daniel", "Hannah", "Kwame", "Sofia", "Ben", "Ellie", "Jay"),
    "fr": ("Lucas", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Gabriel", "Camille", "Arthur",
           "Inès", "Jules", "Jade", "Adam", "Louise", "Nathan", "Emma", "Théo", "Sarah", "Yanis",
           "Lina", "Mathis", "Zoé", "Karim", "Anaïs", "Bastien", "Margaux", "Mehdi", "Clara"),
}
LAST_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "en": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas",
           "Walker", "Patel", "Khan", "Murphy", "O'Brien", "Clarke", "Hughes", "Green", "Hall"),
    "fr": ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
           "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "Roux",
           "Fournier", "Benali", "Nguyen"),
}
HANDLE_WORDS: Final[tuple[str, ...]] = (
    "the", "real", "its", "just", "mr", "miss", "daily", "official", "lazy", "happy", "night",
    "coffee", "pixel", "foodie", "travel", "geek", "tech", "cat", "dog", "lyon", "paris", "uk",
)
