from django.contrib.auth.models import AnonymousUser, User

# Who performs an action: an agent or manager, an anonymous request, or None for the
# customer, the AI or the system (the audit row then names the actor kind).
ActingUser = User | AnonymousUser | None
