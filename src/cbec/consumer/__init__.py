"""Consumer end: quota self-service, and (later) disputes and identity-misuse monitoring."""
