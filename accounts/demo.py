"""Demo accounts: one per role and one learner per profession. Listed in the README."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from accounts.choices import Level, Profession, Role
from accounts.models import User
from accounts.services import user_admin_language_sync

DEMO_PASSWORD = "passerelles-demo"

# email, first name, last name, profession, level, organisation, region, roles, superuser
DEMO_USERS = [
    ("admin@passerelles.test", "Anne", "Admin", Profession.OTHER, Level.NATION, "Passerelles", "Île-de-France", [Role.ADMIN], True),
    ("editrice@passerelles.test", "Élise", "Martin", Profession.OTHER, Level.NATION, "EHESP", "Bretagne", [Role.EDITOR], False),
    ("relecteur@passerelles.test", "Paul", "Bernard", Profession.PHYSICIAN, Level.NATION, "EHESP", "Bretagne", [Role.REVIEWER], False),
    ("animatrice@passerelles.test", "Claire", "Dubois", Profession.NURSE, Level.ESTABLISHMENT, "CHU de Rennes", "Bretagne", [Role.FACILITATOR], False),
    ("directrice@passerelles.test", "Sophie", "Lefèvre", Profession.DIRECTOR, Level.ESTABLISHMENT, "GHT Haute-Bretagne", "Bretagne", [Role.LEARNER], False),
    ("medecin@passerelles.test", "Karim", "Haddad", Profession.PHYSICIAN, Level.ESTABLISHMENT, "CHU de Rennes", "Bretagne", [Role.LEARNER], False),
    ("cadre@passerelles.test", "Nathalie", "Moreau", Profession.NURSE, Level.TEAM, "CH de Vitré", "Bretagne", [Role.LEARNER], False),
    ("ars@passerelles.test", "Julien", "Girard", Profession.REGULATOR, Level.REGION, "ARS Bretagne", "Bretagne", [Role.LEARNER], False),
    ("pharmacien@passerelles.test", "Inès", "Roux", Profession.OTHER, Level.ESTABLISHMENT, "CH de Fougères", "Bretagne", [Role.LEARNER], False),
]


def seed(*, stdout) -> None:
    for email, first, last, profession, level, organisation, region, roles, superuser in DEMO_USERS:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "first_name": first,
                "last_name": last,
                "profession": profession,
                "level": level,
                "organisation": organisation,
                "region": region,
                "is_superuser": superuser,
                "is_staff": superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(*Group.objects.filter(name__in=[role.value for role in roles]))
        user_admin_language_sync(user=user)
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
    stdout.write(f"Demo accounts: {len(DEMO_USERS)} (password: {DEMO_PASSWORD})")
