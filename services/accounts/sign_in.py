"""Use cases of sign-in for the web UI (issue 18): invitations by email, passwords (argon2id), one-time emailed
sign-in links and password resets, sessions (listed and revoked by their member, all of a member's by an admin),
and the rate limit of failed sign-ins and of emails requested, per address and per client address.

Links and sessions are random secrets stored as their SHA-256; a link is used once (the redeeming UPDATE is its
single use) and expires. Mail leaves after the transaction commits (no lock is held across the SMTP exchange)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import structlog

from services.accounts.audit_repository import UNKNOWN_ACTOR, AuditTx
from services.accounts.domain import validate_email
from services.accounts.member_repository import MemberTx
from services.accounts.members_domain import assignable_role, check_manager
from services.accounts.repository import Repository, Tx
from services.accounts.sign_in_domain import (
    LINK_PREFIX,
    SESSION_PREFIX,
    Invitation,
    Link,
    Session,
    SignedIn,
    SignInPolicy,
    check_rate,
    clean_address,
    clean_user_agent,
    hash_password,
    hash_secret,
    new_secret,
    validate_password,
    verify_password,
)
from services.accounts.sign_in_repository import SignInTx
from services.accounts.system_mail import SystemMail
from services.accounts.workspace_repository import WorkspaceTx
from services.common.clock import Clock
from services.common.errors import AlreadyExists, FailedPrecondition, NotFound, Unauthenticated
from services.common.ids import parse_uuid
from services.common.roles import Role

log = structlog.get_logger(__name__)


async def _audit_failure(tx: Tx, workspace_ids: set[str], now: datetime, email: str, address: str) -> None:
    """A refused password sign-in is an audit entry of each workspace the address is a member of (the one asked
    for, when given): who tried is unknown, so the actor is `UNKNOWN_ACTOR` and the entry keeps the address as it
    was typed and the client's address, never the password. An address of no member has no workspace to log in."""
    request_id = str(structlog.contextvars.get_contextvars().get("request_id", ""))[:64]
    for workspace_id in sorted(workspace_ids):
        await AuditTx(tx).record(
            workspace_id,
            now,
            UNKNOWN_ACTOR,
            None,
            "sign_in_failed",
            "POST",
            "/api/v1/sign-in",
            {},
            {"email": email, "address": address},
            401,
            request_id,
        )


@dataclass(frozen=True)
class Client:
    address: str = ""
    user_agent: str = ""


