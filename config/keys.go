package config

import (
	"reflect"
	"sort"
)

// Keys lists every leaf key of Config as a dotted path ("nats.store_dir"),
// sorted; these are the keys of the file and, through EnvName, the
// environment overrides. Derived from the yaml tags, like the loader.
func Keys() []string {
	var keys []string
	var walk func(t reflect.Type, path []string)
	walk = func(t reflect.Type, path []string) {
		fields, names := fieldKeys(t)
		for _, name := range names {
			f := t.Field(fields[name])
			p := append(append([]string(nil), path...), name)
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type, p)
				continue
			}
			keys = append(keys, dotted(p))
		}
	}
	walk(reflect.TypeFor[Config](), nil)
	sort.Strings(keys)
	return keys
}

// EnvNames maps every environment override (RANKSTREAM_…) to its dotted key.
func EnvNames() map[string]string {
	m := map[string]string{}
	for _, k := range Keys() {
		m[EnvName(k)] = k
	}
	return m
}
