package cache_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
)

// A record another program garbled is removed and read as none: it only
// ever saves work, so it must never fail a run.
func TestCorruptFailureRecordIsRemoved(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	path := filepath.Join(s.Dir(), key1+".fail")
	for _, data := range []string{"", "{not json", `{"message":""}`, `{"message":"m"}`, "null",
		// A rejected code's mark without a salt, with a short one, or with
		// more than 4 hex digits of tag (a whole hash would give the
		// code away; six digits could be the code itself).
		`{"message":"m","when":"2030-01-02T03:04:05Z","code":{"tag":"a1f"}}`,
		`{"message":"m","when":"2030-01-02T03:04:05Z","code":{"salt":"AAAA","tag":"a1f"}}`,
		`{"message":"m","when":"2030-01-02T03:04:05Z","code":{"salt":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=","tag":"` + strings.Repeat("ab", 32) + `"}}`,
		`{"message":"m","when":"2030-01-02T03:04:05Z","code":{"salt":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=","tag":"123456"}}`} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetFailure(ctx, key1); !errors.Is(err, cache.ErrNotFound) {
			t.Fatalf("GetFailure of %q: %v, want ErrNotFound", data, err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("corrupt record %q left in place", data)
		}
	}
}

func TestPruneRemovesOldFailureRecords(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	now := time.Now()
	const key2 = "00000000000000000000000000000000000000000000000000000000000000a2"
	for _, k := range []string{key1, key2} {
		if err := s.PutFailure(ctx, k, cache.Failure{Message: "m", When: now}); err != nil {
			t.Fatal(err)
		}
	}
	old := filepath.Join(s.Dir(), key1+".fail")
	if err := os.Chtimes(old, now.Add(-2*time.Hour), now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(s.Dir(), "."+key2+".fail.tmp123")
	if err := os.WriteFile(tmp, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, now.Add(-time.Hour), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prune(ctx, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetFailure(ctx, key1); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("an old record survived Prune: %v", err)
	}
	if _, err := s.GetFailure(ctx, key2); err != nil {
		t.Errorf("a young record was pruned: %v", err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dead writer's temporary file survived Prune")
	}
}
