// Package lint holds the house rules that are checked, as tests run by make
// test: no .go file over 500 lines and no function over 80 (size_test.go,
// with its allow-list in allowlist_test.go), and no package importing one of
// a higher layer (layers_test.go, over the table in docs/architecture.md).
package lint
