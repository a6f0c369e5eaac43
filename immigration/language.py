"""Switching ID/EN on a page with a half-filled form, without losing what was typed.

The header's language buttons normally post to Django's `set_language`, which
redirects and so forgets the form. On a page with a form, the template names that form
(`lang_form` in the context) and the buttons submit it instead (the HTML `form`
attribute: no JavaScript), with `language=<code>`. The page's view asks
`language_switch` whether the post was a switch, redraws the form in the new language
with what was typed, and `remember_language` stores the choice as `set_language` does.
"""

from django.conf import settings
from django.utils import translation


def language_switch(request) -> str | None:
    """The language a form's post asked to switch to, now active; None when the post
    is not a switch (an unknown code is not one either)."""
    if request.method != "POST":
        return None
    code = request.POST.get("language", "")
    if code not in dict(settings.LANGUAGES):
        return None
    translation.activate(code)
    request.LANGUAGE_CODE = code
    return code


def remember_language(response, code: str):
    """Keep the choice for the next pages: the cookie Django's set_language writes."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def typed_values(request) -> dict[str, str]:
    """What the person typed, to redraw a form unbound (no error shown for a field
    they had not reached yet)."""
    return {
        key: value
        for key, value in request.POST.items()
        if key not in ("csrfmiddlewaretoken", "language", "action")
    }
