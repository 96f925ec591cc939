"""Demo conversation for the demo cohort's room. Idempotent. `seed_demo` runs it after `cohorts.demo`
(LOCAL_APPS order), once the cohort and its room exist."""

import uuid
from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.models import User
from cohorts.demo import PAST_COHORT_NAME
from rooms.markdown import render_message
from rooms.models import Message, ReadMarker, Room
from rooms.services import message_pin, message_post

CONVERSATION = [
    ("animatrice", None, "Bienvenue dans le salon de la promotion ! Pour ouvrir l'épisode 1 du cas, dites-nous :\n\n"
     "- qui porte le projet de coopération dans votre établissement ;\n- ce qui vous inquiète le plus."),
    ("directrice", 0, "Chez nous, c'est la direction du GHT qui porte le projet, mais sans les chefs de pôle rien ne bouge."),
    ("medecin", 1, "> sans les chefs de pôle rien ne bouge\n\nD'accord, et il faut associer les _urgentistes de nuit_ : "
     "ce sont eux qui vivront la réorganisation."),
    ("cadre", 2, "Côté soins, les cadres de santé ont besoin d'un calendrier clair et d'un temps d'échange avec les "
     "équipes. La [HAS](https://www.has-sante.fr/) propose des outils sur le travail en équipe."),
    ("ars", None, "Pour l'ARS, le point clé est le `PRS` : le projet doit s'y inscrire. @Sophie Lefèvre, avez-vous "
     "un contact à la délégation départementale ?"),
    ("pharmacien", 4, "La PUI peut aider sur le circuit du médicament entre les deux sites : on l'oublie souvent."),
]


# The closed cohort's room, months ago: directors, physicians, regulators and nurse managers answering
# one another about the case (what the owner's report counts as talk across professions).
PAST_CONVERSATION = [
    ("helene.brochard", None, "Épisode 2 : la sortie du patient se décide à 16 h un vendredi. Qui, chez vous, "
     "peut joindre le médecin traitant à cette heure-là ?"),
    ("laure.giraudeau", 0, "Aux urgences de La Roche, personne : on laisse un courrier. C'est pour cela que les "
     "réhospitalisations du lundi nous reviennent."),
    ("mehdi.bensaid", 0, "Côté maison de santé, un appel de l'IDE de coordination suffirait. Le courrier arrive "
     "souvent après la première consultation."),
    ("karine.blanchet", 2, "Nous avons testé une IDE de parcours au CHU d'Angers : elle appelle la ville la veille "
     "de la sortie. Les cadres ont dû revoir les plannings, mais cela tient."),
    ("isabelle.maindron", 3, "L'ARS peut financer ce poste dans le cadre de l'article 51 si la CPTS est partie "
     "prenante. Il faut des indicateurs communs dès le départ."),
    ("olivier.marchand", 4, "Les indicateurs, c'est là que le GHT bloque : chaque établissement compte ses séjours, "
     "personne ne compte le parcours."),
    ("sandrine.leveque", 5, "L'Assurance maladie a les données de ville : on peut partager un tableau de bord "
     "trimestriel avec la CPTS, sans données nominatives."),
    ("jerome.boisseau", 6, "Et pour les équipes, un retour simple : combien de patients revus par leur médecin "
     "traitant dans les sept jours. C'est ce qui les motivera."),
    ("clemence.hervouet", 7, "D'accord pour ce seul indicateur au début. Je le porterai en conseil de pôle."),
]


def _past_cohort_conversation(stdout) -> None:
    """Messages in the closed cohort's room, written as they were months ago (the cohort is closed now,
    so nobody may post there any more: they are stored directly, with their dates)."""
    room = Room.objects.filter(kind=Room.Kind.COHORT, cohort__name=PAST_COHORT_NAME).select_related("cohort").first()
    if room is None or Message.objects.filter(room=room).exists():
        return
    users = {user.email.split("@")[0]: user for user in User.objects.filter(email__endswith="@passerelles.test")}
    if any(key not in users for key, _reply, _body in PAST_CONVERSATION):
        return
    start = timezone.make_aware(datetime.combine(room.cohort.starts_on + timedelta(days=21), time(12, 30)))
    posted: list[Message] = []
    for n, (key, reply_index, body) in enumerate(PAST_CONVERSATION, start=1):
        message = Message.objects.create(
            room=room, seq=n, author=users[key], client_id=f"demo-past-{n}", body=body, html=render_message(body),
            reply_to=posted[reply_index] if reply_index is not None else None,
        )
        Message.objects.filter(pk=message.pk).update(created_at=start + timedelta(minutes=17 * n))
        posted.append(message)
        ReadMarker.objects.update_or_create(room=room, user=users[key], defaults={"last_read_seq": n})
    Room.objects.filter(pk=room.pk).update(last_message_seq=len(posted))
    stdout.write(f"Demo closed cohort's room: {len(posted)} messages in « {room.name} »")


def seed(*, stdout) -> None:
    _past_cohort_conversation(stdout)
    room = Room.objects.filter(kind=Room.Kind.COHORT).exclude(cohort__name=PAST_COHORT_NAME).order_by("pk").first()
    if room is None or Message.objects.filter(room=room).exists():
        return
    users = {user.email.split("@")[0]: user for user in User.objects.filter(email__endswith="@passerelles.test")}
    posted = []
    for key, reply_index, body in CONVERSATION:
        if key not in users:
            return
        reply_to = posted[reply_index].seq if reply_index is not None else None
        message, _created = message_post(
            room=room, author=users[key], client_id=f"demo-{uuid.uuid4().hex[:12]}", body=body, reply_to=reply_to
        )
        posted.append(message)
    message_pin(room=room, seq=posted[0].seq, user=users["animatrice"])
    stdout.write(f"Demo room conversation: {len(posted)} messages in « {room.name} »")
