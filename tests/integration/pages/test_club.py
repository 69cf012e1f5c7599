"""Running the club from the browser: the same rules as the API, plain forms, no JavaScript."""

import re

import pytest
from django.core import mail
from django.test import Client

from organizations.models import ApiKey, Group, Invitation, Membership
from tests.conftest import signed_in
from tests.factories import add_member, make_user

pytestmark = pytest.mark.django_db


def test_a_coach_invites_an_athlete_and_manages_the_invitation(cast):
    squad = Group.objects.create(organization=cast.riverside, name="Squad")
    page = signed_in(cast.cora)
    response = page.post(
        "/club",
        {
            "action": "invite",
            "email": "newbie@example.com",
            "role": "athlete",
            "assigned_coach": cast.cora.public_id,
            "labels": "masters, 5k",
            "groups": [squad.public_id],
        },
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="newbie@example.com")
    assert invitation.labels == ["5k", "masters"] and list(invitation.groups.all()) == [squad]
    assert len(mail.outbox) == 1
    html = page.get("/club").content.decode()
    assert "newbie@example.com" in html
    page.post("/club", {"action": "resend", "invitation_id": invitation.public_id})
    assert len(mail.outbox) == 2
    page.post("/club", {"action": "revoke", "invitation_id": invitation.public_id})
    invitation.refresh_from_db()
    assert invitation.status == "revoked"


def test_a_bad_invitation_shows_the_error_next_to_its_field_and_sends_nothing(cast):
    html = signed_in(cast.cora).post(
        "/club", {"action": "invite", "email": "not-an-address", "role": "athlete"}
    )
    assert html.status_code == 200
    text = html.content.decode()
    assert re.search(r'id_email"[^>]*>.*?Enter a valid email address', text, re.S)
    assert not Invitation.objects.exists() and not mail.outbox


def test_only_the_owner_invites_coaches(cast):
    theo = make_user("theo")
    add_member(cast.riverside, theo, "coach")
    response = signed_in(theo).post(
        "/club", {"action": "invite", "email": "coach2@example.com", "role": "coach"}
    )
    assert "Only the club&#x27;s owner invites coaches." in response.content.decode()
    assert not Invitation.objects.exists()


def test_members_are_edited_and_removed_from_the_page(cast):
    page = signed_in(cast.cora)
    page.post(
        "/club",
        {
            "action": "member",
            "user_id": cast.bob.public_id,
            "role": "athlete",
            "assigned_coach": cast.cora.public_id,
            "labels": "injured",
        },
    )
    bob = Membership.objects.get(organization=cast.riverside, user=cast.bob)
    assert bob.assigned_coach == cast.cora
    assert [label.name for label in bob.labels.all()] == ["injured"]
    page.post("/club", {"action": "remove", "user_id": cast.bob.public_id})
    assert not Membership.objects.filter(organization=cast.riverside, user=cast.bob).exists()


def test_groups_are_created_filled_renamed_and_deleted(cast):
    page = signed_in(cast.cora)
    page.post("/club", {"action": "group_create", "name": "Marathoners"})
    group = Group.objects.get(organization=cast.riverside, name="Marathoners")
    page.post(
        "/club",
        # Typed as a coach would: her e-mail.
        {"action": "group_add", "group_id": group.public_id, "athlete": "ALICE@example.com"},
    )
    assert list(group.members.all()) == [cast.alice]
    # Hilltop's athlete cannot be put in a Riverside group.
    page.post(
        "/club",
        {"action": "group_add", "group_id": group.public_id, "athlete": "dave@example.com"},
    )
    assert list(group.members.all()) == [cast.alice]
    page.post("/club", {"action": "group_rename", "group_id": group.public_id, "name": "Sub-3"})
    group.refresh_from_db()
    assert group.name == "Sub-3"
    page.post(
        "/club",
        {"action": "group_remove", "group_id": group.public_id, "athlete": "alice"},
    )
    assert not group.members.exists()
    page.post("/club", {"action": "group_delete", "group_id": group.public_id})
    assert not Group.objects.filter(pk=group.pk).exists()


def test_the_owner_creates_a_key_shown_once_and_revokes_it(cast):
    page = signed_in(cast.cora)
    response = page.post("/club/keys", {"action": "create", "name": "Garmin sync"}, follow=True)
    raw = re.search(r'data-testid="new-api-key">([^<]+)<', response.content.decode()).group(1)
    key = ApiKey.objects.get(name="Garmin sync")
    assert raw.startswith(key.prefix)
    assert raw not in page.get("/club").content.decode()  # shown once
    page.post("/club/keys", {"action": "revoke", "key_id": key.public_id})
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_athletes_and_other_clubs_cannot_run_the_club(cast):
    alice = signed_in(cast.alice)
    page = alice.get("/club").content.decode()
    assert "Start a club" in page and "Bob Brown" not in page
    alice.post("/club", {"action": "remove", "user_id": cast.bob.public_id})
    assert Membership.objects.filter(organization=cast.riverside, user=cast.bob).exists()
    olga = signed_in(cast.olga)
    olga.post("/club", {"action": "remove", "user_id": cast.bob.public_id})
    assert Membership.objects.filter(organization=cast.riverside, user=cast.bob).exists()
    assert olga.post("/club/keys", {"action": "create", "name": "x"}).status_code == 403


