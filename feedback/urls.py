from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("", views.my_feedback, name="my_feedback"),
    path("orders/<int:order_id>/review/", views.review_form, name="review_form"),
    path("orders/<int:order_id>/additional/", views.additional_review, name="additional_review"),
    path("reviews/<int:review_id>/revise/", views.revision_answer, name="revision_answer"),
    path("reviews/<int:review_id>/report/", views.report_review, name="report"),
    path("reviews/<int:review_id>/helpful/", views.mark_helpful, name="helpful"),
    path("reviews/verify/", views.verify_receipt, name="verify_receipt"),
    path("photos/<uuid:photo_uuid>/", views.review_photo, name="review_photo"),
    path("seller/<slug:slug>/orders/<int:order_id>/rate/", views.seller_rate, name="seller_rate"),
    path("seller/<slug:slug>/orders/<int:order_id>/invite/", views.invite, name="invite"),
    path("seller/<slug:slug>/reviews/<int:review_id>/reply/", views.reply, name="reply"),
    path("seller/<slug:slug>/reviews/<int:review_id>/revision/", views.request_revision, name="request_revision"),
    path("seller/<slug:slug>/additional/<int:additional_id>/reply/", views.reply_additional, name="reply_additional"),
]
