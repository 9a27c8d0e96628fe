"""The local web app (`harness serve`): `harness.web.app.create_app` and `serve`.

Pages render through `harness.web.pages.render`; the guard (host check, token, CSRF,
headers) is `harness.web.security`. Starlette and uvicorn come with the `[web]` extra.
"""
