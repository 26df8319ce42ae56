"""Operating Sapan: health and readiness endpoints, Prometheus metrics, structured logs with a request
id that follows the work into background jobs, and the checks `sapan doctor` shares with /readyz."""
