# Django ships no Gujarati formats (it would fall back to English ones). The month and weekday
# names come from the Gujarati catalogue in portal/vendor_locale/gu: "16 જાન્યુઆરી 2027, 01:51".
DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
FIRST_DAY_OF_WEEK = 0  # Sunday, as Indian calendars print the week
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = (3, 2, 0)  # 12,34,567: the Indian grouping
