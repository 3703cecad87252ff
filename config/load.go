package config

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rankstream/rankstream/internal/yamlpos"
)

// Load reads the config file at path ("" = defaults only), applies the
// process environment's RANKSTREAM_* overrides and validates the result.
// Every problem is reported at once, as Errors.
func Load(path string) (*Config, error) {
	return LoadWithEnv(path, os.LookupEnv)
}

// LoadWithEnv is Load with env looking up environment variables (nil: none).
func LoadWithEnv(path string, env func(string) (string, bool)) (*Config, error) {
	cfg := Default()
	l := &loader{file: path, lines: map[string]int{}, envs: map[string]string{}}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		l.decodeFile(data, cfg)
	}
	if env != nil {
		l.applyEnv(reflect.ValueOf(cfg).Elem(), nil, env)
	}
	l.readSecretFiles(cfg)
	l.validate(cfg)
	l.validateSecurity(cfg)
	if len(l.errs) > 0 {
		// File problems in line order, then those of the environment.
		sort.SliceStable(l.errs, func(i, j int) bool {
			a, b := l.errs[i], l.errs[j]
			if (a.Env == "") != (b.Env == "") {
				return a.Env == ""
			}
			return a.Env == "" && a.Line < b.Line
		})
		return nil, l.errs
	}
	return cfg, nil
}

// loader collects problems and remembers where each key's value came from.
type loader struct {
	file  string
	errs  Errors
	lines map[string]int    // dotted key -> line of its value in the file
	envs  map[string]string // dotted key -> environment variable that set it
}

var durationType = reflect.TypeFor[time.Duration]()

func (l *loader) fileErr(line int, key, format string, args ...any) {
	l.errs = append(l.errs, Error{File: l.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) decodeFile(data []byte, cfg *Config) {
	root, probs := yamlpos.Document(data, "configuration")
	for _, p := range probs {
		l.fileErr(p.Line, "", "%s", p.Msg)
	}
	if root == nil {
		return // empty file (defaults) or a syntax error
	}
	l.decodeStruct(root, reflect.ValueOf(cfg).Elem(), nil)
}

func dotted(path []string) string { return strings.Join(path, ".") }

// fieldKeys maps the yaml keys of struct type t to field indexes.
func fieldKeys(t reflect.Type) (map[string]int, []string) {
	m := map[string]int{}
	var names []string
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		m[tag] = i
		names = append(names, tag)
	}
	return m, names
}

func (l *loader) decodeStruct(n *yaml.Node, v reflect.Value, path []string) {
	n = yamlpos.Deref(n)
	if yamlpos.IsNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		l.fileErr(n.Line, dotted(path), "expected a mapping, got %s", yamlpos.Describe(n))
		return
	}
	fields, names := fieldKeys(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := yamlpos.Deref(n.Content[i]), n.Content[i+1]
		key := k.Value
		p := append(append([]string(nil), path...), key)
		if prev, ok := seen[key]; ok {
			l.fileErr(k.Line, dotted(p), "duplicate key (first at line %d)", prev)
			continue
		}
		seen[key] = k.Line
		idx, ok := fields[key]
		if !ok {
			where := "at the top level"
			if len(path) > 0 {
				where = "in " + dotted(path)
			}
			l.fileErr(k.Line, "", "unknown key %q %s (known: %s)", key, where, strings.Join(names, ", "))
			continue
		}
		l.lines[dotted(p)] = yamlpos.Deref(val).Line
		l.decodeValue(val, v.Field(idx), p)
	}
}

