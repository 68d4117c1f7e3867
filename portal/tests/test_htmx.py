"""htmx through django-htmx: the middleware marks every request, the refresh answer is a 204."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxMiddleware

from portal.http import HttpResponseClientRefreshNoContent


def test_every_request_is_told_whether_htmx_made_it():
    assert "django_htmx.middleware.HtmxMiddleware" in settings.MIDDLEWARE
    seen: list[bool] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(bool(request.htmx))  # type: ignore[attr-defined]
        return HttpResponse()

    middleware = HtmxMiddleware(view)
    middleware(RequestFactory().get("/", HTTP_HX_REQUEST="true"))
    middleware(RequestFactory().get("/"))
    assert seen == [True, False]


def test_the_client_refresh_reloads_the_page_and_swaps_nothing():
    response = HttpResponseClientRefreshNoContent()
    assert response.status_code == 204
    assert response["HX-Refresh"] == "true"
    assert response.content == b""
