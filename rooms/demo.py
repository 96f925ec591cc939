"""Demo conversation for the demo cohort's room. Idempotent. `seed_demo` runs it after `cohorts.demo`
(LOCAL_APPS order), once the cohort and its room exist."""

import uuid

from accounts.models import User
from rooms.models import Message, Room
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


def seed(*, stdout) -> None:
    room = Room.objects.filter(kind=Room.Kind.COHORT).order_by("pk").first()
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
