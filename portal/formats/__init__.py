"""The portal's own date and time formats, one module per language (FORMAT_MODULE_PATH).

Rules shared by every language, so that a page never mixes two styles and a sentence never
ends in a double full stop:

- the short formats are the long ones: tables, timelines and sentences on one page read alike
  (Django's stock formats mix "Jan. 16, 2027, 1:51 a.m." with "01/16/2027 1:51 a.m.");
- times are 24-hour with minutes always shown ("P" drops ":00" and ends in "a.m."), like the
  stores' working hours;
- no format ends in a full stop, because sentences such as "The window closes on %(when)s."
  put their own after it.

Anything not set here (input formats, number separators) comes from Django's own locale.
"""
