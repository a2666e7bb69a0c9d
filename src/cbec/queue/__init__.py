"""Queue intake over NATS JetStream: enterprises publish messages to ``<prefix>.in.<copCode>``
with their API key in a header; ``cbec worker`` processes (several share one durable pull
consumer) pass them through the same front door as HTTP (:class:`cbec.intake.service.Intake`),
acknowledge each only after its transaction committed, and publish its receipt to
``<prefix>.receipts.<copCode>``."""
