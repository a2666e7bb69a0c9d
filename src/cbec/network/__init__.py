"""The identity and transaction graph: consumer-end monitoring, smuggling networks, and
joint management with payment companies."""