func (l *loader) decodeValue(n *yaml.Node, v reflect.Value, path []string) {
	n = yamlpos.Deref(n)
	key := dotted(path)
	switch {
	case v.Kind() == reflect.Struct:
		l.decodeStruct(n, v, path)
		return
	case v.Kind() == reflect.Map:
		l.decodeMap(n, v, path)
		return
	}
	if n.Kind != yaml.ScalarNode {
		l.fileErr(n.Line, key, "expected a single value, got %s", yamlpos.Describe(n))
		return
	}
	switch {
	case v.Type() == durationType:
		if yamlpos.IsNull(n) {
			l.fileErr(n.Line, key, "a duration is required (e.g. 30s, 2m)")
			return
		}
		d, err := time.ParseDuration(n.Value)
		if err != nil {
			l.fileErr(n.Line, key, "invalid duration %q (e.g. 30s, 2m, 24h)", n.Value)
			return
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.Int:
		if n.Tag != "!!int" {
			l.fileErr(n.Line, key, "expected an integer, got %s", yamlpos.Describe(n))
			return
		}
		var i int
		if err := n.Decode(&i); err != nil {
			l.fileErr(n.Line, key, "invalid integer %q", n.Value)
			return
		}
		v.SetInt(int64(i))
	case v.Kind() == reflect.String:
		if yamlpos.IsNull(n) {
			v.SetString("")
			return
		}
		v.SetString(n.Value)
	default:
		panic(fmt.Sprintf("config: unsupported field type %s at %s", v.Type(), key))
	}
}

// decodeMap decodes a map[string]string; the file's map replaces the default.
func (l *loader) decodeMap(n *yaml.Node, v reflect.Value, path []string) {
	key := dotted(path)
	m := reflect.MakeMap(v.Type())
	v.Set(m)
	if yamlpos.IsNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		l.fileErr(n.Line, key, "expected a mapping, got %s", yamlpos.Describe(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := yamlpos.Deref(n.Content[i]), yamlpos.Deref(n.Content[i+1])
		sub := key + "." + k.Value
		if prev, ok := seen[k.Value]; ok {
			l.fileErr(k.Line, sub, "duplicate key (first at line %d)", prev)
			continue
		}
		seen[k.Value] = k.Line
		if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode || yamlpos.IsNull(val) {
			l.fileErr(k.Line, sub, "expected a string value, got %s", yamlpos.Describe(val))
			continue
		}
		l.lines[sub] = val.Line
		m.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(val.Value))
	}
}

// EnvName is the environment variable that overrides the dotted key, e.g.
// "nats.store_dir" -> "RANKSTREAM_NATS_STORE_DIR".
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// applyEnv overrides every leaf key set in the environment.
func (l *loader) applyEnv(v reflect.Value, path []string, env func(string) (string, bool)) {
	t := v.Type()
	fields, names := fieldKeys(t)
	for _, name := range names {
		f := v.Field(fields[name])
		p := append(append([]string(nil), path...), name)
		if f.Kind() == reflect.Struct {
			l.applyEnv(f, p, env)
			continue
		}
		key := dotted(p)
		ev := EnvName(key)
		s, ok := env(ev)
		if !ok {
			continue
		}
		l.envs[key] = ev
		bad := func(format string, args ...any) {
			l.errs = append(l.errs, Error{Env: ev, Key: key, Msg: fmt.Sprintf(format, args...)})
		}
		switch {
		case f.Type() == durationType:
			d, err := time.ParseDuration(strings.TrimSpace(s))
			if err != nil {
				bad("invalid duration %q (e.g. 30s, 2m, 24h)", s)
				continue
			}
			f.SetInt(int64(d))
		case f.Kind() == reflect.Int:
			i, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				bad("expected an integer, got %q", s)
				continue
			}
			f.SetInt(int64(i))
		case f.Kind() == reflect.String:
			f.SetString(s)
		case f.Kind() == reflect.Map:
			m, err := parsePairs(s)
			if err != nil {
				bad("%v", err)
				continue
			}
			f.Set(reflect.ValueOf(m))
		default:
			panic(fmt.Sprintf("config: unsupported field type %s at %s", f.Type(), key))
		}
	}
}

// parsePairs parses "id=secret,id2=secret2" (whitespace around items ignored;
// a secret may contain "=" but not "," and is trimmed).
func parsePairs(s string) (map[string]string, error) {
	m := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	var bad []string
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			bad = append(bad, fmt.Sprintf("%q is not id=secret", redactItem(item)))
			continue
		}
		if _, dup := m[k]; dup {
			bad = append(bad, fmt.Sprintf("%q given twice", k))
			continue
		}
		m[k] = strings.TrimSpace(v)
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, fmt.Errorf("expected id=secret,id2=secret2: %s", strings.Join(bad, "; "))
	}
	return m, nil
}

// redactItem keeps an item's shape in messages without echoing a secret that
// was mistyped (e.g. "acme:secret").
func redactItem(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[:4] + "…"
}
