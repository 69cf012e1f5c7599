"""API.md §3 organizations, members, groups, labels and API keys."""

import pytest

from athletes.models import User
from organizations.models import ApiKey, Group, Membership
from tests.conftest import Api, assert_error
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_creator_becomes_owner(cast):
    response = cast.api(cast.charlie).post("/api/v1/organizations", {"name": "Lakeside Milers"})
    assert response.status_code == 201
    org = response.json()["data"]
    assert org["org_id"].startswith("org_")
    assert org["role"] == "owner"
    mine = cast.api(cast.charlie).get("/api/v1/organizations").json()["data"]
    assert [o["name"] for o in mine["organizations"]] == ["Lakeside Milers"]
    assert_error(
        cast.api(cast.charlie).post("/api/v1/organizations", {"name": ""}), 400, field="name"
    )


def test_organization_read_and_rename(cast):
    path = f"/api/v1/organizations/{cast.riverside.public_id}"
    assert cast.api(cast.alice).get(path).json()["data"]["athlete_count"] == 2
    assert_error(cast.api(cast.olga).get(path), 403)
    assert (
        cast.api(cast.cora).patch(path, {"name": "Riverside RC"}).json()["data"]["name"]
        == "Riverside RC"
    )
    assert_error(cast.api(cast.alice).patch(path, {"name": "Mine now"}), 403)
    assert_error(cast.api(cast.cora).get("/api/v1/organizations/org_nope00000000000"), 404)


def test_members_list_and_labels_after_an_accepted_invitation(cast):
    erin = make_user("erin")
    User.objects.filter(pk=erin.pk).update(email_verified=True)  # accepts from the list
    path = f"/api/v1/organizations/{cast.riverside.public_id}/members"
    invitation = cast.api(cast.cora).post(
        path,
        {
            "email": "erin@example.com",
            "role": "athlete",
            "assigned_coach_id": cast.cora.public_id,
            "labels": ["5k-focus", "masters"],
        },
    )
    assert invitation.status_code == 201
    invitation_id = invitation.json()["data"]["invitation_id"]
    assert cast.api(cast.cora).get(path).json()["data"]["metadata"]["total"] == 3
    cast.api(erin).post(f"/api/v1/invitations/{invitation_id}/accept")
    listing = cast.api(cast.cora).get(path, {"per_page": 2}).json()["data"]
    assert listing["metadata"]["total"] == 4
    assert len(listing["members"]) == 2
    labels = (
        cast.api(cast.cora)
        .get(f"/api/v1/organizations/{cast.riverside.public_id}/labels")
        .json()["data"]
    )
    assert labels["labels"] == [
        {"name": "5k-focus", "athlete_count": 1},
        {"name": "masters", "athlete_count": 1},
    ]


def test_member_patch_and_remove(cast):
    squad = Group.objects.create(organization=cast.riverside, name="Squad")
    squad.members.add(cast.bob, cast.alice)
    path = f"/api/v1/organizations/{cast.riverside.public_id}/members/{cast.bob.public_id}"
    patched = cast.api(cast.cora).patch(
        path, {"labels": ["injured"], "assigned_coach_id": cast.cora.public_id}
    )
    assert patched.json()["data"]["labels"] == ["injured"]
    assert_error(cast.api(cast.alice).patch(path, {"labels": []}), 403)
    assert_error(cast.api(cast.olga).delete(path), 403)
    assert cast.api(cast.cora).delete(path).status_code == 200
    assert not Membership.objects.filter(user=cast.bob).exists()
    # Leaving the organization also leaves its groups.
    assert list(squad.members.all()) == [cast.alice]
    # Cora no longer sees Bob.
    assert_error(cast.api(cast.cora).get(f"/api/v1/users/{cast.bob.public_id}"), 403)


def test_the_last_owner_cannot_leave_or_be_demoted(cast):
    path = f"/api/v1/organizations/{cast.riverside.public_id}/members/{cast.cora.public_id}"
    assert_error(cast.api(cast.cora).patch(path, {"role": "athlete"}), 400, field="role")
    assert_error(cast.api(cast.cora).delete(path), 400)


def test_groups_lifecycle(cast):
    base = f"/api/v1/organizations/{cast.riverside.public_id}/groups"
    created = cast.api(cast.cora).post(base, {"name": "Marathoners"})
    assert created.status_code == 201
    group = created.json()["data"]
    gpath = f"/api/v1/groups/{group['group_id']}"
    added = cast.api(cast.cora).post(
        f"{gpath}/members", {"user_ids": [cast.alice.public_id, cast.bob.public_id]}
    )
    assert added.json()["data"]["member_count"] == 2
    assert_error(
        cast.api(cast.cora).post(f"{gpath}/members", {"user_ids": [cast.dave.public_id]}),
        404,
        field="user_ids[0]",
    )
    detail = cast.api(cast.cora).get(gpath).json()["data"]
    assert [m["display_name"] for m in detail["members"]] == ["Alice Andersen", "Bob Brown"]
    assert cast.api(cast.cora).delete(f"{gpath}/members/{cast.bob.public_id}").status_code == 200
    assert_error(cast.api(cast.cora).delete(f"{gpath}/members/{cast.bob.public_id}"), 404)
    assert (
        cast.api(cast.cora).patch(gpath, {"name": "Marathon squad"}).json()["data"]["name"]
        == "Marathon squad"
    )
    assert cast.api(cast.cora).get(base).json()["data"]["groups"][0]["member_count"] == 1
    assert_error(cast.api(cast.olga).get(gpath), 403)
    assert_error(cast.api(cast.alice).get(gpath), 403)
    assert cast.api(cast.cora).delete(gpath).status_code == 200
    assert not Group.objects.exists()


def test_api_keys_are_shown_once_hashed_and_revocable(cast):
    base = f"/api/v1/organizations/{cast.riverside.public_id}/api_keys"
    created = cast.api(cast.cora).post(base, {"name": "Garmin bridge"}).json()["data"]
    raw = created["key"]
    assert created["key_id"].startswith("key_")
    assert not ApiKey.objects.filter(key_hash=raw).exists()
    assert raw.startswith(created["prefix"])
    listed = cast.api(cast.cora).get(base).json()["data"]["api_keys"]
    assert all("key" not in k for k in listed)
    # The key works, and its use is recorded.
    assert Api({"X-API-Key": raw}).get(f"/api/v1/users/{cast.alice.public_id}").status_code == 200
    assert ApiKey.objects.get(public_id=created["key_id"]).last_used_at is not None
    assert_error(cast.api(cast.alice).post(base, {"name": "mine"}), 403)
    assert_error(cast.api(cast.olga).get(base), 403)
    assert cast.api(cast.cora).delete(f"{base}/{created['key_id']}").status_code == 200
    assert_error(
        Api({"X-API-Key": raw}).get(f"/api/v1/users/{cast.alice.public_id}"), 401, "INVALID_TOKEN"
    )
    assert_error(cast.api(cast.cora).delete(f"{base}/{created['key_id']}"), 404)