class SignInService:
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        mail: SystemMail,
        public_url: str,
        policy: SignInPolicy | None = None,
    ):
        self._repo = repository
        self._clock = clock
        self._mail = mail
        self._public_url = public_url.rstrip("/")
        self._policy = policy or SignInPolicy()

    def _need_mail(self) -> None:
        if not self._mail.configured:
            raise FailedPrecondition(
                "email cannot be sent: no system SMTP server is configured (HOLDFAST_SYSTEM_SMTP)",
                code="mail_not_configured",
            )

    # Invitations.

    async def create_invitation(self, workspace_id: str, actor_id: str, email: str, role: str) -> Invitation:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        actor_id = parse_uuid(actor_id, "actor.member_id")
        email = validate_email(email, "email")
        role_ = assignable_role(role)
        self._need_mail()
        token = new_secret(LINK_PREFIX)
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            actor = check_manager(await MemberTx(tx).get_member(workspace_id, actor_id))
            if any(str(m["workspace_id"]) == workspace_id for m in await SignInTx(tx).memberships(email)):
                raise AlreadyExists(
                    "this email is already a member of the workspace", code="member_exists", details={"field": "email"}
                )
            workspace = await WorkspaceTx(tx).get_workspace(workspace_id)
            invitation = await SignInTx(tx).create_link(
                hash_secret(token),
                "invitation",
                workspace_id,
                None,
                email,
                role_,
                actor.id,
                now,
                now + self._policy.invitation_ttl,
            )
        name = workspace.name if workspace else "a workspace"
        await self._mail.send(
            email,
            f"You are invited to {name} on Holdfast",
            (
                f"{actor.email} invites you to join {name} on Holdfast as {role_.word}.\n\n"
                f"Accept the invitation (the link works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n"
                f"{self._public_url}/#/accept-invitation?token={token}\n"
            ),
        )
        log.info("invitation sent", invitation_id=invitation.id, role=role_.word)
        return invitation

    async def list_invitations(self, workspace_id: str, actor_id: str) -> list[Invitation]:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        actor_id = parse_uuid(actor_id, "actor.member_id")
        async with self._repo.transaction() as tx:
            check_manager(await MemberTx(tx).get_member(workspace_id, actor_id))
            return await SignInTx(tx).pending_invitations(workspace_id, self._clock.now())

    async def revoke_invitation(self, workspace_id: str, actor_id: str, invitation_id: str) -> Invitation:
        """Withdraw a pending invitation: its emailed link no longer works."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        actor_id = parse_uuid(actor_id, "actor.member_id")
        invitation_id = parse_uuid(invitation_id, "invitation_id", missing_is_not_found=True)
        async with self._repo.transaction() as tx:
            check_manager(await MemberTx(tx).get_member(workspace_id, actor_id))
            revoked = await SignInTx(tx).revoke_invitation(workspace_id, invitation_id, self._clock.now())
        if revoked is None:
            raise NotFound("invitation not found (or already accepted or expired)")
        log.info("invitation revoked", invitation_id=invitation_id)
        return revoked

    async def accept_invitation(self, token: str, password: str, client: Client) -> SignedIn:
        password_hash = await asyncio.to_thread(hash_password, validate_password(password)) if password else None
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            sign_in = SignInTx(tx)
            link = await self._redeem(sign_in, token, "invitation")
            assert link.role is not None
            member_id = await sign_in.add_member(link.workspace_id, link.email, link.role, now)
            if member_id is None:  # added meanwhile: the invitation signs them in
                member_id = next(
                    str(m["id"])
                    for m in await sign_in.memberships(link.email)
                    if str(m["workspace_id"]) == link.workspace_id
                )
            if password_hash:
                await sign_in.set_password(member_id, password_hash)
            signed = await self._open_session(tx, member_id, "invitation", client)
        log.info("invitation accepted", member_id=member_id, session_id=signed.session.id)
        return signed

    # Passwords.

    async def sign_in_with_password(self, email: str, password: str, workspace_id: str, client: Client) -> SignedIn:
        given = email[:254]
        email = validate_email(email, "email")
        address = clean_address(client.address)
        wanted = parse_uuid(workspace_id, "workspace_id") if workspace_id else None
        await self._check_rate("failure", email, address)
        memberships = [
            m
            for m in await SignInTx(self._repo.pool_tx()).memberships(email)
            if wanted is None or str(m["workspace_id"]) == wanted
        ]
        matched = None
        for m in [m for m in memberships if m["password_hash"]] or [None]:
            if await asyncio.to_thread(verify_password, m["password_hash"] if m else None, password[:1024]):
                matched = m
                break
        if matched is None:
            now = self._clock.now()
            async with self._repo.transaction() as tx:
                await SignInTx(tx).record_attempt("failure", email, address, now, now - self._policy.window)
                await _audit_failure(tx, {str(m["workspace_id"]) for m in memberships}, now, given, address)
            log.info("sign-in refused")
            raise Unauthenticated("wrong email or password", code="sign_in_failed")
        async with self._repo.transaction() as tx:
            signed = await self._open_session(tx, str(matched["id"]), "password", client)
        log.info("signed in", member_id=signed.session.member_id, session_id=signed.session.id, method="password")
        return signed

    async def send_password_reset(self, email: str, client: Client) -> None:
        await self._send_links(email, client, "password_reset")

    async def reset_password(self, token: str, password: str, client: Client) -> SignedIn:
        """A new password; every session of the member is revoked, and a new one opened."""
        password_hash = await asyncio.to_thread(hash_password, validate_password(password))
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            sign_in = SignInTx(tx)
            link = await self._redeem(sign_in, token, "password_reset")
            assert link.member_id is not None
            await sign_in.set_password(link.member_id, password_hash)
            await sign_in.revoke_member_sessions(link.workspace_id, link.member_id, now)
            signed = await self._open_session(tx, link.member_id, "password_reset", client)
        log.info("password reset", member_id=link.member_id, session_id=signed.session.id)
        return signed

    # Emailed sign-in links.

    async def send_sign_in_link(self, email: str, client: Client) -> None:
        await self._send_links(email, client, "sign_in")

    async def sign_in_with_link(self, token: str, client: Client) -> SignedIn:
        async with self._repo.transaction() as tx:
            link = await self._redeem(SignInTx(tx), token, "sign_in")
            assert link.member_id is not None
            signed = await self._open_session(tx, link.member_id, "link", client)
        log.info("signed in", member_id=link.member_id, session_id=signed.session.id, method="link")
        return signed

    # Sessions.

    async def authenticate(self, secret: str) -> tuple[Session, Role]:
        found = (
            await SignInTx(self._repo.pool_tx()).live_session(hash_secret(secret), self._clock.now())
            if secret.startswith(SESSION_PREFIX)
            else None
        )
        if found is None:
            raise Unauthenticated("the session is unknown, expired or revoked; sign in again", code="session_invalid")
        return found

    async def list_sessions(self, workspace_id: str, member_id: str) -> list[Session]:
        return await SignInTx(self._repo.pool_tx()).list_sessions(
            parse_uuid(workspace_id, "workspace_id"), parse_uuid(member_id, "member_id"), self._clock.now()
        )

    async def revoke_session(self, workspace_id: str, actor_id: str, session_id: str) -> Session:
        """A member revokes one of their sessions; an admin or the owner any of the workspace."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        actor_id = parse_uuid(actor_id, "actor.member_id")
        session_id = parse_uuid(session_id, "session_id", missing_is_not_found=True)
        async with self._repo.transaction() as tx:
            sign_in = SignInTx(tx)
            session = await sign_in.get_session(workspace_id, session_id)
            if session is None:
                raise NotFound("session not found")
            if session.member_id != actor_id:
                check_manager(await MemberTx(tx).get_member(workspace_id, actor_id))
            revoked = await sign_in.revoke_session(workspace_id, session_id, self._clock.now())
        assert revoked is not None
        log.info("session revoked", session_id=session_id)
        return revoked

    async def revoke_member_sessions(self, workspace_id: str, actor_id: str, member_id: str) -> int:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        actor_id = parse_uuid(actor_id, "actor.member_id")
        member_id = parse_uuid(member_id, "member_id", missing_is_not_found=True)
        async with self._repo.transaction() as tx:
            members = MemberTx(tx)
            check_manager(await members.get_member(workspace_id, actor_id))
            if await members.get_member(workspace_id, member_id) is None:
                raise NotFound("member not found")
            count = await SignInTx(tx).revoke_member_sessions(workspace_id, member_id, self._clock.now())
        log.info("member sessions revoked", member_id=member_id, count=count)
        return count

    # Shared steps.

    async def _check_rate(self, kind: str, email: str, address: str) -> None:
        now = self._clock.now()
        by_email, by_address = await SignInTx(self._repo.pool_tx()).attempts(
            kind, email, address, now - self._policy.window
        )
        check_rate(kind, by_email, by_address, now, self._policy)

    async def _redeem(self, sign_in: SignInTx, token: str, purpose: str) -> Link:
        link = (
            await sign_in.redeem_link(hash_secret(token), purpose, self._clock.now())
            if token.startswith(LINK_PREFIX)
            else None
        )
        if link is None:
            raise Unauthenticated(
                "this link is unknown, already used or expired; ask for a new one", code="link_invalid"
            )
        return link

    async def _open_session(self, tx: Tx, member_id: str, method: str, client: Client) -> SignedIn:
        sign_in = SignInTx(tx)
        member = await sign_in.member(member_id)
        if member is None:
            raise NotFound("member not found")
        secret = new_secret(SESSION_PREFIX)
        now = self._clock.now()
        session = await sign_in.create_session(
            hash_secret(secret),
            str(member["workspace_id"]),
            member_id,
            now,
            now + self._policy.session_ttl,
            method,
            clean_address(client.address),
            clean_user_agent(client.user_agent),
        )
        return SignedIn(session=session, secret=secret, role=Role.parse(member["role"]), email=member["email"])

    async def _send_links(self, email: str, client: Client, purpose: str) -> None:
        """One email with a link per membership of the address (none for an unknown address: the answer is the
        same, so it tells nobody who is a member)."""
        email = validate_email(email, "email")
        self._need_mail()
        address = clean_address(client.address)
        await self._check_rate("email", email, address)
        now = self._clock.now()
        links = []
        async with self._repo.transaction() as tx:
            sign_in = SignInTx(tx)
            await sign_in.record_attempt("email", email, address, now, now - self._policy.window)
            for m in await sign_in.memberships(email):
                token = new_secret(LINK_PREFIX)
                await sign_in.create_link(
                    hash_secret(token),
                    purpose,
                    str(m["workspace_id"]),
                    str(m["id"]),
                    email,
                    None,
                    None,
                    now,
                    now + self._policy.link_ttl,
                )
                workspace = await WorkspaceTx(tx).get_workspace(str(m["workspace_id"]))
                links.append((workspace.name if workspace else "", token))
        if not links:
            log.info("no member with this address; nothing sent", purpose=purpose)
            return
        minutes = int(self._policy.link_ttl.total_seconds() // 60)
        page = "sign-in-link" if purpose == "sign_in" else "reset-password"
        lines = "\n".join(f"{name}: {self._public_url}/#/{page}?token={token}" for name, token in links)
        if purpose == "sign_in":
            subject, intro = "Your Holdfast sign-in link", "Sign in to Holdfast with the link of your workspace"
        else:
            subject, intro = "Reset your Holdfast password", "Choose a new Holdfast password with this link"
        await self._mail.send(
            email,
            subject,
            (
                f"{intro} (each works once, for {minutes} minutes):\n\n{lines}\n\n"
                "If you did not ask for this, ignore this email.\n"
            ),
        )
        log.info("sign-in email sent", purpose=purpose, links=len(links))
