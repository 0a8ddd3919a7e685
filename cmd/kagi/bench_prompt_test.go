package main

import (
	"testing"
	"time"
)

// BenchmarkPrompt runs `kagi prompt` as the shell does before every
// prompt, side by side with the baseline Go process that only starts and
// exits, in the same iterations (as BenchmarkStartup): x-baseline is
// kagi's total over the baseline's. Goal: within 1.5x (issue 14).
// "prompt" is the path the shell takes (earlyprompt, during
// initialization); "prompt-after-init" is the same answer after the whole
// program is initialized and cobra has parsed the flags, to show what the
// early path saves.
func BenchmarkPrompt(b *testing.B) {
	dir := b.TempDir()
	baseline := buildBinary(b, dir, "baseline", "./testdata/baseline")
	kagi := buildBinary(b, dir, "kagi", ".")
	env := []string{"PATH=/usr/bin:/bin", "KAGI_PROFILE=prod",
		"AWS_CREDENTIAL_EXPIRATION=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}
	benchBesideBaseline(b, baseline, env, []benchCase{
		{"prompt", []string{kagi, "prompt"}},
		{"prompt-after-init", []string{kagi, "--debug", "prompt"}},
	})
}
