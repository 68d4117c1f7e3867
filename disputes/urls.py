from django.urls import URLPattern, path

from disputes import views

app_name = "disputes"

urlpatterns: list[URLPattern] = [
    path("", views.my_disputes, name="mine"),
    path("open/<int:order_id>/", views.dispute_open, name="open"),
    path("<int:dispute_id>/", views.dispute_detail, name="detail"),
    path("<int:dispute_id>/offer/", views.dispute_offer, name="offer"),
    path("<int:dispute_id>/accept/", views.dispute_accept, name="accept"),
    path("<int:dispute_id>/message/", views.dispute_message, name="message"),
    path("<int:dispute_id>/escalate/", views.dispute_escalate, name="escalate"),
    path("<int:dispute_id>/cancel/", views.dispute_cancel, name="cancel"),
    path("<int:dispute_id>/return-shipped/", views.dispute_return_shipped, name="return_shipped"),
    path("<int:dispute_id>/return-received/", views.dispute_return_received, name="return_received"),
    path("<int:dispute_id>/replacement-received/", views.dispute_replacement_received, name="replacement_received"),
    path("store/<slug:slug>/", views.store_disputes, name="store"),
    path("store/<slug:slug>/penalties/", views.store_penalties, name="penalties"),
    path("store/<slug:slug>/penalties/<int:entry_id>/appeal/", views.penalty_appeal, name="appeal"),
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/<int:complaint_id>/", views.complaint_detail, name="complaint_detail"),
    path("complaints/<int:complaint_id>/rate/", views.complaint_rate, name="complaint_rate"),
    path("complaints/<int:complaint_id>/reply/", views.complaint_follow_up, name="complaint_follow_up"),
    path("complaints/<int:complaint_id>/close/", views.complaint_close, name="complaint_close"),
]
