"""Enterprise portraits, classified supervision, and e-commerce platform verification."""
