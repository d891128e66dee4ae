"""The accounts use cases, composed: one object holding each seam's service, built from the dependencies they
share. It holds no use case of its own; the servicer and the background jobs call the seam they need:

- `workspaces`  workspaces, authentication and the subscription (workspaces.py)
- `members`     members, their roles and API tokens (members.py)
- `audit`       the audit log of members' and integrations' changes (audit.py)
- `sign_in`     invitations by email, passwords, emailed links and UI sessions (sign_in.py)
- `webhooks`    outbound webhook endpoints, events and their signed deliveries (webhooks.py)
- `linkedin`    LinkedIn accounts (linkedin.py) and their health (linkedin_health.py)
- `inboxes`     inboxes, their login probes and reconnect by credentials (inboxes.py)
- `inbox_oauth` the OAuth flow of inboxes, their probes and access tokens (inbox_oauth.py)
- `senders`     limits, send credentials and send failures of either kind of sender (senders.py)
- `keys`        key rotation of stored secrets (key_rotation.py)
- `health_feed` the health changes campaigns reconciles from (health_events.py)"""

from __future__ import annotations

from datetime import timedelta

from services.accounts.audit import AuditService
from services.accounts.clients import LOGIN_CHECKS
from services.accounts.health_domain import InboxHealthSettings
from services.accounts.health_events import HealthFeed, HealthWriter
from services.accounts.inbox_oauth import InboxOAuthService
from services.accounts.inboxes import InboxService
from services.accounts.key_rotation import KeyRotation
from services.accounts.linkedin import LinkedInService
from services.accounts.members import MemberService
from services.accounts.oauth import OAuthProvider
from services.accounts.ports import (
    Committed,
    HealthEventPayload,
    LoginCheck,
    SenderStatePayload,
    Unipile,
    WebhookPoster,
)
from services.accounts.repository import Repository
from services.accounts.senders import SenderService
from services.accounts.sign_in import SignInService
from services.accounts.sign_in_domain import SignInPolicy
from services.accounts.system_mail import SmtpSystemMail, SystemMail
from services.accounts.webhooks import WebhookService
from services.accounts.workspaces import WorkspaceService
from services.common.clock import Clock
from services.common.crypto import Keyring


class AccountsService:
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        keyring: Keyring,
        sender_state: SenderStatePayload,
        committed: Committed = lambda: None,
        health_event: HealthEventPayload = lambda event: b"",
        unipile: Unipile | None = None,
        unipile_api_url: str = "",
        grace: timedelta = timedelta(seconds=900),
        recheck: timedelta = timedelta(seconds=300),
        public_url: str = "http://127.0.0.1:8080",
        inbox_health: InboxHealthSettings | None = None,
        login_checks: dict[str, LoginCheck] | None = None,
        oauth: dict[str, OAuthProvider] | None = None,
        webhook_poster: WebhookPoster | None = None,
        webhooks_allow_private: bool = False,
        system_mail: SystemMail | None = None,
        sign_in_policy: SignInPolicy | None = None,
    ):
        """`sender_state` serializes a sender's state for the scheduler and `health_event` a health event for
        campaigns (the outbox payloads); `committed` is called after each committed write that enqueued one (it
        kicks the outbox relay). Without `unipile`, nothing that must read Unipile can be done. `login_checks`
        replaces the live login check of a server ("smtp", "imap"); `oauth`: the OAuth apps by provider."""
        self._repo = repository
        self._keyring = keyring
        self._sender_state = sender_state
        self._health_event = health_event
        health = HealthWriter(clock, sender_state=sender_state, health_event=health_event)
        settings = inbox_health or InboxHealthSettings()
        self.workspaces = WorkspaceService(repository, clock, health=health, committed=committed)
        self.members = MemberService(repository, clock)
        self.audit = AuditService(repository, clock)
        mail = system_mail or SmtpSystemMail(None, "")
        self.sign_in = SignInService(repository, clock, mail=mail, public_url=public_url, policy=sign_in_policy)
        self.webhooks = WebhookService(
            repository,
            clock,
            keyring=keyring,
            poster=webhook_poster,
            allow_private=webhooks_allow_private,
            mail=mail,
            public_url=public_url,
        )
        self.linkedin = LinkedInService(
            repository,
            clock,
            health=health,
            committed=committed,
            unipile=unipile,
            unipile_api_url=unipile_api_url,
            grace=grace,
            public_url=public_url,
            recheck=recheck,
        )
        self.inbox_oauth = InboxOAuthService(
            repository,
            clock,
            keyring=keyring,
            health=health,
            committed=committed,
            settings=settings,
            providers=oauth or {},
            public_url=public_url,
        )
        self.inboxes = InboxService(
            repository,
            clock,
            keyring=keyring,
            health=health,
            committed=committed,
            settings=settings,
            login_checks={**LOGIN_CHECKS, **(login_checks or {})},
            oauth=self.inbox_oauth,
        )
        self.senders = SenderService(
            repository,
            keyring=keyring,
            health=health,
            committed=committed,
            linkedin=self.linkedin,
            inboxes=self.inboxes,
            oauth=self.inbox_oauth,
        )
        self.keys = KeyRotation(repository, keyring=keyring)
        self.health_feed = HealthFeed(repository)