def test_a_new_coach_signs_up_and_creates_a_club(db):
    browser = Client()
    weak = browser.post(
        "/signup",
        {"display_name": "Nia", "email": "nia@example.com", "username": "nia", "password": "1"},
    )
    assert "too short" in weak.content.decode()
    response = browser.post(
        "/signup",
        {
            "display_name": "Nia Coach",
            "email": "nia@example.com",
            "username": "nia",
            "password": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/settings"
    assert "Start or join a club" in browser.get("/club").content.decode()
    created = browser.post("/club", {"action": "create_club", "name": "Harbour Harriers"})
    assert created.status_code == 302
    membership = Membership.objects.get(user__email="nia@example.com")
    assert (membership.organization.name, membership.role) == ("Harbour Harriers", "owner")
    taken = Client().post(
        "/signup",
        {
            "display_name": "Other",
            "email": "NIA@example.com",
            "username": "other",
            "password": "a-long-enough-passphrase",
        },
    )
    assert "An account with this e-mail exists." in taken.content.decode()


@pytest.mark.parametrize("athletes", [3, 60])
def test_the_club_page_costs_the_same_queries_for_a_small_and_a_large_club(
    cast, athletes, django_assert_max_num_queries
):
    squad = Group.objects.create(organization=cast.riverside, name="Squad")
    for index in range(athletes):
        user = make_user(f"member{index}")
        add_member(cast.riverside, user)
        squad.members.add(user)
        Invitation.objects.create(
            organization=cast.riverside,
            email=f"pending{index}@example.com",
            token_hash=f"{index:064d}",
            sent_at="2026-11-27T10:00Z",
            expires_at="2099-12-01T10:00Z",
        )
    page = signed_in(cast.cora)
    with django_assert_max_num_queries(22):
        response = page.get("/club")
    assert response.status_code == 200
    assert ("Page 1 of 2" in response.content.decode()) == (athletes > 50)


def test_members_are_listed_by_role_then_name_fifty_to_a_page(cast):
    """The members table: athletes, then coaches, then owners, each by name; the second page
    goes on where the first stopped, each row with its own coach and labels."""
    coach = make_user("zed", display_name="Zed Coach")
    add_member(cast.riverside, coach, "coach")
    # 52 more athletes, created out of name order (Alice and Bob are already members).
    for index in (37, 5, 51, 0, 22, 14, 49, 8, 30, *range(1, 5), *range(6, 8), *range(9, 14)):
        add_member(cast.riverside, make_user(f"m{index:02d}", display_name=f"Member {index:02d}"))
    for index in (*range(15, 22), *range(23, 30), *range(31, 37), *range(38, 49), 50):
        add_member(cast.riverside, make_user(f"m{index:02d}", display_name=f"Member {index:02d}"))
    late = Membership.objects.get(organization=cast.riverside, user__username="m51")
    late.assigned_coach = coach
    late.save()
    late.labels.create(organization=cast.riverside, name="masters")

    def names(response):
        return re.findall(r'<th scope="row">([^<]+)<div', response.content.decode())

    page = signed_in(cast.cora)
    first, second = page.get("/club"), page.get("/club?page=2")
    athletes = ["Alice Andersen", "Bob Brown", *(f"Member {i:02d}" for i in range(52))]
    assert names(first) == athletes[:50]
    assert names(second) == [*athletes[50:], "Zed Coach", "Cora Coach"]
    assert "Page 2 of 2" in second.content.decode()
    row = second.content.decode().split('<th scope="row">Member 51')[1].split("</tr>")[0]
    assert f'value="{coach.public_id}" selected' in row
    assert 'value="masters"' in row


def test_an_inactive_athlete_and_a_name_with_markup_are_listed_in_place_and_escaped(cast):
    """The members table lists every membership, a closed account's too, in name order; a
    display name is text, never markup."""
    nia = make_user("nia", display_name="Nia <b>O'Hara</b>")
    add_member(cast.riverside, nia)
    cast.bob.is_active = False
    cast.bob.save()
    html = signed_in(cast.cora).get("/club").content.decode()
    names = re.findall(r'<th scope="row">([^<]+)<div', html)
    assert names == [
        "Alice Andersen",
        "Bob Brown",
        "Nia &lt;b&gt;O&#x27;Hara&lt;/b&gt;",
        "Cora Coach",
    ]
    assert "<b>O'Hara" not in html
    assert "Labels of Nia &lt;b&gt;O&#x27;Hara&lt;/b&gt;" in html


def test_groups_are_a_list_and_open_one_at_a_time(cast):
    """A club's groups are one line each (name, athletes, Manage); a group's forms and names
    open when asked, and stay open after one of its forms is sent."""
    squad = Group.objects.create(organization=cast.riverside, name="A squad")
    squad.members.add(cast.alice)
    other = Group.objects.create(organization=cast.riverside, name="B squad")
    page = signed_in(cast.cora)
    html = page.get("/club").content.decode()
    assert 'A squad</a> <span class="muted small">· 1 athlete</span>' in html
    assert 'B squad</a> <span class="muted small">· 0 athletes</span>' in html
    assert html.count('class="small group-manage"') == 2
    assert "Add athlete" not in html and "Alice Andersen</p>" not in html
    opened = page.get(f"/club?group={squad.public_id}").content.decode()
    box = opened.split(f'id="group-{squad.public_id}"')[1].split("</article>")[0]
    assert f'id="add-{squad.pk}"' in box and "Alice Andersen" in box
    assert f'id="add-{other.pk}"' not in opened
    sent = page.post(
        "/club",
        {
            "action": "group_add",
            "group_id": other.public_id,
            "athlete": "bob",
            "anchor": f"#group-{other.public_id}",
        },
    )
    assert f"group={other.public_id}#group-{other.public_id}" in sent["Location"]
    assert list(other.members.all()) == [cast.bob]
    made = page.post("/club", {"action": "group_create", "name": "C squad", "anchor": "#groups"})
    created = Group.objects.get(organization=cast.riverside, name="C squad")
    assert f"group={created.public_id}" in made["Location"]
    assert f'id="add-{created.pk}"' in page.get(made["Location"]).content.decode()
