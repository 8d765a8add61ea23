"""gradschool grader: registry, stub generator, runner, hidden checks, milestones, data."""
