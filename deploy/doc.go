// Package deploy holds no code: its tests check the deployment files that
// ship with the repository — docker-compose.yml at the root, the Prometheus
// configuration and alert rules (deploy/prometheus), the Grafana provisioning
// and dashboards (deploy/grafana) — against the code they describe.
package deploy
