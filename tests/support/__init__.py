"""What the tests share: a local fault server, CLI runners and checks, result builders, and a
way to run a coroutine that fails if it leaves a task behind."""
