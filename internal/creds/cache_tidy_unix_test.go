//go:build unix

package creds_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/creds"
)

// The runtime directory store (cache.DirStore) is the tmpfs cache of Unix.

// Prune was never called outside tests, so expired entries, idle lock
// files and dead writers' temporary files (live role keys) stayed in the
// cache forever. A write now tidies the directory.
func TestWriteTidiesTheCache(t *testing.T) {
	e := startEmu(t)
	ctx := context.Background()
	store, err := cache.OpenDir(filepath.Join(t.TempDir(), "kagi"))
	if err != nil {
		t.Fatal(err)
	}
	dir := store.Dir()
	old := strings.Repeat("0", 63) + "e"
	idle := strings.Repeat("0", 63) + "f"
	if err := store.Put(ctx, old, cache.Entry{AccessKeyID: "ASIAOLD", SecretAccessKey: "s", SessionToken: "t",
		Expiration: time.Now().Add(-time.Hour), Profile: "gone", Kind: "role"}); err != nil {
		t.Fatal(err)
	}
	u, err := store.Lock(ctx, idle)
	if err != nil {
		t.Fatal(err)
	}
	u()
	temp := filepath.Join(dir, "."+old+".json.tmp777")
	if err := os.WriteFile(temp, []byte("live keys"), 0o600); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(temp, past, past); err != nil {
		t.Fatal(err)
	}

	deps := e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), store, e.totpSource(aliceSerial))
	if _, err := creds.Retrieve(ctx, e.aliceChain(), deps); err != nil {
		t.Fatal(err)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, de := range des {
		if strings.Contains(de.Name(), old) || strings.Contains(de.Name(), idle) {
			left = append(left, de.Name())
		}
	}
	if len(left) != 0 {
		t.Fatalf("after a write the cache still holds %q", left)
	}
	if infos, _ := store.List(ctx); len(infos) != 1 || infos[0].Kind != "session" {
		t.Fatalf("cache holds %+v, want the new session only", infos)
	}
}
