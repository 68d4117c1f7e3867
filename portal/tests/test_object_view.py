"""`object_view`: the user's object is loaded before the method is checked."""

import pytest
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory

from portal.http import object_view

OWNED = {1: "alice's note"}
loads: list[int] = []


def _note_for_user(request: HttpRequest, note_id: int) -> str:
    loads.append(note_id)
    if note_id not in OWNED:
        raise Http404("No such note.")
    return OWNED[note_id]


@object_view(load=_note_for_user, methods=["GET", "HEAD"])
def note(request: HttpRequest, text: str, note_id: int) -> HttpResponse:
    return HttpResponse(f"{note_id}: {text}")


@object_view(load=_note_for_user, methods=["POST"])
def note_delete(request: HttpRequest, text: str, note_id: int) -> HttpResponse:
    return HttpResponse(status=204)


@pytest.fixture(autouse=True)
def _fresh_loads():
    loads.clear()


@pytest.mark.parametrize("method", ["get", "head", "post", "put", "patch", "delete", "options"])
def test_someone_elses_object_is_404_whatever_the_method(rf: RequestFactory, method):
    with pytest.raises(Http404):
        note(getattr(rf, method)("/notes/2/"), note_id=2)
    with pytest.raises(Http404):
        note_delete(getattr(rf, method)("/notes/2/"), note_id=2)


def test_the_view_gets_the_loaded_object_and_the_url_arguments(rf: RequestFactory):
    response = note(rf.get("/notes/1/"), note_id=1)
    assert response.status_code == 200
    assert response.content == b"1: alice's note"
    assert note_delete(rf.post("/notes/1/"), note_id=1).status_code == 204


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_wrong_method_on_ones_own_object_is_405_after_loading(rf: RequestFactory, method):
    response = note(getattr(rf, method)("/notes/1/"), note_id=1)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert loads == [1]


def test_only_the_listed_methods_are_answered(rf: RequestFactory):
    assert note(rf.head("/notes/1/"), note_id=1).status_code == 200
    assert note_delete(rf.get("/notes/1/"), note_id=1).status_code == 405
    assert note_delete(rf.head("/notes/1/"), note_id=1).status_code == 405


def test_a_method_no_client_sends_is_405_for_everyone_before_loading(rf: RequestFactory):
    for note_id in (1, 2):
        response = note(rf.generic("PROPFIND", f"/notes/{note_id}/"), note_id=note_id)
        assert response.status_code == 405
    assert loads == []
