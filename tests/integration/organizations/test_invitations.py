"""API.md, Organizations: "Nobody becomes a member without consent: POST
/api/v1/organizations/{org_id}/members creates a pending invitation and e-mails a single-use
link valid 7 days; it answers the same for an e-mail with or without an account. Until the
invited person accepts, the organization has no reach over them." """

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from athletes.models import User
from organizations.models import Group, Membership
from tests.conftest import Api, assert_error
from tests.factories import make_activity, make_user

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s]+/invitations/([\w-]+)")


def members_path(org):
    return f"/api/v1/organizations/{org.public_id}/members"


def link_token(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def invite(api, org, **body):
    response = api.post(members_path(org), body)
    assert response.status_code == 201, response.content
    return response.json()["data"]


def test_an_outsider_club_cannot_take_reach_over_another_club_s_athlete(cast):
    """The attack: register, create a club, "add" Alice by e-mail, read her data."""
    make_activity(cast.alice, datetime(2026, 11, 20, 7, tzinfo=UTC))
    mallory = make_user("mallory")
    own = cast.api(mallory).post("/api/v1/organizations", {"name": "Mallory's Club"})
    org_id = own.json()["data"]["org_id"]
    response = cast.api(mallory).post(
        f"/api/v1/organizations/{org_id}/members", {"email": "alice@example.com"}
    )
    assert response.status_code == 201
    assert response.json()["data"]["status"] == "pending"
    assert not Membership.objects.filter(user=cast.alice, organization__public_id=org_id).exists()
    spy = cast.api(mallory)
    assert_error(spy.get(f"/api/v1/users/{cast.alice.public_id}"), 403)
    assert_error(spy.get("/api/v1/activities", {"user_id": cast.alice.public_id}), 403)
    assert_error(
        spy.get("/api/v1/analytics/athlete_profile", {"user_id": cast.alice.public_id}), 403
    )
    assert_error(
        spy.post(
            "/api/v1/activities",
            {
                "user_id": cast.alice.public_id,
                "start_time": "2026-11-21T07:00:00Z",
                "distance": 5000,
                "duration": 1500,
            },
        ),
        403,
    )
    roster = spy.get("/api/v1/analytics/coach_athletes_metrics", {"org_id": org_id})
    assert roster.json()["data"]["athletes"] == []


def test_known_and_unknown_addresses_get_the_same_answer(cast):
    coach = cast.api(cast.cora)
    known = invite(coach, cast.riverside, email="charlie@example.com")
    unknown = invite(coach, cast.riverside, email="nobody-here@example.com")
    for answer in (known, unknown):
        answer.pop("invitation_id"), answer.pop("sent_at"), answer.pop("expires_at")
        answer.pop("email")
    assert known == unknown
    assert len(mail.outbox) == 2  # both are e-mailed, so timing does not tell either


def test_the_invited_athlete_accepts_and_joins_with_what_the_coach_chose(cast):
    squad = Group.objects.create(organization=cast.riverside, name="Squad")
    invitation = invite(
        cast.api(cast.cora),
        cast.riverside,
        email="Charlie@Example.com",
        assigned_coach_id=cast.cora.public_id,
        labels=["masters", "5k-focus"],
        group_ids=[squad.public_id],
    )
    assert invitation["email"] == "charlie@example.com"
    assert invitation["labels"] == ["5k-focus", "masters"]
    [message] = mail.outbox
    assert message.to == ["charlie@example.com"]
    assert "Riverside Runners" in message.subject
    assert link_token(message)

    # Before accepting, Cora has no reach over Charlie.
    assert_error(cast.api(cast.cora).get(f"/api/v1/users/{cast.charlie.public_id}"), 403)
    mine = cast.api(cast.charlie).get("/api/v1/invitations").json()["data"]
    assert [i["invitation_id"] for i in mine["invitations"]] == [invitation["invitation_id"]]
    assert mine["metadata"]["total"] == 1  # API.md: lists are paginated, with metadata
    assert cast.api(cast.alice).get("/api/v1/invitations").json()["data"]["invitations"] == []

    accepted = cast.api(cast.charlie).post(
        f"/api/v1/invitations/{invitation['invitation_id']}/accept",
        {"token": link_token(message)},
    )
    assert accepted.status_code == 200, accepted.content
    member = accepted.json()["data"]["membership"]
    assert member["user_id"] == cast.charlie.public_id
    assert member["assigned_coach_id"] == cast.cora.public_id
    assert member["labels"] == ["5k-focus", "masters"]
    assert list(squad.members.all()) == [cast.charlie]
    assert cast.api(cast.cora).get(f"/api/v1/users/{cast.charlie.public_id}").status_code == 200
    # Single use.
    again = cast.api(cast.charlie).post(f"/api/v1/invitations/{invitation['invitation_id']}/accept")
    assert_error(again, 409)


def test_only_the_invited_person_may_accept_and_never_an_api_key(cast):
    invitation = invite(cast.api(cast.cora), cast.riverside, email="charlie@example.com")
    path = f"/api/v1/invitations/{invitation['invitation_id']}/accept"
    assert_error(cast.api(cast.dave).post(path), 404)
    assert_error(cast.api(cast.riverside_key).post(path), 403)
    assert_error(cast.api(cast.riverside_key).get("/api/v1/invitations"), 403)
    assert not Membership.objects.filter(user=cast.charlie).exists()


def test_an_api_key_may_invite_athletes(cast):
    invitation = invite(cast.api(cast.riverside_key), cast.riverside, email="charlie@example.com")
    assert invitation["invited_by"] == "Riverside Runners"
    assert len(mail.outbox) == 1


def test_declined_revoked_and_expired_invitations_give_no_membership(cast):
    coach = cast.api(cast.cora)
    declined = invite(coach, cast.riverside, email="charlie@example.com")
    response = cast.api(cast.charlie).post(
        f"/api/v1/invitations/{declined['invitation_id']}/decline"
    )
    assert response.json()["data"]["status"] == "declined"
    assert_error(
        cast.api(cast.charlie).post(f"/api/v1/invitations/{declined['invitation_id']}/accept"), 409
    )

    revoked = invite(coach, cast.riverside, email="charlie@example.com")
    assert revoked["invitation_id"] != declined["invitation_id"]
    path = f"/api/v1/organizations/{cast.riverside.public_id}/invitations"
    listed = coach.get(path).json()["data"]["invitations"]
    assert [i["invitation_id"] for i in listed] == [revoked["invitation_id"]]
    assert coach.delete(f"{path}/{revoked['invitation_id']}").status_code == 200
    assert coach.get(path).json()["data"]["invitations"] == []
    assert_error(
        cast.api(cast.charlie).post(f"/api/v1/invitations/{revoked['invitation_id']}/accept"), 409
    )
    assert Client().get(f"/invitations/{link_token(mail.outbox[-1])}").status_code == 410

    expired = invite(coach, cast.riverside, email="charlie@example.com")
    with time_machine.travel(datetime.now(UTC) + timedelta(days=7, minutes=1)):
        assert_error(
            cast.api(cast.charlie).post(f"/api/v1/invitations/{expired['invitation_id']}/accept"),
            410,
            code="INVITATION_EXPIRED",
        )
        listed = cast.api(cast.cora).get(path, {"status": "expired"}).json()["data"]
        assert [i["invitation_id"] for i in listed["invitations"]] == [expired["invitation_id"]]
        assert cast.api(cast.charlie).get("/api/v1/invitations").json()["data"]["invitations"] == []
    assert not Membership.objects.filter(user=cast.charlie).exists()


def test_resending_replaces_the_link_and_the_old_one_stops_working(cast):
    coach = cast.api(cast.cora)
    invitation = invite(coach, cast.riverside, email="charlie@example.com")
    old = link_token(mail.outbox[0])
    path = f"/api/v1/organizations/{cast.riverside.public_id}/invitations"
    assert coach.post(f"{path}/{invitation['invitation_id']}/resend").status_code == 200
    new = link_token(mail.outbox[1])
    assert new != old
    assert Client().get(f"/invitations/{old}").status_code == 410
    assert Client().get(f"/invitations/{new}").status_code == 200


def test_owners_and_coaches_manage_invitations_but_not_athletes_or_other_clubs(cast):
    invitation = invite(cast.api(cast.cora), cast.riverside, email="charlie@example.com")
    path = f"/api/v1/organizations/{cast.riverside.public_id}/invitations"
    assert_error(cast.api(cast.alice).get(path), 403)
    assert_error(cast.api(cast.olga).get(path), 403)
    assert_error(cast.api(cast.olga).delete(f"{path}/{invitation['invitation_id']}"), 403)
    assert_error(
        cast.api(cast.alice).post(members_path(cast.riverside), {"email": "xavier@example.com"}),
        403,
    )
    # Only an owner invites coaches.
    coach = make_user("theo")
    cast.riverside.memberships.create(user=coach, role="coach")
    assert_error(
        cast.api(coach).post(
            members_path(cast.riverside), {"email": "zed@example.com", "role": "coach"}
        ),
        403,
    )


def test_inviting_a_member_again_is_a_conflict_and_bad_input_names_the_field(cast):
    coach = cast.api(cast.cora)
    assert_error(
        coach.post(members_path(cast.riverside), {"email": "alice@example.com"}),
        409,
        field="email",
    )
    assert_error(
        coach.post(members_path(cast.riverside), {"email": "not-an-email"}), 400, field="email"
    )
    assert_error(
        coach.post(
            members_path(cast.riverside),
            {"email": "x@example.com", "assigned_coach_id": cast.alice.public_id},
        ),
        400,
        field="assigned_coach_id",
    )
    other_group = Group.objects.create(organization=cast.hilltop, name="Theirs")
    assert_error(
        coach.post(
            members_path(cast.riverside),
            {"email": "x@example.com", "group_ids": [other_group.public_id]},
        ),
        400,
        field="group_ids",
    )
    assert not mail.outbox


def test_someone_without_an_account_signs_up_from_the_link_and_joins(cast):
    invite(cast.api(cast.cora), cast.riverside, email="newbie@example.com")
    token = link_token(mail.outbox[0])
    browser = Client()
    page = browser.get(f"/invitations/{token}")
    assert page.status_code == 200
    assert "Riverside Runners" in page.content.decode()
    weak = browser.post(
        f"/invitations/{token}",
        {"action": "join", "display_name": "New Bie", "username": "newbie", "password": "123"},
    )
    assert weak.status_code == 200 and "too short" in weak.content.decode()
    joined = browser.post(
        f"/invitations/{token}",
        {
            "action": "join",
            "display_name": "New Bie",
            "username": "newbie",
            "password": "a-long-enough-passphrase",
        },
    )
    assert joined.status_code == 302
    membership = Membership.objects.select_related("user").get(
        organization=cast.riverside, user__email="newbie@example.com"
    )
    assert membership.role == "athlete"
    assert membership.user.email_verified  # the link proved the address
    assert browser.get("/").status_code == 302  # signed in
    assert browser.get(f"/invitations/{token}").status_code == 410  # single use


def test_a_signed_in_invitee_accepts_from_the_link_or_the_list(cast):
    hilltop_invite = invite(cast.api(cast.olga), cast.hilltop, email="charlie@example.com")
    invite(cast.api(cast.cora), cast.riverside, email="charlie@example.com")
    browser = Client()
    browser.force_login(cast.charlie)
    listing = browser.get("/invitations").content.decode()
    assert "Hilltop Harriers" in listing and "Riverside Runners" in listing
    browser.post(
        "/invitations", {"invitation_id": hilltop_invite["invitation_id"], "action": "decline"}
    )
    token = link_token(mail.outbox[1])
    assert browser.post(f"/invitations/{token}", {"action": "accept"}).status_code == 302
    assert list(
        Membership.objects.filter(user=cast.charlie).values_list("organization__name", flat=True)
    ) == ["Riverside Runners"]


def test_the_link_does_not_work_for_another_signed_in_person(cast):
    invite(cast.api(cast.cora), cast.riverside, email="charlie@example.com")
    token = link_token(mail.outbox[0])
    browser = Client()
    browser.force_login(cast.dave)
    page = browser.get(f"/invitations/{token}").content.decode()
    assert "this invitation is for charlie@example.com" in page
    browser.post(f"/invitations/{token}", {"action": "accept"})
    assert not Membership.objects.filter(user=cast.dave, organization=cast.riverside).exists()


def test_a_stranger_who_registers_the_invited_address_cannot_take_the_seat(cast):
    """Issue 32: registering an address is not owning its mailbox. Without the e-mailed link's
    token, or a verified address, accepting is a 403 and nobody joins; the link's token (or
    a verified address) lets the owner of the mailbox in."""
    invitation = invite(
        cast.api(cast.cora), cast.riverside, email="newcoach@example.com", role="coach"
    )
    token = link_token(mail.outbox[-1])
    registered = Api().post(
        "/api/v1/auth/register",
        {"email": "newcoach@example.com", "username": "stranger", "password": "a-Long-pass-2026!"},
    )
    assert registered.status_code == 201, registered.content
    stranger = User.objects.get(username="stranger")
    assert not stranger.email_verified
    path = f"/api/v1/invitations/{invitation['invitation_id']}/accept"
    listed = cast.api(stranger).get("/api/v1/invitations").json()["data"]["invitations"]
    assert [i["invitation_id"] for i in listed] == [invitation["invitation_id"]]
    assert_error(cast.api(stranger).post(path), 403, "EMAIL_NOT_VERIFIED")
    assert_error(cast.api(stranger).post(path, {"token": "guessed" + token[7:]}), 403)
    assert not Membership.objects.filter(user=stranger).exists()
    assert_error(
        cast.api(stranger).get(
            "/api/v1/analytics/coach_athletes_metrics", {"org_id": cast.riverside.public_id}
        ),
        403,
    )
    # The mailbox's owner holds the link: its token proves the address.
    assert cast.api(stranger).post(path, {"token": token}).status_code == 200
    stranger.refresh_from_db()
    assert stranger.email_verified
    assert Membership.objects.get(user=stranger).role == "coach"


def test_a_verified_address_accepts_from_the_list(cast):
    invitation = invite(cast.api(cast.cora), cast.riverside, email="charlie@example.com")
    User.objects.filter(pk=cast.charlie.pk).update(email_verified=True)
    accepted = cast.api(cast.charlie).post(
        f"/api/v1/invitations/{invitation['invitation_id']}/accept"
    )
    assert accepted.status_code == 200
    assert Membership.objects.filter(user=cast.charlie, organization=cast.riverside).exists()


def test_a_person_walks_their_invitations_by_cursor_in_constant_queries(
    cast, django_assert_max_num_queries
):
    """API.md §5: every list takes `cursor`. Charlie, invited by both clubs with a coach and
    groups chosen, reads them one a page, newest first, each once; a page costs the same
    statements whatever it holds (the inviting coach and the groups read with it)."""
    squad = Group.objects.create(organization=cast.riverside, name="Squad")
    hills = Group.objects.create(organization=cast.hilltop, name="Hills")
    first = invite(
        cast.api(cast.cora),
        cast.riverside,
        email="charlie@example.com",
        assigned_coach_id=cast.cora.public_id,
        group_ids=[squad.public_id],
    )
    second = invite(
        cast.api(cast.olga),
        cast.hilltop,
        email="charlie@example.com",
        assigned_coach_id=cast.olga.public_id,
        group_ids=[hills.public_id],
    )
    api = cast.api(cast.charlie)
    page = api.get("/api/v1/invitations", {"per_page": 1}).json()["data"]
    seen = [page["invitations"][0]["invitation_id"]]
    assert page["next_cursor"]
    with django_assert_max_num_queries(8):
        page = api.get(
            "/api/v1/invitations", {"per_page": 1, "cursor": page["next_cursor"]}
        ).json()["data"]
    seen += [i["invitation_id"] for i in page["invitations"]]
    assert page["next_cursor"] is None
    assert seen == [second["invitation_id"], first["invitation_id"]]
    with django_assert_max_num_queries(8):
        both = api.get("/api/v1/invitations").json()["data"]["invitations"]
    assert [i["group_ids"] for i in both] == [[hills.public_id], [squad.public_id]]
