package prompt_test

import (
	"context"
	"testing"

	"github.com/kagi-cli/kagi/internal/prompt"
)

// The terminal prompt pauses what WithPause set up (exec --profiles' output)
// before it asks, and resumes it once answered, after the terminal closed.
func TestTerminalPromptPausesOutput(t *testing.T) {
	open, last := ttyWith("123456\n")
	src, err := prompt.Choose(prompt.Options{Env: envOf(nil), OpenTTY: open})
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	ctx := prompt.WithPause(context.Background(), func() func() {
		events = append(events, "pause, shown "+last().shown())
		return func() {
			events = append(events, "resume, closed "+map[bool]string{true: "yes", false: "no"}[last().closed])
		}
	})
	if code, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1}); code != "123456" || err != nil {
		t.Fatalf("Code = %q, %v", code, err)
	}
	if len(events) != 2 || events[0] != "pause, shown " || events[1] != "resume, closed yes" {
		t.Errorf("events %q, want a pause before the question and a resume after the close", events)
	}
	// Without WithPause nothing happens.
	prompt.PauseOutput(context.Background())()
}
