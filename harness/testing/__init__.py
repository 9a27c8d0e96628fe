"""Test support that ships with the package, so users' own test suites can use it too.

- `fake_openai`: a real OpenAI-compatible HTTP server with scripted faults (`faults`) and
  answers steered by markers in the prompt (`markers`); `hostile` holds its odd-but-valid
  answers (int tool-call ids, token counts of "abc", deep JSON, lone surrogates, gzip bombs);
- `fake_provider`: `ScriptedProvider`, a Provider with no I/O for runner and wrapper tests;
- `network_guard`: refuse connections to anything but loopback during tests.
"""
