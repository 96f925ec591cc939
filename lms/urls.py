app_name = "lms"
urlpatterns: list = []
