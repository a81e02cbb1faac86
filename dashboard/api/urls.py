"""API routes: /api/v1/ and the OpenAPI schema with its documentation pages (served locally)."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from .views import (
    concerns,
    dispatch,
    docs,
    followups,
    incidents,
    maps,
    patrols,
    reference,
    repeat_places,
)

app_name = "api"

v1 = [
    path("auth/token/", reference.TokenView.as_view(), name="token"),
    path("auth/tokens/", reference.TokenListView.as_view(), name="tokens"),
    path("auth/tokens/<str:prefix>/", reference.TokenDetailView.as_view(), name="token-detail"),
    path("auth/logout/", reference.TokenLogoutView.as_view(), name="token-logout"),
    path("me/", reference.MeView.as_view(), name="me"),
    path("users/", reference.UserListView.as_view(), name="users"),
    path("categories/", reference.CategoryListView.as_view(), name="categories"),
    path("areas/", reference.AreaListView.as_view(), name="areas"),
    path("areas/geojson/", reference.AreaGeoJSONView.as_view(), name="areas-geojson"),
    path("stations/geojson/", reference.StationGeoJSONView.as_view(), name="stations-geojson"),
    # Incidents
    path("incidents/", incidents.IncidentListCreateView.as_view(), name="incidents"),
    path("incidents/geojson/", incidents.IncidentGeoJSONView.as_view(), name="incidents-geojson"),
    path("incidents/map/cells/", maps.IncidentMapCellsView.as_view(), name="incident-map-cells"),
    path(
        "incidents/map/features/",
        maps.IncidentMapFeaturesView.as_view(),
        name="incident-map-features",
    ),
    path("incidents/<int:pk>/", incidents.IncidentDetailView.as_view(), name="incident"),
    path(
        "incidents/<int:pk>/transition/",
        incidents.IncidentTransitionView.as_view(),
        name="incident-transition",
    ),
    path("incidents/<int:pk>/notes/", incidents.IncidentNoteView.as_view(), name="incident-notes"),
    path(
        "incidents/<int:pk>/link-concern/",
        incidents.IncidentLinkConcernView.as_view(),
        name="incident-link-concern",
    ),
    path(
        "incidents/<int:pk>/reveal-contact/",
        incidents.IncidentRevealContactView.as_view(),
        name="incident-reveal-contact",
    ),
    # Dispatch (issue 12)
    path(
        "incidents/<int:pk>/nearest-patrols/",
        dispatch.NearestPatrolsView.as_view(),
        name="incident-nearest-patrols",
    ),
    path(
        "incidents/<int:pk>/dispatch/",
        dispatch.IncidentDispatchView.as_view(),
        name="incident-dispatch",
    ),
    path(
        "incidents/<int:pk>/reassign/",
        dispatch.IncidentReassignView.as_view(),
        name="incident-reassign",
    ),
    path(
        "incidents/<int:pk>/stand-down/",
        dispatch.IncidentStandDownView.as_view(),
        name="incident-stand-down",
    ),
    path("access-purposes/", reference.AccessPurposeListView.as_view(), name="access-purposes"),
    # Neighbourhood concerns
    path("concerns/", concerns.ConcernListCreateView.as_view(), name="concerns"),
    path("concerns/geojson/", concerns.ConcernGeoJSONView.as_view(), name="concerns-geojson"),
    path("concerns/<int:pk>/", concerns.ConcernDetailView.as_view(), name="concern"),
    path(
        "concerns/<int:pk>/transition/",
        concerns.ConcernTransitionView.as_view(),
        name="concern-transition",
    ),
    path("concerns/<int:pk>/notes/", concerns.ConcernNoteView.as_view(), name="concern-notes"),
    path("concerns/<int:pk>/plan/", concerns.ConcernPlanView.as_view(), name="concern-plan"),
    path(
        "concerns/<int:pk>/publish/", concerns.ConcernPublishView.as_view(), name="concern-publish"
    ),
    # Repeat-place proposals (issue 16): supervisors only
    path(
        "repeat-places/geojson/",
        repeat_places.RepeatPlaceGeoJSONView.as_view(),
        name="repeat-places-geojson",
    ),
    path(
        "repeat-places/<int:pk>/",
        repeat_places.RepeatPlaceDetailView.as_view(),
        name="repeat-place",
    ),
    path(
        "repeat-places/<int:pk>/accept/",
        repeat_places.RepeatPlaceAcceptView.as_view(),
        name="repeat-place-accept",
    ),
    path(
        "repeat-places/<int:pk>/merge/",
        repeat_places.RepeatPlaceMergeView.as_view(),
        name="repeat-place-merge",
    ),
    path(
        "repeat-places/<int:pk>/dismiss/",
        repeat_places.RepeatPlaceDismissView.as_view(),
        name="repeat-place-dismiss",
    ),
    # Follow-ups
    path("followups/", followups.FollowUpListCreateView.as_view(), name="followups"),
    path("followups/<int:pk>/", followups.FollowUpDetailView.as_view(), name="followup"),
    path("followups/<int:pk>/start/", followups.FollowUpStartView.as_view(), name="followup-start"),
    path(
        "followups/<int:pk>/complete/",
        followups.FollowUpCompleteView.as_view(),
        name="followup-complete",
    ),
    path(
        "followups/<int:pk>/cancel/",
        followups.FollowUpCancelView.as_view(),
        name="followup-cancel",
    ),
    path(
        "followups/<int:pk>/reassign/",
        followups.FollowUpReassignView.as_view(),
        name="followup-reassign",
    ),
    # Patrols
    path("patrols/", patrols.PatrolListView.as_view(), name="patrols"),
    path("patrols/geojson/", patrols.PatrolGeoJSONView.as_view(), name="patrols-geojson"),
    path("patrols/<int:pk>/", patrols.PatrolDetailView.as_view(), name="patrol"),
    path(
        "patrols/<int:pk>/positions/",
        patrols.PatrolPositionsView.as_view(),
        name="patrol-positions",
    ),
    path("patrols/<int:pk>/status/", patrols.PatrolStatusView.as_view(), name="patrol-status"),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.SwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", docs.RedocView.as_view(url_name="api:schema"), name="redoc"),
    path("v1/", include(v1)),
]
