package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rankstream/rankstream/config"
)

// composeFile is the part of docker-compose.yml the test reads.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string                    `yaml:"image"`
	Build       any                       `yaml:"build"`
	Command     []string                  `yaml:"command"`
	Environment map[string]string         `yaml:"environment"`
	Ports       []string                  `yaml:"ports"`
	Volumes     []string                  `yaml:"volumes"`
	DependsOn   map[string]map[string]any `yaml:"depends_on"`
	Healthcheck struct {
		Test    []string `yaml:"test"`
		Disable bool     `yaml:"disable"`
	} `yaml:"healthcheck"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil { // merges the x- anchors
		t.Fatalf("docker-compose.yml: %v", err)
	}
	if len(c.Services) == 0 {
		t.Fatal("docker-compose.yml has no services")
	}
	return c
}

// pinnedImage: name:tag (not latest) or name@sha256:…; the tag may not be
// a variable.
var pinnedImage = regexp.MustCompile(`^[a-z0-9./_-]+(:[A-Za-z0-9][A-Za-z0-9._-]*)?(@sha256:[0-9a-f]{64})?$`)

func TestComposeImagesPinnedAndHealthChecked(t *testing.T) {
	c := loadCompose(t)
	for name, s := range c.Services {
		if s.Image == "" {
			t.Errorf("%s: no image", name)
			continue
		}
		m := pinnedImage.FindStringSubmatch(s.Image)
		switch {
		case m == nil:
			t.Errorf("%s: image %q is not name:tag or name@sha256:digest", name, s.Image)
		case m[1] == "" && m[2] == "":
			t.Errorf("%s: image %q is not pinned (no tag or digest)", name, s.Image)
		case m[1] == ":latest":
			t.Errorf("%s: image %q uses latest", name, s.Image)
		}
		if s.Healthcheck.Disable || len(s.Healthcheck.Test) < 2 || s.Healthcheck.Test[0] == "NONE" {
			t.Errorf("%s: no health check", name)
		}
		for dep, cond := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("%s depends on unknown service %s", name, dep)
			}
			if cond["condition"] != "service_healthy" {
				t.Errorf("%s: depends on %s without condition service_healthy", name, dep)
			}
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, "./") {
				if _, err := os.Stat(filepath.Join("..", src)); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s mounts volume %q that is not declared", name, src)
			}
		}
	}
}

func TestComposePorts(t *testing.T) {
	c := loadCompose(t)
	hostPorts := map[string]string{}
	containerPorts := map[string][]string{}
	for name, s := range c.Services {
		for _, p := range s.Ports {
			parts := strings.Split(p, ":")
			if len(parts) < 2 || len(parts) > 3 {
				t.Errorf("%s: port %q is not [ip:]host:container", name, p)
				continue
			}
			for _, n := range parts[len(parts)-2:] {
				if v, err := strconv.Atoi(n); err != nil || v < 1 || v > 65535 {
					t.Errorf("%s: port %q: %q is not a port number", name, p, n)
				}
			}
			host := parts[len(parts)-2]
			if prev, ok := hostPorts[host]; ok {
				t.Errorf("host port %s published by %s and %s", host, prev, name)
			}
			hostPorts[host] = name
			containerPorts[name] = append(containerPorts[name], parts[len(parts)-1])
		}
	}
	// What users and the other services reach: the API, Prometheus,
	// Grafana, NATS clients and monitoring.
	want := map[string][]string{"front": {"8080"}, "prometheus": {"9090"}, "grafana": {"3000"},
		"n1": {"4222", "8222"}, "n2": {"4222"}, "n3": {"4222"}}
	for svc, ports := range want {
		for _, p := range ports {
			if !contains(containerPorts[svc], p) {
				t.Errorf("%s does not publish container port %s (has %v)", svc, p, containerPorts[svc])
			}
		}
	}
}

func TestComposeRankstreamEnvIsConfig(t *testing.T) {
	c := loadCompose(t)
	keys := config.EnvNames()
	var aggInstances []string
	for name, s := range c.Services {
		for ev := range s.Environment {
			if strings.HasPrefix(ev, config.EnvPrefix) {
				if _, ok := keys[ev]; !ok {
					t.Errorf("%s sets %s, which is no config key (keys: config.Keys)", name, ev)
				}
			}
		}
		if !strings.HasPrefix(s.Image, "ghcr.io/rankstream/") {
			continue
		}
		if s.Environment["RANKSTREAM_NATS_URL"] == "" {
			t.Errorf("%s: no RANKSTREAM_NATS_URL: it would start an embedded server of its own", name)
		}
		if strings.Contains(strings.Join(s.Command, " "), "aggregator") {
			inst := s.Environment["RANKSTREAM_AGGREGATOR_INSTANCE"]
			if inst == "" {
				t.Errorf("%s runs the aggregator without aggregator.instance", name)
			}
			aggInstances = append(aggInstances, inst)
		}
	}
	sort.Strings(aggInstances)
	if len(aggInstances) != 2 || aggInstances[0] == aggInstances[1] {
		t.Errorf("want two aggregator processes with distinct instances, have %q", aggInstances)
	}
}

// TestComposeNATSCluster: three nodes, each with its own config file that
// fsyncs before every ack and routes to all three.
func TestComposeNATSCluster(t *testing.T) {
	c := loadCompose(t)
	for _, n := range []string{"n1", "n2", "n3"} {
		s, ok := c.Services[n]
		if !ok {
			t.Errorf("no NATS node %s", n)
			continue
		}
		conf := ""
		for _, v := range s.Volumes {
			if strings.HasPrefix(v, "./deploy/nats-cluster/") {
				conf, _, _ = strings.Cut(v, ":")
			}
		}
		if conf != "./deploy/nats-cluster/"+n+".conf" {
			t.Errorf("%s mounts %q, want ./deploy/nats-cluster/%s.conf", n, conf, n)
			continue
		}
		data, err := os.ReadFile(filepath.Join("..", conf))
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		for _, want := range []string{"server_name: " + n, "sync_interval: always", "nats-route://n1:6222", "nats-route://n2:6222", "nats-route://n3:6222"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: lacks %q", conf, want)
			}
		}
	}
}

func TestDockerfileStaticNonRoot(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if strings.Count(text, "\nFROM ") < 2 && !strings.HasPrefix(text, "FROM ") {
		t.Error("Dockerfile is not multi-stage")
	}
	for _, want := range []string{"CGO_ENABLED=0", "AS build", "COPY --from=build", "USER nonroot"} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "FROM" && !pinnedImage.MatchString(f[1]) || strings.Contains(line, ":latest") {
			t.Errorf("Dockerfile: unpinned base image in %q", line)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
